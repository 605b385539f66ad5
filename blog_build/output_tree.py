"""output/ holds exactly what the sources make: files no task writes any more are removed.

Nikola writes into output/ and never deletes: a post deleted from posts/, a renamed slug or
an old search index stayed there (and were uploaded by every deploy) until `make clean`.
After a build every task's targets are known (plugins/output_targets records them while
doit collects the tasks); a task whose files cannot be named in advance (pagefind's index)
claims its folder when it is declared (`claim`) and keeps that folder right itself.
Anything else below output/ is removed, and folders left empty with it. A task of the
second kind may also remember what it wrote (`record_written`), to declare those files as
its targets next time (for `nikola check -f`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Targets of every task of this build, filled in by plugins/output_targets as doit collects tasks.
expected: set[str] = set()
# Folders whose content a task manages itself, claimed while doit collects the tasks.
owned: set[str] = set()
MANIFESTS = "written_outputs"


def claim(*folders: str) -> None:
    """Say that a task keeps these folders right itself: pruning leaves what is in them alone."""
    owned.update(os.path.normpath(folder) for folder in folders)


def record_written(cache: Path, task: str, files: list[str]) -> None:
    """Remember the files a task wrote whose names were not known when the task was declared."""
    folder = cache / MANIFESTS
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{task}.json.tmp"
    temporary.write_text(json.dumps(sorted(files)), encoding="utf-8")
    os.replace(temporary, folder / f"{task}.json")


def recorded(cache: Path, task: str) -> set[str]:
    """The files `task` recorded with `record_written` (none if it never did, or the record is unreadable)."""
    try:
        return set(json.loads((cache / MANIFESTS / f"{task}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return set()


def recorded_by_any(cache: Path) -> set[str]:
    """The files every task that records what it wrote (`record_written`) recorded."""
    return {path for record in sorted((cache / MANIFESTS).glob("*.json")) for path in recorded(cache, record.stem)}


def unexpected(output: Path, keep: set[str], keep_folders: set[str] = frozenset()) -> list[Path]:
    """Files below `output` that are not in `keep` nor in `keep_folders` (paths as the tasks name them)."""
    wanted = {os.path.normpath(path) for path in keep}
    found = []
    for root, folders, files in os.walk(output):
        folders[:] = [name for name in folders if os.path.normpath(os.path.join(root, name)) not in keep_folders]
        for name in files:
            path = os.path.normpath(os.path.join(root, name))
            if path not in wanted:
                found.append(Path(path))
    return sorted(found)


def prune(output: Path, keep: set[str], keep_folders: set[str] = frozenset()) -> list[Path]:
    """Remove what `unexpected` finds, then the folders that leaves empty; return what was removed."""
    removed = unexpected(output, keep, keep_folders)
    for path in removed:
        path.unlink()
    for folder in sorted({parent for path in removed for parent in path.parents}, key=lambda p: -len(p.parts)):
        if output in folder.parents and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed
