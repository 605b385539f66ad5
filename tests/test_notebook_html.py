"""HTML that notebooks bring: no script of theirs runs on the site, nothing is fetched from elsewhere.

blog_build/html_safety.py cleans it; interactive_outputs.prepare applies it to every output
and markdown cell, and drops library loaders (itables, Bokeh, HoloViews). The fixture posts
(tests/fixtures/notebook_html/, written by make_posts.py there) hold the shapes real
notebooks save; the corpus notebooks they stand for are named in tests/corpus/README.md.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import html5lib
import pytest
from lxml import html
from playwright.sync_api import Browser
from test_interactive_outputs import open_offline

from blog_build import libraries
from blog_build.html_safety import clean_html, clean_markdown, visible
from blog_build.interactive_outputs import UNAVAILABLE, prepare

from conftest import ROOT, copy_site, nikola, serve_folder

FIXTURES = ROOT / "tests" / "fixtures" / "notebook_html"
POSTS = ("unsafe-html", "plotly-loader", "remote-embeds", "itables-outputs", "bokeh-outputs")
ALL = set(libraries.LIBRARIES)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.ipynb").read_text(encoding="utf-8"))


def shown(notebook: dict, cell: int) -> list[dict]:
    """The data of each output of cell `cell` (from 1) after `prepare`."""
    return [output["data"] for output in notebook["cells"][cell - 1].get("outputs", [])]


# --- the cleaning itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected", "scripts"),
    [
        ("<p>a</p><script>alert(1)</script><p>b</p>", "<p>a</p><p>b</p>", 1),
        ("<p>a<script src='https://cdn.example/x.js'></script>tail</p>", "<p>atail</p>", 1),
        ('<script type="module">import "x"</script>text', "text", 1),
        ('<img src="a.png" onerror="alert(1)" alt="A">', '<img src="a.png" alt="A">', 1),
        (
            '<svg viewBox="0 0 2 2"><circle r="1" onload="alert(1)"/></svg>',
            '<svg viewBox="0 0 2 2"><circle r="1"></circle></svg>',
            1,
        ),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>", 1),
        ('<a href="java\tscript:alert(1)">x</a>', "<a>x</a>", 1),
        ('<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>", 1),
        ('<a href="JAVASCRIPT:alert(1)">x</a>', "<a>x</a>", 1),
        (
            '<iframe src="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;" title="t"></iframe>',
            '<iframe title="t"></iframe>',
            1,
        ),
        (
            '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;" title="t"></iframe>',
            '<iframe title="t"></iframe>',
            1,
        ),
        ('<script type="text/javascript1.5">alert(1)</script>', "", 1),
        ('<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>', "<a>x</a>", 1),
        (
            '<iframe src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;" title="t"></iframe>',
            '<iframe title="t"></iframe>',
            1,
        ),
        # A page of the site's own runs its scripts in a sandbox: an origin of its own; an author's
        # sandbox that gave it the site's origin is replaced.
        (
            '<iframe src="chart.html" title="t"></iframe>',
            '<iframe src="chart.html" title="t" sandbox="allow-scripts"></iframe>',
            0,
        ),
        (
            '<iframe src="report.HTM?x=1" sandbox="allow-scripts allow-same-origin" title="t"></iframe>',
            '<iframe src="report.HTM?x=1" sandbox="allow-scripts" title="t"></iframe>',
            0,
        ),
        ('<iframe src="paper.pdf" title="t"></iframe>', None, 0),
        # Data blocks never run: widget views, ipywidgets 5 snapshots' state, JSON-LD.
        ('<script type="application/json">{"a": 1}</script>', None, 0),
        ('<script type="application/vnd.jupyter.widget-view+json">{}</script>', None, 0),
        ('<script type="application/vnd.jupyter-embedded-widgets">[{}]</script>', None, 0),
        # Media may be inline (an animation saved as a data: video), and so may a file to download.
        ('<a download="data.csv" href="data:text/csv;base64,YSxiCjEsMgo=">data.csv</a>', None, 0),
        ('<video controls src="data:video/x-m4v;base64,AAAAIGZ0eXA="></video>', None, 0),
        # Kept byte for byte: a styled pandas table, a Styler's CSS, SVG, inline images.
        ('<style>#T_1 td {color: red}</style><table id="T_1"><tr><td style="color: red">1</td></tr></table>', None, 0),
        ('<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">', None, 0),
        ('<a href="https://example.org/page">a link to elsewhere is fine</a>', None, 0),
        ("<p>turn on = off, a sentence</p>", None, 0),
    ],
)
def test_scripts_are_removed_and_the_rest_of_the_html_kept(markup: str, expected: str | None, scripts: int) -> None:
    cleaned, found = clean_html(markup)
    assert cleaned == (markup if expected is None else expected)
    assert found.scripts == scripts and found.remote == []


def test_what_lxml_reads_as_a_script_is_what_is_removed() -> None:
    """Whatever the markup's quirks, no executable script element or handler is left in what lxml writes."""
    tricky = [
        "<scr<script>ipt>alert(1)</script>",
        "<script>alert(1)</script",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><script>alert(1)</script></mtext></math>",
        "<div><p>unclosed<script>alert(1)",
        "<img src=x onerror=alert(1)//",
        "<a href=' javascript:alert(1)'>x</a>",
    ]
    for markup in tricky:
        cleaned, _ = clean_html(markup)
        tree = html.fragment_fromstring(cleaned, create_parent="div")
        assert tree.xpath("//script") == [], markup
        assert all(not name.lower().startswith("on") for element in tree.iter() for name in element.attrib), markup
        assert "javascript:" not in "".join(tree.xpath("//@href")), markup


