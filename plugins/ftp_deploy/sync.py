"""Make the server's copy of the site equal to output/, safely, whatever interrupts it.

- What changed is decided by SHA-256 against the manifest on the server (manifest.py),
  never by timestamps, so a fresh rebuild of the same content uploads nothing.
- One run at a time changes the server: it holds the server's lock (server_lock.py) from
  before it reads the manifest to after it writes the last one.
- Every file is uploaded under a short temporary name (TEMP_PREFIX and 12 hex digits,
  whatever the length of the final name) and renamed into place, so readers never see half
  a file; assets go first, then pages, then the home page. A folder new to the server is
  uploaded whole under a temporary name and renamed once, which saves two commands (two
  round trips) per file on a first deploy.
- The manifest is the journal: before the first upload it lists every file being sent or
  deleted as in flight (remote content unknown) and every temporary name in use; it is rewritten
  every CHECKPOINT_EVERY seconds while uploads run, after a failure and at the end. A run
  killed at any moment leaves a manifest from which the next run re-sends what may differ
  and removes what may be left over.
- Only files that a manifest lists are ever deleted, after all uploads; files the tool did
  not put there are never touched.
"""

from __future__ import annotations

import contextlib
import ftplib
import hashlib
import itertools
import posixpath
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .connection import ConnectionPool, DeployError, Remote
from .local_site import NOTHING_WITHHELD, LocalFile, Withheld, scan_output
from .manifest import Manifest, read_manifest, write_manifest
from .progress import Progress
from .remote_files import (
    FolderMaker,
    aside_name,
    delete_file,
    list_names,
    put,
    read,
    remove_folder_if_empty,
    remove_tree,
    rename_over,
)
from .server_lock import ServerLock
from .settings import DeploySettings

TEMP_PREFIX = ".dt-"
OLD_TEMP_SUFFIX = ".deploy-tmp"  # what temporary names ended with before they were short
CHECKPOINT_EVERY = 30.0  # seconds between journal writes while uploads run
# Deleting more than this share of what is online needs --force (an empty output/, say).
MOST_OF_THE_SITE = 0.5


@dataclass
class Plan:
    uploads: list[LocalFile]
    deletions: list[str]
    unchanged: int
    withheld: list[str] = field(default_factory=list)  # files in output/ the site does not publish
    empty_folders: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the user: a lock taken over, a manifest rebuilt

    @property
    def upload_bytes(self) -> int:
        return sum(file.size for file in self.uploads)


@dataclass
class Summary:
    uploaded: int = 0
    uploaded_bytes: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.uploaded} uploaded ({self.uploaded_bytes:,} bytes), {self.deleted} deleted, "
            f"{self.unchanged} unchanged in {self.seconds:.2f} s"
        )


def upload_phase(path: str) -> int:
    """0 for assets, 1 for pages, 2 for the home page: readers never get a page before what it links to."""
    if path == "index.html":
        return 2
    return 1 if path.endswith((".html", ".htm", ".xml", ".atom")) else 0


