"""What the preview (`make serve`, plugins/auto) rebuilds and reloads for, and what a failed build says.

Plain logic with no Nikola in it, so the tests call it directly:

- which file-system events are changes: watchdog also reports reads (`opened`,
  `closed_no_write`), and a build reads every source, so counting them rebuilt forever;
  the watcher (`WritesObserver`) does not even ask the kernel for them;
- which names are an editor's temporary files, never sources;
- whether a file's bytes really changed (a save of the same bytes, or an editor touching a
  file, is no reason to rebuild), by content hash;
- collecting changes until the writes pause, so a file is never read half-written (Jupyter
  writes a notebook in place: truncate, then write) and one save is one rebuild;
- the lines of a failed build's log that name the problem, for the terminal and the page;
- which of the web server's log records are a browser that went away mid-reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from watchdog import events
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

# watchdog's events that say a file's content or name may have changed, as the classes its
# `event_filter` takes. The others it sends, "opened" and "closed_no_write", are reads.
WRITE_EVENTS = (
    events.FileCreatedEvent,
    events.DirCreatedEvent,
    events.FileModifiedEvent,
    events.FileMovedEvent,
    events.DirMovedEvent,
    events.FileDeletedEvent,
    events.DirDeletedEvent,
    events.FileClosedEvent,
)
CHANGE_EVENTS = frozenset(kind.event_type for kind in WRITE_EVENTS)


class WritesObserver(Observer):
    """watchdog's observer (inotify on Linux) whose watches ask the kernel for writes only.

    By default watchdog asks for every open and every close without a write too: two events
    per file read below a watched folder. One build of 2,000 posts after an edit, and the
    search index written after it, made 11,700-16,400 events below the folders `nikola auto`
    watches, 60% of them reads, against a kernel queue of 16,384 (fs.inotify.max_queued_events):
    the queue overflowed, watchdog rebuilt its watches, and an edit saved just after was
    never seen. With writes only the same build makes about 2,900.
    """

    def schedule(
        self,
        event_handler: events.FileSystemEventHandler,
        path: str | Path,
        *,
        recursive: bool = False,
        event_filter: Iterable[type[events.FileSystemEvent]] | None = None,
        follow_symlink: bool = False,
    ) -> ObservedWatch:
        return super().schedule(
            event_handler,
            path,
            recursive=recursive,
            event_filter=event_filter or WRITE_EVENTS,
            follow_symlink=follow_symlink,
        )


# Names editors write beside the file being edited. Jupyter (jupyter_server's atomic_writing)
# copies NAME to `.~NAME` while it writes NAME in place, and moves a notebook it cannot read
# aside as `NAME.invalid`; vim writes `.NAME.swp` (`.swx`, `.swo`...) and probes a folder with
# a file named 4913; Emacs writes `.#NAME` locks, `#NAME#` auto-saves and `NAME~` backups;
# other editors `NAME.tmp`. Hidden names (a leading dot) cover `.ipynb_checkpoints/` too.
TEMPORARY_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", ".invalid", ".pyc", "~", "_bak")
TEMPORARY_NAME = re.compile(r"^(?:\d+|#.*#)$")


def is_change(event_type: str) -> bool:
    """Whether a watchdog event of this type may mean new content (not a read)."""
    return event_type in CHANGE_EVENTS


def is_ignored(path: str, root: str | None = None) -> bool:
    """Whether `path` is an editor's temporary file or lies in a hidden or cache folder (below `root`)."""
    if root is not None and os.path.isabs(path):
        relative = os.path.relpath(path, root)
        path = path if relative.startswith("..") else relative
    parts = Path(path).parts
    if any(part.startswith(".") and part not in (".", "..") for part in parts) or "__pycache__" in parts:
        return True
    name = parts[-1] if parts else ""
    return name.endswith(TEMPORARY_SUFFIXES) or bool(TEMPORARY_NAME.match(name))


