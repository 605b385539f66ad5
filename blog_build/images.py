"""Notebook images (figure outputs and markdown attachments), decoded once and checked.

A page that inlines its figures is large, cannot be cached and re-downloads every plot on
every visit, including on index pages and in feeds. Each image is decoded once, when the
notebook model is made (notebook.py), checked (the base64 must be exact, the bytes must
be an image of the type the notebook claims, whole), and kept in an image store under a
name derived from its content; pages point at copies beside the post, with their pixel
size so the page does not jump while it loads. Data that is not a whole image of its type
is reported and never written: a PNG that no viewer opens is worse than a placeholder.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

# MIME type -> (file extension, the format Pillow must find); SVG is checked as XML.
IMAGE_TYPES = {
    "image/png": ("png", "PNG"),
    "image/jpeg": ("jpg", "JPEG"),
    "image/gif": ("gif", "GIF"),
    "image/webp": ("webp", "WEBP"),
    "image/bmp": ("bmp", "BMP"),
    "image/svg+xml": ("svg", None),
}
SVG_SIZE = re.compile(r"<svg\b[^>]*?\bwidth=\"([0-9.]+)(?:pt|px)?\"[^>]*?\bheight=\"([0-9.]+)(?:pt|px)?\"", re.S)


class ImageError(ValueError):
    """Image data that is not a whole image of its claimed type; the message says what is wrong."""


@dataclass(frozen=True)
class ImageFile:
    name: str  # content hash and extension: identical figures share one file
    data: bytes
    width: int | None
    height: int | None


def text_of(payload: object) -> str:
    """A notebook's multi-line string (a string or a list of strings) as one string."""
    if isinstance(payload, list) and all(isinstance(part, str) for part in payload):
        return "".join(payload)
    if isinstance(payload, str):
        return payload
    raise ImageError(f"its data is {type(payload).__name__}, not text")


def decode(mime: str, payload: object) -> bytes:
    """The image's bytes; base64 must be exact (no stray characters, right padding)."""
    text = text_of(payload)
    if mime == "image/svg+xml":
        return text.encode("utf-8")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImageError(f"its base64 data is damaged ({error})") from None


# Formats a browser shows whatever type the notebook claimed for them (a GIF saved as image/png).
BROWSER_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


def checked_size(mime: str, data: bytes) -> tuple[int | None, int | None, str]:
    """Pixel size and file extension of a whole, readable image of type `mime`; ImageError otherwise."""
    if not data:
        raise ImageError("its data is empty")
    if mime == "image/svg+xml":
        from lxml import etree

        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        except etree.XMLSyntaxError as error:
            raise ImageError(f"it is not well-formed SVG ({error})") from None
        if etree.QName(root).localname != "svg":
            raise ImageError(f"it is XML whose root is <{etree.QName(root).localname}>, not <svg>")
        match = SVG_SIZE.search(data[:2000].decode("utf-8", "replace"))
        size = (round(float(match.group(1))), round(float(match.group(2)))) if match else (None, None)
        return (*size, "svg")
    from PIL import Image, UnidentifiedImageError

    expected = IMAGE_TYPES[mime][1]
    try:
        with Image.open(io.BytesIO(data)) as image:
            found, size = image.format, image.size
            image.verify()  # checksums: PNG's CRCs cover every chunk, the pixels' included
        if found != "PNG":
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # every pixel: a truncated or corrupted stream fails here
    except UnidentifiedImageError:
        raise ImageError("its data is not an image") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"the image is damaged ({error})") from None
    if found != expected and found not in BROWSER_FORMATS:
        raise ImageError(f"it is a {found} image, not {expected}")
    return (*size, BROWSER_FORMATS.get(found, IMAGE_TYPES[mime][0]))


def image_file(mime: str, payload: object) -> ImageFile:
    """Decode and check one image; ImageError says what is wrong with it."""
    data = decode(mime, payload)
    width, height, extension = checked_size(mime, data)
    return ImageFile(f"{hashlib.sha256(data).hexdigest()[:16]}.{extension}", data, width, height)


class ImageStore:
    """Checked images by name in a folder of the cache, written once, copied beside posts.

    `sizes` remembers the pixel size of every image checked before (names are content
    hashes, so an image of that name is that image): an edited notebook whose figures did
    not change needs no image library to make its model.
    """

    def __init__(self, folder: Path, sizes: dict[str, list] | None = None) -> None:
        self.folder = folder
        self.sizes = {} if sizes is None else sizes
        self.added: dict[str, list] = {}  # sizes learnt by this store (a worker process sends them back)

    def checked(self, mime: str, payload: object) -> ImageFile:
        """The image, from the store if an image of its content was checked before, else checked and kept."""
        data = decode(mime, payload)
        digest = hashlib.sha256(data).hexdigest()[:16]
        for name in (f"{digest}.{extension}" for extension in {IMAGE_TYPES[mime][0], *BROWSER_FORMATS.values()}):
            if name in self.sizes and (self.folder / name).exists():
                return ImageFile(name, data, *self.sizes[name])
        width, height, extension = checked_size(mime, data)
        image = ImageFile(f"{digest}.{extension}", data, width, height)
        self.keep(image)
        self.sizes[image.name] = self.added[image.name] = [width, height]
        return image

    def keep(self, image: ImageFile) -> None:
        path = self.folder / image.name
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{image.name}.{os.getpid()}.tmp")  # workers may keep the same image
            temporary.write_bytes(image.data)
            temporary.replace(path)

    def publish(self, name: str, folder: Path) -> Path:
        """Copy image `name` into `folder` (a post's output folder) unless an identical copy is there."""
        source, target = self.folder / name, folder / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return target
