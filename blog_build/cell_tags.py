"""The cell tags that take a cell, its source or its outputs off the page.

nbconvert's TagRemovePreprocessor removes them while rendering (rendering.SITE_DEFAULTS
turns it on with the tags Jupyter Book and MyST use). What reads a notebook before or
beside nbconvert (the automatic teaser, long outputs' files, the post's card) must leave
off the same cells, or a feed or a card shows what the page hides; RemovalTags.of reads
the tags from an exporter's configuration, so IPYNB_CONFIG's own count there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traitlets.config import Config


@dataclass(frozen=True)
class RemovalTags:
    cell: frozenset[str]
    source: frozenset[str]
    outputs: frozenset[str]

    @classmethod
    def of(cls, config: Config) -> RemovalTags:
        """The tags as TagRemovePreprocessor reads them from `config` (an exporter's)."""
        section = config.get("TagRemovePreprocessor", {})
        if not section.get("enabled", False):  # nbconvert's default: nothing is removed
            return cls(frozenset(), frozenset(), frozenset())
        names = ("remove_cell_tags", "remove_input_tags", "remove_all_outputs_tags")
        return cls(*(frozenset(section.get(name, ())) for name in names))

    @staticmethod
    def _tags(cell: dict) -> set[str]:
        return set(cell.get("metadata", {}).get("tags") or [])

    def shows_cell(self, cell: dict) -> bool:
        return not self.cell & self._tags(cell)

    def shows_source(self, cell: dict) -> bool:
        return not (self.cell | self.source) & self._tags(cell)

    def shows_outputs(self, cell: dict) -> bool:
        return not (self.cell | self.outputs) & self._tags(cell)


# The tags Jupyter Book and MyST use, which rendering.SITE_DEFAULTS gives nbconvert.
DEFAULT_REMOVAL_TAGS = RemovalTags(*(frozenset({tag}) for tag in ("remove-cell", "remove-input", "remove-output")))
