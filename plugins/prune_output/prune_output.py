"""After every other task of `nikola build`, remove from output/ what no source makes any more.

Runs last because it depends on Nikola's two task groups, render_site and post_render;
it is not in post_render itself (which it depends on), so conf.py's DOIT_CONFIG names it
among the default tasks. It needs plugins/output_targets, which records the targets.
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


class PruneOutput(LateTask):
    name = "prune_output"
    is_default = False  # not part of post_render, which it must follow: DOIT_CONFIG's default_tasks runs it

    def gen_tasks(self):
        yield {
            "basename": self.name,
            "actions": [(prune, [self.site.config["OUTPUT_FOLDER"], self.site.config["CACHE_FOLDER"]])],
            "task_dep": ["render_site", "post_render"],
            "uptodate": [False],
            "verbosity": 2,
        }
