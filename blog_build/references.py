"""Files a notebook refers to by relative path (`![](figure.png)`, `<img src="images/x.png">`).

They sit beside the notebook in posts/ and must end up beside the post's page, or the
reader gets a broken image. The notebook model lists them (with the cell that refers to
each); the compiler copies those that exist, and the scanner names those that do not.
"""

from __future__ import annotations

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


def inside(folder: Path, path: str) -> Path | None:
    """`folder / path` if it stays inside `folder` (a notebook may not publish ../../secrets)."""
    try:
        candidate = (folder / path).resolve()
    except (OSError, ValueError):
        return None
    return candidate if candidate.is_relative_to(folder.resolve()) else None


def missing(found: list[tuple[int, str]], source_dir: Path, label: str) -> list[str]:
    """A warning for each referenced file that is not beside the notebook."""
    return [
        f"{label}: cell {number} refers to {path}, which is not beside the notebook"
        for number, path in found
        if not ((file := inside(source_dir, path)) and file.is_file())
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
