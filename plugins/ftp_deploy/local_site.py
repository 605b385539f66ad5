"""What output/ holds for the server: files with their hashes, minus what the site does not publish.

Drafts and posts dated in the future are rendered into output/ so their author can look
at them; the build lists them, with their files, in CACHE_FOLDER/unpublished.json (plugins/
unpublished_posts). The deploy leaves them out unless DEPLOY_DRAFTS / DEPLOY_FUTURE say
otherwise, and a post already online that became a draft again is taken down.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .connection import DeployError
from .manifest import MANIFEST_NAME, NEW_MANIFEST_NAME
from .server_lock import LOCK_NAME

UNPUBLISHED_RECORD = "unpublished.json"
# The build hands its search index to an indexer that runs after it returns (blog_build/search_index.py):
# CACHE_FOLDER/search_index/job.json is what the last build asked for, done.json what was made of it.
SEARCH_INDEX_STATE = "search_index"
# Names at the top of the remote folder that belong to the deploy itself.
RESERVED = {MANIFEST_NAME, NEW_MANIFEST_NAME, LOCK_NAME}


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative, with forward slashes
    sha256: str
    size: int


@dataclass(frozen=True)
class Withheld:
    """Output paths left out of the deploy: single files, and whole folders."""

    files: frozenset[str] = frozenset()
    folders: tuple[str, ...] = ()

    def __contains__(self, path: str) -> bool:
        return path in self.files or any(path.startswith(folder + "/") for folder in self.folders)


NOTHING_WITHHELD = Withheld()


@dataclass
class LocalSite:
    files: dict[str, LocalFile] = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)  # files in output/ left out
    empty_folders: list[str] = field(default_factory=list)  # not uploaded: a web server shows nothing there


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def scan_output(folder: Path, withheld: Withheld = NOTHING_WITHHELD) -> LocalSite:
    """Every file below `folder` with its hash and size, following symbolic links.

    A link to a missing file or a loop of folder links is an error naming it: deploying
    around it would leave the server different from what output/ shows.
    """
    site = LocalSite()
    seen_folders: set[tuple[int, int]] = set()

    def fail(error: OSError) -> None:
        raise DeployError(f"cannot read {error.filename}: {error.strerror}")

    for current, folders, names in os.walk(folder, followlinks=True, onerror=fail):
        here = Path(current)
        stat = here.stat()
        if (stat.st_dev, stat.st_ino) in seen_folders:
            raise DeployError(f"{here} is a symbolic link to a folder that contains it; remove the loop")
        seen_folders.add((stat.st_dev, stat.st_ino))
        folders.sort()
        relative_folder = here.relative_to(folder).as_posix()
        if not folders and not names and here != folder:
            site.empty_folders.append(relative_folder)
        for name in sorted(names):
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if here == folder and name in RESERVED:
                continue
            if not path.exists():
                raise DeployError(
                    f"{path} is a symbolic link to {os.readlink(path)}, which does not exist; "
                    "remove the link or restore what it points to"
                )
            if not path.is_file():
                raise DeployError(f"{path} is not a regular file (a socket or device?); remove it from output/")
            if relative in withheld:
                site.withheld.append(relative)
                continue
            site.files[relative] = LocalFile(relative, sha256_file(path), path.stat().st_size)
    return site


@dataclass
class Unpublished:
    withheld: Withheld
    notes: list[str]  # for the user: what is left out and why


def load_unpublished(
    cache_folder: Path, deploy_drafts: bool, deploy_future: bool, now: datetime.datetime | None = None
) -> Unpublished:
    """The build's list of drafts and future posts, turned into what this deploy leaves out."""
    record = cache_folder / UNPUBLISHED_RECORD
    try:
        document = json.loads(record.read_text(encoding="utf-8"))
        posts = document["posts"]
    except FileNotFoundError:
        raise DeployError(
            f"{record} is missing: run `nikola build` before deploying (the build lists the drafts and "
            "future posts that the deploy leaves out)"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise DeployError(f"{record} is unreadable ({error}); run `nikola build` again") from None
    now = now or datetime.datetime.now(datetime.UTC)
    files: set[str] = set()
    folders: list[str] = []
    notes = []
    for post in posts:
        if (post["status"] == "draft" and deploy_drafts) or (post["status"] == "future" and deploy_future):
            continue
        files.update(post["files"])
        folders.extend(post["folders"])
        if post["status"] == "future" and datetime.datetime.fromisoformat(post["date"]) <= now:
            notes.append(
                f"{post['source']} was dated in the future when the site was built and is due now: "
                "`nikola build` publishes it; until then it is left out"
            )
    return Unpublished(Withheld(frozenset(files), tuple(sorted(folders))), notes)


def search_index_error(cache: Path) -> str | None:
    """Wait until output/ holds the search index the last build asked for; what went wrong, if anything.

    The deploy imports nothing of the build: when the last job is not done yet, it runs the
    indexer's command itself, which waits for an indexer at work (a lock) or does the job.
    """
    state = cache / SEARCH_INDEX_STATE

    def read(name: str) -> dict:
        try:
            return json.loads((state / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    job = read("job.json")
    if not job or read("done.json").get("id") != job.get("id"):
        subprocess.run([sys.executable, "-m", "blog_build.search_index", str(cache)], check=False)
    done = read("done.json")
    if job and done.get("id") != job.get("id"):
        return "the indexer did not finish"
    return done.get("error")
