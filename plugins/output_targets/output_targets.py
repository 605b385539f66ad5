"""Every task's targets, recorded as doit collects the tasks (for plugins/prune_output).

A TaskMultiplier sees each task Nikola generates, from every plugin; this one adds no task.
"""

from __future__ import annotations

from nikola.plugin_categories import TaskMultiplier

from blog_build import output_tree


class OutputTargets(TaskMultiplier):
    name = "output_targets"

    def process(self, task: dict, name: str) -> list:
        output_tree.expected.update(str(target) for target in task.get("targets", ()))
        return []
