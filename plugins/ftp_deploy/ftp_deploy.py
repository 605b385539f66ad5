"""`nikola ftp_deploy`: upload output/ to an FTP(S) server, sending only what changed.

The work is done by plain functions in this folder (settings, connection, sync,
progress, command); this module only hands Nikola's configuration and options to them,
and imports them only when the command runs (options.py).
"""

from __future__ import annotations

from nikola.plugin_categories import Command
from nikola.utils import get_logger

from plugins.ftp_deploy.options import OPTIONS, PURPOSE, USAGE

LOGGER = get_logger("ftp_deploy")


class CommandFtpDeploy(Command):
    """Upload the site over FTPS with content hashes and atomic renames."""

    name = "ftp_deploy"
    doc_usage = USAGE
    doc_purpose = PURPOSE
    cmd_options = [
        {"name": option.replace("-", "_"), "long": option, "type": bool, "default": False, "help": text}
        for option, text in OPTIONS
    ]

    def _execute(self, options: dict, args: list[str]) -> int:
        from plugins.ftp_deploy.command import run_deploy  # only when deploying: every nikola run loads this module

        return run_deploy(
            self.site.config,
            LOGGER,
            dry_run=options["dry_run"],
            check=options["verify"],
            repair=options["repair"],
            force=options["force"],
            break_lock=options["break_lock"],
        )
