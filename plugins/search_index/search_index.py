"""Full-text search that works from output/ on any static host.

After the pages are rendered, pagefind (installed from PyPI with its binary) indexes the
main content of every published post and page into output/pagefind/, which also holds the
search UI that pages/search.md loads. Nothing is fetched from elsewhere when searching.
Each index is written whole beside the old one and then takes its place, so no fragment of
an older index is left behind; the task claims its folders from prune_output, and the files
it wrote are its targets on the next build (pagefind names them by content), so that
`nikola check -f` knows them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from doit.exceptions import TaskFailed
from nikola.plugin_categories import LateTask
from nikola.utils import config_changed

from blog_build import output_tree
from blog_build.metadata import boolean

# Navigation, tags, the byline and the notebook tool links are on every page: not worth
# finding (searching the author's name found every post).
IGNORED = ".postpromonav, .nb-tools, .byline, #header, #footer"


def pagefind_command(output: str, pages: list[str], index: str) -> list[str]:
    """The pagefind call indexing `pages` (paths relative to `output`) into the folder `index`."""
    return [
        sys.executable, "-m", "pagefind",
        "--site", output,
        "--output-path", index,
        "--glob", "{" + ",".join(pages) + "}",
        "--root-selector", "main",
        "--exclude-selectors", IGNORED,
        "--quiet",
    ]  # fmt: skip


def build_index(output: str, pages: list[str], cache: str) -> TaskFailed | None:
    """Index `pages` into a new folder, put it in place of output/pagefind, record its files."""
    final, staged, old = (os.path.join(output, name) for name in ("pagefind", ".pagefind.new", ".pagefind.old"))
    for leftover in (staged, old):
        shutil.rmtree(leftover, ignore_errors=True)
    result = subprocess.run(pagefind_command(output, pages, staged), capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(staged, ignore_errors=True)
        return TaskFailed(f"pagefind could not index {output}: {result.stderr.strip() or result.stdout.strip()}")
    if os.path.exists(final):
        os.replace(final, old)
    os.replace(staged, final)
    shutil.rmtree(old, ignore_errors=True)
    written = [str(path) for path in sorted(Path(final).rglob("*")) if path.is_file()]
    output_tree.record_written(Path(cache), "search_index", written)
    return None


class SearchIndex(LateTask):
    """Index posts and pages with pagefind once they are rendered."""

    name = "search_index"

    def gen_tasks(self):
        self.site.scan_posts()
        output, cache = self.site.config["OUTPUT_FOLDER"], self.site.config["CACHE_FOLDER"]
        lang = self.site.config["DEFAULT_LANG"]
        searchable = [
            post
            for post in self.site.timeline
            if (post.use_in_feeds or not post.is_post) and boolean(post.meta("search") or "yes") is not False
        ]
        pages = sorted(post.destination_path(lang, sep="/") for post in searchable)
        yield self.group_task()
        if not pages:
            return  # nothing to search (a site without posts or pages yet): pagefind refuses to index nothing
        output_tree.claim(*(os.path.join(output, name) for name in ("pagefind", ".pagefind.new", ".pagefind.old")))
        yield {
            "basename": self.name,
            "name": os.path.join(output, "pagefind"),
            "file_dep": [os.path.join(output, page) for page in pages],
            "targets": sorted(
                output_tree.recorded(Path(cache), "search_index") | {os.path.join(output, "pagefind", "pagefind.js")}
            ),
            "actions": [(build_index, [output, pages, cache])],
            "uptodate": [config_changed({"pages": pages, "ignored": IGNORED}, "search_index")],
            "clean": True,
        }