@pytest.mark.parametrize(
    ("markdown", "expected", "scripts"),
    [
        ("Hi <script>alert(1)</script> there", "Hi  there", 1),
        ('A <b onclick="alert(1)" class="x">b</b>.', 'A <b class="x">b</b>.', 1),
        ("[link](javascript:alert('x')) after", "[link](#) after", 1),
        ("[ref]: javascript:alert(1)\n\nsee [ref]", "[ref]: #\n\nsee [ref]", 1),
        ("<script>never closed\n\nmore", "", 1),
        ("an autolink <javascript:alert(1)> here", "an autolink  here", 1),
        # An image from elsewhere inside a link reads as its alt, in that link.
        (
            '<a href="https://bokeh.org/"><img src="https://bokeh.org/logo.png" alt="Bokeh"></a> and ![x](//h/x.png)',
            '<a href="https://bokeh.org/"><span>Bokeh</span></a> and [x](//h/x.png)',
            0,
        ),
        # Code is left alone, and so is Markdown around the tags.
        ("Use `<script>` like this:\n\n```html\n<script>alert(1)</script>\n```", None, 0),
        ("> a quote & 1 < 2\n\n* item <b>bold</b>", None, 0),
        ('<img src="attachment:image.png" alt="pasted">', None, 0),
    ],
)
def test_markdown_keeps_everything_but_its_scripts(markdown: str, expected: str | None, scripts: int) -> None:
    cleaned, found = clean_markdown(markdown)
    assert cleaned == (markdown if expected is None else expected)
    assert found.scripts == scripts


