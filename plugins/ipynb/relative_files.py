"""Files a notebook refers to by relative path (`![](figure.png)`, `<img src="images/x.png">`).

They sit beside the notebook in posts/ and must end up beside the post's page, or the
reader gets a broken image. Each one found is copied there; one that is missing is
reported with the notebook and the cell that refers to it.
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
            for match in REFERENCE.finditer(text):
                path = relative_path(match.group(1) or match.group(2))
                if path:
                    yield number, path


def inside(folder: Path, path: str) -> Path | None:
    """`folder / path` if it stays inside `folder` (a notebook may not publish ../../secrets)."""
    candidate = (folder / path).resolve()
    return candidate if candidate.is_relative_to(folder.resolve()) else None


def copy_referenced_files(notebook: dict, source_dir: Path, dest_dir: Path, label: str) -> tuple[list[Path], list[str]]:
    """Copy referenced files to `dest_dir`; return (files written or up to date, warnings)."""
    copied, warnings = [], []
    for number, path in references(notebook):
        found = inside(source_dir, path)
        if found is None or not found.is_file():
            warnings.append(f"{label}: cell {number} refers to {path}, which is not beside the notebook")
            continue
        target = dest_dir / path
        if not target.exists() or target.stat().st_mtime < found.stat().st_mtime:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(found, target)
        copied.append(target)
    return copied, warnings


def referenced_targets(paths: list[str], source_dir: Path, dest_dir: Path) -> list[Path]:
    """Where the referenced files (`paths`, from `references`) that exist will be copied: doit targets of the post."""
    return [dest_dir / path for path in paths if (found := inside(source_dir, path)) and found.is_file()]
