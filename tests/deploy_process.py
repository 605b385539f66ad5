"""A deploy in a process of its own, for tests that kill it or run two at once.

    python tests/deploy_process.py SETTINGS.json OUTPUT [--kill-at N --when before|after] [--start-at T]
                                              [--command-delay S]

SETTINGS.json holds conf.py-style FTP_DEPLOY settings; the password comes from
FTP_PASSWORD, as for a real deploy. With --kill-at, the process kills itself with SIGKILL
(no clean-up of any kind runs) at the N-th FTP command it sends on any connection: just
before sending it, or just after the server has had time to carry it out. It prints the
number of commands it sent when it gets to the end. --start-at waits until that time.time(),
so that two processes start together. --command-delay sleeps S seconds before each command,
so that a deploy holds the lock long enough for one started beside it to meet it whatever
the machine's load.
"""

from __future__ import annotations

import argparse
import ftplib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.ftp_deploy.connection import DeployError  # noqa: E402
from plugins.ftp_deploy.settings import load_settings  # noqa: E402
from plugins.ftp_deploy.sync import deploy  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("settings", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--kill-at", type=int)
    parser.add_argument("--when", choices=("before", "after"), default="before")
    parser.add_argument("--start-at", type=float)
    parser.add_argument("--command-delay", type=float, default=0.0)
    args = parser.parse_args()
    sent = 0
    counting = threading.Lock()
    original = ftplib.FTP.putcmd

    def putcmd(self: ftplib.FTP, line: str) -> None:
        nonlocal sent
        with counting:
            sent += 1
            number = sent
        time.sleep(args.command_delay)
        if number == args.kill_at and args.when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        original(self, line)
        if number == args.kill_at:
            time.sleep(0.1)  # the server acts on the command; its reply is never read
            os.kill(os.getpid(), signal.SIGKILL)

    ftplib.FTP.putcmd = putcmd
    settings = load_settings(json.loads(args.settings.read_text()))
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    try:
        _, summary = deploy(settings, args.output)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"commands: {sent}")
        return 1
    print(f"commands: {sent}")
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