def test_maths_alone_is_judged_without_rendering_and_a_cell_with_a_link_or_image_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LaTeX commands (`\\alpha`) are backslashes, which a browser reads in a URL as `/`: where no tag, link or image
    can hold one, the cell is not rendered to be judged; where one can, or before punctuation, it is, as before."""
    from blog_build import html_safety

    judged: list[str] = []
    real = html_safety.renders_safely
    monkeypatch.setattr(html_safety, "renders_safely", lambda text: judged.append(text) or real(text))
    maths = ("The value $x_1^2 + \\alpha$ matters.", "$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$\n\n- a list")
    for text in maths:
        assert clean_markdown(text)[0] == text
    assert judged == []
    for text in (
        "$\\alpha$ then ![x](/\\evil.example/a.png)",
        "$\\beta$ ![y][r]\n\n[r]: \\\\evil.example/b.png",
        "$\\gamma$ [l](java\\script:alert(1))",
        "a \\<b>tag</b>",
        "$\\{x\\}$ escaped braces",
    ):
        judged.clear()
        clean_markdown(text)
        assert judged, text


# Pieces real notebooks and nbconvert's own injection tests use, and what confuses one parser or another.
PIECES = (
    "<script>", "</script>", "<script type=module>", "<b onclick=alert(1)>", "<img src=x onerror=alert(1)>",
    "<a href=javascript:alert(1)>", "</a>", "`", "```\n", "\n\n", "<!--", "-->", "<![CDATA[", "]]>", "<", ">", "'",
    '"', "<svg onload=alert(1)>", "<iframe srcdoc='<script>alert(1)</script>'>", "</iframe>",
    "[x](javascript:alert(1))",
    "<details open ontoggle=alert(1)>", "text ", "*em* ", "> quote\n", "<div>", "</div>", "<scr", "ipt>", "<style>",
    "</style>", "<textarea>", "</textarea>", "<noscript>", "$x<y$ ", "<table>", "<a href='java&#x09;script:alert(1)'>",
    # where parsers disagree: foreign content and its breakouts, raw text, attributes holding markup
    "<svg>", "</svg>", "<math>", "<mtext>", "<mglyph>", "</p>", "<xmp>", "<noembed>", "</noscript>", "<img title='",
    "<iframe>", "<template>", "<foreignObject>", "<title>",
    # maths: backslashes before letters, which a URL would read as slashes
    "$\\alpha$ ", "\\frac{a}{b} ", "![i](/\\h/x.png)", "[l](java\\script:alert(1))",
)  # fmt: skip


def runnable(markup: str) -> list[str]:
    """What in this HTML, as an HTML5 parser (html5lib, scripting on) reads it, the browser would run.

    Written apart from the cleaner's helpers, so that a mistake in them is not repeated here.
    """
    found = []
    for element in html5lib.parseFragment(markup, treebuilder="etree", scripting=True).iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1].lower()
        kind = (element.get("type") or "").strip().lower()
        if tag == "script" and (element.get("src") or kind in ("", "module") or "javascript" in kind):
            found.append("<script>")
        for name, value in element.attrib.items():
            name = name.rsplit("}", 1)[-1].lower()
            squeezed = "".join(character for character in value if character > " ").lower()
            if name.startswith("on") or name == "srcdoc":
                found.append(name)
            elif squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                found.append(f"{name}={value}")
    return found


def test_no_mix_of_markup_gets_a_script_past_the_cleaning() -> None:
    """Random mixes of PIECES: cleaned Markdown rendered as nbconvert renders it, and cleaned HTML, run nothing.

    Markdown and HTML parsers disagree (an unclosed comment, a stray backtick): the spans
    cleaned in the Markdown were not always what the browser then read as tags.
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    chance = random.Random(16)
    for _ in range(600):
        text = "".join(chance.choice(PIECES) for _ in range(chance.randint(1, 12)))
        assert runnable(markdown2html_mistune(clean_markdown(text)[0])) == [], text
        assert runnable(clean_html(text)[0] or "<p></p>") == [], text


def test_markup_with_nothing_to_see_is_told_apart() -> None:
    assert not visible("<script>x()</script>\n<style>p {}</style>")
    assert not visible('<div class="bk-root"><div class="bk-plotdiv" id="p"></div></div>')
    assert visible("<div>text</div>") and visible('<img src="a.png" alt="">') and visible("tail text")


