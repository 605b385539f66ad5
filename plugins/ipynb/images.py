"""Notebook images as files beside the post instead of base64 inside the page.

A page that inlines its figures is large, cannot be cached and re-downloads every plot on
every visit, including on index pages and in feeds. Each image output is written once per
post under a name derived from its content (identical figures share one file) and the
output is pointed at it, with its pixel size so the page does not jump while it loads.
"""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
SVG_SIZE = re.compile(r"<svg\b[^>]*?\bwidth=\"([0-9.]+)(?:pt|px)?\"[^>]*?\bheight=\"([0-9.]+)(?:pt|px)?\"", re.S)


@dataclass(frozen=True)
class ImageFile:
    name: str
    data: bytes
    width: int | None
    height: int | None


def decode(mime: str, payload: str | list[str]) -> bytes:
    text = "".join(payload) if isinstance(payload, list) else payload
    return text.encode() if mime == "image/svg+xml" else base64.b64decode(text)


def pixel_size(mime: str, data: bytes) -> tuple[int | None, int | None]:
    if mime == "image/svg+xml":
        match = SVG_SIZE.search(data[:2000].decode("utf-8", "replace"))
        return (round(float(match.group(1))), round(float(match.group(2)))) if match else (None, None)
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def image_name(mime: str, data: bytes) -> str:
    return f"{hashlib.sha256(data).hexdigest()[:16]}.{IMAGE_TYPES[mime]}"


def image_file(mime: str, payload: str | list[str]) -> ImageFile:
    data = decode(mime, payload)
    width, height = pixel_size(mime, data)
    return ImageFile(image_name(mime, data), data, width, height)


def image_outputs(notebook: dict):
    """(cell number, cell, output, mime) for every image output, cell numbers from 1."""
    for number, cell in enumerate(notebook.get("cells", []), 1):
        for output in cell.get("outputs", []):
            for mime in IMAGE_TYPES:
                if mime in output.get("data", {}):
                    yield number, cell, output, mime


def image_names(notebook: dict) -> set[str]:
    """The file names `extract_images` will write for this notebook."""
    return {image_name(mime, decode(mime, output["data"][mime])) for _, _, output, mime in image_outputs(notebook)}


def extract_images(notebook: dict, folder: Path, url: str) -> list[Path]:
    """Write every image output to `folder` (served at `url`) and point the outputs at the files.

    Sets the metadata nbconvert's templates read: filenames, width, height and alt (a
    default naming the cell when the author gave none).
    """
    written = []
    for number, cell, output, mime in image_outputs(notebook):
        image = image_file(mime, output["data"][mime])
        path = folder / image.name
        if not path.exists() or path.read_bytes() != image.data:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(image.data)
        written.append(path)
        metadata = output.setdefault("metadata", {})
        metadata.setdefault("filenames", {})[mime] = posixpath.join(url, image.name)
        size = metadata.setdefault(mime, {})
        if image.width and "width" not in size and "width" not in metadata:
            size["width"], size["height"] = image.width, image.height
        if not (metadata.get("alt") or size.get("alt") or cell.get("metadata", {}).get("alt")):
            metadata["alt"] = f"Figure produced by code cell {number}"
        output["data"][mime] = ""  # the file holds it now; keeps the page and memory small
    return written
