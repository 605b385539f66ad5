"""What readers get around a post: teasers without a marker, feeds, titles, links, neighbours.

The fixture posts (tests/fixtures/reader/, written by tests/fixtures/make_reader_posts.py)
are notebooks as people bring them from elsewhere: no teaser marker, the title repeated as a
heading after a byline, maths in the opening prose, links to another post's notebook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import pytest
from nbformat.v4 import new_code_cell as code
from nbformat.v4 import new_markdown_cell as md
from nbformat.v4 import new_notebook

from blog_build.interactive_outputs import TEASER_KEY
from blog_build.teasers import MARKER, mark_automatic_teaser

from conftest import copy_site, nikola

FIXTURES = Path(__file__).parent / "fixtures" / "reader"


@pytest.fixture(scope="module")
def reader_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site with the welcome post and the fixture posts, built once."""
    site = copy_site(tmp_path_factory.mktemp("reader") / "site", posts=("welcome",))
    for path in FIXTURES.iterdir():
        shutil.copy(path, site / "posts" / path.name)
    nikola(site, "build")
    return site


def words(count: int, mark: str = "word") -> str:
    return " ".join([mark] + ["word"] * (count - 1))


def marked_cells(notebook) -> list[int]:
    return [number for number, cell in enumerate(notebook.cells) if cell.metadata.get(TEASER_KEY)]


def test_a_teaser_ends_before_the_first_code_cell_shown() -> None:
    notebook = new_notebook(
        cells=[
            md("A short opening."),
            code("hidden()", metadata={"tags": ["remove-cell"]}),
            code(""),  # an empty cell shows nothing either
            md("More prose."),
            code("shown()"),
            md("After."),
        ]
    )
    mark_automatic_teaser(notebook)
    assert marked_cells(notebook) == [4]


def test_long_opening_prose_ends_after_the_block_that_reaches_the_word_count() -> None:
    source = "\n\n".join(
        ["# Heading", words(80, "ONE"), "- a list\n\n  of two paragraphs " + words(90), words(80, "THREE")]
    )
    notebook = new_notebook(cells=[md(source), code("x")])
    mark_automatic_teaser(notebook, words=150)
    before, marker, after = notebook.cells[0].source.partition(MARKER)
    assert marker and "of two paragraphs" in before and "THREE" in after, "no block is cut in two"
    assert marked_cells(notebook) == []


def test_the_word_count_runs_across_cells_and_stops_at_a_cell_boundary() -> None:
    notebook = new_notebook(cells=[md(words(120)), md(words(100)), md("THIRD"), code("x")])
    mark_automatic_teaser(notebook, words=200)
    assert marked_cells(notebook) == [2]
    assert all(MARKER not in cell.source for cell in notebook.cells)


def test_display_maths_is_never_cut() -> None:
    source = "\n\n".join([words(60), "$$\na = b\n\n" + words(20) + "\n$$", words(60, "AFTER")])
    notebook = new_notebook(cells=[md(source), code("x")])
    mark_automatic_teaser(notebook, words=62)
    before, _, after = notebook.cells[0].source.partition(MARKER)
    assert before.count("$$") % 2 == 0 and "AFTER" in after


def test_an_authors_marker_or_an_earlier_end_is_kept() -> None:
    marked = new_notebook(cells=[md("Intro."), code("x"), md("<!-- TEASER_END -->"), md("Rest.")])
    mark_automatic_teaser(marked)
    assert marked_cells(marked) == []
    chart_first = new_notebook(cells=[md("Intro."), code("chart()", metadata={TEASER_KEY: True}), code("y")])
    mark_automatic_teaser(chart_first)
    assert marked_cells(chart_first) == [1]


def teaser(page: Path, title: str) -> lxml.html.HtmlElement:
    """The article of the post titled `title` on an index page."""
    document = lxml.html.parse(str(page)).getroot()
    (article,) = [a for a in document.iter("article") if title in (a.findtext(".//h1/a") or "")]
    return article


