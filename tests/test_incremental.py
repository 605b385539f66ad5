"""Incremental builds give what a clean build gives, and clean builds are reproducible.

A site with the Fibonacci post (a real notebook with a figure and a .meta file) and three
small notebook posts written here (alpha: .meta file, teaser, figure; beta: metadata in
metadata.nikola, no teaser; gamma: nbformat 4.5 without cell ids) goes through seeded random
sequences of edits, each followed by an incremental `nikola build`: title, date (which
reorders posts), tags, teaser marker, body text, a code cell's outputs, deleting, renaming
(stem and/or slug), adding a post, and moving metadata between the .meta file and the
notebook. After each sequence every file of output/ is compared, byte for byte, with a clean
build of the same sources in a separate copy (no output/, cache/ or .doit.db). Another test
builds the same sources from clean in two copies and compares those.

Only what Nikola stamps with the time of the build is normalised before comparing:

- RSS `<lastBuildDate>`: `datetime.utcnow()` when the feed is written (nikola.py, generic_rss_feed);
- the feed-level Atom `<updated>`: `datetime.now()` when the feed is written (nikola.py,
  atom_feed_renderer); an entry's `<updated>` is the post's own date and is compared;
- sitemap `<lastmod>`: the mtime of each output file, or of sitemap.xml, to the minute
  (nikola/plugins/task/sitemap.py, get_lastmod).

Nothing else is: in particular not a page's `article:published_time`, which for a page with no
date is its source file's ctime (nikola/post.py, _set_date), so it changes with every checkout.
Files a clean build would not write (the pages of a deleted or renamed post, of a tag no post
has any more, figures a post no longer shows, stale search-index chunks) count as differences.

Set INCREMENTAL_CHECK_EVERY_STEP=1 to compare with a clean build after every edit instead of
only at the end of each sequence: slower, but it names the edit that broke it.
"""

from __future__ import annotations

import base64
import copy
import datetime
import difflib
import json
import os
import random
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT, copy_site, nikola, tree_digest

SEEDS = (1, 3, 21)  # between them: every kind of edit, a figure redrawn, a slug renamed, a tag emptied
EDITS_PER_SEED = 5
CHECK_EVERY_STEP = os.environ.get("INCREMENTAL_CHECK_EVERY_STEP", "") not in ("", "0")
TEASER = "<!-- TEASER_END -->"
TAG_POOL = ("python", "numpy", "notes", "testing", "data", "plots")
WORDS = (
    "quiet", "arrays", "kernels", "caching", "spectra", "tidy", "fast", "small", "careful", "plots",
    "sunspots", "parsers", "queues", "loops", "wheels", "builds", "tables", "errors", "units", "maps",
)  # fmt: skip
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3", "version": "3.11.7"}


# --- A tiny PNG, so that a code cell's figure can change without any imaging library ---------