class TempNames:
    """Temporary names of one run: fixed length, unique, and telling this run's from any other's."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.count = itertools.count()

    def next(self, folder: str) -> str:
        return posixpath.join(folder, f"{TEMP_PREFIX}{self.run}{next(self.count):06x}")


def ancestors(path: str) -> Iterable[str]:
    folder = posixpath.dirname(path)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def new_folders(uploads: Iterable[LocalFile], manifest: Manifest) -> list[str]:
    """The outermost folders that uploads need and that hold nothing an earlier deploy put there."""
    known = {folder for path, digest in manifest.files.items() if digest for folder in ancestors(path)}
    needed = {folder for file in uploads for folder in ancestors(file.path)} - known
    return sorted(folder for folder in needed if posixpath.dirname(folder) not in needed)


def make_plan(local: dict[str, LocalFile], manifest: Manifest, force: bool = False) -> Plan:
    """Decide what to upload and delete; refuse to wipe most of the site unless `force`."""
    uploads = [file for path, file in local.items() if manifest.files.get(path) != file.sha256]
    uploads.sort(key=lambda file: (upload_phase(file.path), file.path))
    deletions = sorted(set(manifest.files) - set(local))
    online = len(manifest.files)
    if not force and deletions and (not local or len(deletions) > MOST_OF_THE_SITE * online):
        raise DeployError(
            f"this would delete {len(deletions)} of the {online} files on the server "
            f"({'output/ is empty' if not local else 'most of the site'}); run with --force if that is intended"
        )
    return Plan(uploads=uploads, deletions=deletions, unchanged=len(local) - len(uploads))


def remote_path(settings: DeploySettings, path: str) -> str:
    return posixpath.join(settings.remote_dir, path)


def deploy(
    settings: DeploySettings,
    output: Path,
    force: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    break_lock: bool = False,
    withheld: Withheld = NOTHING_WITHHELD,
    progress: Progress | None = None,
) -> tuple[Plan, Summary]:
    """Make the server's copy equal to `output` (less `withheld`); return the plan and what was done.

    `repair` downloads every file first and re-sends any that differs from output/, and
    rebuilds a damaged manifest; `dry_run` plans exactly as the real run would and stops.
    """
    started = time.monotonic()
    local = scan_output(output, withheld)

    def planned(manifest: Manifest) -> Plan:
        plan = make_plan(local.files, manifest, force)
        plan.withheld, plan.empty_folders = local.withheld, local.empty_folders
        return plan

    with Remote(settings) as main:
        if not repair:
            # Read without the lock first: a deploy with nothing to do changes nothing and
            # need not take it. A deploy in progress elsewhere shows as pending work here.
            manifest, _ = read_manifest(main)
            plan = planned(manifest)
            if dry_run or not (plan.uploads or plan.deletions or manifest.pending):
                if dry_run:
                    plan.notes += lock_notes(main)
                summary = Summary(unchanged=plan.unchanged, seconds=time.monotonic() - started)
                return plan, summary
        lock = ServerLock(main, secrets.token_hex(3))
        notes = lock.acquire(break_lock)
        try:
            manifest, damaged = read_manifest(main, damaged_ok=repair)
            if damaged:
                notes.append(f"{damaged}: rebuilt from the files on the server")
            if repair:
                manifest = with_online_hashes(main, local.files, manifest)
            plan = planned(manifest)
            plan.notes += notes
            summary = Summary(unchanged=plan.unchanged)
            if not dry_run and (plan.uploads or plan.deletions or manifest.pending or repair):
                if progress:
                    progress.start(plan)
                try:
                    apply_plan(main, output, plan, manifest, lock, summary, progress)
                finally:
                    if progress:
                        progress.finish()
        finally:
            try:
                lock.release()
            except DeployError as error:
                unreleased = f"could not remove the server's lock ({error}); the next deploy takes it over"
            else:
                unreleased = None
    if unreleased:
        plan.notes.append(unreleased)
    summary.seconds = time.monotonic() - started
    return plan, summary


def lock_notes(main: Remote) -> list[str]:
    """For a dry run: whether another deploy holds the lock now (the real run would stop)."""
    holder = ServerLock(main, "dry-run").holder()
    return [f"another deploy holds the lock now: {holder}; the real run would stop"] if holder else []


class Journal:
    """The run's view of the server, written to the manifest before, during and after the changes.

    `state` is what the manifest will say: settled files with their hashes, files in flight
    as None, temporary names in `pending`. Workers change it under `mutex`; the main thread
    writes it on its own connection between the workers' jobs (tick).
    """

    def __init__(self, main: Remote, manifest: Manifest, lock: ServerLock) -> None:
        self.main = main
        self.lock = lock
        self.state = manifest.copy()
        self.mutex = threading.Lock()
        self.written = time.monotonic()
        self.side: Remote | None = None  # for ticks while `main` works in the pool

    def write(self, remote: Remote | None = None) -> None:
        remote = remote or self.main
        with self.mutex:
            snapshot = self.state.copy()
        self.lock.confirm(remote)
        write_manifest(remote, snapshot)
        self.written = time.monotonic()

    def tick(self) -> None:
        """Checkpoint the journal and refresh the lock when due, on a connection of its own."""
        checkpoint = time.monotonic() - self.written > CHECKPOINT_EVERY
        if not (checkpoint or self.lock.refresh_due()):
            return
        if self.side is None:
            self.side = Remote(self.main.settings)
        if self.lock.refresh_due():
            self.lock.refresh(self.side)
        if checkpoint:
            self.write(self.side)

    def close(self) -> None:
        if self.side is not None:
            self.side.quit()

    def in_flight(self, path: str, temporary: str | None) -> None:
        self.state.files[path] = None
        if temporary:
            self.state.pending.add(temporary)

    def settled(self, file: LocalFile, temporary: str | None = None) -> None:
        with self.mutex:
            self.state.files[file.path] = file.sha256
            self.state.pending.discard(temporary)

    def staging_done(self, staging: str) -> None:
        with self.mutex:
            self.state.pending.discard(staging)

    def deleted(self, path: str) -> None:
        with self.mutex:
            del self.state.files[path]


def apply_plan(
    main: Remote,
    output: Path,
    plan: Plan,
    manifest: Manifest,
    lock: ServerLock,
    summary: Summary,
    progress: Progress | None,
) -> None:
    """Upload, delete and clean up as planned, keeping the server's manifest true throughout."""
    settings = main.settings
    report = progress or (lambda event, path, size: None)
    journal = Journal(main, manifest, lock)
    remove_leftovers(main, journal.state.pending)
    journal.state.pending.clear()
    names = TempNames(lock.run)
    staged = stage_new_folders(main, plan.uploads, manifest)
    staging = {folder: names.next(posixpath.dirname(folder)) for folder in staged}
    where: dict[str, str] = {}  # path -> where it is uploaded: a temporary name, or inside a staged folder
    for folder, files in staged.items():
        for file in files:
            where[file.path] = staging[folder] + file.path[len(folder) :]
    for file in plan.uploads:
        if file.path not in where:
            where[file.path] = names.next(posixpath.dirname(file.path))
            journal.in_flight(file.path, where[file.path])
        else:
            journal.in_flight(file.path, None)
    for path in plan.deletions:
        journal.in_flight(path, None)  # a run killed mid-delete may have removed it: re-sent if wanted again
    journal.state.pending.update(staging.values())
    journal.write()
    counts = threading.Lock()
    folders = FolderMaker(settings.remote_dir)
    in_staging = {file.path for files in staged.values() for file in files}

    def upload(remote: Remote, file: LocalFile) -> None:
        target = remote_path(settings, where[file.path])

        def send(ftp: ftplib.FTP) -> None:
            folders.ensure(ftp, posixpath.dirname(target))
            put(ftp, target, lambda: (output / file.path).open("rb"))
            if file.path not in in_staging:  # a staged folder is not online yet: its files wait for it
                rename_over(ftp, target, remote_path(settings, file.path))

        remote.run(f"uploading {file.path}", send)
        if file.path not in in_staging:
            journal.settled(file, where[file.path])
        with counts:
            summary.uploaded += 1
            summary.uploaded_bytes += file.size
        report("uploaded", file.path, file.size)

    def move_into_place(remote: Remote, folder: str) -> None:
        move_folder(remote, folder, staging[folder], staged[folder], folders)
        for file in staged[folder]:
            journal.settled(file)
        journal.staging_done(staging[folder])

    def delete(remote: Remote, path: str) -> None:
        remote.run(f"deleting {path}", lambda ftp: delete_file(ftp, remote_path(settings, path)))
        journal.deleted(path)
        with counts:
            summary.deleted += 1
        report("deleted", path, 0)

    pool = ConnectionPool(settings, first=main)
    try:
        direct = [file for file in plan.uploads if file.path not in in_staging]
        staged_files = [file for files in staged.values() for file in files]
        phases = {folder: max(upload_phase(file.path) for file in files) for folder, files in staged.items()}
        for phase in range(3):
            jobs = [file for file in direct if upload_phase(file.path) == phase]
            # Staged files can go with the first phase: no reader sees them before their folder's turn.
            pool.run((staged_files if phase == 0 else []) + jobs, upload, journal.tick)
            pool.run(sorted(folder for folder, p in phases.items() if p == phase), move_into_place, journal.tick)
        pool.run(plan.deletions, delete, journal.tick)
        remove_empty_folders(main, plan.deletions, journal.state.files)
    except BaseException:
        # Record what did happen, but report the failure that stopped us, not a second one.
        with contextlib.suppress(DeployError):
            journal.write()
        raise
    finally:
        pool.close()
        journal.close()
    journal.write()


