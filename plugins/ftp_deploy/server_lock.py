"""One deploy at a time: a lock folder on the server.

FTP has one operation that succeeds for only one of two clients racing for it: MKD of a
folder that does not exist yet (every server refuses to make one that does). The run that
makes `.deploy-lock` holds the lock and writes who it is into it (host, process, user,
start), refreshing that every minute; others stop with one line naming the holder. A lock
is stale, and taken over, when its holder is a process of this machine that no longer
runs, when it has not been refreshed for STALE_AFTER seconds, or when its folder holds no
holder for HOLDER_GRACE seconds (the holder died between the two commands); `--break-lock`
takes it over whatever it says. Taking over renames the folder away first (only one
client can rename it), so two runs breaking the same stale lock cannot both proceed. The
holder checks the lock is still its own before each write of the manifest.
"""

from __future__ import annotations

import contextlib
import datetime
import ftplib
import getpass
import io
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from .connection import REPLIES, DeployError, Remote
from .remote_files import exists, put, read, remove_tree

LOCK_NAME = ".deploy-lock"
HOLDER_NAME = "holder.json"
REFRESH_EVERY = 60.0  # seconds
STALE_AFTER = 15 * 60.0  # seconds without a refresh
HOLDER_GRACE = 5.0  # seconds a new lock folder may be without its holder


HELD_HERE: set[str] = set()  # runs of this process that hold a lock now


class LockHeld(DeployError):
    """Another deploy holds the lock."""


@dataclass(frozen=True)
class Holder:
    run: str
    host: str
    pid: int
    user: str
    started: float  # seconds since the epoch, by the holder's clock
    refreshed: float

    def __str__(self) -> str:
        started = datetime.datetime.fromtimestamp(self.started, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.user}@{self.host} (process {self.pid}, started {started})"

    @classmethod
    def parse(cls, data: bytes | None) -> Holder | None:
        try:
            document = json.loads(data or b"")
            return cls(**{key: document[key] for key in cls.__dataclass_fields__})
        except (ValueError, TypeError, KeyError):
            return None


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as someone else
    return False


