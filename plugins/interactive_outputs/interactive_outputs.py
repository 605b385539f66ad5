"""Serve the libraries interactive notebook outputs need from the site itself.

The ipynb compiler (plugins/ipynb) renders Plotly, Vega-Lite and widget outputs with
outputs.py and adds script elements for the libraries a post needs; this task copies
those libraries, installed from npm at pinned versions (`npm ci`), and our small
renderer script into output/assets/notebook-outputs/. Only libraries that some notebook
post may need are copied: a blog without charts uploads no chart library.
"""

from __future__ import annotations

import os
from pathlib import Path

from nikola.plugin_categories import Task
from nikola.utils import copy_file

from plugins.execute_notebooks.execution import executed_copy, post_executes
from plugins.interactive_outputs.libraries import files_to_copy, libraries_in


class InteractiveOutputs(Task):
    """Copy the interactive-output libraries into the site."""

    name = "interactive_outputs"

    def needed(self) -> set[str]:
        """The libraries some notebook post (or the executed copy it is rendered from) may need."""
        self.site.scan_posts()
        notebooks, not_yet_run = [], []
        for post in self.site.timeline:
            if post.compiler.name != "ipynb":
                continue
            notebooks.append(Path(post.source_path))
            if post_executes(post, self.site.config):
                copy = executed_copy(post, self.site.config)
                if copy.exists():
                    notebooks.append(copy)
                else:
                    not_yet_run.append(Path(post.source_path))  # its outputs come later in this build
        return libraries_in(notebooks, not_yet_run)

    def gen_tasks(self):
        output = self.site.config["OUTPUT_FOLDER"]
        yield self.group_task()
        for source, site_path in files_to_copy(self.needed()):
            target = os.path.join(output, *site_path.split("/"))
            yield {
                "basename": self.name,
                "name": target,
                "file_dep": [str(source)],
                "targets": [target],
                "actions": [(copy_file, (str(source), target))],
                "clean": True,
            }