def remove_leftovers(main: Remote, pending: Iterable[str]) -> None:
    """Remove what an interrupted run left under temporary names: one listing per folder, then only what is there."""
    settings = main.settings
    by_folder: dict[str, set[str]] = defaultdict(set)
    for temporary in pending:
        # Format-1 manifests named the files inside a staged folder ("posts/.new.deploy-tmp/a.css"):
        # the folder is the leftover.
        parts = temporary.split("/")
        old_staging = next((i for i, part in enumerate(parts[:-1]) if part.endswith(OLD_TEMP_SUFFIX)), None)
        if old_staging is not None:
            temporary = "/".join(parts[: old_staging + 1])
        folder, name = posixpath.split(temporary)
        by_folder[folder] |= {name, posixpath.basename(aside_name(name))}

    for folder, candidates in sorted(by_folder.items()):

        def clean(ftp: ftplib.FTP, folder: str = folder, candidates: set[str] = candidates) -> None:
            for name in sorted(candidates & list_names(ftp, remote_path(settings, folder))):
                remove_tree(ftp, remote_path(settings, posixpath.join(folder, name)))

        main.run(f"removing leftovers in {folder or settings.remote_dir}", clean)


def stage_new_folders(main: Remote, uploads: list[LocalFile], manifest: Manifest) -> dict[str, list[LocalFile]]:
    """New folders to upload under temporary names, with their files; folders already on the server are not staged."""
    settings = main.settings
    candidates = new_folders(uploads, manifest)
    existing: set[str] = set()
    for parent in sorted({posixpath.dirname(folder) for folder in candidates}):
        names = main.run(
            f"listing {parent or settings.remote_dir}", lambda ftp, p=parent: list_names(ftp, remote_path(settings, p))
        )
        existing |= {posixpath.join(parent, name) for name in names}
    staged: dict[str, list[LocalFile]] = {folder: [] for folder in candidates if folder not in existing}
    for file in uploads:
        for folder in ancestors(file.path):
            if folder in staged:
                staged[folder].append(file)
                break
    return staged


