"""Every post and page source, checked before Nikola reads any of them.

Nikola answers a broken notebook or a bad date with a traceback, silently ignores a
`.meta` file whose notebook is missing, and invents a title for a source that has no
metadata at all. `scan_sources` checks all sources first (notebooks through their model,
pipeline.py), so the build can stop with one line per problem before any task runs and
before anything in output/ changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from blog_build import text_notebooks
from blog_build.metadata import (
    SourceError,
    check_metadata,
    lines_after_blank,
    markdown_block,
    parse_meta,
    read_meta_file,
)
from blog_build.pipeline import Pipeline
from blog_build.store import stamp

PAGE_DATE = " (pages need one too: without it the page is dated by its file's creation time, new on every checkout)"


@dataclass
class Source:
    path: Path
    metadata: dict[str, str]  # from the source and its .meta file (which wins), checked
    is_post: bool  # a post (dated, in feeds), not a page
    warnings: list[str] = field(default_factory=list)
    is_notebook: bool = False  # an .ipynb or a text notebook (text_notebooks.py), rendered by the ipynb compiler
    place: tuple = ()  # the POSTS/PAGES entry that matched it: (wildcard, destination, template, use_in_feeds)


@dataclass
class Scan:
    sources: dict[str, Source] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def notebooks(self) -> list[Source]:
        return [source for source in self.sources.values() if source.is_notebook]


def is_notebook(source: Path, pipeline: Pipeline) -> bool:
    """Whether a source is a notebook: an `.ipynb`, or a text notebook (known by its stamp after the first look)."""
    if source.suffix == ".ipynb":
        return True
    if not text_notebooks.is_candidate(source):
        return False
    current = stamp(source)
    known = pipeline.store.section("kinds").get(str(source))
    if known and known[0] == current:
        return known[1]
    try:
        text = source.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False
    kind = text_notebooks.is_text_notebook(source, text)
    pipeline.store.put("kinds", str(source), [current, kind])
    return kind


def embedded_metadata(source: Path, pipeline: Pipeline, warnings: list[str]) -> dict[str, str]:
    """Metadata kept inside the source itself, after checking that the source reads."""
    if is_notebook(source, pipeline):
        model = pipeline.model(source)
        warnings.extend(model.warnings)
        return model.metadata
    if source.suffix == ".md":
        block = markdown_block(read_meta_file(source))
        if block is None:
            return {}
        try:
            return parse_meta(block, source)
        except SourceError as error:  # line numbers count from the file's first line
            raise SourceError(str(error).replace(f"{source}:", f"{source}: block line ", 1)) from None
    return {}


def check_source(source: Path, is_post: bool, pipeline: Pipeline) -> Source:
    """Check one post or page source and the `.meta` file beside it, if any.

    A source that passed while the source and its `.meta` file are as they were then (size
    and modification time) is not checked again: a no-op build opens neither. Pages need a
    date too: without one Nikola dates a page by its file's creation time, which differs on
    every checkout, so two builds of the same sources would differ.
    """
    current = pipeline.stamp_of(source) + stamp(source.with_suffix(".meta"))
    known = pipeline.store.section("checked").get(str(source))
    if known and known[0] == [*current, is_post] and len(known) == 4:
        if known[3]:
            pipeline.model(source)  # what the compiler will render; known by the same stamp
        return Source(source, known[1], is_post, known[2], known[3])
    checked = check_source_now(source, is_post, pipeline)
    record = [[*current, is_post], checked.metadata, checked.warnings, checked.is_notebook]
    pipeline.store.put("checked", str(source), record)
    return checked


def check_source_now(source: Path, is_post: bool, pipeline: Pipeline) -> Source:
    warnings: list[str] = []
    inside = embedded_metadata(source, pipeline, warnings)
    meta_file = source.with_suffix(".meta")
    if meta_file.exists():
        text = read_meta_file(meta_file)
        from_file = parse_meta(text, meta_file)
        late = lines_after_blank(text)
        if late and source.suffix != ".ipynb":
            raise SourceError(
                f"{meta_file}:{late[0]}: metadata after a blank line is ignored by Nikola; remove the blank line"
            )
        checked = check_metadata({**inside, **from_file}, meta_file, True, "" if is_post else PAGE_DATE)
    elif inside:
        checked = check_metadata(inside, source, True, "" if is_post else PAGE_DATE)
    else:
        hint = "a '<!-- .. title: -->' block"
        if source.suffix == ".ipynb":
            hint = "a 'nikola' entry in the notebook's metadata"
        elif text_notebooks.is_candidate(source):
            hint = "a 'title:' line in its front matter"
        raise SourceError(f"{source}: no metadata; add {meta_file.name} beside it or {hint}")
    notebook = is_notebook(source, pipeline)
    return Source(source, checked.values, is_post, warnings + checked.warnings, notebook)


def matching_sources(post_pages: Iterable[tuple]) -> list[tuple[Path, tuple]]:
    """(source, the POSTS/PAGES entry matching it) for every file Nikola's wildcards match, hidden ones aside."""
    found = []
    for entry in post_pages:
        top = Path(os.path.dirname(entry[0]))
        for source in sorted(top.rglob(os.path.basename(entry[0]))):
            if not any(part.startswith(".") for part in source.parts):
                found.append((source, tuple(entry)))
    return found


def scan_sources(post_pages: Iterable[tuple], pipeline: Pipeline) -> Scan:
    """Check every source matched by Nikola's POSTS/PAGES wildcards (relative to the site's folder, the cwd).

    `post_pages` holds Nikola's `(wildcard, destination, template, use_in_feeds)` tuples.
    """
    post_pages = list(post_pages)
    scan = Scan()
    matched = matching_sources(post_pages)
    # A text notebook's paired .ipynb holds its outputs; it is not a post of its own.
    texts = [source for source, _ in matched if source.suffix != ".ipynb" and is_notebook(source, pipeline)]
    pairs = {text_notebooks.pair_of(source) for source in texts}
    matched = [(source, place) for source, place in matched if source not in pairs]
    pipeline.store.keep_only("checked", {str(source) for source, _ in matched})
    pipeline.store.keep_only("kinds", {str(source) for source, _ in matched})
    pipeline.prepare([source for source, _ in matched if is_notebook(source, pipeline)])
    stems_by_dir: dict[Path, set[Path]] = {Path(os.path.dirname(wildcard)): set() for wildcard, *_ in post_pages}
    slugs: dict[tuple[str, str], Path] = {}
    for source, entry in matched:
        stems_by_dir.setdefault(source.parent, set()).add(source.with_suffix(""))
        try:
            checked = check_source(source, bool(entry[3]), pipeline)
        except SourceError as error:
            scan.problems.append(str(error))
            continue
        checked.place = entry
        scan.warnings.extend(checked.warnings)
        scan.sources[str(source)] = checked
        place = (entry[1], checked.metadata["slug"].strip().lower())
        if place in slugs:
            scan.problems.append(
                f"{source}: slug {place[1]!r} is already used by {slugs[place]}; the two would overwrite each other"
            )
        slugs.setdefault(place, source)
    for folder, stems in stems_by_dir.items():
        for meta_file in sorted(folder.glob("*.meta")):
            if meta_file.with_suffix("") not in stems:
                scan.problems.append(f"{meta_file}: no post beside it (expected {meta_file.stem}.ipynb, .md or .py)")
    return scan
