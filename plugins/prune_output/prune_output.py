"""At the end of `nikola build`, remove from output/ what no source makes any more.

It deletes only files that are no task's target, so it may run beside tasks that write
targets; it runs after the tasks that record files they wrote (search_index) and before
those that list what output/ holds (plugins/sitemap depends on it). It needs
plugins/output_targets, which records the targets, and says so if that is missing.
"""

from __future__ import annotations

from pathlib import Path

from doit.exceptions import TaskFailed
from nikola.plugin_categories import LateTask
from nikola.utils import get_logger

from blog_build import output_tree

LOGGER = get_logger("prune_output")


def prune(output: str, cache: str) -> TaskFailed | None:
    if not output_tree.expected:
        return TaskFailed("prune_output needs the output_targets plugin, which is disabled; nothing was removed")
    removed = output_tree.prune(Path(output), output_tree.expected | output_tree.recorded(Path(cache)))
    for path in removed:
        LOGGER.info(f"removed {path}: no source makes it any more")
    return None


# LateTasks that write files they record at run time (output_tree.record_written).
RECORDING_TASKS = ("search_index",)


class PruneOutput(LateTask):
    name = "prune_output"

    def gen_tasks(self):
        recording = [name for name in RECORDING_TASKS if self.site.plugin_manager.get_plugin_by_name(name, "LateTask")]
        yield {
            "basename": self.name,
            "actions": [(prune, [self.site.config["OUTPUT_FOLDER"], self.site.config["CACHE_FOLDER"]])],
            "task_dep": ["render_site", *recording],
            "uptodate": [False],
            "verbosity": 2,
        }
