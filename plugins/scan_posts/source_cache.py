"""What checking a source found, kept between builds while the files stay the same.

Checking a notebook means parsing all of it and validating it against the notebook
schema: about 2 ms a post, paid again on every build, even one that has nothing to do.
A source that passed is remembered here with the size and modification time of the
source and its `.meta` file, and the metadata found inside it; while those are unchanged
the next build trusts them. Sources that failed are never remembered, so their errors
are always reported afresh. The store is a JSON file in the cache folder; deleting it is
always safe.

It is a plain module, not part of a plugin, so that the scanner and the ipynb compiler
(which reads each notebook's metadata again) share one copy in the build process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

# Bumped when what a check accepts changes; nbformat's version is part of it too, since
# its schema decides what a valid notebook is.
CHECKS_VERSION = 1


def stamp(*paths: Path) -> list[int]:
    """Size and modification time of each file (zeros for one that does not exist)."""
    values = []
    for path in paths:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            values += [0, 0]
        else:
            values += [info.st_size, info.st_mtime_ns]
    return values


class JsonStore:
    """Entries by source path in a JSON file in the cache folder; a file of another version counts as empty."""

    def __init__(self, path: Path | None, version: str) -> None:
        self.path = path
        self.version = version
        self.entries: dict[str, list] = {}
        self.changed = False
        if path is not None:
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = {}
            if isinstance(stored, dict) and stored.get("version") == self.version:
                self.entries = stored.get("entries", {})

    def save(self) -> None:
        """Write the store (to a temporary file first, so a crash never leaves half of it)."""
        if self.path is None or not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"version": self.version, "entries": self.entries}), encoding="utf-8")
        os.replace(temporary, self.path)
        self.changed = False


class SourceCache(JsonStore):
    """Metadata of sources that passed their checks, by path, valid while their stamp matches."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path, f"{CHECKS_VERSION}/nbformat-{version('nbformat')}")

    def checked(self, source: Path, companions: tuple[Path, ...], check: Callable[[], dict]) -> dict:
        """The embedded metadata of `source`: remembered, or found by `check` (which raises if bad)."""
        key, current = str(source), stamp(source, *companions)
        entry = self.entries.get(key)
        if entry is not None and entry[0] == current:
            return entry[1]
        metadata = check()
        self.entries[key] = [current, metadata]
        self.changed = True
        return metadata

    def embedded(self, source: Path) -> dict | None:
        """Metadata remembered for `source` while the file is as it was checked, else None."""
        entry = self.entries.get(str(source))
        if entry is not None and entry[0][:2] == stamp(source):
            return entry[1]
        return None


# The build process's store, set by the scanner before it checks anything.
current = SourceCache()
