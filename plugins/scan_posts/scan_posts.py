"""Check every post and page source before Nikola reads it.

Nikola answers a broken notebook or a bad date with a traceback, silently ignores a
`.meta` file whose notebook is missing, and invents a title for a source that has no
metadata at all. This scanner takes the place of Nikola's own (same plugin name, so
the site's copy wins): it checks all sources first, stops the build with one line per
problem, and only then lets Nikola build the timeline. Scanning happens before any
task runs, so a build that stops here leaves `output/` exactly as it was. Sources that
passed and have not changed since are not read again (source_cache.py), and posts come
out with a text() that index pages and feeds can call cheaply (teasers.py).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from nikola.plugins.misc import scan_posts as nikola_scan_posts
from nikola.post import Post
from nikola.utils import LOGGER, to_datetime

from plugins.scan_posts import source_cache
from plugins.scan_posts.source_cache import SourceCache
from plugins.scan_posts.teasers import TeaserPost

META_LINE = re.compile(r"^\.\.\s+([A-Za-z_][\w-]*):(.*)$")
REQUIRED_KEYS = ("title", "slug")
DATE_EXAMPLE = "2026-11-25 14:30:00 UTC"


class SourceError(ValueError):
    """A problem with one source file; the message names the file."""


def parse_meta(text: str, path: os.PathLike | str) -> dict[str, str]:
    """Parse `.. key: value` lines (a `.meta` file or a Markdown comment block)."""
    meta = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = META_LINE.match(line.strip())
        if match is None:
            raise SourceError(f"{path}:{number}: expected '.. key: value', found {line.strip()!r}")
        meta[match.group(1).lower()] = match.group(2).strip()
    return meta


def notebook_metadata(path: Path) -> dict:
    """Return the notebook's `metadata.nikola` as saved, checking that the file is a notebook."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"{path}: not valid notebook JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SourceError(f"{path}: not a Jupyter notebook (no list of 'cells')")
    if notebook.get("nbformat") != 4:
        raise SourceError(f"{path}: nbformat {notebook.get('nbformat')!r} is not supported; save it as version 4")
    import nbformat  # imported here: its schema validator is slow to load and only builds need it

    try:
        nbformat.validate(nbformat.from_dict(notebook))
    except nbformat.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "top level"
        raise SourceError(f"{path}: not a valid notebook at {where}: {error.message}") from None
    metadata = notebook.get("metadata", {}).get("nikola", {})
    if not isinstance(metadata, dict):
        raise SourceError(f"{path}: metadata.nikola must be an object of key/value pairs")
    return metadata


def markdown_metadata(path: Path) -> dict[str, str]:
    """Return the metadata from a Markdown file's leading `<!-- .. key: value -->` block."""
    text = path.read_text(encoding="utf-8-sig").lstrip()
    if not text.startswith("<!--") or "-->" not in text:
        return {}
    block = text[len("<!--") : text.index("-->")]
    return parse_meta(block, path)


def embedded_metadata(source: Path) -> dict[str, str]:
    """Metadata kept inside the source itself, after checking that the source reads."""
    if source.suffix == ".ipynb":
        return notebook_metadata(source)
    if source.suffix == ".md":
        return markdown_metadata(source)
    return {}


def check_metadata(meta: dict[str, str], path: Path, needs_date: bool) -> None:
    """Raise SourceError unless `meta` has a title, a slug and (for posts) a valid date."""
    required = REQUIRED_KEYS + (("date",) if needs_date else ())
    missing = [key for key in required if not meta.get(key, "").strip()]
    if missing:
        raise SourceError(f"{path}: missing {', '.join(missing)}")
    if meta.get("date"):
        try:
            to_datetime(meta["date"])
        except ValueError:
            raise SourceError(f"{path}: date {meta['date']!r} is not a date; write it like {DATE_EXAMPLE!r}") from None


def check_source(source: Path, needs_date: bool, cache: SourceCache | None = None) -> None:
    """Check one post or page source and the `.meta` file beside it, if any.

    With a `cache`, a source that passed before and has not changed since is not read again.
    """
    meta_file = source.with_suffix(".meta")
    if cache is None:
        check_source_now(source, meta_file, needs_date)
    else:
        cache.checked(source, (meta_file,), lambda: check_source_now(source, meta_file, needs_date))


def check_source_now(source: Path, meta_file: Path, needs_date: bool) -> dict:
    """Check `source` and `meta_file`; return the metadata saved inside the source."""
    saved = embedded_metadata(source)
    inside = {key.lower(): str(value) for key, value in saved.items()}
    if meta_file.exists():
        check_metadata(
            {**inside, **parse_meta(meta_file.read_text(encoding="utf-8-sig"), meta_file)}, meta_file, needs_date
        )
    elif inside:
        check_metadata(inside, source, needs_date)
    else:
        hint = (
            "a 'nikola' entry in the notebook's metadata"
            if source.suffix == ".ipynb"
            else "a '<!-- .. title: -->' block"
        )
        raise SourceError(f"{source}: no metadata; add {meta_file.name} beside it or {hint}")
    return saved


def find_problems(post_pages: Iterable[tuple], cache: SourceCache | None = None) -> list[str]:
    """Check every source matched by Nikola's POSTS/PAGES wildcards; return one line per problem.

    `post_pages` holds Nikola's `(wildcard, destination, template, use_in_feeds)` tuples,
    relative to the site's folder, which is the working directory.
    """
    problems = []
    sources_by_dir: dict[Path, set[Path]] = {}
    for wildcard, _destination, _template, use_in_feeds in post_pages:
        top = Path(os.path.dirname(wildcard))
        for source in sorted(top.rglob(os.path.basename(wildcard))):
            if any(part.startswith(".") for part in source.parts):
                continue
            sources_by_dir.setdefault(source.parent, set()).add(source.with_suffix(""))
            try:
                check_source(source, use_in_feeds, cache)
            except SourceError as error:
                problems.append(str(error))
        sources_by_dir.setdefault(top, set())
    for folder, stems in sources_by_dir.items():
        for meta_file in sorted(folder.glob("*.meta")):
            if meta_file.with_suffix("") not in stems:
                problems.append(
                    f"{meta_file}: no post beside it (expected {meta_file.stem}.ipynb or {meta_file.stem}.md)"
                )
    return problems


class ScanPosts(nikola_scan_posts.ScanPosts):
    """Nikola's scanner, run only once every source has passed the checks above."""

    name = "scan_posts"

    def scan(self):
        """Stop with one line per bad source; otherwise scan as Nikola does."""
        cache = SourceCache(Path(self.site.config["CACHE_FOLDER"], "checked_sources.json"))
        source_cache.current = cache
        problems = find_problems(self.site.config["post_pages"], cache)
        cache.save()
        if problems:
            for problem in problems:
                LOGGER.error(problem)
            LOGGER.error("Nothing was built; output/ is unchanged. Fix the file(s) above and build again.")
            raise SystemExit(1)
        posts = super().scan()
        for post in posts:
            if type(post) is Post:
                post.__class__ = TeaserPost  # same data, a cheaper text() (teasers.py)
        return posts
