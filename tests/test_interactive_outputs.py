"""Interactive outputs (Plotly, Vega-Lite, ipywidgets) on a static page, offline.

The fixture posts in tests/fixtures/posts were made by tests/fixtures/make_interactive_posts.py,
which ran real Plotly, Altair and ipywidgets code and saved what they wrote. These tests
read that through blog_build/interactive_outputs.py and through real builds; tests/test_browser.py
checks that the charts draw and the widget moves in Chromium, and the tests at the end of
this file that each page's plotly.js bundle (or Vega without Vega-Lite) draws its charts.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import html
from PIL import Image
from playwright.sync_api import Browser, Locator, Page

from blog_build import libraries
from blog_build.interactive_outputs import (
    PLOTLY,
    TEASER_KEY,
    UNAVAILABLE,
    UNKNOWN_FORM,
    WIDGET_VIEW,
    has_unknown_script,
    prepare,
    render,
    trace_types,
)

from conftest import ROOT, copy_site, nikola, serve_folder

FIXTURES = ROOT / "tests" / "fixtures" / "posts"
ALL = set(libraries.LIBRARIES)
PARTIAL_BUNDLES = set(libraries.PLOTLY_BUNDLES)
LIBRARY_SCRIPT = re.compile(r'<script src="[^"]*assets/notebook-outputs/([^"?]+)\?v=[0-9a-f]+" defer[^>]*>')
# The fixture posts with one kind of chart each, besides interactive-outputs.
CHART_POSTS = ("plotly-only", "plotly-surface", "plotly-map", "plotly-mixed", "vega-only", "plotly-iframe")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.ipynb").read_text(encoding="utf-8"))


def outputs(notebook: dict) -> list[tuple[int, dict]]:
    return [(number, output) for number, cell in enumerate(notebook["cells"]) for output in cell.get("outputs", [])]


def data_types(notebook: dict) -> list[tuple[int, list[str]]]:
    return [(number, sorted(output.get("data", {}))) for number, output in outputs(notebook)]


def test_every_kind_of_saved_output_becomes_data_a_served_library_draws() -> None:
    notebook = fixture("interactive-outputs")
    prepared = prepare(notebook, ALL)
    assert prepared.libraries == {"plotly-basic", "vega", "vega-lite", "vega-embed", "widgets"}
    assert prepared.plotly_traces == {"scatter", "bar"}
    assert prepared.unavailable == {}
    assert data_types(notebook) == [
        (1, [PLOTLY]),  # saved by the plotly_mimetype renderer
        (3, [PLOTLY]),  # HTML from the notebook_connected renderer; its CDN loader output is gone
        (5, ["application/vnd.vegalite.v6+json", "text/plain"]),  # HTML from Altair's default renderer
        (7, ["application/vnd.vegalite.v5+json", "text/plain"]),
        (9, [WIDGET_VIEW, "text/plain"]),
        (11, ["text/html"]),  # Javascript(...) with no static form
        (12, ["image/png", "text/plain"]),  # HTML that loads a table library from a CDN
    ]
    bars = dict(outputs(notebook))[3]["data"][PLOTLY]
    assert bars["data"][0]["type"] == "bar" and bars["data"][0]["y"] == [3, 1, 2]
    assert bars["layout"]["title"]["text"] == "Bars"
    line = dict(outputs(notebook))[5]["data"]["application/vnd.vegalite.v6+json"]
    assert line["mark"] == {"type": "line", "point": True}
    assert dict(outputs(notebook))[11]["data"]["text/html"] == UNAVAILABLE


def test_index_pages_stop_before_the_first_interactive_output() -> None:
    notebook = fixture("interactive-outputs")
    prepare(notebook, ALL)
    marked = [number for number, cell in enumerate(notebook["cells"]) if cell["metadata"].get(TEASER_KEY)]
    assert marked == [1], "the author's marker comes after the first chart, so ours goes before it"

    notebook = fixture("interactive-outputs")
    notebook["cells"][0]["source"] += "\n\n<!-- TEASER_END -->"
    prepare(notebook, ALL)
    assert not any(cell["metadata"].get(TEASER_KEY) for cell in notebook["cells"])


def test_without_the_libraries_installed_outputs_fall_back_to_static_forms() -> None:
    notebook = fixture("interactive-outputs")
    prepared = prepare(notebook, set())
    assert prepared.libraries == set()
    assert prepared.unavailable == {"plotly": [2, 4], "vega": [6, 8], "widgets": [10]}
    assert data_types(notebook) == [
        (1, ["text/html"]),
        (3, ["text/html"]),
        (5, ["text/plain"]),
        (7, ["text/plain"]),
        (9, ["text/plain"]),
        (11, ["text/html"]),
        (12, ["image/png", "text/plain"]),
    ]
    assert dict(outputs(notebook))[1]["data"]["text/html"] == UNAVAILABLE
    assert "".join(dict(outputs(notebook))[9]["data"]["text/plain"]) == "IntSlider(value=3, description='n', max=10)"


def test_a_widget_without_saved_state_shows_its_text() -> None:
    notebook = fixture("interactive-outputs")
    del notebook["metadata"]["widgets"]
    prepared = prepare(notebook, ALL)
    assert "widgets" not in prepared.libraries
    assert sorted(dict(outputs(notebook))[9]["data"]) == ["text/plain"]


def test_an_output_that_only_inlines_plotly_js_is_dropped() -> None:
    library = (ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js").read_text(encoding="utf-8")
    notebook = fixture("plotly-only")
    loader = {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "text/html": f"<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script><script>{library}</script>"
        },
    }
    notebook["cells"][1]["outputs"].insert(0, loader)
    prepare(notebook, ALL)
    assert data_types(notebook) == [(1, [PLOTLY])]


def test_a_vega_lite_type_with_a_minor_version_is_drawn_as_its_major() -> None:
    notebook = fixture("interactive-outputs")
    data = notebook["cells"][7]["outputs"][0]["data"]
    data["application/vnd.vegalite.v5.20+json"] = data.pop("application/vnd.vegalite.v5+json")
    prepare(notebook, ALL)
    assert sorted(data) == ["application/vnd.vegalite.v5+json", "text/plain"]


def plotly_page(*figures: list) -> dict:
    """A notebook with one Plotly output per figure, each figure given as its list of traces."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": number,
            "metadata": {},
            "source": "fig.show()",
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {PLOTLY: {"data": traces}}}],
        }
        for number, traces in enumerate(figures, 1)
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize(
    ("figures", "loaded"),
    [
        ([[{"type": "scatter"}]], {"plotly-basic"}),
        ([[{"x": [1, 2], "y": [3, 4]}]], {"plotly-basic"}),  # no type: plotly.js draws a scatter
        ([[{"type": "scatter"}], [{"type": "bar"}, {"type": "pie"}]], {"plotly-basic"}),
        ([[{"type": "scatter"}, {"type": "histogram"}]], {"plotly-cartesian"}),
        ([[{"type": "surface"}]], {"plotly-gl3d"}),
        ([[{"type": "scatter"}], [{"type": "surface"}]], {"plotly-gl3d"}),
        ([[{"type": "choropleth"}], [{"type": "scattergeo"}]], {"plotly-geo", "topojson"}),
        ([[{"type": "histogram"}], [{"type": "scatter3d"}]], {"plotly"}),
        ([[{"type": "surface"}, {"type": "choropleth"}]], {"plotly", "topojson"}),
        ([[{"type": "sankey"}]], {"plotly"}),  # in no partial bundle
        ([[{"type": "a-trace-type-plotly-js-does-not-know"}]], {"plotly"}),
        ([[{"type": 3}], [{"type": "scatter"}]], {"plotly"}),
        ([["not a trace"]], {"plotly"}),
    ],
    ids=lambda value: "|".join(map(json.dumps, value)) if isinstance(value, list) else None,
)
def test_a_page_loads_the_smallest_plotly_bundle_that_draws_every_trace_on_it(figures: list, loaded: set[str]) -> None:
    assert prepare(plotly_page(*figures), ALL).libraries == loaded


