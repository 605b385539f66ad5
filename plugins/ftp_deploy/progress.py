"""What a deploy prints while it works: a progress bar on a terminal, plain lines elsewhere (CI logs)."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .sync import Plan

BAR_WIDTH = 30


class Progress:
    """Counts uploads and deletions against the plan; `deploy` calls start(), then it, then finish()."""

    def __init__(self, stream: TextIO = sys.stderr, interactive: bool | None = None) -> None:
        self.plan: Plan | None = None
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self.files = 0
        self.bytes = 0
        self.deleted = 0
        self.lock = threading.Lock()

    def start(self, plan: Plan) -> None:
        self.plan = plan

    def __call__(self, event: str, path: str, size: int) -> None:
        with self.lock:
            if event == "uploaded":
                self.files += 1
                self.bytes += size
                line = f"uploaded {path} ({size:,} bytes)"
            else:
                self.deleted += 1
                line = f"deleted {path}"
            if self.interactive:
                self.stream.write("\r" + self.bar())
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def bar(self) -> str:
        total_bytes = self.plan.upload_bytes or 1
        filled = round(BAR_WIDTH * self.bytes / total_bytes)
        return (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.files}/{len(self.plan.uploads)} files, "
            f"{self.bytes / 1e6:.1f}/{self.plan.upload_bytes / 1e6:.1f} MB, "
            f"{self.deleted}/{len(self.plan.deletions)} deleted"
        )

    def finish(self) -> None:
        if self.interactive and (self.files or self.deleted):
            self.stream.write("\n")
            self.stream.flush()
