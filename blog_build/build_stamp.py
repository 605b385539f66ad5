"""What a complete build found and left, so that a build of an unchanged site can stop at once.

doit decides task by task whether a task must run: for a no-op build of 2,000 posts Nikola
first makes every post (dates parsed, tags sorted), generates 6,300 tasks and then doit
checks each one (104,000 stats, 26,000 digests of settings): 3.3 s to learn that nothing
changed. Those answers follow from the files the build reads, its settings, doit's own
database and the clock. So at the end of a complete build this module writes down, as they were:

- every file and folder below the folders a build reads its sources from (the folders
  `nikola auto` watches), as they were when the build *started*, so that a file saved while
  the build ran makes the next build a real one;
- the module files loaded before the tasks were made, and every file a task depends on;
- the cache folder (a deleted execution cache or model store means work to redo);
- every file a task names as its target, as the build left it (but for the folders a task
  keeps itself, the search index's: those files must only be there);
- the settings: conf.py's values after the plugins set theirs, what each compiler says its
  pages depend on, and doit's options (its database must be there too);
- what the build logged while it made its tasks (warnings the author must see every time);
- when the first scheduled post falls due.

The next build compares (stats only: 30,000 of them at 2,000 posts) and, if nothing differs,
there is nothing for doit to do. Anything it cannot vouch for (a stray file in output/, a
setting, a file of another size or time) sends it the whole way, as before; a build that
fails or stops leaves no record, so the next one goes the whole way too. As doit's own
check, a file is taken as unchanged while its size and modification time are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from blog_build import output_tree

STAMP_VERSION = 2  # 2: what the build logged, and the mark doit keeps
State = list[int] | None  # [modification time in ns, size], None when the file is not there
# Folders whose files no source reads: Python's bytecode, written when a module is first imported.
SKIPPED_FOLDERS = frozenset({"__pycache__"})


def state(path: str) -> State:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_size]


def folder_time(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def states(paths: Iterable[str]) -> dict[str, State]:
    return {path: state(path) for path in paths}


def walk(roots: Iterable[str], skip: Iterable[str] = ()) -> tuple[dict[str, State], dict[str, int | None]]:
    """Every file below `roots` with its state, and every folder with its time; folders in `skip` left out.

    Folders linked into a root are followed, as Nikola follows them when it copies files/;
    each folder once, so a link to a folder above it does not loop.
    """
    skipped = {os.path.normpath(path) for path in skip}
    files: dict[str, State] = {}
    folders: dict[str, int | None] = {}
    seen: set[str] = set()
    for root in sorted({os.path.normpath(root) for root in roots}):
        if not os.path.isdir(root):
            folders[root] = None  # a folder that appears later makes the next build a real one
            continue
        for folder, names, filenames in os.walk(root, followlinks=True):
            real = os.path.realpath(folder)
            if real in seen:
                names[:] = []
                continue
            seen.add(real)
            names[:] = [
                name for name in names if name not in SKIPPED_FOLDERS and os.path.join(folder, name) not in skipped
            ]
            folders[folder] = folder_time(folder)
            for name in filenames:
                path = os.path.join(folder, name)
                files[path] = state(path)
    return files, folders


def record(
    *,
    settings: str,
    inputs: dict[str, State],
    folders: dict[str, int | None],
    outputs: dict[str, State],
    owned: Iterable[str],
    due: float | None,
    logged: list[tuple[str, int, str]],
    mark: str = "",
) -> dict:
    return {
        "version": STAMP_VERSION,
        "settings": settings,
        "inputs": inputs,
        "folders": folders,
        "outputs": outputs,
        "owned": sorted(owned),
        "due": due,
        "logged": logged,  # (logger, level, message)
        "mark": mark,  # the record's name, kept in doit's database too (plugins/build_stamp)
    }


def first_change(stamp: dict | None, settings: str, now: float, output: str, present: Iterable[str] = ()) -> str | None:
    """Why a build may have something to do since `stamp` was taken; None when nothing it reads or makes changed.

    `present` are files in the folders tasks keep themselves that must be there (their tasks'
    targets, which doit would find missing).
    """
    if not stamp or stamp.get("version") != STAMP_VERSION:
        return "no record of a complete build"
    if stamp["settings"] != settings:
        return "the settings changed"
    if stamp["due"] is not None and now >= stamp["due"]:
        return "a scheduled post is due"
    for part in ("inputs", "outputs"):
        for path, was in stamp[part].items():
            if state(path) != was:
                return f"{path} changed"
    for folder, was in stamp["folders"].items():
        if folder_time(folder) != was:
            return f"the files in {folder} changed"
    for path in present:
        if not os.path.exists(path):
            return f"{path} is missing"
    strays = output_tree.unexpected(Path(output), set(stamp["outputs"]), set(stamp["owned"]))
    if strays:
        return f"{strays[0]} is no task's target"
    return None


def save(path: Path, stamp: dict) -> None:
    """Write the record whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(stamp, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, path)


def load(path: Path) -> dict | None:
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)