def test_animation_frames_count_and_malformed_figures_get_the_full_bundle() -> None:
    animated = {"data": [{"type": "scatter"}], "frames": [{"data": [{"type": "histogram"}]}, {"name": "empty"}]}
    assert trace_types(animated) == {"scatter", "histogram"}
    assert trace_types({"layout": {}}) == set()
    for malformed in ({"data": {"type": "scatter"}}, {"data": [], "frames": "x"}, {"data": [], "frames": [3]}):
        assert trace_types(malformed) == {"?"}, malformed
    notebook = plotly_page([{"type": "scatter"}])
    notebook["cells"][0]["outputs"][0]["data"][PLOTLY] = {"data": {"type": "scatter"}}
    assert prepare(notebook, ALL).libraries == {"plotly"}


def test_without_the_partial_bundles_installed_pages_get_the_full_bundle() -> None:
    assert prepare(plotly_page([{"type": "scatter"}]), ALL - PARTIAL_BUNDLES).libraries == {"plotly"}
    assert prepare(plotly_page([{"type": "scatter"}]), ALL - {"plotly-basic"}).libraries == {"plotly-geo"}
    assert prepare(plotly_page([{"type": "scattergeo"}]), ALL - {"topojson"}).libraries == {"plotly-geo"}
    prepared = prepare(plotly_page([{"type": "scatter"}]), PARTIAL_BUNDLES)
    assert prepared.libraries == set() and prepared.unavailable == {"plotly": [1]}, "the fallback must be there"