def png(rgb: tuple[int, int, int], size: int = 4) -> str:
    """A solid `size`x`size` PNG of colour `rgb`, base64-encoded as a notebook stores it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(data).decode("ascii")


# --- Notebooks -----------------------------------------------------------------------------


def lines(text: str) -> list[str]:
    """A cell source as Jupyter saves it: a list of lines, each but the last ending in a newline."""
    return text.splitlines(keepends=True)


def markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": lines(text)}


def code_cell(source: str, outputs: list[dict], count: int) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs, "source": lines(source)}


def stream(text: str) -> dict:
    return {"name": "stdout", "output_type": "stream", "text": lines(text)}


def figure(rgb: tuple[int, int, int]) -> dict:
    return {
        "data": {"image/png": png(rgb), "text/plain": ["<Figure size 4x4 with 1 Axes>"]},
        "metadata": {},
        "output_type": "display_data",
    }


def make_notebook(cells: list[dict], rng: random.Random | None) -> dict:
    """An nbformat 4.5 notebook; cells get ids from `rng`, or none at all without one (as some tools write)."""
    cells = copy.deepcopy(cells)
    for cell in cells:
        if rng is not None:
            cell["id"] = f"{rng.getrandbits(32):08x}"
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def set_cell_text(cell: dict, text: str) -> None:
    cell["source"] = lines(text)


# --- The site's posts as data, written to posts/ after every edit -----------------------------


@dataclass
class PostSource:
    stem: str
    meta: dict[str, str]  # title, slug, date, tags, description, type
    notebook: dict
    meta_inside: bool = False  # metadata in the notebook's metadata.nikola instead of a .meta file

    def files(self) -> dict[str, str]:
        notebook = copy.deepcopy(self.notebook)
        files = {}
        if self.meta_inside:
            notebook["metadata"]["nikola"] = dict(self.meta)
        else:
            notebook["metadata"].pop("nikola", None)
            files[f"{self.stem}.meta"] = "".join(f".. {key}: {value}\n" for key, value in self.meta.items())
        files[f"{self.stem}.ipynb"] = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        return files


@dataclass
class Sources:
    """The posts of one site; `write` brings posts/ in line, touching only files that changed."""

    folder: Path
    posts: dict[str, PostSource] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)

    def write(self) -> None:
        wanted = {name: text for post in self.posts.values() for name, text in post.files().items()}
        for name in sorted(self.written - wanted.keys()):
            (self.folder / name).unlink()
        for name, text in wanted.items():
            path = self.folder / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        self.written = set(wanted)

    def dates(self) -> set[str]:
        return {post.meta["date"] for post in self.posts.values()}


def meta(title: str, slug: str, date: str, tags: list[str], description: str) -> dict[str, str]:
    return {
        "title": title,
        "slug": slug,
        "date": date,
        "tags": ", ".join(tags),
        "description": description,
        "type": "text",
    }


def fibonacci_post() -> PostSource:
    """The site's real Fibonacci post (saved outputs, a figure, a teaser, a .meta file)."""
    notebook = json.loads((ROOT / "posts" / "fibonacci.ipynb").read_text(encoding="utf-8"))
    fields = {}
    for line in (ROOT / "posts" / "fibonacci.meta").read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, _, value = line.strip()[3:].partition(":")
            fields[key.strip()] = value.strip()
    return PostSource("fibonacci", fields, notebook)


def alpha_post() -> PostSource:
    """Metadata in a .meta file, a teaser marker, a text output and a figure."""
    cells = [
        markdown_cell("Alpha is about small arrays.\n\nIt has a second paragraph before the teaser ends."),
        markdown_cell(f"{TEASER}\n\n## After the teaser\n\nThis part shows only on the post's own page."),
        code_cell("values = [1, 2, 3]\nprint(sum(values))", [stream("6\n")], 1),
        code_cell("plot(values)", [figure((200, 30, 30))], 2),
        markdown_cell("A closing remark about the figure above."),
    ]
    return PostSource(
        "alpha",
        meta("Alpha arrays", "alpha", "2019-03-04 10:00:00 UTC", ["python", "notes"], "A short post about arrays."),
        make_notebook(cells, random.Random("alpha")),
    )


def beta_post() -> PostSource:
    """Metadata inside the notebook (metadata.nikola), no teaser marker."""
    cells = [
        markdown_cell("# Beta kernels\n\nBeta starts with a heading that repeats its title."),
        code_cell("import math\nprint(math.pi)", [stream("3.141592653589793\n")], 1),
        markdown_cell("Beta has no teaser marker, so index pages show all of it."),
    ]
    return PostSource(
        "beta",
        meta("Beta kernels", "beta-kernels", "2021-07-08 09:30:00 UTC", ["numpy", "testing"], "Kernels, briefly."),
        make_notebook(cells, random.Random("beta")),
        meta_inside=True,
    )


def gamma_post() -> PostSource:
    """nbformat_minor 5 but no cell ids at all: nbformat invents random ids each time it reads it."""
    cells = [
        markdown_cell("Gamma was saved by a tool that writes no cell ids.\n\n" + TEASER),
        code_cell("print('gamma')", [stream("gamma\n")], 1),
        markdown_cell("## Details\n\nThe rest of gamma."),
    ]
    return PostSource(
        "gamma",
        meta("Gamma without ids", "gamma", "2023-01-15 16:45:00 UTC", ["python"], "A notebook without cell ids."),
        make_notebook(cells, None),
    )


def make_site(folder: Path) -> Sources:
    """A copy of the site with the Fibonacci post and the three small posts above."""
    copy_site(folder, posts=())
    sources = Sources(folder / "posts")
    for post in (fibonacci_post(), alpha_post(), beta_post(), gamma_post()):
        sources.posts[post.stem] = post
    sources.write()
    return sources


