"""At the end of `nikola build`, remove from output/ what no source makes any more.

It deletes only files that are no task's target and lie outside the folders a task claims
(search_index's), so it may run beside the tasks that write them; it runs after Nikola's
render_site tasks and before the sitemap, which lists what output/ holds (plugins/sitemap
depends on it). It needs plugins/output_targets, which records the targets, and says so
if that is missing.
"""

from __future__ import annotations

from pathlib import Path

from doit.exceptions import TaskFailed
from nikola.plugin_categories import LateTask
from nikola.utils import get_logger

from blog_build import output_tree

LOGGER = get_logger("prune_output")


def prune(output: str) -> TaskFailed | None:
    if not output_tree.expected:
        return TaskFailed("prune_output needs the output_targets plugin, which is disabled; nothing was removed")
    removed = output_tree.prune(Path(output), output_tree.expected, output_tree.owned)
    for path in removed:
        LOGGER.info(f"removed {path}: no source makes it any more")
    return None


class PruneOutput(LateTask):
    name = "prune_output"

    def gen_tasks(self):
        yield {
            "basename": self.name,
            "actions": [(prune, [self.site.config["OUTPUT_FOLDER"]])],
            "task_dep": ["render_site"],
            "uptodate": [False],
            "verbosity": 2,
        }
