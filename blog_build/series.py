"""Series: posts that say `.. series: NAME` belong together, in order, each linking the others.

Parts are ordered by `.. series_order: N` where given (parts without one come after, by
date), then by date. Nikola-free: the plugin (plugins/series) hands posts in and puts the
box into pages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    key: str  # the post's source path
    series: str
    order: int | None
    date: str  # ISO, for ordering
    title: str
    link: str


def group(parts: list[Part]) -> dict[str, list[Part]]:
    """Series name -> its parts in reading order."""
    series: dict[str, list[Part]] = {}
    for part in parts:
        series.setdefault(part.series, []).append(part)
    for members in series.values():
        members.sort(key=lambda part: (part.order is None, part.order or 0, part.date, part.title))
    return series


def box(parts: list[Part], current: str, series_link: str) -> str:
    """The "Part n of m" box for the post whose key is `current`: the series' parts, linked, this one marked."""
    number = next(index for index, part in enumerate(parts, 1) if part.key == current)
    name = html.escape(parts[0].series)
    items = []
    for part in parts:
        title = html.escape(part.title)
        if part.key == current:
            items.append(f'<li aria-current="page"><strong>{title}</strong></li>')
        else:
            items.append(f'<li><a href="{html.escape(part.link)}">{title}</a></li>')
    return (
        f'<nav class="series-box" aria-label="Series: {name}">'
        f'<p>Part {number} of {len(parts)} in the series <a href="{html.escape(series_link)}">{name}</a></p>'
        f"<ol>{''.join(items)}</ol></nav>"
    )