def test_vega_lite_is_loaded_only_for_vega_lite_specs() -> None:
    assert prepare(fixture("vega-only"), ALL).libraries == {"vega", "vega-embed"}
    assert {"vega", "vega-lite", "vega-embed"} <= prepare(fixture("interactive-outputs"), ALL).libraries
    prepared = prepare(fixture("interactive-outputs"), ALL - {"vega-lite"})
    assert "vega-lite" not in prepared.libraries and prepared.unavailable == {"vega": [6, 8]}
    assert prepare(fixture("vega-only"), ALL - {"vega-lite"}).libraries == {"vega", "vega-embed"}


def test_an_output_with_no_form_the_page_can_show_says_so() -> None:
    notebook = fixture("plotly-only")
    bokeh = {"application/javascript": "Bokeh.embed(...)", "application/vnd.bokehjs_exec.v0+json": ""}
    notebook["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": bokeh}]
    prepare(notebook, ALL)
    assert notebook["cells"][1]["outputs"][0]["data"] == {"text/html": UNAVAILABLE}


def test_an_output_in_forms_no_page_shows_is_named_and_an_empty_one_dropped() -> None:
    notebook = fixture("plotly-only")
    stream = {"output_type": "stream", "name": "stdout", "text": "kept\n"}
    geojson = {"output_type": "display_data", "metadata": {}, "data": {"application/geo+json": {"type": "Point"}}}
    empty = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {}}
    notebook["cells"][1]["outputs"] = [stream, empty, geojson, {**empty, "output_type": "display_data"}]
    prepared = prepare(notebook, ALL)
    kept = notebook["cells"][1]["outputs"]
    assert [output["output_type"] for output in kept] == ["stream", "display_data"]
    assert kept[1]["data"] == {"text/html": UNKNOWN_FORM.format(forms="application/geo+json")}
    assert prepared.warnings("posts/p.ipynb") == [
        "posts/p.ipynb: cell 2, output 3: saved only as application/geo+json, which a web page cannot show;"
        " a note is shown (save a PNG, SVG, HTML or text form with it)"
    ]


