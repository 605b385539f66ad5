"""Full-text search that works from output/ on any static host.

After the pages are rendered, pagefind (installed from PyPI with its binary) indexes the
main content of every published post and page into output/pagefind/, in parts that the
search page (pages/search.md) merges in the browser, with the search UI of pagefind's own
bundle. Nothing is fetched from elsewhere when searching.
The indexing runs after the build returns (blog_build/search_index.py says why, how and
how the pages are split into parts): this task writes down which pages to index and starts
the indexer; every command that loads tasks first waits for the last build's indexer
(`settle`). Each part changed is written whole beside its old folder and then takes its
place, so no fragment of an older index is left behind; the task claims its folders from
prune_output, and the files the indexer wrote are its targets on the next build (pagefind
names them by content), so that `nikola check -f` knows them.
`SEARCH_INDEX_PART_SIZE` in conf.py sets how many pages a part holds at most on average
(the tests make parts of one page); unset, `blog_build.search_index.PART_SIZE`.
"""

from __future__ import annotations

import os
from pathlib import Path

from nikola.plugin_categories import LateTask
from nikola.utils import LOGGER, config_changed

from blog_build import output_tree, search_index
from blog_build.metadata import boolean


class SearchIndex(LateTask):
    """Index posts and pages with pagefind once they are rendered."""

    name = "search_index"

    def gen_tasks(self):
        self.site.scan_posts()
        output, cache = self.site.config["OUTPUT_FOLDER"], self.site.config["CACHE_FOLDER"]
        # The last build's index first: its files are this task's targets, and a failure is said here.
        failure = search_index.settle(cache)
        if failure:
            # about this build only: not said again by a build that finds nothing changed (plugins/build_stamp)
            LOGGER.error(f"the last build's search index failed, indexing again: {failure}", extra={"once": True})
        lang = self.site.config["DEFAULT_LANG"]
        searchable = [
            post
            for post in self.site.timeline
            if (post.use_in_feeds or not post.is_post) and boolean(post.meta("search") or "yes") is not False
        ]
        pages = sorted(post.destination_path(lang, sep="/") for post in searchable)
        part_size = self.site.config.get("SEARCH_INDEX_PART_SIZE", search_index.PART_SIZE)
        yield self.group_task()
        if not pages:
            return  # nothing to search (a site without posts or pages yet): pagefind refuses to index nothing
        output_tree.claim(*(os.path.join(output, name) for name in ("pagefind", ".pagefind.new", ".pagefind.old")))
        yield {
            "basename": self.name,
            "name": os.path.join(output, "pagefind"),
            "file_dep": [os.path.join(output, page) for page in pages],
            "targets": sorted(
                output_tree.recorded(Path(cache), search_index.TASK)
                | {os.path.join(output, "pagefind", search_index.MANIFEST)}
            ),
            "actions": [(search_index.request, [output, pages, cache, part_size])],
            "uptodate": [
                config_changed(
                    {"pages": pages, "part_size": part_size, "ignored": search_index.IGNORED},
                    "search_index",
                ),
                not failure,
            ],
            "clean": True,
        }
