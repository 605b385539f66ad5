"""The deploy command's options and what it does with them, shared by `nikola ftp_deploy` and
`python -m plugins.ftp_deploy` (what `nikola deploy` runs, so that Nikola starts only once)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path

from .connection import DeployError
from .local_site import load_unpublished, search_index_error
from .progress import Progress
from .settings import SettingsError, load_settings
from .sync import Plan, deploy, verify

PUBLISH_CHECK = "publish_check.json"  # written by the build (plugins/scan_posts): secrets found in posts


def run_deploy(
    config: Mapping,
    logger: logging.Logger,
    dry_run: bool = False,
    check: bool = False,
    repair: bool = False,
    force: bool = False,
    break_lock: bool = False,
) -> int:
    """Deploy (or plan, or verify) as `config` (conf.py's settings) says; failures become one logged line and exit 1."""
    output = Path(config.get("OUTPUT_FOLDER", "output"))
    try:
        if repair and not check:
            raise SettingsError("--repair goes with --verify")
        settings = load_settings(config.get("FTP_DEPLOY", {}))
        if settings.tls == "off":
            logger.warning("FTP_TLS=off: the password and every file cross the network unencrypted")
        unpublished = load_unpublished(
            Path(config.get("CACHE_FOLDER", "cache")),
            deploy_drafts=bool(config.get("DEPLOY_DRAFTS", False)),
            deploy_future=bool(config.get("DEPLOY_FUTURE", False)),
        )
        for note in unpublished.notes:
            logger.warning(note)
        if not check:
            refuse_secrets(Path(config.get("CACHE_FOLDER", "cache")))
        index_failure = search_index_error(Path(config.get("CACHE_FOLDER", "cache")))
        if index_failure:
            raise DeployError(f"the search index is not up to date ({index_failure}): run `nikola build` again")
        if check and not repair:
            differences = verify(settings, output, unpublished.withheld)
            for line in differences:
                print(line, file=sys.stdout)
            if differences:
                logger.error(
                    f"{len(differences)} difference(s) between output/ and the server; "
                    "--verify --repair re-sends what differs"
                )
                return 1
            logger.info("the server holds exactly what output/ holds")
            return 0
        plan, summary = deploy(
            settings,
            output,
            force=force,
            dry_run=dry_run,
            repair=repair,
            break_lock=break_lock,
            withheld=unpublished.withheld,
            progress=None if dry_run else Progress(),
        )
    except (SettingsError, DeployError) as error:
        logger.error(str(error))
        return 1
    report_plan(plan, logger, dry_run)
    if dry_run:
        return 0
    logger.info(f"{settings.user}@{settings.host}:{settings.remote_dir}: {summary}")
    return 0


def refuse_secrets(cache_folder: Path) -> None:
    """Stop before connecting if the last build found a secret in a post (plugins/scan_posts records them)."""
    record = cache_folder / PUBLISH_CHECK
    try:
        secrets = json.loads(record.read_text(encoding="utf-8"))["secrets"]
    except FileNotFoundError:
        raise DeployError(f"{record} is missing: run `nikola build` before deploying") from None
    except (ValueError, KeyError, TypeError) as error:
        raise DeployError(f"{record} is unreadable ({error}); run `nikola build` again") from None
    if secrets:
        more = f" (and {len(secrets) - 1} more: `nikola check_notebooks` lists them)" if len(secrets) > 1 else ""
        raise DeployError(f"not deploying a secret: {secrets[0]}{more}")


def report_plan(plan: Plan, logger: logging.Logger, dry_run: bool) -> None:
    for note in plan.notes:
        logger.warning(note)
    if plan.empty_folders:
        logger.warning(f"empty folders are not uploaded: {', '.join(plan.empty_folders)}")
    if plan.withheld:
        logger.info(
            f"left out, as the site does not publish them yet (drafts, future posts; DEPLOY_DRAFTS, "
            f"DEPLOY_FUTURE): {', '.join(plan.withheld)}"
        )
    if not dry_run:
        return
    for file in plan.uploads:
        print(f"upload {file.path} ({file.size:,} bytes)")
    for path in plan.deletions:
        print(f"delete {path}")
    print(
        f"would upload {len(plan.uploads)} files ({plan.upload_bytes:,} bytes), "
        f"delete {len(plan.deletions)}, leave {plan.unchanged} unchanged"
    )
