"""What a notebook's content alone decides about its build, kept between builds.

Declaring a post's doit targets (the image files and referenced files compile() writes)
meant parsing every notebook on every build, even one with nothing to do: about a tenth
of a no-op build of 400 posts. The facts are remembered per notebook with its size and
modification time and the chart libraries installed (they decide which image outputs a
post keeps). Whether a referenced file exists is not content: it is checked on every
build. The store is a JSON file in the cache folder; deleting it is always safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plugins.scan_posts.source_cache import JsonStore, stamp

# Bumped when what is remembered, or how it is computed, changes.
FACTS_VERSION = "1"


@dataclass(frozen=True)
class Facts:
    images: list[str]  # file names extract_images writes
    references: list[str]  # relative paths the notebook refers to, in order, repeats kept


class FactsCache(JsonStore):
    """Facts by notebook path, valid while the notebook's stamp and the libraries are unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path, FACTS_VERSION)

    def facts(self, notebook: Path, libraries: str, compute: Callable[[], Facts]) -> Facts:
        """The remembered facts of `notebook`, or those `compute` finds (which may raise)."""
        key, current = str(notebook), [stamp(notebook), libraries]
        entry = self.entries.get(key)
        if entry is not None and entry[0] == current:
            return Facts(*entry[1])
        found = compute()
        self.entries[key] = [current, [found.images, found.references]]
        self.changed = True
        return found
