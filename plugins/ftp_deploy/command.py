"""The deploy command's options and what it does with them, shared by `nikola ftp_deploy` and
`python -m plugins.ftp_deploy` (what `nikola deploy` runs, so that Nikola starts only once)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path

from .connection import DeployError
from .progress import Progress
from .settings import SettingsError, load_settings
from .sync import deploy, verify

USAGE = "[--dry-run | --verify] [--force]"
PURPOSE = "upload output/ to the FTP(S) server named in FTP_DEPLOY, sending only what changed"
# (option, help) for each command-line switch.
OPTIONS = (
    ("dry-run", "print what would be uploaded and deleted, and change nothing"),
    ("verify", "download everything and report each file that differs from output/"),
    ("force", "allow a deploy that deletes most of the site"),
)


def run_deploy(
    config: Mapping,
    output: Path,
    logger: logging.Logger,
    dry_run: bool = False,
    check: bool = False,
    force: bool = False,
) -> int:
    """Deploy (or plan, or verify) as asked; failures become one logged line and exit status 1."""
    try:
        settings = load_settings(config)
        if settings.tls == "off":
            logger.warning("FTP_TLS=off: the password and every file cross the network unencrypted")
        if check:
            differences = verify(settings, output)
            for line in differences:
                print(line, file=sys.stdout)
            if differences:
                logger.error(f"{len(differences)} difference(s) between output/ and the server")
                return 1
            logger.info("the server holds exactly what output/ holds")
            return 0
        progress = None if dry_run else Progress()
        plan, summary = deploy(settings, output, force=force, dry_run=dry_run, progress=progress)
    except (SettingsError, DeployError) as error:
        logger.error(str(error))
        return 1
    if dry_run:
        for file in plan.uploads:
            print(f"upload {file.path} ({file.size:,} bytes)")
        for path in plan.deletions:
            print(f"delete {path}")
        print(
            f"would upload {len(plan.uploads)} files ({plan.upload_bytes:,} bytes), "
            f"delete {len(plan.deletions)}, leave {plan.unchanged} unchanged"
        )
        return 0
    logger.info(f"{settings.user}@{settings.host}:{settings.remote_dir}: {summary}")
    return 0
