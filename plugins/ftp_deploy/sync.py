"""Make the server's copy of the site equal to output/, safely.

- What changed is decided by SHA-256 against a manifest kept on the server
  (`.deploy-manifest.json`), never by timestamps, so a fresh rebuild of the same
  content uploads nothing.
- Every file is uploaded under a temporary name and renamed into place, so readers never
  see half a file; assets go first, then pages, then the home page. A folder that is new
  to the server is uploaded whole under a temporary name and renamed once, which saves
  two commands (two round trips) per file on a first deploy.
- Only files that a manifest lists are ever deleted, after all uploads; files the tool did
  not put there are never touched.
- Before uploading, the manifest is rewritten as a journal that also lists the new paths
  and temporary names; at the end (also after a failure) it is rewritten with what is
  really on the server. An interrupted run therefore leaves nothing unaccounted for, and
  the next run cleans up and converges.
"""

from __future__ import annotations

import contextlib
import ftplib
import hashlib
import io
import json
import posixpath
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .connection import DeployError, Remote, reply_code
from .progress import Progress
from .settings import DeploySettings

T = TypeVar("T")
MANIFEST_NAME = ".deploy-manifest.json"
MANIFEST_FORMAT = 1
TEMP_SUFFIX = ".deploy-tmp"
BLOCK_SIZE = 256 * 1024  # per send() on data connections; ftplib's 8 KiB costs many more system calls
# Deleting more than this share of what is online needs --force (an empty output/, say).
MOST_OF_THE_SITE = 0.5


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative, with forward slashes
    sha256: str
    size: int


@dataclass
class Manifest:
    """What the tool has put on the server: path -> SHA-256 (None while an upload is pending)."""

    files: dict[str, str | None] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # temporary names that may be left over

    def to_json(self) -> bytes:
        document = {
            "format": MANIFEST_FORMAT,
            "files": dict(sorted(self.files.items())),
            "pending": sorted(self.pending),
        }
        return json.dumps(document, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"not a format-{MANIFEST_FORMAT} deploy manifest")
        files = document.get("files")
        if not isinstance(files, dict):
            raise ValueError(f"not a format-{MANIFEST_FORMAT} deploy manifest")
        return cls(files=dict(files), pending=set(document.get("pending", [])))


@dataclass
class Plan:
    uploads: list[LocalFile]
    deletions: list[str]
    unchanged: int

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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def scan_output(folder: Path) -> dict[str, LocalFile]:
    """Every file below `folder` with its hash and size, by forward-slash relative path."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME:
            relative = path.relative_to(folder).as_posix()
            files[relative] = LocalFile(relative, sha256_file(path), path.stat().st_size)
    return files


def upload_phase(path: str) -> int:
    """0 for assets, 1 for pages, 2 for the home page: readers never get a page before what it links to."""
    if path == "index.html":
        return 2
    return 1 if path.endswith((".html", ".htm", ".xml", ".atom")) else 0


def temp_name(path: str) -> str:
    folder, name = posixpath.split(path)
    return posixpath.join(folder, f".{name}{TEMP_SUFFIX}")


def staged_path(path: str, folder: str) -> str:
    """Where `path` is uploaded while its new `folder` is staged under a temporary name."""
    return temp_name(folder) + path[len(folder) :]


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


def read_manifest(remote: Remote) -> Manifest:
    """The server's manifest; an empty one only if the server shows it does not exist."""
    settings = remote.settings
    where = remote_path(settings, MANIFEST_NAME)

    def fetch(ftp: ftplib.FTP) -> bytes | None:
        buffer = io.BytesIO()
        try:
            ftp.retrbinary(f"RETR {where}", buffer.write)
        except ftplib.error_perm as error:
            if reply_code(error) != "550" or MANIFEST_NAME in list_names(ftp, settings.remote_dir):
                raise
            return None
        return buffer.getvalue()

    data = remote.run(f"reading {where}", fetch)
    if data is None:
        return Manifest()
    try:
        return Manifest.from_json(data)
    except ValueError as error:
        raise DeployError(
            f"{where} on the server is unreadable ({error}); fix or remove it, then deploy again"
        ) from None


def list_names(ftp: ftplib.FTP, folder: str) -> set[str]:
    """Names in a remote folder (empty if the folder does not exist)."""
    try:
        return {posixpath.basename(name) for name in ftp.nlst(folder)}
    except ftplib.error_perm as error:
        if reply_code(error) == "550":
            return set()
        raise


def put(ftp: ftplib.FTP, target: str, data: Callable[[], io.BufferedIOBase]) -> None:
    with data() as stream:
        ftp.storbinary(f"STOR {target}", stream, blocksize=BLOCK_SIZE)


def store(ftp: ftplib.FTP, target: str, data: Callable[[], io.BufferedIOBase]) -> None:
    """Upload under a temporary name, then rename over `target`."""
    temporary = temp_name(target)
    put(ftp, temporary, data)
    rename_over(ftp, temporary, target)


def rename_over(ftp: ftplib.FTP, temporary: str, target: str) -> None:
    """Rename `temporary` to `target`, replacing any file of that name."""
    try:
        ftp.rename(temporary, target)
    except ftplib.error_perm:
        # Some servers (IIS, for one) refuse to rename over an existing file. Move the old
        # file aside, and put it back if the new one still cannot take its place.
        if posixpath.basename(target) not in list_names(ftp, posixpath.dirname(target)):
            raise
        aside = temporary + ".old"
        ftp.rename(target, aside)
        try:
            ftp.rename(temporary, target)
        except ftplib.error_perm:
            ftp.rename(aside, target)
            raise
        delete_file(ftp, aside)


def delete_file(ftp: ftplib.FTP, path: str) -> None:
    """Delete `path`; a file that is already gone counts as deleted."""
    try:
        ftp.delete(path)
    except ftplib.error_perm as error:
        if reply_code(error) != "550" or posixpath.basename(path) in list_names(ftp, posixpath.dirname(path)):
            raise


def write_manifest(remote: Remote, manifest: Manifest) -> None:
    where = remote_path(remote.settings, MANIFEST_NAME)
    remote.run(f"writing {where}", lambda ftp: store(ftp, where, lambda: io.BytesIO(manifest.to_json())))


class FolderMaker:
    """Creates remote folders once per run, shared by all connections."""

    def __init__(self, settings: DeploySettings) -> None:
        self.root = settings.remote_dir
        self.made = {self.root}
        self.lock = threading.Lock()
        self.making: dict[str, threading.Lock] = {}

    def ensure(self, ftp: ftplib.FTP, folder: str) -> None:
        missing = []
        while folder not in self.made and folder not in ("", "/"):
            missing.append(folder)
            folder = posixpath.dirname(folder)
        for path in reversed(missing):
            with self.lock:
                making = self.making.setdefault(path, threading.Lock())
            # The first connection to need a folder makes it; the others wait for it rather
            # than each sending an MKD (a round trip) of their own.
            with making:
                if path in self.made:
                    continue
                # Refused means it exists already; if it could not be made, the upload into it says so.
                with contextlib.suppress(ftplib.error_perm):
                    ftp.mkd(path)
                self.made.add(path)


class Connections:
    """Up to settings.connections connections, kept open across the runs of one deploy.

    Each upload phase used to open its own; on a server 10 ms away every login costs
    several round trips.
    """

    def __init__(self, settings: DeploySettings, first: Remote | None = None) -> None:
        self.settings = settings
        self.idle: queue.SimpleQueue[Remote] = queue.SimpleQueue()
        self.opened: list[Remote] = []
        if first is not None:
            self.idle.put(first)  # the caller's connection works too while it waits

    def run(self, jobs: Iterable[T], work: Callable[[Remote, T], None]) -> None:
        """Run `work` on each job in parallel; stop at the first error and raise it."""
        jobs = list(jobs)
        if not jobs:
            return
        stop = threading.Event()

        def worker(job: T) -> None:
            if stop.is_set():
                return
            try:
                remote = self.idle.get_nowait()
            except queue.Empty:
                remote = Remote(self.settings)
                self.opened.append(remote)
            try:
                work(remote, job)
            finally:
                self.idle.put(remote)

        with ThreadPoolExecutor(max_workers=min(self.settings.connections, len(jobs))) as pool:
            futures = [pool.submit(worker, job) for job in jobs]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [future for future in done if future.exception() is not None]
            if failed:
                stop.set()
            wait(futures)
        if failed:
            raise failed[0].exception()

    def close(self) -> None:
        for remote in self.opened:
            remote.quit()