def test_the_unsafe_fixture_keeps_its_content_and_names_each_cell() -> None:
    notebook = fixture("unsafe-html")
    prepared = prepare(notebook, ALL)
    warnings = prepared.warnings("posts/unsafe-html.ipynb")
    assert warnings == [
        "posts/unsafe-html.ipynb: cell 1: scripts removed from its markdown; the site runs no script a notebook brings",
        "posts/unsafe-html.ipynb: cell 2: scripts removed from its output; the site runs no script a notebook brings",
        "posts/unsafe-html.ipynb: cell 3: scripts removed from its output; the site runs no script a notebook brings",
        "posts/unsafe-html.ipynb: cell 4: scripts removed from its output; the site runs no script a notebook brings",
    ]
    assert "alert" not in json.dumps([cell.get("outputs") for cell in notebook["cells"][:5]])
    assert "alert" not in notebook["cells"][0]["source"]
    table = shown(notebook, 2)[0]["text/html"]
    assert '<td style="background-color: #ffff00">kept cell</td>' in table and "<style>.styled td" in table
    assert shown(notebook, 3)[0]["text/markdown"].strip() == "*kept markdown output*"
    assert shown(notebook, 4)[0] == {"text/html": UNAVAILABLE}  # nothing but a script: nothing to show
    assert '<script type="application/json">{"kept": true}</script>' in shown(notebook, 5)[0]["text/html"]


# --- built and opened in Chromium --------------------------------------------------------------


