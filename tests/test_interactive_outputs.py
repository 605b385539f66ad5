"""Interactive outputs (Plotly, Vega-Lite, ipywidgets) on a static page, offline.

The fixture posts in tests/fixtures/posts were made by tests/fixtures/make_interactive_posts.py,
which ran real Plotly, Altair and ipywidgets code and saved what they wrote. These tests
read that through blog_build/interactive_outputs.py and through real builds; tests/test_browser.py
checks that the charts draw and the widget moves in Chromium.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import html

from blog_build import libraries
from blog_build.interactive_outputs import (
    PLOTLY,
    TEASER_KEY,
    UNAVAILABLE,
    WIDGET_VIEW,
    has_unknown_script,
    prepare,
    render,
)

from conftest import ROOT, copy_site, nikola

FIXTURES = ROOT / "tests" / "fixtures" / "posts"
ALL = set(libraries.LIBRARIES)
LIBRARY_SCRIPT = re.compile(r'<script src="[^"]*assets/notebook-outputs/([^"?]+)\?v=[0-9a-f]+" defer>')


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.ipynb").read_text(encoding="utf-8"))


def outputs(notebook: dict) -> list[tuple[int, dict]]:
    return [(number, output) for number, cell in enumerate(notebook["cells"]) for output in cell.get("outputs", [])]


def data_types(notebook: dict) -> list[tuple[int, list[str]]]:
    return [(number, sorted(output.get("data", {}))) for number, output in outputs(notebook)]


def test_every_kind_of_saved_output_becomes_data_a_served_library_draws() -> None:
    notebook = fixture("interactive-outputs")
    prepared = prepare(notebook, ALL)
    assert prepared.libraries == {"plotly", "vega", "widgets"}
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


def test_an_output_with_no_form_the_page_can_show_says_so() -> None:
    notebook = fixture("plotly-only")
    bokeh = {"application/javascript": "Bokeh.embed(...)", "application/vnd.bokehjs_exec.v0+json": ""}
    notebook["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": bokeh}]
    prepare(notebook, ALL)
    assert notebook["cells"][1]["outputs"][0]["data"] == {"text/html": UNAVAILABLE}


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
        if path.stem in ("interactive-outputs", "plotly-only"):
            shutil.copy(path, site / "posts" / path.name)
    nikola(site, "build")
    return site


def library_scripts(site: Path, page: str) -> list[str]:
    return LIBRARY_SCRIPT.findall((site / "output" / page).read_text(encoding="utf-8"))


def test_libraries_are_served_from_the_site_as_npm_installed_them(interactive_site: Path) -> None:
    for source, site_path in libraries.files_to_copy(ALL):
        assert (interactive_site / "output" / site_path).read_bytes() == source.read_bytes()
    assert (interactive_site / "output" / "assets/notebook-outputs/widgets/embed.js").is_file()


def test_a_site_without_interactive_outputs_gets_no_library(built_site: Path) -> None:
    assert not (built_site / "output" / libraries.URL_FOLDER).exists()


def test_pages_are_rendered_again_when_the_installed_libraries_change() -> None:
    assert libraries.pinned_versions(ALL) == libraries.pinned_versions(set(ALL))
    assert libraries.pinned_versions(ALL) != libraries.pinned_versions({"plotly"})


def test_libraries_are_found_from_the_notebook_models(tmp_path: Path) -> None:
    from blog_build.pipeline import Pipeline, Settings

    def libraries_of(path: Path, available: set[str]) -> list[str]:
        return Pipeline(Settings(cache=tmp_path / "cache", libraries=available)).model(path).libraries

    assert libraries_of(FIXTURES / "interactive-outputs.ipynb", ALL) == sorted(ALL)
    assert libraries_of(FIXTURES / "plotly-only.ipynb", ALL) == ["plotly"]
    assert libraries_of(ROOT / "posts" / "fibonacci.ipynb", ALL) == []
    assert libraries_of(FIXTURES / "plotly-only.ipynb", set()) == [], "not installed: static"


def test_each_page_loads_the_libraries_it_needs_once_and_in_order(interactive_site: Path) -> None:
    assert library_scripts(interactive_site, "posts/interactive-outputs/index.html") == [
        "plotly/plotly.min.js",
        "vega/vega.min.js",
        "vega/vega-lite.min.js",
        "vega/vega-embed.min.js",
        "widgets/embed.js",
        "site/outputs.js",
    ]
    assert library_scripts(interactive_site, "posts/plotly-only/index.html") == [
        "plotly/plotly.min.js",
        "site/outputs.js",
    ]
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
