"""After each build, name every page heavier than PAGE_SIZE_BUDGET, and say what to do about it.

A notebook with a large output (an interactive chart, a big table, a long log) can quietly
make its post, the home page and the feeds megabytes long. What counts, and how the advice
is chosen, is blog_build/page_weight.py (uncompressed bytes of the page and of every file of
the site it loads; a feed's own bytes). Weighed: every published post and page, the index
pages (`index.html`, `index-N.html`) and every feed (RSS and Atom, the site's and each tag's
and category's).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from nikola.plugin_categories import LateTask
from nikola.utils import config_changed, get_logger

from blog_build import page_weight, pipeline
from blog_build.store import JsonStore

LOGGER = get_logger("page_size_report")
LINKS_VERSION = "1"  # of cache/page_links.json: a new one forgets what the last reports found


def index_pages_and_feeds(output: Path) -> list[str]:
    """The index pages and feeds in `output` (their names depend on settings and post counts)."""
    found = [*output.glob("index*.html"), *output.rglob("*.atom")]
    found += [path for path in output.rglob("*.xml") if not path.name.startswith("sitemap")]
    return sorted(path.relative_to(output).as_posix() for path in found)


def cell_numbers(source: str) -> dict[str, int]:
    """{cell id: cell number} of the notebook a post is rendered from (empty if it is not a notebook)."""
    notes = pipeline.current
    model = notes.rendered_models.get(source) if notes is not None else None
    if model is None:
        return {}
    cells = notes.page(model).get("cells", [])
    return {cell["id"]: number for number, cell in enumerate(cells, 1) if cell.get("id")}


def print_report(
    output: str, pages: list[str], budget: int, sources: dict[str, str], base_url: str, cache: str
) -> None:
    folder = Path(output)
    weighed = sorted(set(pages) | set(index_pages_and_feeds(folder)))
    # what each page names, remembered from the last report: only the pages this build rewrote are parsed
    memory = page_weight.LinkMemory(JsonStore(Path(cache) / "page_links.json", LINKS_VERSION))
    for line in page_weight.report(folder, weighed, budget, sources, base_url, cell_numbers, memory):
        LOGGER.warning(line)
    memory.save()


class PageSizeReport(LateTask):
    """Warn about pages over the budget after every build that changes them."""

    name = "page_size_report"

    def gen_tasks(self):
        self.site.scan_posts()
        output = self.site.config["OUTPUT_FOLDER"]
        budget = int(self.site.config.get("PAGE_SIZE_BUDGET", page_weight.DEFAULT_BUDGET))
        lang = self.site.config["DEFAULT_LANG"]
        published = [post for post in self.site.timeline if post.use_in_feeds or not post.is_post]
        pages = sorted({post.destination_path(lang, sep="/") for post in published} | {"index.html"})
        pages += ["rss.xml"] if self.site.config["GENERATE_RSS"] else []
        # A post's page by its URL path, so index pages and feeds can name the posts that weigh most.
        sources = {urlsplit(post.permalink(lang)).path: post.source_path for post in published}
        base_url = self.site.config["BASE_URL"]
        # pages are weighed with the CSS, JS and libraries they load; index pages and feeds are
        # the taxonomies' tasks (the libraries' task only when its plugin is on)
        before = ["create_bundles", "copy_assets", "copy_files", "render_taxonomies"]
        if self.site.plugin_manager.get_plugin_by_name("interactive_outputs", "Task"):
            before.append("interactive_outputs")
        # The index pages and feeds are found by walking output/: not while prune_output removes
        # what no task makes (a deleted post's tag folder vanished under the walk).
        if self.site.plugin_manager.get_plugin_by_name("prune_output", "LateTask"):
            before.append("prune_output")
        yield self.group_task()
        yield {
            "basename": self.name,
            "name": output,
            "file_dep": [os.path.join(output, page) for page in pages],
            "task_dep": before,
            "actions": [(print_report, [output, pages, budget, sources, base_url, self.site.config["CACHE_FOLDER"]])],
            "uptodate": [config_changed({"budget": budget, "pages": pages, "sources": sources}, self.name)],
            "verbosity": 2,
        }