def test_index_pages_and_feeds_show_only_the_opening_prose(reader_site: Path) -> None:
    output = reader_site / "output"
    article = teaser(output / "index.html", "Opening prose")
    text = article.text_content()
    assert "FIRSTPARA" in text and "FOURTHPARA" in text, "the paragraphs up to about 200 words"
    assert "FIFTHPARA" not in text and "CODEOUTPUT" not in text and "AFTERCODE" not in text
    assert article.xpath(".//a[contains(., 'Read more')]/@href") == ["posts/opening-prose/"]
    code_first = teaser(output / "index.html", "Code first").text_content()
    assert "OPENINGCODE" not in code_first and "Read more" in code_first
    assert "SHORTPARA" in teaser(output / "index.html", "Short prose").text_content()
    assert "SHORTCODE" not in teaser(output / "index.html", "Short prose").text_content()
    assert "MARKEDCODE" in teaser(output / "index.html", "Author marker").text_content(), "the author's marker wins"
    for feed in ("rss.xml", "index.atom"):
        xml = (output / feed).read_text(encoding="utf-8")
        assert "FOURTHPARA" in xml and "FIFTHPARA" not in xml and "CODEOUTPUT" not in xml, feed
    page = (output / "posts/opening-prose/index.html").read_text(encoding="utf-8")
    assert all(mark in page for mark in ("FIFTHPARA", "CODEOUTPUT", "AFTERCODE")), "the post's own page is whole"


def feed_items(feed: Path) -> dict[str, str]:
    """Each item's HTML by its title, from an RSS or Atom feed."""
    from lxml import etree

    root = etree.parse(str(feed)).getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    if root.tag == f"{atom}feed":
        return {
            entry.findtext(f"{atom}title"): entry.findtext(f"{atom}content") or entry.findtext(f"{atom}summary")
            for entry in root.iter(f"{atom}entry")
        }
    return {item.findtext("title"): item.findtext("description") for item in root.iter("item")}


def test_feed_items_have_no_tool_line_and_their_maths_is_mathml(reader_site: Path) -> None:
    output = reader_site / "output"
    for feed in ("rss.xml", "index.atom", "categories/fixtures.xml"):
        items = feed_items(output / feed)
        assert {"Opening prose", "Code first", "Short prose"} <= items.keys(), feed
        for title, item in items.items():
            assert "nb-tools" not in item and "Download notebook" not in item and "min read" not in item, (feed, title)
        prose = lxml.html.fragment_fromstring(items["Opening prose"], "div")
        assert "$" not in prose.text_content(), "no LaTeX left as text"
        (math,) = prose.iter("{http://www.w3.org/1998/Math/MathML}math", "math")
        assert math.get("display") == "inline" and "FIRSTPARA" in prose.text_content()
    page = lxml.html.parse(str(output / "posts/opening-prose/index.html")).getroot()
    assert page.xpath("//p[@class='nb-tools']//a[@download]"), "the post's own page keeps its tool line"
    home = teaser(output / "index.html", "Opening prose")
    assert home.xpath(".//p[@class='nb-tools']") and home.xpath(".//math"), "so do index pages, with MathML"


def dropped(cells: list, title: str) -> list[str]:
    """The cells' sources after drop_repeated_title."""
    from blog_build.rendering import drop_repeated_title

    notebook = new_notebook(cells=cells)
    drop_repeated_title(notebook, title)
    return [cell.source for cell in notebook.cells]


@pytest.mark.parametrize(
    "cells,expected",
    [
        # a byline before the title in the first cell (Norvig's pytudes)
        ([md('<div align="right"><i>P. N.</i></div>\n\n# Letter Frequency\n\nA reader writes.')],
         ['<div align="right"><i>P. N.</i></div>\n\nA reader writes.']),
        # a cell of navigation links, then the title in a cell of its own (ipywidgets' docs)
        ([md("[Index](Index.ipynb) - [Next](Widget List.ipynb)"), md("# Letter frequency"), md("## What")],
         ["[Index](Index.ipynb) - [Next](Widget List.ipynb)", "", "## What"]),
        # one sentence, then the title at another level (Jupytext's test notebooks)
        ([md("This notebook has plots."), md("### *Letter* `frequency` ##\nText.")],
         ["This notebook has plots.", "Text."]),
        ([md("Letter frequency\n================\n\nText.")], ["Text."]),
        ([md('<h1 align="center">Letter frequency</h1>\nText.')], ["Text."]),
    ],
)  # fmt: skip
def test_the_title_heading_is_dropped_where_imported_notebooks_put_it(cells: list, expected: list[str]) -> None:
    assert dropped(cells, "Letter Frequency") == expected


