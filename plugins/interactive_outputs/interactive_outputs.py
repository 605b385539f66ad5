"""Serve the libraries interactive notebook outputs need from the site itself.

The notebook models (blog_build/notebook.py) say which browser libraries each post's
outputs need; this task copies those libraries, installed from npm at pinned versions
(`npm ci`), and our small renderer script into output/assets/notebook-outputs/. Only
libraries that some post needs are copied: a blog without charts uploads no chart library,
and of plotly.js's bundles only those some page loads (the smallest that draws its traces).
Without the site's scanner (plugins/scan_posts) no post needs any, and nothing is copied.
"""

from __future__ import annotations

import os

from nikola.plugin_categories import Task
from nikola.utils import copy_file

from blog_build import pipeline
from blog_build.libraries import files_to_copy


class InteractiveOutputs(Task):
    """Copy the interactive-output libraries into the site."""

    name = "interactive_outputs"

    def needed(self) -> set[str]:
        """The libraries the rendered notebook of some post needs."""
        self.site.scan_posts()
        if pipeline.current is None:
            return set()
        return {name for model in pipeline.current.rendered_models.values() for name in model.libraries}

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
