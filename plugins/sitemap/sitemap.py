"""Nikola's sitemap tasks, rearranged so a parallel build writes a complete sitemap, without a walk per build.

Nikola finds the site's pages in one task and writes sitemap.xml and sitemapindex.xml in
two others, handing the list over in a Python variable the three share. In a build on
several cores (conf.py's DOIT_CONFIG) each task may run in a different process, which
sees an empty list: the sitemap came out with no pages at all. Here one task does all
three steps, in one process. (Same plugin name as Nikola's, so the site's copy is loaded.)
The sitemap lists what output/ holds, so it waits for prune_output to remove what no
source makes any more.

Nikola's finding task has no up-to-date check: it walks output/ and reads the start of every
page in every build, a no-op included (0.08-0.16 s at 400 posts), to learn whether the
sitemap must be written again. With prune_output on, output/ holds only the files the build's
tasks name as their targets, so the sitemap's check stats those instead (`OutputUnchanged`):
it is written again when a file it may list changed, appeared or went, or a post became or
stopped being a draft, private or scheduled.
"""

from __future__ import annotations

import hashlib
import os

from nikola.plugins.task import sitemap

from blog_build import output_tree
from plugins import versions


class OutputUnchanged:
    """doit up-to-date check: the files the sitemap may list are as when it was last written.

    As Nikola's own check (the listed files as its file_dep), it leaves out the folders, whose
    times the sitemap shows for their index pages: the search index, swapped in after the build,
    changes output/'s, and it would write the sitemap again in the next build for nothing.

    It is asked after the tasks the sitemap waits for have run, so it sees the pages this build
    wrote; the targets are read then too, when every task has been collected.
    """

    KEY = "sitemap-output-stamps"

    def __init__(self, extensions: list[str], own: list[str], hidden: list[str]) -> None:
        self.extensions = tuple(extensions)
        self.own = {os.path.normpath(path) for path in own}
        self.hidden = hidden  # posts the sitemap leaves out: drafts, private and scheduled posts

    def digest(self) -> str:
        listed = sorted(
            path
            for path in map(os.path.normpath, output_tree.expected)
            if path.endswith(self.extensions) and path not in self.own
        )
        stamps = hashlib.sha256("\n".join(self.hidden).encode())
        for path in listed:
            try:
                info = os.stat(path)
            except OSError:
                stamps.update(f"{path} -\n".encode())
            else:
                stamps.update(f"{path} {info.st_size} {info.st_mtime_ns}\n".encode())
        return stamps.hexdigest()

    def __call__(self, task, values) -> bool:
        now = self.digest()
        task.value_savers.append(lambda: {self.KEY: now})
        return values.get(self.KEY) == now


class Sitemap(sitemap.Sitemap):
    name = "sitemap"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)

    def gen_tasks(self):
        tasks = list(super().gen_tasks())
        scan = next(task for task in tasks if task.get("basename") == "_scan_locs")
        pages, index = [task for task in tasks if task.get("basename") == self.name and task.get("targets")]
        pages["actions"] = [*scan["actions"], *pages["actions"], *index["actions"]]
        pages["targets"] = [*pages["targets"], *index["targets"]]
        pages["uptodate"] = [*pages.get("uptodate", []), *index.get("uptodate", [])]
        if not self.site.plugin_manager.get_plugin_by_name("prune_output", "LateTask"):
            yield from (task for task in tasks if task is not index)  # output/ may hold what no task made
            return
        self.site.scan_posts()
        hidden = sorted(
            post.source_path for post in self.site.timeline if post.is_draft or post.is_private or post.publish_later
        )
        extensions = self.site.config.get("MAPPED_EXTENSIONS", [".atom", ".html", ".htm", ".php", ".xml", ".rss"])
        del pages["calc_dep"]
        pages["uptodate"].append(OutputUnchanged(extensions, pages["targets"], hidden))
        pages["task_dep"] = [*pages.get("task_dep", []), "prune_output"]
        yield from (task for task in tasks if task is not index and task is not scan)