@pytest.mark.parametrize(
    ("markup", "unknown"),
    [
        ("<b>bold</b>", False),
        ("<div id='x'></div><script>document.getElementById('x').textContent = 'hi'</script>", False),
        ('<script src="https://cdn.jsdelivr.net/npm/lib@1/lib.js"></script>', True),
        ('<script src="//cdn.example.org/lib.js"></script>', True),
        ('<script>require(["plotly"], function (Plotly) { Plotly.react("x", []) })</script>', True),
        ("<script>requirejs.config({paths: {}})</script>", True),
        (
            "<script type=\"module\">import {DataTable} from 'https://www.unpkg.com/dt_for_itables/dt_bundle.js'</script>",
            True,
        ),
        (
            "<script>var s = document.createElement('script'); s.src = 'https://cdn.bokeh.org/bokeh.min.js'</script>",
            True,
        ),
    ],
)
def test_scripts_the_page_cannot_run_are_recognised(markup: str, unknown: bool) -> None:
    assert has_unknown_script(markup) is unknown


def test_chart_data_cannot_close_its_script_element() -> None:
    markup = render(PLOTLY, {"data": [{"type": "bar", "name": "</script><script>alert(1)</script>"}], "layout": {}})
    assert markup.count("</script>") == 1
    payload = html.fromstring(markup).findtext(".//script")
    assert json.loads(payload)["data"][0]["name"] == "</script><script>alert(1)</script>"


def test_charts_are_named_for_assistive_technology() -> None:
    notebook = fixture("interactive-outputs")
    prepare(notebook, ALL)
    squares = html.fromstring(render(PLOTLY, dict(outputs(notebook))[1]["data"][PLOTLY]))
    assert squares.get("role") == "figure" and squares.get("aria-label") == "Squares"
    bars = dict(outputs(notebook))[7]["data"]["application/vnd.vegalite.v5+json"]
    assert html.fromstring(render("application/vnd.vegalite.v5+json", bars)).get("aria-label") == "Squares as bars"


@pytest.fixture(scope="module")
def interactive_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("interactive"), posts=("welcome",))
    for path in FIXTURES.glob("*"):
        if path.stem in ("interactive-outputs", *CHART_POSTS):
            shutil.copy(path, site / "posts" / path.name)
    shutil.copytree(FIXTURES / "iframe_figures", site / "posts" / "iframe_figures")  # plotly-iframe's figure
    nikola(site, "build")
    return site


def library_scripts(site: Path, page: str) -> list[str]:
    return LIBRARY_SCRIPT.findall((site / "output" / page).read_text(encoding="utf-8"))


def test_libraries_are_served_from_the_site_as_npm_installed_them(interactive_site: Path) -> None:
    # No post draws only cartesian traces beyond the basic ones, none has an itables table, a Bokeh plot, a Panel
    # layout or a map.
    needed = {
        name for name in ALL - {"plotly-cartesian", "datatables", "leaflet"} if not name.startswith(("bokeh", "panel"))
    }
    for source, site_path in libraries.files_to_copy(needed):
        assert (interactive_site / "output" / site_path).read_bytes() == source.read_bytes()
    assert (interactive_site / "output" / "assets/notebook-outputs/widgets/embed.js").is_file()
    assert (interactive_site / "output" / "assets/notebook-outputs/topojson/world_110m.json").is_file()
    served = {path.name for path in (interactive_site / "output" / libraries.URL_FOLDER).iterdir()}
    assert served == needed | {"site"}, "only the bundles some post needs are copied"


def test_a_site_without_interactive_outputs_gets_no_library(built_site: Path) -> None:
    assert not (built_site / "output" / libraries.URL_FOLDER).exists()


def test_pages_are_rendered_again_when_the_installed_libraries_change() -> None:
    assert libraries.pinned_versions(ALL) == libraries.pinned_versions(set(ALL))
    assert libraries.pinned_versions(ALL) != libraries.pinned_versions({"plotly"})