# --- Edits ---------------------------------------------------------------------------------


def random_words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def new_date(rng: random.Random, sources: Sources) -> str:
    while True:
        day = datetime.date(2014, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 10))
        date = f"{day.isoformat()} {rng.randrange(0, 24):02d}:{rng.choice((0, 15, 30, 45)):02d}:00 UTC"
        if date not in sources.dates():
            return date


def pick(rng: random.Random, sources: Sources) -> PostSource:
    return sources.posts[rng.choice(sorted(sources.posts))]


def edit_title(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    post.meta["title"] = random_words(rng, 3).capitalize()
    return f"title of {post.stem} -> {post.meta['title']!r}"


def edit_date(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    post.meta["date"] = new_date(rng, sources)
    return f"date of {post.stem} -> {post.meta['date']}"


def edit_tags(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    tags = [tag.strip() for tag in post.meta["tags"].split(",") if tag.strip()]
    missing = [tag for tag in TAG_POOL if tag not in tags]
    if tags and (not missing or rng.random() < 0.5):
        removed = tags.pop(rng.randrange(len(tags)))
        change = f"-{removed}"
    else:
        added = rng.choice(missing)
        tags.insert(rng.randrange(len(tags) + 1), added)
        change = f"+{added}"
    post.meta["tags"] = ", ".join(tags)
    return f"tags of {post.stem}: {change} -> {post.meta['tags']!r}"


def remove_teaser(notebook: dict) -> bool:
    found = False
    for cell in notebook["cells"]:
        text = cell_text(cell)
        if cell["cell_type"] == "markdown" and TEASER in text:
            set_cell_text(cell, re.sub(r"\s*" + re.escape(TEASER) + r"\s*", "\n\n", text).strip())
            found = True
    return found


def edit_teaser(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    had = remove_teaser(post.notebook)
    markdown = [cell for cell in post.notebook["cells"] if cell["cell_type"] == "markdown"]
    if had and rng.random() < 0.4:
        return f"teaser of {post.stem} removed"
    cell = rng.choice(markdown)
    set_cell_text(cell, cell_text(cell).rstrip() + f"\n\n{TEASER}")
    number = post.notebook["cells"].index(cell) + 1
    return f"teaser of {post.stem} {'moved' if had else 'added'} to the end of cell {number}"


def edit_body(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    markdown = [cell for cell in post.notebook["cells"] if cell["cell_type"] == "markdown"]
    cell = rng.choice(markdown)
    sentence = f"An added sentence about {random_words(rng, 2)}."
    text = cell_text(cell)
    if TEASER in text and rng.random() < 0.5:
        text = text.replace(TEASER, f"{sentence}\n\n{TEASER}", 1)  # inside the teaser
    else:
        text = text.rstrip() + f"\n\n{sentence}"
    set_cell_text(cell, text)
    return f"body of {post.stem}: cell {post.notebook['cells'].index(cell) + 1} gains {sentence!r}"


def edit_outputs(rng: random.Random, sources: Sources) -> str:
    cells = [
        (post, cell)
        for post in sources.posts.values()
        for cell in post.notebook["cells"]
        if cell["cell_type"] == "code" and cell.get("outputs")
    ]
    figures = [(post, cell) for post, cell in cells if any("image/png" in o.get("data", {}) for o in cell["outputs"])]
    post, cell = rng.choice(figures if figures and rng.random() < 0.5 else cells)
    number = post.notebook["cells"].index(cell) + 1
    images = [output for output in cell["outputs"] if "image/png" in output.get("data", {})]
    if images:
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        images[0]["data"]["image/png"] = png(colour)
        return f"outputs of {post.stem}: figure of cell {number} redrawn in {colour}"
    value = rng.randrange(10**6)
    cell["outputs"] = [stream(f"{value}\n")]
    cell["execution_count"] = (cell.get("execution_count") or 0) + 1
    return f"outputs of {post.stem}: cell {number} now prints {value}"


def edit_delete(rng: random.Random, sources: Sources) -> str:
    if len(sources.posts) <= 2:
        return edit_add(rng, sources)
    post = pick(rng, sources)
    del sources.posts[post.stem]
    return f"deleted {post.stem} (slug {post.meta['slug']})"


def unused_name(rng: random.Random, sources: Sources) -> str:
    taken = {post.stem for post in sources.posts.values()} | {post.meta["slug"] for post in sources.posts.values()}
    while True:
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randrange(100)}"
        if name not in taken:
            return name


def edit_rename(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    old = f"{post.stem} (slug {post.meta['slug']})"
    name = unused_name(rng, sources)
    what = rng.choice(("stem and slug", "stem and slug", "slug only", "stem only"))
    if what != "slug only":
        del sources.posts[post.stem]
        post.stem = name
        sources.posts[name] = post
    if what != "stem only":
        post.meta["slug"] = name
    return f"renamed {old} -> {post.stem} (slug {post.meta['slug']}), {what}"


def edit_add(rng: random.Random, sources: Sources) -> str:
    name = unused_name(rng, sources)
    cells = [markdown_cell(f"New post on {random_words(rng, 3)}.")]
    if rng.random() < 0.6:
        cells.append(markdown_cell(f"{TEASER}\n\nMore on {random_words(rng, 2)}."))
    outputs = [stream(f"{rng.randrange(1000)}\n")]
    if rng.random() < 0.5:
        outputs.append(figure((rng.randrange(256), rng.randrange(256), rng.randrange(256))))
    cells.append(code_cell("compute()", outputs, 1))
    tags = rng.sample(TAG_POOL, rng.randrange(1, 3))
    post = PostSource(
        name,
        meta(random_words(rng, 2).capitalize(), name, new_date(rng, sources), tags, f"About {random_words(rng, 2)}."),
        make_notebook(cells, rng),
        meta_inside=rng.random() < 0.5,
    )
    sources.posts[name] = post
    where = "notebook metadata" if post.meta_inside else ".meta file"
    return f"added {name} dated {post.meta['date']}, tags {post.meta['tags']!r}, metadata in its {where}"


def edit_metadata_place(rng: random.Random, sources: Sources) -> str:
    post = pick(rng, sources)
    post.meta_inside = not post.meta_inside
    return f"metadata of {post.stem} moved {'into metadata.nikola' if post.meta_inside else 'out to a .meta file'}"


EDITS: dict[str, Callable[[random.Random, Sources], str]] = {
    "title": edit_title,
    "date": edit_date,
    "tags": edit_tags,
    "teaser": edit_teaser,
    "body": edit_body,
    "outputs": edit_outputs,
    "delete": edit_delete,
    "rename": edit_rename,
    "add": edit_add,
    "metadata": edit_metadata_place,
}


def edit_kinds(seed: int) -> list[str]:
    return random.Random(seed).sample(sorted(EDITS), EDITS_PER_SEED)


# --- Comparing two output folders ----------------------------------------------------------

RSS_BUILD_DATE = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>")
ATOM_UPDATED = re.compile(rb"<updated>[^<]*</updated>")
SITEMAP_LASTMOD = re.compile(rb"<lastmod>[^<]*</lastmod>")
TEXT_SUFFIXES = (".html", ".xml", ".atom", ".json", ".js", ".css", ".txt", ".md", ".ipynb", ".svg", ".pf_meta")


def normalise(name: str, data: bytes) -> bytes:
    """`data` with the build's own timestamps (see the module docstring) replaced by a placeholder."""
    if name.endswith(".xml") and b"<rss" in data[:1000]:
        data = RSS_BUILD_DATE.sub(b"<lastBuildDate>BUILD-TIME</lastBuildDate>", data)
    if name.endswith(".atom"):
        head, entry, rest = data.partition(b"<entry>")
        data = ATOM_UPDATED.sub(b"<updated>BUILD-TIME</updated>", head, count=1) + entry + rest
    if os.path.basename(name) in ("sitemap.xml", "sitemapindex.xml"):
        data = SITEMAP_LASTMOD.sub(b"<lastmod>BUILD-TIME</lastmod>", data)
    return data


def readable(data: bytes) -> list[str]:
    """Lines for a diff: a line per element (feeds and pages put many on one line), each cut to 240 characters."""
    text = data.decode("utf-8", "replace").replace("><", ">\n<").replace("&gt;&lt;", "&gt;\n&lt;")
    return [line[:240] for line in text.splitlines()]


def differences(first: Path, second: Path, first_label: str, second_label: str) -> tuple[list[str], str]:
    """Files that differ between two output folders (after normalising), and a readable report."""
    one, two = tree_digest(first), tree_digest(second)
    only_one = sorted(one.keys() - two.keys())
    only_two = sorted(two.keys() - one.keys())
    changed = []
    for name in sorted(one.keys() & two.keys()):
        if one[name] != two[name]:
            a, b = (normalise(name, (folder / name).read_bytes()) for folder in (first, second))
            if a != b:
                changed.append((name, a, b))
    problems = [f"only in {first_label}: {name}" for name in only_one]
    problems += [f"only in {second_label}: {name}" for name in only_two]
    problems += [f"differs: {name}" for name, _, _ in changed]
    report = [f"{len(problems)} difference(s) between {first_label} and {second_label} output/:"]
    report += [f"  {line}" for line in problems]
    shown = 0
    for name, a, b in sorted(changed, key=lambda item: (item[0].startswith("pagefind/"), item[0])):
        if shown >= 8:
            report.append(f"  ... (diffs of {len(changed) - shown} more file(s) not shown)")
            break
        shown += 1
        if not name.endswith(TEXT_SUFFIXES):
            report.append(f"\n--- {name}: binary, {len(a)} vs {len(b)} bytes")
            continue
        diff = list(
            difflib.unified_diff(
                readable(a), readable(b), f"{first_label}/{name}", f"{second_label}/{name}", n=1, lineterm=""
            )
        )
        report.append("")
        report += diff[:40] + ([f"  ... ({len(diff) - 40} more diff lines)"] if len(diff) > 40 else [])
    return problems, "\n".join(report)


def clean_copy(site: Path, dest: Path) -> Path:
    """The sources of `site` (no output/, cache/ or .doit.db) in `dest`."""
    return copy_site(dest, root=site)


def compare_with_clean_build(site: Path, clean: Path, history: list[str]) -> None:
    clean_copy(site, clean)
    nikola(clean, "build")
    problems, report = differences(site / "output", clean / "output", "incremental", "clean")
    steps = "\n".join(f"  {number}. {step}" for number, step in enumerate(history, 1))
    if problems:
        pytest.fail(f"after these edits, each followed by an incremental build:\n{steps}\n\n{report}")


# --- The tests -----------------------------------------------------------------------------


def test_the_seeds_cover_every_kind_of_edit() -> None:
    covered = {kind for seed in SEEDS for kind in edit_kinds(seed)}
    assert covered == set(EDITS), f"no seed makes these edits: {sorted(set(EDITS) - covered)}"


def test_incremental_build_after_a_title_change_matches_a_clean_build(tmp_path: Path) -> None:
    """The middle post's title shows on its neighbours' pages (previous/next links), indexes and feeds."""
    sources = make_site(tmp_path / "site")
    nikola(tmp_path / "site", "build")
    sources.posts["beta"].meta["title"] = "Beta kernels, retitled"
    sources.write()
    nikola(tmp_path / "site", "build")
    compare_with_clean_build(tmp_path / "site", tmp_path / "clean", ["title of beta -> 'Beta kernels, retitled'"])


@pytest.mark.parametrize("seed", SEEDS)
def test_incremental_builds_after_random_edits_match_a_clean_build(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    site = tmp_path / "site"
    sources = make_site(site)
    nikola(site, "build")
    history = []
    for step, kind in enumerate(edit_kinds(seed), 1):
        history.append(EDITS[kind](rng, sources))
        sources.write()
        nikola(site, "build")
        if CHECK_EVERY_STEP:
            compare_with_clean_build(site, tmp_path / f"clean-{step}", history)
    if not CHECK_EVERY_STEP:
        compare_with_clean_build(site, tmp_path / "clean", history)


def test_two_clean_builds_of_the_same_sources_are_identical(tmp_path: Path) -> None:
    """Two copies of the same sources, each built from clean, give the same output/.

    The sources include gamma, an nbformat 4.5 notebook whose cells have no ids (nbformat
    makes up random ones whenever it validates it). The second copy is made after the first
    build, as a second checkout would be: output must not depend on when the files were written.
    """
    make_site(tmp_path / "first")
    assert all("id" not in cell for cell in gamma_post().notebook["cells"])
    nikola(tmp_path / "first", "build")
    clean_copy(tmp_path / "first", tmp_path / "second")
    nikola(tmp_path / "second", "build")
    problems, report = differences(tmp_path / "first" / "output", tmp_path / "second" / "output", "first", "second")
    if problems:
        pytest.fail(report)
