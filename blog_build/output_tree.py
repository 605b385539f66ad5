"""output/ holds exactly what the sources make: files no task writes any more are removed.

Nikola writes into output/ and never deletes: a post deleted from posts/, a renamed slug or
an old search index stayed there (and were uploaded by every deploy) until `make clean`.
After a build every task's targets are known (plugins/output_targets records them while
doit collects the tasks); a task whose files cannot be named in advance (pagefind's index)
records what it wrote in the cache folder (`record_written`). Anything else below output/
is removed, and folders left empty with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Targets of every task of this build, filled in by plugins/output_targets as doit collects tasks.
expected: set[str] = set()
MANIFESTS = "written_outputs"


def record_written(cache: Path, task: str, files: list[str]) -> None:
    """Remember the files a task wrote whose names were not known when the task was declared."""
    folder = cache / MANIFESTS
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{task}.json.tmp"
    temporary.write_text(json.dumps(sorted(files)), encoding="utf-8")
    os.replace(temporary, folder / f"{task}.json")


def recorded(cache: Path, task: str | None = None) -> set[str]:
    """The files `task` (or every task) recorded with `record_written`."""
    folder = cache / MANIFESTS
    paths = [folder / f"{task}.json"] if task else sorted(folder.glob("*.json"))
    files: set[str] = set()
    for path in paths:
        try:
            files.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return files


def unexpected(output: Path, keep: set[str]) -> list[Path]:
    """Files below `output` that are not in `keep` (paths as the tasks name them)."""
    wanted = {os.path.normpath(path) for path in keep}
    found = []
    for root, _folders, files in os.walk(output):
        for name in files:
            path = os.path.normpath(os.path.join(root, name))
            if path not in wanted:
                found.append(Path(path))
    return sorted(found)


def prune(output: Path, keep: set[str]) -> list[Path]:
    """Remove what `unexpected` finds, then the folders that leaves empty; return what was removed."""
    removed = unexpected(output, keep)
    for path in removed:
        path.unlink()
    for root, folders, files in os.walk(output, topdown=False):
        if not folders and not files and Path(root) != output or not os.listdir(root) and Path(root) != output:
            os.rmdir(root)
    return removed
