"""Make the server's copy of the site equal to output/, safely.

- What changed is decided by SHA-256 against a manifest kept on the server
  (`.deploy-manifest.json`), never by timestamps, so a fresh rebuild of the same
  content uploads nothing.
- Every file is uploaded under a temporary name and renamed into place, so readers never
  see half a file; assets go first, then pages, then the home page.
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
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from .connection import DeployError, Remote, reply_code
from .progress import Progress
from .settings import DeploySettings

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


def store(ftp: ftplib.FTP, target: str, data: Callable[[], io.BufferedIOBase]) -> None:
    """Upload under a temporary name, then rename over `target`."""
    temporary = temp_name(target)
    with data() as stream:
        ftp.storbinary(f"STOR {temporary}", stream, blocksize=BLOCK_SIZE)
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

    def ensure(self, ftp: ftplib.FTP, folder: str) -> None:
        missing = []
        while folder not in self.made and folder not in ("", "/"):
            missing.append(folder)
            folder = posixpath.dirname(folder)
        for path in reversed(missing):
            # Refused means it exists already; if it could not be made, the upload into it says so.
            with contextlib.suppress(ftplib.error_perm):
                ftp.mkd(path)
            with self.lock:
                self.made.add(path)


def run_parallel(
    settings: DeploySettings,
    jobs: Iterable[LocalFile],
    work: Callable[[Remote, LocalFile], None],
) -> None:
    """Run `work` on each job over up to settings.connections connections; stop at the first error."""
    jobs = list(jobs)
    if not jobs:
        return
    local = threading.local()
    remotes: list[Remote] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(job: LocalFile) -> None:
        if stop.is_set():
            return
        if not hasattr(local, "remote"):
            local.remote = Remote(settings)
            with lock:
                remotes.append(local.remote)
        work(local.remote, job)

    with ThreadPoolExecutor(max_workers=min(settings.connections, len(jobs))) as pool:
        futures = [pool.submit(worker, job) for job in jobs]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [future for future in done if future.exception() is not None]
        if failed:
            stop.set()
        wait(futures)
    for remote in remotes:
        remote.quit()
    if failed:
        raise failed[0].exception()


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
    for file in plan.uploads:
        state.files.setdefault(file.path, None)
        state.pending.add(temp_name(file.path))
    write_manifest(main, state)
    lock = threading.Lock()
    folders = FolderMaker(settings)

    def upload(remote: Remote, file: LocalFile) -> None:
        target = remote_path(settings, file.path)

        def send(ftp: ftplib.FTP) -> None:
            folders.ensure(ftp, posixpath.dirname(target))
            store(ftp, target, lambda: (output / file.path).open("rb"))

        remote.run(f"uploading {file.path}", send)
        with lock:
            state.files[file.path] = file.sha256
            state.pending.discard(temp_name(file.path))
            summary.uploaded += 1
            summary.uploaded_bytes += file.size
        report("uploaded", file)

    try:
        for phase in sorted({upload_phase(file.path) for file in plan.uploads}):
            run_parallel(settings, [file for file in plan.uploads if upload_phase(file.path) == phase], upload)
        for path in plan.deletions:
            main.run(f"deleting {path}", lambda ftp, path=path: delete_file(ftp, remote_path(settings, path)))
            del state.files[path]
            summary.deleted += 1
            report("deleted", None)
        for temporary in sorted(state.pending):
            main.run(f"removing {temporary}", lambda ftp, t=temporary: delete_file(ftp, remote_path(settings, t)))
        state.pending.clear()
        remove_empty_folders(main, plan.deletions, state.files)
    except BaseException:
        # Record what did happen, but report the failure that stopped us, not a second one.
        with contextlib.suppress(DeployError):
            write_manifest(main, state)
        raise
    write_manifest(main, state)


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

    run_parallel(settings, local.values(), check)
    differences += [f"on the server but not in output/: {path}" for path in sorted(set(manifest.files) - set(local))]
    return sorted(differences)