class ServerLock:
    """The lock of one deploy run; `run` tells this run's holder record from any other's."""

    def __init__(self, remote: Remote, run: str, clock: Callable[[], float] = time.time) -> None:
        self.remote = remote
        self.run = run
        self.clock = clock
        root = remote.settings.remote_dir.rstrip("/")
        self.root = root or "/"
        self.folder = f"{root}/{LOCK_NAME}"
        self.holder_file = f"{self.folder}/{HOLDER_NAME}"
        self.started = clock()
        self.refreshed = 0.0
        self.held = False

    def acquire(self, break_lock: bool = False) -> list[str]:
        """Take the lock or raise LockHeld naming its holder; return notes on any lock taken over."""
        notes: list[str] = []
        for _attempt in range(5):
            if self.remote.run(f"locking {self.root}", self._make_folder):
                self.held = True
                HELD_HERE.add(self.run)
                self._write_holder()
                return notes
            holder = self._current_holder()
            stale = "--break-lock was given" if break_lock else self._why_stale(holder)
            if stale is None:
                raise LockHeld(
                    f"another deploy is running: {holder}; wait for it to finish, or if it crashed, "
                    "deploy again with --break-lock"
                )
            if self._take_over(holder):
                notes.append(f"took over the lock of {holder or 'an unknown deploy'} ({stale})")
                break_lock = False
        raise DeployError(f"could not take the lock {self.folder}: other deploys keep taking it")

    def _make_folder(self, ftp: ftplib.FTP) -> bool:
        try:
            ftp.mkd(self.folder)
            return True
        except REPLIES:
            if exists(ftp, self.folder):
                return False
            # Not "it exists": the remote folder itself may be missing on a first deploy.
            if self.root != "/" and not exists(ftp, self.root):
                for folder in _parents_down(self.root):
                    if not exists(ftp, folder):
                        ftp.mkd(folder)
                ftp.mkd(self.folder)
                return True
            raise

    def _current_holder(self) -> Holder | None:
        """The lock's holder, waiting HOLDER_GRACE seconds for a lock that was just made to say who it is."""
        deadline = time.monotonic() + HOLDER_GRACE
        while True:
            holder = self.holder()
            if holder is not None or time.monotonic() > deadline:
                return holder
            time.sleep(0.25)

    def _why_stale(self, holder: Holder | None) -> str | None:
        if holder is None:
            return f"its folder held no holder for {HOLDER_GRACE:g} s"
        if holder.host == socket.gethostname():
            if process_is_gone(holder.pid):
                return f"process {holder.pid} on this machine has ended"
            if holder.pid == os.getpid() and holder.run not in HELD_HERE:
                return "an earlier deploy of this process could not remove it"
        silent = self.clock() - holder.refreshed
        if silent > STALE_AFTER:
            return f"not refreshed for {silent / 60:.0f} minutes"
        return None

    def _take_over(self, holder: Holder | None) -> bool:
        """Move the stale lock aside and remove it; False if it was no longer there to move."""
        aside = f"{self.folder}.broken-{self.run}"

        def move(ftp: ftplib.FTP) -> bool:
            try:
                ftp.rename(self.folder, aside)
            except REPLIES:
                return False  # someone else moved or released it first: try to make it again
            moved = Holder.parse(read(ftp, f"{aside}/{HOLDER_NAME}"))
            if holder is not None and (moved is None or moved.run != holder.run):
                # Between our look and our rename, a live run had taken the lock: give it back.
                ftp.rename(aside, self.folder)
                raise LockHeld(f"another deploy is running: {moved}; wait for it to finish")
            with contextlib.suppress(*REPLIES):  # a server that refuses deletes keeps the old lock aside
                remove_tree(ftp, aside)
            return True

        return self.remote.run(f"taking over {self.folder}", move)

    def _write_holder(self, remote: Remote | None = None) -> None:
        holder = Holder(self.run, socket.gethostname(), os.getpid(), getpass.getuser(), self.started, self.clock())
        data = json.dumps(asdict(holder)).encode()
        (remote or self.remote).run(
            f"writing {self.holder_file}", lambda ftp: put(ftp, self.holder_file, lambda: io.BytesIO(data))
        )
        self.refreshed = time.monotonic()

    def holder(self) -> Holder | None:
        """Who holds the lock now, if anyone (read once, no waiting)."""
        return Holder.parse(self.remote.run(f"reading {self.holder_file}", lambda ftp: read(ftp, self.holder_file)))

    def confirm(self, remote: Remote | None = None) -> None:
        """Raise unless the lock is still this run's (a run stalled past STALE_AFTER may have lost it)."""
        remote = remote or self.remote
        holder = Holder.parse(remote.run(f"reading {self.holder_file}", lambda ftp: read(ftp, self.holder_file)))
        if holder is None or holder.run != self.run:
            self.held = False
            HELD_HERE.discard(self.run)
            raise LockHeld(
                f"this deploy lost its lock to {holder or 'another deploy'} (it was idle longer than "
                f"{STALE_AFTER / 60:.0f} minutes); stopped without writing more; deploy again"
            )

    def refresh_due(self) -> bool:
        return self.held and time.monotonic() - self.refreshed > REFRESH_EVERY

    def refresh(self, remote: Remote | None = None) -> None:
        """Say the holder is still at work (on `remote`, when the lock's own connection is busy)."""
        self.confirm(remote)
        self._write_holder(remote)

    def release(self) -> None:
        """Remove the lock if it is still this run's."""
        if not self.held:
            return
        self.held = False
        HELD_HERE.discard(self.run)

        def remove(ftp: ftplib.FTP) -> None:
            holder = Holder.parse(read(ftp, self.holder_file))
            if holder is not None and holder.run == self.run:
                remove_tree(ftp, self.folder)

        self.remote.run(f"unlocking {self.root}", remove)


def _parents_down(folder: str) -> list[str]:
    """'/a/b/c' -> ['/a', '/a/b', '/a/b/c']."""
    parts = folder.strip("/").split("/")
    return ["/" + "/".join(parts[: index + 1]) for index in range(len(parts))]