def test_libraries_are_found_from_the_notebook_models(tmp_path: Path) -> None:
    from blog_build.pipeline import Pipeline, Settings

    def libraries_of(path: Path, available: set[str]) -> list[str]:
        return Pipeline(Settings(cache=tmp_path / "cache", libraries=available)).model(path).libraries

    assert libraries_of(FIXTURES / "interactive-outputs.ipynb", ALL) == [
        "plotly-basic", "vega", "vega-embed", "vega-lite", "widgets",
    ]  # fmt: skip
    assert libraries_of(FIXTURES / "plotly-only.ipynb", ALL) == ["plotly-basic"]
    assert libraries_of(FIXTURES / "plotly-surface.ipynb", ALL) == ["plotly-gl3d"]
    assert libraries_of(FIXTURES / "plotly-map.ipynb", ALL) == ["plotly-geo", "topojson"]
    assert libraries_of(FIXTURES / "plotly-mixed.ipynb", ALL) == ["plotly"]
    assert libraries_of(FIXTURES / "vega-only.ipynb", ALL) == ["vega", "vega-embed"]
    assert libraries_of(ROOT / "posts" / "fibonacci.ipynb", ALL) == []
    assert libraries_of(FIXTURES / "plotly-only.ipynb", set()) == [], "not installed: static"