@pytest.mark.parametrize(
    "cells",
    [
        [md("# Letter frequency, revisited\n\nText.")],  # not the title
        [md("Intro."), code("x = 1"), md("# Letter frequency")],  # after a code cell
        [md("One."), md("Two."), md("Three."), md("# Letter frequency")],  # past the first three cells
        [md("\n".join(f"Line {n}." for n in range(10)) + "\n\n# Letter frequency")],  # past the first ten lines
        [md("```python\n# Letter frequency\n```\n\nText.")],  # a comment in fenced code is no heading
    ],
)
def test_a_heading_that_is_not_the_opening_title_stays(cells: list) -> None:
    sources = [cell.source for cell in cells]
    assert dropped(cells, "Letter Frequency") == sources


def test_the_post_page_shows_its_title_once(reader_site: Path) -> None:
    page = lxml.html.parse(str(reader_site / "output/posts/short-prose/index.html")).getroot()
    headings = [" ".join(h.text_content().replace("\u00b6", "").split()) for h in page.iter("h1", "h2", "h3", "h4")]
    assert headings.count("Short prose") == 2, headings  # the page's own title, and the heading after the code
    assert "Not the title" in headings and "By A. Writer, 2019" in page.text_content()


def links_to_code_first(element: lxml.html.HtmlElement) -> list[str]:
    return [a.get("href") for a in element.iter("a") if "code" in a.text_content() or "same" in a.text_content()]


def test_links_to_another_posts_notebook_lead_to_its_page(reader_site: Path) -> None:
    output = reader_site / "output"
    page = lxml.html.parse(str(output / "posts/opening-prose/index.html")).getroot()
    assert links_to_code_first(page.find(".//div[@class='nb-body']")) == ["../code-first/", "../code-first/#The-end"]
    assert links_to_code_first(teaser(output / "index.html", "Opening prose")) == [
        "posts/code-first/",
        "posts/code-first/#The-end",
    ]
    for feed in ("rss.xml", "index.atom"):
        item = lxml.html.fragment_fromstring(feed_items(output / feed)["Opening prose"], "div")
        assert links_to_code_first(item) == [
            "https://blog.example.org/posts/code-first/",
            "https://blog.example.org/posts/code-first/#The-end",
        ], feed
    assert page.xpath("//p[@class='nb-tools']//a[@download]/@href") == ["index.ipynb"], "its own stays a download"
    assert not (output / "posts/opening-prose/code-first.ipynb").exists(), "no copy of the linked post's notebook"


def test_a_renamed_post_is_linked_by_its_new_address_after_an_incremental_build(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", posts=())
    for name in ("opening-prose", "short-prose", "code-first"):
        for suffix in (".ipynb", ".meta"):
            shutil.copy(FIXTURES / f"{name}{suffix}", site / "posts" / f"{name}{suffix}")
    meta = site / "posts/code-first.meta"  # dated last, so it is no neighbour of the post linking to it
    meta.write_text(meta.read_text().replace("2026-10-02", "2026-10-09"))
    nikola(site, "build")
    meta.write_text(meta.read_text().replace(".. slug: code-first", ".. slug: code-later"))
    nikola(site, "build")
    page = lxml.html.parse(str(site / "output/posts/opening-prose/index.html")).getroot()
    assert links_to_code_first(page.find(".//div[@class='nb-body']")) == ["../code-later/", "../code-later/#The-end"]
    rss = feed_items(site / "output/rss.xml")["Opening prose"]
    assert "https://blog.example.org/posts/code-later/" in rss and "posts/code-first/" not in rss


def test_a_post_page_shows_its_category_and_names_its_neighbours(reader_site: Path) -> None:
    output = reader_site / "output"
    page = lxml.html.parse(str(output / "posts/opening-prose/index.html")).getroot()
    (nav,) = page.xpath("//aside[@class='postpromonav']/nav")
    (category,) = nav.xpath(".//p[@class='category']/a")
    assert (category.text, category.get("href")) == ("Essays", "../../categories/cat_essays/")
    assert "Opening prose" in (output / "categories/cat_essays/index.html").read_text(encoding="utf-8")
    pager = {
        a.get("rel"): (" ".join(a.text_content().split()), a.get("href"))
        for a in nav.xpath(".//ul[@class='pager hidden-print']//a")
    }
    assert pager == {
        "prev": ("Previous post Welcome!", "../welcome/"),
        "next": ("Next post Code first", "../code-first/"),
    }
    other = lxml.html.parse(str(output / "posts/code-first/index.html")).getroot()
    assert not other.xpath("//p[@class='category']"), "no category, no line"
