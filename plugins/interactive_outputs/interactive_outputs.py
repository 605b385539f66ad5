"""Serve the libraries interactive notebook outputs need from the site itself.

The ipynb compiler (plugins/ipynb) renders Plotly, Vega-Lite and widget outputs with
outputs.py and adds script elements for the libraries a post needs; this task copies
those libraries, installed from npm at pinned versions (`npm ci`), and our small
renderer script into output/assets/notebook-outputs/.
"""

from __future__ import annotations

import os

from nikola.plugin_categories import Task
from nikola.utils import copy_file

from plugins.interactive_outputs.libraries import files_to_copy


class InteractiveOutputs(Task):
    """Copy the interactive-output libraries into the site."""

    name = "interactive_outputs"

    def gen_tasks(self):
        output = self.site.config["OUTPUT_FOLDER"]
        yield self.group_task()
        for source, site_path in files_to_copy():
            target = os.path.join(output, *site_path.split("/"))
            yield {
                "basename": self.name,
                "name": target,
                "file_dep": [str(source)],
                "targets": [target],
                "actions": [(copy_file, (str(source), target))],
                "clean": True,
            }
