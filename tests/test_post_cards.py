"""Link-preview cards: one 1200x630 PNG per post, its og:image, drawn again only when what it shows changes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from lxml import html
from PIL import Image

from blog_build.cards import SIZE, card_figure, draw_card, drawn_key

from conftest import ROOT, nikola


def png(colour: str, size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_the_figure_of_a_cell_tagged_card_else_the_first() -> None:
    def cell(name: str, tags: list[str]) -> dict:
        output = {"output_type": "display_data", "metadata": {"filenames": {"image/png": name}}}
        return {"cell_type": "code", "metadata": {"tags": tags}, "outputs": [output]}

    assert card_figure({"cells": [cell("a.png", []), cell("b.png", ["card"])]}) == "b.png"
    assert card_figure({"cells": [cell("a.png", []), cell("b.png", [])]}) == "a.png"
    assert card_figure({"cells": [{"cell_type": "markdown", "source": "x"}]}) is None


def test_cards_with_and_without_a_figure_are_1200_by_630() -> None:
    long_title = "A title long enough to need wrapping over more than the three lines a card allows " * 2
    kinds = ((None, "PNG"), (png("red"), "JPEG"), (png("blue", (2000, 300)), "JPEG"), (b"x", "PNG"), (b"x", "JPEG"))
    for figure, kind in (*kinds, (png("red"), "PNG")):
        card = Image.open(io.BytesIO(draw_card(long_title, "Blog", "1 May 2020", figure, "k", kind)))
        assert card.size == SIZE and card.format == kind
    red = Image.open(io.BytesIO(draw_card("T", "B", "D", png("red"), kind="JPEG"))).convert("RGB").getpixel((600, 100))
    plain = Image.open(io.BytesIO(draw_card("T", "B", "D", None))).convert("RGB").getpixel((600, 100))
    assert red[0] > red[2] and plain[2] > plain[0], "the figure shows through; without one, the accent colour"


def test_a_figure_is_darkened_from_top_to_bottom_whether_smaller_or_larger_than_the_card() -> None:
    def expected(row: int) -> tuple[int, ...]:
        cover = (153 + row / (SIZE[1] - 1) * 255 * 0.4 * 0.85) / 255  # how much of the dark colour
        return tuple(round(255 * (1 - cover) + dark * cover) for dark in (12, 18, 24))

    for size in ((7, 5), (5, 2000), (120, 90), (300, 200), (800, 3000), (2000, 300), (2400, 1800)):
        card = Image.open(io.BytesIO(draw_card("", "", "", png("white", size), kind="JPEG"))).convert("RGB")
        for row in (2, SIZE[1] // 2, SIZE[1] - 3):
            seen = card.getpixel((SIZE[0] - 40, row))
            assert all(abs(a - b) <= 6 for a, b in zip(seen, expected(row), strict=True)), (size, row, seen)


def test_a_title_card_is_the_accent_colour_with_white_text() -> None:
    card = Image.open(io.BytesIO(draw_card("Title", "Blog", "1 May 2020", None)))
    assert card.mode == "P"
    colours = {colour for _, colour in card.convert("RGB").getcolors(256)}
    assert (31, 95, 139) in colours and (255, 255, 255) in colours


def test_a_card_remembers_what_it_was_drawn_for(tmp_path: Path) -> None:
    for kind in ("PNG", "JPEG"):
        path = tmp_path / f"card.{kind.lower()}"
        path.write_bytes(draw_card("T", "B", "D", png("red"), "key-1", kind))
        assert drawn_key(path) == "key-1"
    assert drawn_key(tmp_path / "missing.png") is None


def test_each_post_gets_its_card_as_og_image_redrawn_only_when_it_changes(small_site: Path) -> None:
    shutil.copy(ROOT / "posts/fibonacci.ipynb", small_site / "posts/second.ipynb")  # it has figures
    meta = small_site / "posts/second.meta"
    meta.write_text(".. title: Second\n.. slug: second\n.. date: 2020-01-01 10:00:00 UTC\n.. type: text\n")
    nikola(small_site, "build")
    cards = {
        "welcome": small_site / "output/posts/welcome/card.png",  # no figures: a title card
        "second": small_site / "output/posts/second/card.jpg",
    }
    for slug, card in cards.items():
        assert Image.open(card).size == SIZE
        page = html.fromstring((small_site / "output/posts" / slug / "index.html").read_bytes())
        assert page.xpath("//meta[@property='og:image']/@content") == [
            f"https://blog.example.org/posts/{slug}/{card.name}"
        ]
        assert page.xpath("//meta[@name='twitter:card']/@content") == ["summary_large_image"]
    drawn = {slug: card.stat().st_mtime_ns for slug, card in cards.items()}

    nikola(small_site, "build")
    assert {slug: card.stat().st_mtime_ns for slug, card in cards.items()} == drawn, "a no-op build draws nothing"

    before = cards["second"].read_bytes()
    meta.write_text(meta.read_text().replace("title: Second", "title: Second, renamed"))
    nikola(small_site, "build")
    assert cards["second"].read_bytes() != before, "the renamed post's card is drawn again"
    assert cards["welcome"].stat().st_mtime_ns == drawn["welcome"], "the other card is left alone"

    meta.write_text(meta.read_text() + ".. previewimage: /images/own.png\n")
    nikola(small_site, "build")
    assert not cards["second"].exists(), "a post with its own preview image has no card (and the old one is pruned)"
    page = html.fromstring((small_site / "output/posts/second/index.html").read_bytes())
    assert page.xpath("//meta[@property='og:image']/@content") == ["https://blog.example.org/images/own.png"]


def test_a_palette_figure_with_transparency_is_drawn_without_a_warning() -> None:
    import warnings

    figure = Image.new("RGBA", (60, 40), (255, 0, 0, 0))
    figure.paste((0, 0, 255, 255), (10, 10, 50, 30))
    buffer = io.BytesIO()
    figure.quantize(colors=4, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    assert "transparency" in Image.open(io.BytesIO(buffer.getvalue())).info
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's warning named no post: the build must not print it
        card = Image.open(io.BytesIO(draw_card("Title", "Blog", "1 December 2026", buffer.getvalue())))
    assert card.size == SIZE
