"""Full-text search that works from output/ on any static host.

After the pages are rendered, pagefind (installed from PyPI with its binary) indexes the
main content of every published post and page into output/pagefind/, which also holds the
search UI that pages/search.md loads. Nothing is fetched from elsewhere when searching.
"""

from __future__ import annotations

import os
import subprocess
import sys

from doit.exceptions import TaskFailed
from nikola.plugin_categories import LateTask
from nikola.utils import config_changed

# Navigation, tags and the notebook tool links are on every page: not worth finding.
IGNORED = ".postpromonav, .nb-tools, #header, #footer"


def pagefind_command(output: str, pages: list[str]) -> list[str]:
    """The pagefind call indexing `pages` (paths relative to `output`)."""
    return [
        sys.executable, "-m", "pagefind",
        "--site", output,
        "--glob", "{" + ",".join(pages) + "}",
        "--root-selector", "main",
        "--exclude-selectors", IGNORED,
        "--quiet",
    ]  # fmt: skip


def build_index(output: str, pages: list[str]) -> TaskFailed | None:
    result = subprocess.run(pagefind_command(output, pages), capture_output=True, text=True)
    if result.returncode != 0:
        return TaskFailed(f"pagefind could not index {output}: {result.stderr.strip() or result.stdout.strip()}")
    return None


class SearchIndex(LateTask):
    """Index posts and pages with pagefind once they are rendered."""

    name = "search_index"

    def gen_tasks(self):
        self.site.scan_posts()
        output = self.site.config["OUTPUT_FOLDER"]
        lang = self.site.config["DEFAULT_LANG"]
        searchable = [
            post
            for post in self.site.timeline
            if (post.use_in_feeds or not post.is_post) and str(post.meta("search")).lower() not in ("no", "false")
        ]
        pages = sorted(post.destination_path(lang, sep="/") for post in searchable)
        yield self.group_task()
        yield {
            "basename": self.name,
            "name": os.path.join(output, "pagefind"),
            "file_dep": [os.path.join(output, page) for page in pages],
            "targets": [os.path.join(output, "pagefind", "pagefind.js")],
            "actions": [(build_index, [output, pages])],
            "uptodate": [config_changed({"pages": pages, "ignored": IGNORED}, "search_index")],
            "clean": True,
        }