def framed_post(folder: Path, inline_plotly: bool = False) -> Path:
    """The plotly-iframe fixture in `folder`; `inline_plotly`: its figure page holds plotly.js, as `iframe` saves it."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "plotly-iframe.ipynb", folder)
    shutil.copytree(FIXTURES / "iframe_figures", folder / "iframe_figures")
    if inline_plotly:
        figure = folder / "iframe_figures" / "figure_0.html"
        library = (ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js").read_text(encoding="utf-8")
        text, count = re.subn(
            r'<script charset="utf-8" src="https://cdn\.plot\.ly/[^"]+"[^>]*></script>',
            lambda _match: f'<script type="text/javascript">{library}</script>',
            figure.read_text(encoding="utf-8"),
        )
        assert count == 1
        figure.write_text(text, encoding="utf-8")
    return folder / "plotly-iframe.ipynb"


@pytest.mark.parametrize("inline_plotly", [False, True], ids=["iframe_connected", "iframe"])
def test_a_figure_saved_as_a_framed_page_is_drawn_from_the_page(tmp_path: Path, inline_plotly: bool) -> None:
    from blog_build.pipeline import Pipeline, Settings

    source = framed_post(tmp_path / "posts", inline_plotly)
    model = Pipeline(Settings(cache=tmp_path / "cache", libraries=ALL)).model(source)
    assert model.libraries == ["plotly-basic"]
    assert model.references == [], "the framed page is not copied beside the post: nothing frames it"
    [(_, output)] = outputs(model.notebook)
    assert list(output["data"]) == [PLOTLY]
    figure = output["data"][PLOTLY]
    assert figure["data"][0]["y"] == [4, 1, 3, 2] and figure["layout"]["title"]["text"] == "Framed"


def test_a_framed_figure_page_is_part_of_the_model(tmp_path: Path) -> None:
    """Its edit, or its removal, makes a new model, as an edit of the notebook does."""
    from blog_build.pipeline import Pipeline, Settings

    source = framed_post(tmp_path / "posts")
    figure = source.parent / "iframe_figures" / "figure_0.html"

    def shown() -> dict:
        pipeline = Pipeline(Settings(cache=tmp_path / "cache", libraries=ALL))
        model = pipeline.model(source)
        pipeline.save()
        return outputs(model.notebook)[0][1]["data"]

    assert shown()[PLOTLY]["data"][0]["y"] == [4, 1, 3, 2]
    figure.write_text(figure.read_text(encoding="utf-8").replace('"y":[4,1,3,2]', '"y":[5,1,3,2]'), encoding="utf-8")
    assert shown()[PLOTLY]["data"][0]["y"] == [5, 1, 3, 2]
    figure.unlink()
    assert "iframe_figures/figure_0.html" in shown()["text/html"], "the frame stays, and the scanner names the file"


def test_each_page_loads_the_libraries_it_needs_once_and_in_order(interactive_site: Path) -> None:
    assert library_scripts(interactive_site, "posts/interactive-outputs/index.html") == [
        "plotly-basic/plotly-basic.min.js",
        "vega/vega.min.js",
        "vega-lite/vega-lite.min.js",
        "vega-embed/vega-embed.min.js",
        "widgets/embed.js",
        "site/outputs.js",
    ]
    for post, bundle in (
        ("plotly-only", "plotly-basic/plotly-basic.min.js"),
        ("plotly-surface", "plotly-gl3d/plotly-gl3d.min.js"),
        ("plotly-map", "plotly-geo/plotly-geo.min.js"),
        ("plotly-mixed", "plotly/plotly.min.js"),
        ("plotly-iframe", "plotly-basic/plotly-basic.min.js"),
    ):
        assert library_scripts(interactive_site, f"posts/{post}/index.html") == [bundle, "site/outputs.js"], post
    assert library_scripts(interactive_site, "posts/vega-only/index.html") == [
        "vega/vega.min.js",
        "vega-embed/vega-embed.min.js",
        "site/outputs.js",
    ]
    for post in CHART_POSTS:
        page = (interactive_site / "output" / "posts" / post / "index.html").read_text(encoding="utf-8")
        maps = 'data-topojson="/assets/notebook-outputs/topojson/"' in page
        assert maps == (post == "plotly-map"), f"{post}: only a page with a geo chart names the maps' folder"
    for page in ("index.html", "posts/welcome/index.html", "archive.html", "rss.xml"):
        assert library_scripts(interactive_site, page) == [], page


def test_built_pages_hold_no_cdn_address_and_no_library_loader(interactive_site: Path) -> None:
    text = (interactive_site / "output" / "posts" / "interactive-outputs" / "index.html").read_text(encoding="utf-8")
    shown = "".join(
        html.tostring(output, encoding="unicode")
        for output in html.fromstring(text).xpath("//div[contains(@class, 'output_subarea')]")
    )
    for foreign in ("cdn.", "unpkg", "require(", "window.PlotlyConfig", "Loading table"):
        assert foreign not in shown
    assert text.count('type="application/vnd.jupyter.widget-state+json"') == 1


def test_a_three_megabyte_plotly_post_keeps_home_page_and_feeds_small(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome",))
    notebook = fixture("plotly-only")
    figure = notebook["cells"][1]["outputs"][0]["data"][PLOTLY]
    points = [round(i * 0.001, 3) for i in range(220_000)]
    figure["data"].append({**copy.deepcopy(figure["data"][0]), "x": points, "y": points[::-1]})
    library = (ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js").read_text(encoding="utf-8")
    loader = f"<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script><script>{library}</script>"
    notebook["cells"][1]["outputs"].insert(
        0, {"output_type": "display_data", "metadata": {}, "data": {"text/html": loader}}
    )
    source = site / "posts" / "big-plotly.ipynb"
    source.write_text(json.dumps(notebook), encoding="utf-8")
    shutil.copy(FIXTURES / "plotly-only.meta", site / "posts" / "big-plotly.meta")
    assert source.stat().st_size > 7_000_000, "3 MB of figure data and 4.8 MB of inlined plotly.js"

    result = nikola(site, "build")
    output = site / "output"
    for small in ("index.html", "rss.xml", "index.atom", "categories/fixtures.xml", "categories/fixtures/index.html"):
        text = (output / small).read_text(encoding="utf-8")
        assert len(text.encode()) < 100_000, small
        assert not re.search("nb-plotly|vnd\\.plotly|plotly\\.min\\.js|PlotlyConfig", text), small
    post = (output / "posts" / "plotly-only" / "index.html").read_text(encoding="utf-8")
    assert 3_000_000 < len(post) < 4_500_000, "the figure's data, without the inlined library"
    assert "window.PlotlyConfig" not in post
    assert "posts/plotly-only/index.html is" in result.stderr, "the page-size report names the heavy post"
    assert not re.search(r"(index\.html|\.xml|\.atom) is \d", result.stderr.replace("posts/plotly-only/index.html", ""))


def test_without_npm_packages_the_build_warns_and_shows_static_forms(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome",))
    (site / "node_modules").unlink()
    for path in FIXTURES.glob("plotly-only.*"):
        shutil.copy(path, site / "posts" / path.name)
    result = nikola(site, "build")
    assert "posts/plotly-only.ipynb: plotly output in cell 2 shown without interactivity" in result.stderr
    assert "npm ci" in result.stderr
    page = (site / "output" / "posts" / "plotly-only" / "index.html").read_text(encoding="utf-8")
    assert library_scripts(site, "posts/plotly-only/index.html") == []
    assert "saved no static version" in page and "nb-plotly" not in page


# --- in Chromium: the bundles are what the table says, and each page draws its charts ---------


def test_each_partial_bundle_registers_the_trace_types_the_table_gives(browser: Browser) -> None:
    """The table libraries.py chooses from is the pinned bundles' own, smallest first, all at one version."""
    page = browser.new_page()
    registered, sizes, versions = {}, [], set()
    for name in [*libraries.PLOTLY_BUNDLES, libraries.FULL_PLOTLY]:
        script = ROOT / "node_modules" / libraries.LIBRARIES[name].scripts[0]
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=script)
        version, traces = page.evaluate("[Plotly.version, Object.keys(Plotly.PlotSchema.get().traces)]")
        package = json.loads((script.parent / "package.json").read_text(encoding="utf-8"))
        versions |= {version, package["version"]}
        registered[name], sizes = set(traces), [*sizes, script.stat().st_size]
    page.close()
    assert {name: registered[name] for name in libraries.PLOTLY_BUNDLES} == libraries.PLOTLY_BUNDLES
    assert sizes == sorted(sizes), "smallest first, the full bundle last"
    assert len(versions) == 1, f"every bundle at the full bundle's version: {versions}"
    assert libraries.GEO_TRACES.issubset(registered["plotly-geo"]), "geo traces are drawn with the geo bundle"


