"""Nikola's sitemap tasks, rearranged so a parallel build writes a complete sitemap.

Nikola finds the site's pages in one task and writes sitemap.xml and sitemapindex.xml in
two others, handing the list over in a Python variable the three share. In a build on
several cores (conf.py's DOIT_CONFIG) each task may run in a different process, which
sees an empty list: the sitemap came out with no pages at all. Here one task does all
three steps, in one process. (Same plugin name as Nikola's, so the site's copy is loaded.)
The sitemap lists what output/ holds, so it waits for prune_output to remove what no
source makes any more.
"""

from __future__ import annotations

from nikola.plugins.task import sitemap

from plugins import versions


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
        if self.site.plugin_manager.get_plugin_by_name("prune_output", "LateTask"):
            for task in (scan, pages):  # the scan finds the sitemap's file_dep in output/
                task["task_dep"] = [*task.get("task_dep", []), "prune_output"]
        yield from (task for task in tasks if task is not index)