def digest(path: str) -> bytes | None:
    """The BLAKE2 digest of a file's bytes; None if there is no readable file at `path`."""
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "blake2b").digest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None


_UNSEEN = b"unseen"


class ContentHashes:
    """The last content seen of each file, to tell a change from a save of the same bytes."""

    def __init__(self) -> None:
        self.digests: dict[str, bytes | None] = {}

    def seed(self, folders: Iterable[Path], skip: Iterable[Path] = ()) -> None:
        """Remember every file below `folders` (but not in hidden folders or below `skip`) as it is now."""
        skipped = {os.path.abspath(path) for path in skip}
        for folder in folders:
            for directory, subfolders, files in os.walk(os.path.abspath(folder)):
                subfolders[:] = [
                    name for name in subfolders if not is_ignored(name) and os.path.join(directory, name) not in skipped
                ]
                for name in files:
                    if is_ignored(name):
                        continue
                    path = os.path.join(directory, name)
                    self.digests[path] = digest(path)

    def changed(self, path: str) -> bool:
        """Whether the file at `path` differs from when it was last seen (and remember it as it is now).

        A file never seen counts as changed if it exists; one never seen that does not exist
        (a temporary file already gone) does not.
        """
        path = os.path.abspath(path)
        now = digest(path)
        before = self.digests.get(path, _UNSEEN)
        self.digests[path] = now
        return now != before and not (before is _UNSEEN and now is None)

    def changed_since_seen(self) -> list[str]:
        """Every remembered file whose content differs now (and remember it as it is now)."""
        return [path for path in list(self.digests) if self.changed(path)]


class ChangeBatch:
    """Paths that were written to, collected until the writes pause, then only those whose content changed.

    Used from one asyncio loop (watchdog's thread hands events over with call_soon_threadsafe).
    """

    def __init__(self, hashes: ContentHashes, quiet_seconds: float = 0.1) -> None:
        self.hashes = hashes
        self.quiet_seconds = quiet_seconds
        self.pending: set[str] = set()
        self.arrived = asyncio.Event()

    def add(self, path: str) -> None:
        self.pending.add(os.path.abspath(path))
        self.arrived.set()

    async def changed_paths(self) -> list[str]:
        """Wait for a write, then for `quiet_seconds` without one; the paths whose content changed."""
        while True:
            await self.arrived.wait()
            while True:
                self.arrived.clear()
                try:
                    await asyncio.wait_for(self.arrived.wait(), self.quiet_seconds)
                except TimeoutError:
                    break
            written, self.pending = self.pending, set()
            changed = sorted(path for path in written if self.hashes.changed(path))
            if changed:
                return changed


# How Nikola's logger writes an error: "[2026-12-02 07:44:45] ERROR: Nikola: message".
LOGGED_ERROR = re.compile(r"^\[[^\]]*\] ERROR: (?:[\w.]+: )?(?P<message>.*)$")


def build_errors(log: str) -> list[str]:
    """The problems a failed build names (its ERROR lines, without time stamps).

    A build that died without logging an error (a crash) is summed up by the last line it
    wrote, the exception, so the page and the terminal still get one line.
    """
    lines = [line.rstrip() for line in log.splitlines()]
    errors = [match["message"] for line in lines if (match := LOGGED_ERROR.match(line))]
    if errors:
        return errors
    last = [line for line in lines if line.strip()]
    return [last[-1].strip()] if last else ["the build failed without saying why"]


def is_not_a_dropped_connection(record: logging.LogRecord) -> bool:
    """False for a record of the web server (aiohttp) about a browser that closed its connection mid-reply.

    A page that reloads while one of its files is still being sent closes that connection;
    aiohttp logs the ConnectionResetError it then meets writing the reply as an "Unhandled
    exception" with its traceback (aio-libs/aiohttp#3648, #7590), which tells the author nothing.
    """
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, ConnectionResetError)