@pytest.fixture(scope="module")
def interactive_url(interactive_site: Path) -> Iterator[str]:
    with serve_folder(interactive_site / "output") as url:
        yield url


def open_offline(browser: Browser, site_url: str, path: str) -> tuple[Page, list[str], list[str]]:
    """The page, its requests (paths below the library folder, or whole foreign URLs) and its problems."""
    host = urlsplit(site_url).netloc
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    folder = f"/{libraries.URL_FOLDER}/"

    def requested(url: str) -> None:
        parts = urlsplit(url)
        if parts.netloc != host:
            requests.append(url)
        elif parts.path.startswith(folder):
            requests.append(parts.path.removeprefix(folder))

    page.on("request", lambda request: requested(request.url))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status}: {response.url}")
    )
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.route(lambda url: urlsplit(url).netloc != host, lambda route: route.abort("internetdisconnected"))
    page.goto(site_url + path, wait_until="networkidle")
    return page, requests, problems


def coloured_pixels(element: Locator) -> int:
    """Pixels of a clear colour (not the greys of axes and grid lines) in a screenshot of the element."""
    shot = Image.open(io.BytesIO(element.screenshot())).convert("RGB")
    return sum(1 for r, g, b in shot.get_flattened_data() if max(r, g, b) - min(r, g, b) > 60)


def test_a_scatter_page_draws_with_the_basic_bundle(browser: Browser, interactive_url: str) -> None:
    page, requests, problems = open_offline(browser, interactive_url, "/posts/plotly-only/")
    page.wait_for_function("document.querySelector('.nb-plotly .main-svg')")
    assert page.locator(".nb-plotly .scatterlayer .js-line").count() == 1, "the zigzag's line"
    assert page.locator(".nb-plotly .gtitle").text_content() == "Zigzag"
    assert requests == ["plotly-basic/plotly-basic.min.js", "site/outputs.js"] and problems == []
    page.close()