def deploy(
    settings: DeploySettings,
    output: Path,
    force: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> tuple[Plan, Summary]:
    """Make the server's copy equal to `output`; return the plan and what was done."""
    started = time.monotonic()
    local = scan_output(output)
    with Remote(settings) as main:
        manifest = read_manifest(main)
        plan = make_plan(local, manifest, force)
        if progress:
            progress.start(plan)
        summary = Summary(unchanged=plan.unchanged)
        if not dry_run and (plan.uploads or plan.deletions or manifest.pending):
            try:
                apply_plan(main, output, plan, manifest, summary, progress)
            finally:
                if progress:
                    progress.finish()
    summary.seconds = time.monotonic() - started
    return plan, summary


def apply_plan(
    main: Remote, output: Path, plan: Plan, manifest: Manifest, summary: Summary, progress: Progress | None
) -> None:
    """Upload, delete and clean up as planned, keeping the server's manifest true throughout."""
    settings = main.settings
    report = progress or (lambda event, file: None)
    state = Manifest(files=dict(manifest.files), pending=set(manifest.pending))
    remove_leftovers(main, state)
    staged = stage_new_folders(main, plan.uploads, manifest)
    where = {file.path: staged_path(file.path, folder) for folder, files in staged.items() for file in files}
    for file in plan.uploads:
        state.files.setdefault(file.path, None)
        state.pending.add(where.get(file.path) or temp_name(file.path))
    write_manifest(main, state)
    lock = threading.Lock()
    folders = FolderMaker(settings)

    def upload(remote: Remote, file: LocalFile) -> None:
        target = remote_path(settings, where.get(file.path, file.path))

        def send(ftp: ftplib.FTP) -> None:
            folders.ensure(ftp, posixpath.dirname(target))
            # A staged folder is not online yet, so its files need no rename of their own.
            (put if file.path in where else store)(ftp, target, lambda: (output / file.path).open("rb"))

        remote.run(f"uploading {file.path}", send)
        with lock:
            if file.path not in where:
                settle(state, file, temp_name(file.path))
            summary.uploaded += 1
            summary.uploaded_bytes += file.size
        report("uploaded", file)

    def move_into_place(remote: Remote, folder: str) -> None:
        move_folder(remote, folder, staged[folder], folders)
        with lock:
            for file in staged[folder]:
                settle(state, file, where[file.path])

    def delete(remote: Remote, path: str) -> None:
        remote.run(f"deleting {path}", lambda ftp: delete_file(ftp, remote_path(settings, path)))
        with lock:
            del state.files[path]
            summary.deleted += 1
        report("deleted", None)

    connections = Connections(settings, first=main)
    try:
        direct = [file for file in plan.uploads if file.path not in where]
        staged_files = [file for files in staged.values() for file in files]
        phases = {folder: max(upload_phase(file.path) for file in files) for folder, files in staged.items()}
        for phase in range(3):
            jobs = [file for file in direct if upload_phase(file.path) == phase]
            # Staged files can go with the first phase: no reader sees them before their folder's turn.
            connections.run((staged_files if phase == 0 else []) + jobs, upload)
            connections.run(
                sorted(folder for folder, folder_phase in phases.items() if folder_phase == phase), move_into_place
            )
        connections.run(plan.deletions, delete)
        remove_empty_folders(main, plan.deletions, state.files)
    except BaseException:
        # Record what did happen, but report the failure that stopped us, not a second one.
        with contextlib.suppress(DeployError):
            write_manifest(main, state)
        raise
    finally:
        connections.close()
    write_manifest(main, state)


def settle(state: Manifest, file: LocalFile, temporary: str) -> None:
    """Record that `file` is online under its own name."""
    state.files[file.path] = file.sha256
    state.pending.discard(temporary)


def remove_leftovers(main: Remote, state: Manifest) -> None:
    """Delete what an interrupted deploy left under temporary names, before anything reuses those names."""
    settings = main.settings
    for temporary in sorted(state.pending):
        main.run(f"removing {temporary}", lambda ftp, t=temporary: delete_file(ftp, remote_path(settings, t)))
    remove_staging_folders(main, state.pending)
    state.pending.clear()


def staging_folders(path: str) -> list[str]:
    """The folders of a staged path that belong to the staging, innermost first."""
    inside = []
    for folder in ancestors(path):
        inside.append(folder)
        if posixpath.basename(folder).endswith(TEMP_SUFFIX):
            return inside
    return []


def remove_staging_folders(remote: Remote, paths: Iterable[str]) -> None:
    settings = remote.settings
    folders = {folder for path in paths for folder in staging_folders(path)}
    for folder in sorted(folders, key=lambda f: -f.count("/")):

        def remove(ftp: ftplib.FTP, folder: str = folder) -> None:
            with contextlib.suppress(ftplib.error_perm):  # refused: already gone, or not empty
                ftp.rmd(remote_path(settings, folder))

        remote.run(f"removing folder {folder}", remove)


def stage_new_folders(main: Remote, uploads: list[LocalFile], manifest: Manifest) -> dict[str, list[LocalFile]]:
    """New folders to upload under temporary names, with their files; folders someone else made are not staged."""
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


def move_folder(remote: Remote, folder: str, files: list[LocalFile], folders: FolderMaker) -> None:
    """Rename a staged folder into place; file by file if the server will not (or the name got taken)."""
    settings = remote.settings
    staging = temp_name(folder)
    try:
        remote.run(
            f"moving {folder}/ into place",
            lambda ftp: ftp.rename(remote_path(settings, staging), remote_path(settings, folder)),
        )
        return
    except DeployError as error:
        if not isinstance(error.__cause__, ftplib.error_perm):
            raise
    for file in files:
        target = remote_path(settings, file.path)

        def move(ftp: ftplib.FTP, target: str = target, file: LocalFile = file) -> None:
            folders.ensure(ftp, posixpath.dirname(target))
            rename_over(ftp, remote_path(settings, staged_path(file.path, folder)), target)

        remote.run(f"moving {file.path} into place", move)
    remove_staging_folders(remote, [staged_path(file.path, folder) for file in files])


def ancestors(path: str) -> Iterable[str]:
    folder = posixpath.dirname(path)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def remove_empty_folders(main: Remote, deleted: list[str], remaining: Iterable[str]) -> None:
    """Remove folders that deletions emptied; one still holding anything (someone else's files) stays."""
    settings = main.settings
    kept = {folder for path in remaining for folder in ancestors(path)}
    emptied = {folder for path in deleted for folder in ancestors(path)} - kept
    for folder in sorted(emptied, key=lambda f: -f.count("/")):

        def remove(ftp: ftplib.FTP, folder: str = folder) -> None:
            with contextlib.suppress(ftplib.error_perm):  # refused: not empty
                ftp.rmd(remote_path(settings, folder))

        main.run(f"removing folder {folder}", remove)


def verify(settings: DeploySettings, output: Path) -> list[str]:
    """Download every file and compare it with output/; one line per difference."""
    local = scan_output(output)
    with Remote(settings) as main:
        manifest = read_manifest(main)
    differences: list[str] = []
    lock = threading.Lock()

    def check(remote: Remote, file: LocalFile) -> None:
        target = remote_path(settings, file.path)

        def fetch(ftp: ftplib.FTP) -> str | None:
            digest = hashlib.sha256()
            try:
                ftp.retrbinary(f"RETR {target}", digest.update)
            except ftplib.error_perm as error:
                if reply_code(error) == "550":
                    return None
                raise
            return digest.hexdigest()

        online = remote.run(f"reading {file.path}", fetch)
        if online != file.sha256:
            with lock:
                differences.append(f"{'missing' if online is None else 'differs'} on the server: {file.path}")

    connections = Connections(settings)
    try:
        connections.run(local.values(), check)
    finally:
        connections.close()
    differences += [f"on the server but not in output/: {path}" for path in sorted(set(manifest.files) - set(local))]
    return sorted(differences)
