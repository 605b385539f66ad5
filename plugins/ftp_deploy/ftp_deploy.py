"""`nikola ftp_deploy`: upload output/ to an FTP(S) server, sending only what changed.

The work is done by plain functions in this folder (settings, connection, sync,
progress); this module only turns command-line options into calls and failures into
one line and an exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nikola.plugin_categories import Command
from nikola.utils import get_logger

from plugins.ftp_deploy.connection import DeployError
from plugins.ftp_deploy.progress import Progress
from plugins.ftp_deploy.settings import SettingsError, load_settings
from plugins.ftp_deploy.sync import deploy, verify

LOGGER = get_logger("ftp_deploy")


class CommandFtpDeploy(Command):
    """Upload the site over FTPS with content hashes and atomic renames."""

    name = "ftp_deploy"
    doc_usage = "[--dry-run | --verify] [--force]"
    doc_purpose = "upload output/ to the FTP(S) server named in FTP_DEPLOY, sending only what changed"
    cmd_options = [
        {
            "name": "dry_run",
            "long": "dry-run",
            "type": bool,
            "default": False,
            "help": "print what would be uploaded and deleted, and change nothing",
        },
        {
            "name": "verify",
            "long": "verify",
            "type": bool,
            "default": False,
            "help": "download everything and report each file that differs from output/",
        },
        {
            "name": "force",
            "long": "force",
            "type": bool,
            "default": False,
            "help": "allow a deploy that deletes most of the site",
        },
    ]

    def _execute(self, options: dict, args: list[str]) -> int:
        output = Path(self.site.config["OUTPUT_FOLDER"])
        try:
            settings = load_settings(self.site.config.get("FTP_DEPLOY", {}))
            if settings.tls == "off":
                LOGGER.warning("FTP_TLS=off: the password and every file cross the network unencrypted")
            if options["verify"]:
                return self._verify(settings, output)
            progress = None if options["dry_run"] else Progress()
            plan, summary = deploy(
                settings, output, force=options["force"], dry_run=options["dry_run"], progress=progress
            )
        except (SettingsError, DeployError) as error:
            LOGGER.error(str(error))
            return 1
        if options["dry_run"]:
            for file in plan.uploads:
                print(f"upload {file.path} ({file.size:,} bytes)")
            for path in plan.deletions:
                print(f"delete {path}")
            print(
                f"would upload {len(plan.uploads)} files ({plan.upload_bytes:,} bytes), "
                f"delete {len(plan.deletions)}, leave {plan.unchanged} unchanged"
            )
            return 0
        LOGGER.info(f"{settings.user}@{settings.host}:{settings.remote_dir}: {summary}")
        return 0

    @staticmethod
    def _verify(settings, output: Path) -> int:
        differences = verify(settings, output)
        for line in differences:
            print(line, file=sys.stdout)
        if differences:
            LOGGER.error(f"{len(differences)} difference(s) between output/ and the server")
            return 1
        LOGGER.info("the server holds exactly what output/ holds")
        return 0