def move_folder(remote: Remote, folder: str, staging: str, files: list[LocalFile], folders: FolderMaker) -> None:
    """Rename a staged folder into place; file by file if the server will not (or the name got taken)."""
    settings = remote.settings
    source, target = remote_path(settings, staging), remote_path(settings, folder)

    def rename(ftp: ftplib.FTP) -> bool:
        try:
            ftp.rename(source, target)
            return True
        except ftplib.error_perm:
            # Done after all if this is a retry whose first attempt lost only its reply.
            names = list_names(ftp, posixpath.dirname(source))
            return posixpath.basename(source) not in names and posixpath.basename(target) in names

    if remote.run(f"moving {folder}/ into place", rename):
        return
    for file in files:
        target = remote_path(settings, file.path)

        def move(ftp: ftplib.FTP, target: str = target, file: LocalFile = file) -> None:
            folders.ensure(ftp, posixpath.dirname(target))
            rename_over(ftp, source + file.path[len(folder) :], target)

        remote.run(f"moving {file.path} into place", move)
    remote.run(f"removing {staging}", lambda ftp: remove_tree(ftp, source))


def remove_empty_folders(main: Remote, deleted: list[str], remaining: Iterable[str]) -> None:
    """Remove folders that deletions emptied; one still holding anything (someone else's files) stays."""
    settings = main.settings
    kept = {folder for path in remaining for folder in ancestors(path)}
    emptied = {folder for path in deleted for folder in ancestors(path)} - kept
    for folder in sorted(emptied, key=lambda f: -f.count("/")):
        where = remote_path(settings, folder)
        main.run(f"removing folder {folder}", lambda ftp, where=where: remove_folder_if_empty(ftp, where))


def online_hashes(main: Remote, paths: Iterable[str]) -> dict[str, str | None]:
    """Download each path and hash it: path -> SHA-256, or None where the server has no such file."""
    settings = main.settings
    hashes: dict[str, str | None] = {}
    lock = threading.Lock()

    def check(remote: Remote, path: str) -> None:
        target = remote_path(settings, path)
        data = remote.run(f"reading {path}", lambda ftp: read(ftp, target))
        with lock:
            hashes[path] = None if data is None else hashlib.sha256(data).hexdigest()

    pool = ConnectionPool(settings, first=main)
    try:
        pool.run(sorted(paths), check)
    finally:
        pool.close()
    return hashes


def with_online_hashes(main: Remote, local: dict[str, LocalFile], manifest: Manifest) -> Manifest:
    """The manifest corrected by what the server really holds for each file of output/ (None: missing)."""
    corrected = manifest.copy()
    corrected.files.update(online_hashes(main, local))
    return corrected


def verify(settings: DeploySettings, output: Path, withheld: Withheld = NOTHING_WITHHELD) -> list[str]:
    """Download every file and compare it with output/; one line per difference."""
    local = scan_output(output, withheld).files
    with Remote(settings) as main:
        manifest, _ = read_manifest(main)
        online = online_hashes(main, local)
    differences = [
        f"{'missing' if online[path] is None else 'differs'} on the server: {path}"
        for path, file in local.items()
        if online[path] != file.sha256
    ]
    differences += [f"on the server but not in output/: {path}" for path in sorted(set(manifest.files) - set(local))]
    return sorted(differences)
