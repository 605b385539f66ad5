"""Link-preview cards: a 1200x630 image per post (Open Graph, Twitter), drawn with Pillow at build time.

The post's title, the blog's name and the date, over the post's figure (the one in a cell
tagged `card`, else the first) darkened for the text to read, or on the theme's accent
colour for a post without figures. No web service, no font to download: Pillow's own
scalable font. A card is drawn again only when what it shows changes (`card_key`, kept in
the PNG's text chunk or the JPEG's comment).
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from blog_build.cell_tags import DEFAULT_REMOVAL_TAGS, RemovalTags

SIZE = (1200, 630)
MARGIN = 72
ACCENT = (31, 95, 139)  # the theme's --accent (light)
CARD_VERSION = "6"  # change to redraw every card after changing how they look


def card_key(title: str, blog: str, date: str, source_key: str) -> str:
    """What a card shows, as a digest: `source_key` stands for the figure (the notebook's content hash)."""
    return hashlib.sha256(f"{CARD_VERSION}|{title}|{blog}|{date}|{source_key}".encode()).hexdigest()


def card_figure(page: dict, removal: RemovalTags = DEFAULT_REMOVAL_TAGS) -> str | None:
    """The image file name (as the notebook model stores it) of the figure in a cell tagged `card`, else the first;
    never one of outputs that `removal`'s tags take off the page."""
    first = None
    for cell in page.get("cells", []):
        if not removal.shows_outputs(cell):
            continue
        tagged = "card" in (cell.get("metadata", {}).get("tags") or [])
        for output in cell.get("outputs", []):
            for name in output.get("metadata", {}).get("filenames", {}).values():
                if tagged:
                    return name
                first = first or name
    return first


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def wrapped(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, lines: int) -> list[str]:
    """`text` in at most `lines` lines that fit `width` pixels at `size`, the last cut with an ellipsis."""
    chars = max(8, int(width / (size * 0.52)))
    while True:
        rows = textwrap.wrap(text, chars) or [""]
        if all(draw.textlength(row, font=font(size)) <= width for row in rows) or chars <= 8:
            break
        chars -= 2
    if len(rows) > lines:
        rows = rows[:lines]
        rows[-1] = rows[-1].rstrip(" .,;:") + "..."
    return rows


def drawn_key(path: Path) -> str | None:
    """The key a card file was drawn for (kept in the file itself), or None."""
    try:
        with Image.open(path) as card:
            key = card.text.get("card-key") if card.format == "PNG" else card.info.get("comment", b"").decode()
    except (OSError, ValueError, AttributeError):
        return None
    return key or None


DARK = (12, 18, 24)  # laid over a figure, 60% at the top to 94% at the bottom, for white text to read
DATE_LEVEL = 218  # the date's grey on a title card: 85% of the way from the accent colour to white
# A figure of which fewer rows than this show on the card is darkened after it is enlarged:
# so few rows sample the gradient too coarsely (a 7x5 figure's bottom row came out 41 of 255
# against 26; from 32 rows on, within 2 of the gradient drawn at the card's size).
MIN_DARKENED_ROWS = 32


def shading(value: int) -> int:
    """How much of DARK covers the figure at a row whose gradient value (0 at the top, 255 at the bottom) is `value`."""
    return round(153 + value * 0.4 * 0.85)


@functools.lru_cache(maxsize=16)
def shade(width: int, height: int, top: int, rows: int) -> tuple[Image.Image, Image.Image]:
    """DARK, and how much of it, over a `width` x `height` picture whose card-high band of `rows` rows
    starts at row `top` (no larger than the card: kept for figures of the same size)."""
    mask = Image.new("L", (width, height), shading(0))
    band = Image.linear_gradient("L").resize((width, max(1, rows))).point(shading)
    mask.paste(band, (0, top))
    mask.paste(shading(255), (0, top + rows, width, height))
    return Image.new("RGB", (width, height), DARK), mask


def flattened(picture: Image.Image) -> Image.Image:
    """The figure as RGB over white, its transparency kept as Pillow asks (palette images through RGBA)."""
    if picture.mode in ("P", "PA", "LA", "RGBA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(background, rgba).convert("RGB")
    return picture.convert("RGB")


def covering(picture: Image.Image) -> Image.Image:
    """The figure covering the card, its middle kept, darkened from top to bottom.

    One resize straight to the card's size from the part of the figure it shows (Pillow's
    `box`). A figure smaller than the card, as most are, is darkened before it is enlarged,
    on the part that shows (fewer pixels than the card's); a larger one, or one so small
    that its few rows would blur the gradient, after. Half the time of enlarging the whole
    figure, cropping it and darkening the card.
    """
    scale = max(SIZE[0] / picture.width, SIZE[1] / picture.height)
    width, height = SIZE[0] / scale, SIZE[1] / scale
    left, top = max(0.0, (picture.width - width) / 2), max(0.0, (picture.height - height) / 2)
    right, bottom = min(picture.width, left + width), min(picture.height, top + height)
    if scale > 1 and height >= MIN_DARKENED_ROWS:
        # the shown part, its edges rounded outwards, and the box within it
        x0, y0 = math.floor(left), math.floor(top)
        part = picture.crop((x0, y0, math.ceil(right), math.ceil(bottom)))
        dark, mask = shade(part.width, part.height, round(top - y0), round(height))
        box = (left - x0, top - y0, right - x0, bottom - y0)
        return Image.composite(dark, part, mask).resize(SIZE, Image.BILINEAR, box=box)
    dark, mask = shade(*SIZE, 0, SIZE[1])
    box = (left, top, right, bottom)
    return Image.composite(dark, picture.resize(SIZE, Image.BILINEAR, box=box, reducing_gap=2.0), mask)


@functools.cache
def title_palette() -> list[int]:
    """Level 0 is the accent colour, 255 white, the levels between what antialiased text over the accent needs."""
    return [round(a + (255 - a) * level / 255) for level in range(256) for a in ACCENT]


def draw_text(card: Image.Image, title: str, blog: str, date: str, white, grey) -> None:
    """The title (up to three lines), the blog's name and the date, and a bar, in `white` and `grey`."""
    draw = ImageDraw.Draw(card)
    width = SIZE[0] - 2 * MARGIN
    rows = wrapped(draw, title, 68, width, 3)
    y = SIZE[1] - MARGIN - 48 - len(rows) * 82
    for row in rows:
        draw.text((MARGIN, y), row, font=font(68), fill=white)
        y += 82
    draw.text((MARGIN, SIZE[1] - MARGIN - 34), f"{blog}  ·  {date}", font=font(34), fill=grey)
    draw.rectangle((MARGIN, MARGIN, MARGIN + 96, MARGIN + 10), fill=white)


def draw_card(title: str, blog: str, date: str, figure: bytes | None, key: str = "", kind: str = "PNG") -> bytes:
    """The card as `kind` (PNG or JPEG) bytes, carrying `key` (see drawn_key).

    A card over a figure is best a JPEG: drawn and saved in 0.005 s, where a PNG of it took
    0.045 s (as a 256-colour palette) or 1.4 s (optimised full colour). A title on a flat
    colour is best a PNG: small and crisp. It is drawn as levels of one palette from the
    accent colour to white, which is what its antialiased text is made of; quantising a
    full-colour drawing to find those colours took three times as long as the rest.
    """
    picture = None
    if figure is not None:
        try:
            picture = flattened(Image.open(io.BytesIO(figure)))
        except (OSError, ValueError):
            picture = None
    if picture is not None:
        card = covering(picture)
        draw_text(card, title, blog, date, "white", (220, 228, 236))
    else:
        card = Image.new("L", SIZE, 0)
        draw_text(card, title, blog, date, 255, DATE_LEVEL)
        card.putpalette(title_palette())
    out = io.BytesIO()
    if kind == "JPEG":
        card = card if card.mode == "RGB" else card.convert("RGB")
        card.save(out, "JPEG", quality=85, comment=key.encode())
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text("card-key", key)
        card = card if card.mode == "P" else card.quantize(256, method=Image.Quantize.FASTOCTREE)
        card.save(out, "PNG", compress_level=6, pnginfo=info)
    return out.getvalue()


def write_card(target: Path, png: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".new")
    temporary.write_bytes(png)
    temporary.replace(target)
