"""Build step that executes notebook posts marked `.. execute: true`.

One doit task per such post writes its executed copy under EXECUTE_CACHE; the ipynb
compiler renders that copy instead of the source, and depends on it, so doit runs the
two in order (and in parallel across posts with `nikola build -n N`).
"""

from __future__ import annotations

import os
from pathlib import Path

from doit.exceptions import TaskFailed
from nikola.plugin_categories import Task
from nikola.utils import config_changed, get_logger

from plugins.execute_notebooks.execution import ExecutionError, execute_post, executed_copy, post_executes, settings

LOGGER = get_logger("execute_notebooks")
FORCE_VARIABLE = "NOTEBOOK_REEXECUTE"  # NOTEBOOK_REEXECUTE=1 nikola build: ignore the cache


def run(source: str, target: str, options: dict) -> TaskFailed | None:
    """doit action: execute (or take from the cache) one post; a failure is one clear report."""
    force = os.environ.get(FORCE_VARIABLE, "") not in ("", "0")
    try:
        ran = execute_post(
            Path(source), Path(target), options["cache"], options["environment"], options["timeout"], force
        )
    except ExecutionError as error:
        return TaskFailed(str(error))
    LOGGER.info(f"{source}: {'executed' if ran else 'outputs from the cache'}")
    return None


class ExecuteNotebooks(Task):
    """Execute notebook posts that ask for it."""

    name = "execute_notebooks"

    def gen_tasks(self):
        self.site.scan_posts()
        options = settings(self.site.config)
        forced = os.environ.get(FORCE_VARIABLE, "") not in ("", "0")
        yield self.group_task()
        for post in self.site.timeline:
            if not post_executes(post, self.site.config):
                continue
            source = post.source_path
            target = str(executed_copy(post, self.site.config))
            yield {
                "basename": self.name,
                "name": source,
                "file_dep": [source, *(str(p) for p in options["environment"] if p.exists())],
                "targets": [target],
                "actions": [(run, [source, target, options])],
                "uptodate": [
                    config_changed({"timeout": options["timeout"]}, f"execute_notebooks:{source}"),
                    not forced,
                ],
                "clean": True,
            }
