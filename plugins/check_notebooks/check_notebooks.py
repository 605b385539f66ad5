"""`nikola check_notebooks`: what the check before publishing finds in every post, and an exit status.

The findings come from each post's notebook model (blog_build/notebook_checks.py, worked
out once per notebook content), the same ones `nikola build` prints as warnings. Exit
status 1 if any is a secret: the one kind `nikola deploy` refuses to publish.
"""

from __future__ import annotations

from nikola.plugin_categories import Command
from nikola.utils import get_logger

from blog_build import pipeline

LOGGER = get_logger("check_notebooks")


class CommandCheckNotebooks(Command):
    name = "check_notebooks"
    doc_usage = ""
    doc_purpose = "look for secrets, personal paths, out-of-order cells and huge outputs in every post"

    def _execute(self, options: dict, args: list[str]) -> int:
        self.site.scan_posts()  # the scanner (plugins/scan_posts) prints each finding as a warning
        findings = pipeline.current.publish_findings() if pipeline.current else []
        secrets = sum(finding["blocks"] for finding in findings)
        if secrets:
            LOGGER.error(f"{len(findings)} finding(s), {secrets} of them secrets: `nikola deploy` refuses them")
            return 1
        LOGGER.info(f"{len(findings)} finding(s), no secrets" if findings else "nothing found")
        return 0
