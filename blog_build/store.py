"""Small JSON stores in the cache folder: what one build learnt, for the next.

Each store is one JSON file with a version; a file of another version, or one that does
not parse, counts as empty, so deleting the cache folder is always safe. Writes go to a
temporary file first and are renamed into place: a crash never leaves half a store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


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
    """Named sections of entries in a JSON file; a file of another version counts as empty."""

    def __init__(self, path: Path | None, version: str) -> None:
        self.path = path
        self.version = version
        self.sections: dict[str, dict] = {}
        self.changed = False
        if path is not None:
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = {}
            if isinstance(stored, dict) and stored.get("version") == self.version:
                self.sections = stored.get("sections", {})

    def section(self, name: str) -> dict:
        return self.sections.setdefault(name, {})

    def put(self, section: str, key: str, value: object) -> None:
        self.section(section)[key] = value
        self.changed = True

    def keep_only(self, section: str, keys: set[str]) -> None:
        """Forget the entries of `section` not in `keys` (what no current source uses)."""
        entries = self.section(section)
        for key in set(entries) - keys:
            del entries[key]
            self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"version": self.version, "sections": self.sections}), encoding="utf-8")
        os.replace(temporary, self.path)
        self.changed = False


def write_if_changed(path: Path, text: str) -> Path:
    """Write `text` to `path` unless it holds it already (so its modification time says when it changed)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except OSError:
        pass
    path.write_text(text, encoding="utf-8")
    return path
