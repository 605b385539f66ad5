"""Files a notebook refers to by relative path (`![](figure.png)`, `<img src="images/x.png">`).

They sit beside the notebook in posts/ and must end up beside the post's page, or the
reader gets a broken image. The notebook model lists them (with the cell that refers to
each); the compiler copies those that exist, and the scanner names those that do not.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The target of a Markdown link or image, or of an HTML src/href attribute.
REFERENCE = re.compile(r"""\]\(\s*<?([^)\s>]+)|\b(?:src|href)\s*=\s*["']([^"']+)["']""")


def relative_path(reference: str) -> str | None:
    """The file path of a relative reference, or None for URLs, anchors and absolute paths."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    return unquote(parts.path)


def references(notebook: dict) -> Iterator[tuple[int, str]]:
    """(cell number from 1, relative path) for each reference in markdown and HTML/Markdown outputs."""
    for number, cell in enumerate(notebook.get("cells", []), 1):
        texts = [cell.get("source", "")] if cell.get("cell_type") == "markdown" else []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts += [data.get("text/html", ""), data.get("text/markdown", "")]
        for text in texts:
            text = "".join(text) if isinstance(text, list) else text
            if not isinstance(text, str):
                continue
            for match in REFERENCE.finditer(text):
                path = relative_path(match.group(1) or match.group(2))
                if path:
                    yield number, path


# An image or frame the page would load: `![alt](path "title")`, `<img src="path">`, `<iframe src="path"></iframe>`.
EMBED = re.compile(
    r"""!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+["'][^"']*["'])?\s*\)"""
    r"""|<(?P<tag>img|iframe)\b[^>]*?\bsrc\s*=\s*["'](?P<src>[^"']+)["'][^>]*>(?:\s*</iframe\s*>)?""",
    re.I,
)
ABSENT = '<span class="nb-unavailable">{what} could not be shown: {path} is not beside the notebook.</span>'


def absent(found: list[tuple[int, str]], source_dir: Path) -> list[str]:
    """The referenced paths that are not files beside the notebook, each once, sorted."""
    return sorted({path for _number, path in found if not ((file := inside(source_dir, path)) and file.is_file())})


def show_absent(page: dict, paths: set[str]) -> None:
    """Images and frames of `paths` (absent files) as a note in the page, instead of a request that fails."""
    from blog_build.html_safety import outside_code

    def note(match: re.Match) -> str:
        url = match.group("target") or match.group("src")
        path = relative_path(url)
        if path not in paths:
            return match.group(0)
        what = "This frame" if (match.group("tag") or "").lower() == "iframe" else "The image"
        if match.group("alt"):
            what = f"The image {match.group('alt')!r}"
        return ABSENT.format(what=html.escape(what), path=html.escape(path))

    for cell in page.get("cells", []):
        if cell.get("cell_type") == "markdown":
            cell["source"] = outside_code(cell["source"], lambda text: EMBED.sub(note, text))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if isinstance(data.get("text/html"), str):
                data["text/html"] = EMBED.sub(note, data["text/html"])


# A frame of an HTML file, as it sits in a notebook's JSON (quotes escaped, lines split).
FRAMED_HTML = re.compile(rb"""<iframe\b[^>]*?\bsrc\s*=\s*\\?["']([^"'\\]+\.html?)\\?["']""", re.I)


def framed_paths(texts: list[bytes], source_dir: Path) -> list[str]:
    """The relative paths of the HTML files beside the notebook that frames in `texts` (its JSON) show.

    Plotly's `iframe` renderers save a figure as `iframe_figures/figure_N.html` and only its
    frame in the notebook: the figure is read from the file (interactive_outputs), so the
    file is part of what the notebook's model is made from.
    """
    found = []
    for text in texts:
        for match in FRAMED_HTML.finditer(text):
            path = relative_path(match.group(1).decode("utf-8", "replace"))
            file = inside(source_dir, path) if path else None
            if path not in found and file is not None and file.is_file():
                found.append(path)
    return found


def inside(folder: Path, path: str) -> Path | None:
    """`folder / path` if it stays inside `folder` (a notebook may not publish ../../secrets)."""
    try:
        candidate = (folder / path).resolve()
    except (OSError, ValueError):
        return None
    return candidate if candidate.is_relative_to(folder.resolve()) else None


def missing(found: list[tuple[int, str]], source_dir: Path, label: str) -> list[str]:
    """A warning for each referenced file that is not beside the notebook."""
    gone = set(absent(found, source_dir))
    return [
        f"{label}: cell {number} refers to {path}, which is not beside the notebook"
        for number, path in found
        if path in gone
    ]


def targets(found: list[tuple[int, str]], source_dir: Path, dest_dir: Path) -> list[Path]:
    """Where the referenced files that exist are copied: doit targets of the post."""
    paths = []
    for _number, path in found:
        file = inside(source_dir, path)
        if file and file.is_file() and dest_dir / path not in paths:
            paths.append(dest_dir / path)
    return paths


def copy_referenced_files(found: list[tuple[int, str]], source_dir: Path, dest_dir: Path) -> list[Path]:
    """Copy the referenced files that exist to `dest_dir`; return where they are."""
    copied = targets(found, source_dir, dest_dir)
    for target in copied:
        origin = source_dir / target.relative_to(dest_dir)
        if not target.exists() or target.stat().st_mtime < origin.stat().st_mtime:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    return copied