def test_a_surface_page_draws_with_the_gl3d_bundle(browser: Browser, interactive_url: str) -> None:
    page, requests, problems = open_offline(browser, interactive_url, "/posts/plotly-surface/")
    page.wait_for_function("document.querySelector('.nb-plotly canvas')")
    page.wait_for_timeout(500)  # WebGL draws on the next frames
    assert coloured_pixels(page.locator(".nb-plotly canvas")) > 5_000, "the surface's colours on the WebGL canvas"
    assert page.locator(".nb-plotly .gtitle").text_content() == "A bump"
    assert requests == ["plotly-gl3d/plotly-gl3d.min.js", "site/outputs.js"] and problems == []
    page.close()


def test_a_map_page_draws_with_the_geo_bundle_over_maps_from_the_site(browser: Browser, interactive_url: str) -> None:
    page, requests, problems = open_offline(browser, interactive_url, "/posts/plotly-map/")
    coastlines = "[...document.querySelectorAll('.nb-plotly .coastlines path')].filter(line => line.getAttribute('d'))"
    page.wait_for_function(f"{coastlines}.length === 2")
    assert page.locator(".nb-plotly .choroplethlocation").count() == 4, "four countries coloured"
    assert page.locator(".nb-plotly .scattergeo .point").count() == 3, "three capitals"
    assert page.locator(".nb-plotly .scattergeo text").all_text_contents() == ["Paris", "Berlin", "Madrid"]
    assert requests[:2] == ["plotly-geo/plotly-geo.min.js", "site/outputs.js"]
    assert set(requests[2:]) == {"topojson/world_110m.json"}, "the maps come from the site, not Plotly's CDN"
    assert problems == []
    page.close()


def test_a_page_no_partial_bundle_can_draw_gets_all_of_plotly(browser: Browser, interactive_url: str) -> None:
    page, requests, problems = open_offline(browser, interactive_url, "/posts/plotly-mixed/")
    page.wait_for_function("document.querySelector('.nb-plotly canvas')")
    page.wait_for_timeout(500)
    assert page.locator(".nb-plotly").nth(0).locator(".barlayer .point").count() == 5, "five histogram bins"
    assert coloured_pixels(page.locator(".nb-plotly").nth(1).locator("canvas")) > 50, (
        "the 3-D points on the WebGL canvas"
    )
    assert requests == ["plotly/plotly.min.js", "site/outputs.js"] and problems == []
    page.close()


def test_a_framed_figure_draws_in_the_page_with_nothing_framed(browser: Browser, interactive_url: str) -> None:
    page, requests, problems = open_offline(browser, interactive_url, "/posts/plotly-iframe/")
    page.wait_for_function("document.querySelector('.nb-plotly .main-svg')")
    assert page.locator(".nb-plotly .gtitle").text_content() == "Framed"
    assert page.locator(".nb-plotly .scatterlayer .point").count() == 4
    assert page.locator("iframe").count() == 0
    assert requests == ["plotly-basic/plotly-basic.min.js", "site/outputs.js"] and problems == []
    page.close()


def test_a_plain_vega_chart_draws_without_vega_lite(browser: Browser, interactive_url: str) -> None:
    page, requests, problems = open_offline(browser, interactive_url, "/posts/vega-only/")
    page.wait_for_function("document.querySelector('.nb-vega canvas, .nb-vega svg.marks')")
    box = page.locator(".nb-vega canvas, .nb-vega svg.marks").first.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    assert coloured_pixels(page.locator(".nb-vega canvas, .nb-vega svg.marks").first) > 1_000, "three steelblue bars"
    assert requests == ["vega/vega.min.js", "vega-embed/vega-embed.min.js", "site/outputs.js"] and problems == []
    page.close()