@pytest.fixture(scope="module")
def html_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site with the fixture posts, built once."""
    site = copy_site(tmp_path_factory.mktemp("notebook-html"), posts=("welcome",))
    for name in POSTS:
        for path in FIXTURES.glob(f"{name}.*"):
            shutil.copy(path, site / "posts" / path.name)
    # The page that remote-embeds' local iframe shows (a file the notebook wrote beside itself, copied beside its page).
    (site / "posts" / "chart.html").write_text("<title>chart</title>", encoding="utf-8")
    result = nikola(site, "build")
    (site / "build-stderr.txt").write_text(result.stderr, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def site_url(html_site: Path) -> Iterator[str]:
    with serve_folder(html_site / "output") as url:
        yield url


def build_warnings(site: Path) -> str:
    return (site / "build-stderr.txt").read_text(encoding="utf-8")


def test_no_script_of_the_notebook_runs_and_its_html_still_shows(browser: Browser, site_url: str) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/unsafe-html/")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.reload(wait_until="networkidle")  # the listener is on: every script of the page runs again
    text = page.inner_text(".nb-body")
    page.evaluate("alert('probe')")  # the listener sees a dialog when one opens
    page.close()
    assert dialogs == ["probe"]
    assert problems == [] and requests == []
    kept = ["kept bold", "kept hover text", "kept link", "kept cell", "kept column", "kept anchor text",
            "kept entity anchor", "kept summary", "kept markdown output", "kept data paragraph",
            "<script>kept code span</script>", "<script>kept code block</script>", "a kept quote & more"]  # fmt: skip
    assert [words for words in kept if words not in text] == []
    assert "alert('raw cell')" in text  # a raw cell is shown as text, never run


def test_each_cleaned_cell_is_named_once_in_the_build(html_site: Path) -> None:
    stderr = build_warnings(html_site)
    for cell in (1, 2, 3, 4):
        assert stderr.count(f"posts/unsafe-html.ipynb: cell {cell}: scripts removed") == 1, stderr
    # Library loaders and plots are the library's scripts, not the author's: no warning.
    assert "itables-outputs.ipynb: cell" not in stderr.replace("shown as links", "")
    assert "bokeh-outputs.ipynb: cell" not in stderr


def test_the_model_cleans_whatever_prepare_is_given_twice() -> None:
    """Cleaning is idempotent: a model made again from its own notebook changes nothing more."""
    notebook = fixture("unsafe-html")
    prepare(notebook, ALL)
    again = copy.deepcopy(notebook)
    assert prepare(again, ALL).warnings("x") == [] and again == notebook


# --- library loaders and outputs whose library the site does not serve --------------------------


def test_plotlys_notebook_renderer_loader_is_dropped_and_its_figure_drawn() -> None:
    """nbpercent-plotly cell 1: the inlined plotly.js (which holds `Plotly.newPlot` itself) goes, silently."""
    notebook = fixture("plotly-loader")
    prepared = prepare(notebook, ALL)
    assert [sorted(data) for data in shown(notebook, 2)] == [["application/vnd.plotly.v1+json"]]
    assert prepared.libraries == {"plotly-basic"} and prepared.warnings("x") == []


def test_the_plotly_loader_page_has_no_placeholder(html_site: Path) -> None:
    page = (html_site / "output" / "posts" / "plotly-loader" / "index.html").read_text(encoding="utf-8")
    assert "nb-unavailable" not in page and "PlotlyConfig" not in page and page.count("nb-plotly") == 1


def test_images_and_frames_from_other_hosts_become_links_named_in_one_warning_per_cell() -> None:
    notebook = fixture("remote-embeds")
    warnings = prepare(notebook, ALL).warnings("posts/remote-embeds.ipynb")
    assert warnings == [
        "posts/remote-embeds.ipynb: cell 1: images or frames from other sites shown as links"
        " (http://example.com/photo.jpg, https://example.org/logo.png, https://example.net/diagram.svg);"
        " pages load nothing from elsewhere",
        "posts/remote-embeds.ipynb: cell 2: images or frames from other sites shown as links"
        " (https://plot.ly/~someone/24); pages load nothing from elsewhere",
        "posts/remote-embeds.ipynb: cell 3: images or frames from other sites shown as links"
        " (//flags.example/aw.webp); pages load nothing from elsewhere",
    ]
    markdown = notebook["cells"][0]["source"]
    assert "[Remote logo](https://example.org/logo.png)" in markdown
    assert '<a href="http://example.com/photo.jpg">Remote photo</a>' in markdown
    assert "by reference [Diagram][diagram]." in markdown  # a link to the image, through the same definition
    assert shown(notebook, 2)[0]["text/html"] == '<a href="https://plot.ly/~someone/24">https://plot.ly/~someone/24</a>'
    flags = shown(notebook, 3)[0]["text/html"]  # an image inside a link: its alt, in the link
    assert '<a href="https://flags.example/aw"><span>Flag of Aruba</span></a>' in flags and "<link" not in flags
    # Stylesheets fetch nothing from elsewhere either: the rule and the declaration stay, the address goes.
    assert "@import" not in flags and "td {font-family: Lato}" in flags and 'style="background: none repeat"' in flags
    local = html.fragment_fromstring(shown(notebook, 4)[0]["text/html"])
    assert local.get("src") == "chart.html" and local.get("title") == "Embedded page chart.html"


def test_many_remote_images_are_counted_by_host() -> None:
    notebook = fixture("remote-embeds")
    flags = "".join(f'<img src="https://flags.example/{n}.webp" alt="Flag {n}">' for n in range(5))
    notebook["cells"][2]["outputs"][0]["data"]["text/html"] = flags
    warnings = prepare(notebook, ALL).warnings("x")
    assert "x: cell 3: images or frames from other sites shown as links (5 from flags.example);" in warnings[2]


def test_remote_embeds_page_requests_nothing_off_the_site(browser: Browser, site_url: str) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/remote-embeds/")
    links = page.eval_on_selector_all(".nb-body a[href^='http']", "links => links.map(a => a.textContent)")
    titles = page.eval_on_selector_all(".nb-body iframe", "frames => frames.map(f => f.title)")
    page.close()
    assert requests == []
    assert problems == []
    assert {"Remote logo", "Remote photo", "https://plot.ly/~someone/24"} <= set(links)
    assert titles == ["Embedded page chart.html"]


def test_itables_loader_goes_and_tables_show_as_plain_tables() -> None:
    """itables-test-notebook cells 4-5, nbpercent-itables cells 1-2, itables-static-preview cells 2-12."""
    notebook = fixture("itables-outputs")
    prepared = prepare(notebook, ALL)
    assert shown(notebook, 1) == []  # jQuery, DataTables and their CSS: dropped, no placeholder
    table = html.fragment_fromstring(shown(notebook, 2)[0]["text/html"], create_parent="div")
    rows = [[cell.text_content() for cell in row.xpath("td")] for row in table.xpath("//tbody/tr")]
    assert rows == [["AW", "Aruba", "Oranjestad"], ["FR", "France", "Paris"], ["NO", "nan", "Oslo"]]
    assert table.xpath("//tbody//a/@href") == ["https://en.example/Aruba"]
    assert table.xpath("//script | //link") == [] and "Loading..." not in table.text_content()
    preview = shown(notebook, 3)[0]["text/html"]
    assert "static preview row" in preview and "<script" not in preview
    assert "Loading ITables" not in preview  # itables' table that only says so, hidden until replaced
    assert prepared.warnings("x") == [] and prepared.libraries == {"datatables"}  # the scripts were itables'
    assert table.xpath("//table/@class") == ["display nowrap nb-datatable"]
    assert html.fragment_fromstring(preview, create_parent="div").xpath("//div[@id='T2_fallback']/table/@class") == [
        "nb-datatable"
    ]


def test_itables_tables_are_drawn_by_datatables_from_the_site(browser: Browser, site_url: str) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/itables-outputs/")
    wrappers = page.locator(".dt-container").count()
    search = page.locator(".dt-container").first.locator("input[type=search]")
    search.fill("Paris")
    rows = page.locator(".dt-container").first.locator("tbody tr").all_inner_texts()
    preview = page.locator(".dt-container").nth(1).locator("tbody").inner_text()
    page.close()
    assert problems == []
    assert sorted(path for path in requests if path.startswith("datatables/")) == [
        "datatables/dataTables.dataTables.min.css",
        "datatables/dataTables.min.js",
        "datatables/tables.js",
    ]
    assert [url for url in requests if "//" in url] == []  # nothing off the site
    assert wrappers == 2  # the rows written out of itables' script, and the static preview's table
    assert len(rows) == 1 and "Paris" in rows[0] and "France" in rows[0]
    assert "static preview row" in preview


def test_without_datatables_installed_itables_tables_stay_plain() -> None:
    notebook = fixture("itables-outputs")
    prepared = prepare(notebook, ALL - {"datatables"})
    assert "datatables" not in prepared.libraries and prepared.unavailable == {"datatables": [2, 3]}
    assert "Paris" in shown(notebook, 2)[0]["text/html"]


def test_bokeh_loaders_go_silently_and_plots_get_the_no_static_version_note() -> None:
    """bokeh-basic-plotting cell 7 (`output_notebook()`), bokeh-holoviews cells 3 and 14."""
    notebook = fixture("bokeh-outputs")
    prepared = prepare(notebook, ALL)
    assert shown(notebook, 1) == [] and shown(notebook, 3) == []  # BokehJS' and HoloViews' loaders
    assert shown(notebook, 2) == [{"text/html": UNAVAILABLE}]
    assert shown(notebook, 4) == [{"text/html": UNAVAILABLE}]  # `:Image [x,y] (z)` is no picture of the plot
    assert shown(notebook, 5) == [{"text/plain": ["81"]}]  # as saved: lines are joined later
    assert prepared.warnings("x") == []


def test_bokeh_page_runs_none_of_their_scripts(browser: Browser, site_url: str) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/bokeh-outputs/")
    text = page.inner_text(".nb-body")
    page.close()
    assert requests == [] and problems == []
    assert "Loading BokehJS" not in text and text.count("saved no static version") == 2
