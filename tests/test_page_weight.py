"""The page-weight report: what a reader downloads for a page, and what the warning says to do.

The small site here is written by hand (tests/fixtures/page_weight/ has its pages; the
files they load are made at the sizes the tests need), so every byte counted is known.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from blog_build import page_weight
from blog_build.store import JsonStore

from conftest import copy_site, nikola

FIXTURES = Path(__file__).parent / "fixtures" / "page_weight"


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """The hand-written site, with files of known sizes for its pages to load."""
    folder = tmp_path / "output"
    shutil.copytree(FIXTURES, folder)
    for page in ("posts/heavy/index.html", "index.html", "rss.xml"):  # 60 KB of text where it says PADDING
        path = folder / page
        path.write_text(path.read_text().replace("PADDING", "a long output " * 4300))
    sizes = {
        "assets/css/all.css": 0,  # written below: it names a font
        "assets/fonts/serif.woff2": 40_000,
        "assets/js/all.js": 10_000,
        "assets/notebook-outputs/widgets/embed.js": 1_200_000,
        "posts/heavy/figure.png": 300_000,
        "posts/heavy/frame.js": 7_000,
        "posts/light/card.png": 50_000,
        "favicon.ico": 1_000,
    }
    for name, size in sizes.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x" * size)
    (folder / "assets/css/all.css").write_text("@font-face { src: url('../fonts/serif.woff2'); }\n" + "a{}" * 1000)
    return folder


def test_a_page_weighs_what_it_makes_the_browser_fetch(output: Path) -> None:
    weight = page_weight.weigh(output, output / "posts/heavy/index.html")
    loaded = {item.path.relative_to(output.resolve()).as_posix(): (item.size, item.kind) for item in weight.files}
    assert loaded == {
        "favicon.ico": (1_000, "images"),
        "assets/css/all.css": (len((output / "assets/css/all.css").read_bytes()), "stylesheets"),
        "assets/fonts/serif.woff2": (40_000, "fonts"),  # named by the stylesheet, relative to it
        "assets/js/all.js": (10_000, "scripts"),
        "assets/notebook-outputs/widgets/embed.js": (1_200_000, "scripts"),
        "posts/heavy/figure.png": (300_000, "images"),  # once, though the page shows it twice (one lazily)
        "posts/heavy/frame.html": ((output / "posts/heavy/frame.html").stat().st_size, "frames"),
        "posts/heavy/frame.js": (7_000, "scripts"),  # loaded by the frame
    }, "nothing from elsewhere, no link that loads nothing (feeds, the canonical URL)"
    assert weight.html == (output / "posts/heavy/index.html").stat().st_size
    assert weight.inline_data == len(
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
    )
    assert weight.total == weight.html + sum(size for size, _kind in loaded.values())


def test_an_overweight_post_is_told_what_to_do(output: Path) -> None:
    (line,) = page_weight.report(
        output,
        ["posts/heavy/index.html", "posts/light/index.html"],
        1_000_000,
        {"/posts/heavy/": "posts/heavy.ipynb", "/posts/light/": "posts/light.ipynb"},
        cell_numbers=lambda source: {"big-output": 7} if source == "posts/heavy.ipynb" else {},
    )
    total = page_weight.weigh(output, output / "posts/heavy/index.html").total
    assert line.startswith(f"posts/heavy/index.html is {total / 1e6:.2f} MB uncompressed (")
    assert "MB gzipped), over the 1.00 MB budget: HTML " in line
    assert "scripts 1.22 MB (largest embed.js, 1.20 MB)" in line and "images 0.30 MB" in line
    advice = line.split("To lighten it: ", 1)[1]
    assert advice.startswith("the page loads widgets/embed.js (1.20 MB) for its interactive outputs"), advice
    assert "1 images weigh 0.30 MB" not in advice, "the library alone covers what the page is over by"


def test_long_outputs_are_named_by_their_cell_numbers(output: Path) -> None:
    (line,) = page_weight.report(
        output,
        ["posts/heavy/index.html"],
        100_000,
        {"/posts/heavy/": "posts/heavy.ipynb"},
        cell_numbers=lambda source: {"big-output": 7},
    )
    assert "long outputs: cell 7 0.0" in line and "print less, or tag the cell remove-output" in line
    (without_numbers,) = page_weight.report(output, ["posts/heavy/index.html"], 100_000, {"/posts/heavy/": "x"})
    assert "long outputs: cell id big-output" in without_numbers


def test_index_pages_and_feeds_name_the_posts_whose_teasers_weigh_most(output: Path) -> None:
    sources = {"/posts/heavy/": "posts/heavy.ipynb", "/posts/light/": "posts/light.ipynb"}
    (index,) = page_weight.report(output, ["index.html", "rss.xml"], 100_000, sources, "https://blog.example.org/")
    assert index.startswith("index.html is 0.4") and "images 0.35 MB (largest figure.png, 0.30 MB)" in index
    assert "To lighten it: 'Heavy teaser' (posts/heavy.ipynb, 0.36 MB here): " in index, "its text and its figure"
    assert "end its teaser sooner (<!-- TEASER_END --> in a markdown cell)" in index
    assert "Light teaser" not in index, "one post covers what the page is over by"
    (feed,) = page_weight.report(output, ["rss.xml"], 20_000, sources, "https://blog.example.org/")
    assert feed.startswith("rss.xml is 0.06 MB uncompressed") and "over the 0.02 MB budget: XML 0.06 MB." in feed
    assert "'Heavy teaser' (posts/heavy.ipynb, 0.06 MB here)" in feed, "a feed weighs its own bytes"


def notebook(name: str, output_bytes: int) -> nbformat.NotebookNode:
    """A post as notebooks come from elsewhere: a paragraph, then a cell printing `output_bytes` bytes."""
    lines = "".join(f"line {n:07d} of the log\n" for n in range(output_bytes // 25))
    printed = nbformat.v4.new_output("stream", name="stdout", text=lines)
    cells = [nbformat.v4.new_markdown_cell(f"What {name} is about."), nbformat.v4.new_code_cell("run()")]
    cells[1].outputs, cells[1].execution_count = [printed], 1
    result = nbformat.v4.new_notebook(cells=cells)
    result.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for number, cell in enumerate(result.cells, 1):
        cell.id = f"{name}-{number}"
    return result


def test_heavy_posts_without_teaser_markers_leave_the_home_page_and_feeds_light(tmp_path: Path) -> None:
    """Twelve imported notebooks with 300 KB outputs and no marker: only the posts are heavy, and say why."""
    site = copy_site(tmp_path / "site", posts=())
    conf = site / "conf.py"
    conf.write_text(conf.read_text() + "\nNOTEBOOK_OUTPUT_LINES = 0  # no folding: the outputs stay in the pages\n")
    for number in range(12):
        name = f"imported-{number:02d}"
        nbformat.write(notebook(name, 1_100_000 if number < 2 else 300_000), site / "posts" / f"{name}.ipynb")
        (site / "posts" / f"{name}.meta").write_text(
            f".. title: Imported {number}\n.. slug: {name}\n.. date: 2026-09-{number + 1:02d} 10:00:00 UTC\n"
        )
    result = nikola(site, "build")
    warnings = [line for line in result.stderr.splitlines() if "WARNING: page_size_report" in line]
    assert sorted(line.split(": ", 2)[2].split(" is ")[0] for line in warnings) == [
        "posts/imported-00/index.html",
        "posts/imported-01/index.html",
    ], "index pages and feeds stay under the budget"
    assert all("long outputs: cell 2 1." in line for line in warnings), warnings
    for page in ("index.html", "index-1.html", "rss.xml", "index.atom"):
        path = site / "output" / page
        assert not path.exists() or path.stat().st_size < 100_000, page


@pytest.mark.parametrize(
    "framed",
    [
        '<?xml version="1.0" encoding="utf-8"?>\n<html><body><script src="frame.js"></script></body></html>',
        "<!-- only a comment -->",
        "\x00\x01 not a page at all",
    ],
    ids=["xml-declaration", "only-a-comment", "binary"],
)
def test_a_framed_file_lxml_cannot_read_as_a_string_is_weighed_not_a_crash(output: Path, framed: str) -> None:
    (output / "posts/heavy/frame.html").write_text(framed, encoding="utf-8")
    weight = page_weight.weigh(output, output / "posts/heavy/index.html")
    loaded = {item.path.relative_to(output.resolve()).as_posix(): item.size for item in weight.files}
    assert loaded["posts/heavy/frame.html"] == len(framed.encode("utf-8"))
    # the declared page is read like any other: what it loads is counted
    assert ("posts/heavy/frame.js" in loaded) == framed.startswith("<?xml")


def test_a_page_with_an_xml_declaration_or_only_a_comment_is_weighed(output: Path) -> None:
    page = output / "posts/declared.html"
    for text in (
        '<?xml version="1.0" encoding="utf-8"?>\n<html><body><img src="heavy/figure.png"></body></html>',
        "<!-- nothing else -->",
    ):
        page.write_text(text, encoding="utf-8")
        weight = page_weight.weigh(output, page)
        assert weight.html == len(text)
        assert [item.size for item in weight.files] == ([300_000] if "img" in text else [])


def test_a_report_that_remembers_what_pages_name_says_what_a_fresh_one_says(output: Path, tmp_path: Path) -> None:
    """After each change to the site, a report from the last report's memory matches one that parses every file."""
    pages = ["index.html", "posts/heavy/index.html", "posts/light/index.html", "rss.xml"]
    sources = {"/posts/heavy/": "posts/heavy.ipynb", "/posts/light/": "posts/light.ipynb"}
    store = tmp_path / "cache" / "page_links.json"

    def both_reports() -> list[str]:
        fresh = page_weight.report(output, pages, 100_000, sources, "https://blog.example.org/")
        memory = page_weight.LinkMemory(JsonStore(store, "test"))
        remembered = page_weight.report(output, pages, 100_000, sources, "https://blog.example.org/", memory=memory)
        memory.save()
        assert remembered == fresh
        return fresh

    first = both_reports()
    assert len(first) == 2 and store.exists()
    parsed_pages: list[bytes] = []
    real_parse = page_weight.parsed

    def counting_parse(data: bytes):
        parsed_pages.append(data[:20])
        return real_parse(data)

    page_weight.parsed = counting_parse
    try:
        assert both_reports() == first
        fresh_parses = len(parsed_pages)
        parsed_pages.clear()
        memory = page_weight.LinkMemory(JsonStore(store, "test"))
        page_weight.report(output, pages, 100_000, sources, "https://blog.example.org/", memory=memory)
        assert parsed_pages == [] and fresh_parses > 0, "nothing changed: no page or frame parsed again"
    finally:
        page_weight.parsed = real_parse

    light = output / "posts/light/index.html"  # a page that now loads a big script and a missing image
    light.write_text(light.read_text().replace("</body>", '<script src="big.js"></script><img src="later.png"></body>'))
    (output / "posts/light/big.js").write_bytes(b"x" * 200_000)
    changed = both_reports()
    assert any(line.startswith("posts/light/index.html") for line in changed)
    (output / "posts/light/later.png").write_bytes(b"x" * 50_000)  # the missing image appears: no page changed
    assert both_reports() != changed
    (output / "assets/fonts/serif.woff2").write_bytes(b"x" * 900_000)  # a file a stylesheet names grows
    (output / "assets/css/all.css").write_text("a{}")  # then the stylesheet stops naming it
    both_reports()
    (output / "posts/heavy/frame.html").write_text('<html><body><img src="/favicon.ico"></body></html>')
    both_reports()
    (output / "posts/light/index.html").unlink()  # a page no longer built is forgotten
    pages.remove("posts/light/index.html")
    both_reports()
    assert not any("posts/light/" in key for key in json.loads(store.read_text())["sections"]["files"])
