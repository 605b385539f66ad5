"""`python -m plugins.ftp_deploy`: `nikola ftp_deploy` without starting Nikola.

`nikola deploy` runs this (DEPLOY_COMMANDS in conf.py). Nikola is already running there;
starting it a second time only to read two settings cost about half a second.
"""

from __future__ import annotations

import argparse
import logging
import runpy
import sys
from pathlib import Path

from plugins.ftp_deploy.command import run_deploy
from plugins.ftp_deploy.options import OPTIONS, PURPOSE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugins.ftp_deploy", description=PURPOSE)
    for option, text in OPTIONS:
        parser.add_argument(f"--{option}", action="store_true", help=text)
    args = parser.parse_args(argv)
    logging.basicConfig(format="[%(asctime)s] %(levelname)s: %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    logger = logging.getLogger("ftp_deploy")
    logger.setLevel(logging.INFO)
    if not Path("conf.py").is_file():
        logger.error(f"no conf.py in {Path.cwd()}; run this from the site's folder")
        return 1
    config = runpy.run_path("conf.py")
    return run_deploy(
        config,
        logger,
        dry_run=args.dry_run,
        check=args.verify,
        repair=args.repair,
        force=args.force,
        break_lock=args.break_lock,
    )


if __name__ == "__main__":
    sys.exit(main())
