"""HoloViews plots (Bokeh backend) and Panel layouts drawn on the page, offline; other releases get a note.

The fixture posts (tests/fixtures/holoviz/, written by make_holoviz_posts.py with Bokeh 3.9.2
and Panel 1.9.4, the releases of the BokehJS and the Panel extension package.json pins) hold
what `hv.extension('bokeh')`, `pn.extension()` and their displays save: Panel's loader, then
for each plot or layout HTML with Panel's script, whose Bokeh documents
interactive_outputs.prepare_bokeh reads as JSON. A HoloViews plot is plain Bokeh models; a
Panel layout adds Panel's models, drawn by Panel's extension, and its comms with the kernel,
which are left out. Both name style sheets on Panel's CDN, which point at the site's copies.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from test_interactive_outputs import open_offline

from blog_build import libraries
from blog_build.interactive_outputs import BOKEH, TEASER_KEY, prepare

from conftest import ROOT, copy_site, nikola, serve_folder

FIXTURES = ROOT / "tests" / "fixtures" / "holoviz"
ALL = set(libraries.LIBRARIES)
EXTENSION = 2  # hv.extension('bokeh') / pn.extension(): Panel's loader
CURVE, SIDE_BY_SIDE = 4, 6  # HoloViews: a Curve with a hover tool, a Scatter + Bars layout
LAYOUT, LINKED = 4, 6  # Panel: a Column of a Markdown pane and a Row of a slider and a plot; a jslink
TABS = 8  # Panel's Tabs of its Select, TextInput and Button widgets and a Markdown pane
CDN = "https://cdn.holoviz.org/panel/1.9.4/dist/"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.ipynb").read_text(encoding="utf-8"))


def shown(notebook: dict, cell: int) -> list[dict]:
    return [output["data"] for output in notebook["cells"][cell - 1].get("outputs", []) if output.get("data")]


def edited(name: str, old: str, new: str) -> dict:
    """The fixture with `old` replaced by `new` in the HTML of its outputs (Panel's script is there)."""
    notebook = fixture(name)
    count = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            markup = "".join(output.get("data", {}).get("text/html", ""))
            count += markup.count(old)
            if old in markup:
                output["data"]["text/html"] = markup.replace(old, new)
    assert count, f"{old!r} is not in the outputs of {name}"
    return notebook


def document(notebook: dict, cell: int) -> dict:
    [data] = shown(notebook, cell)
    return data[BOKEH]["docs_json"]


def test_the_fixtures_were_saved_by_the_releases_of_the_pinned_packages() -> None:
    assert libraries.bokeh_version() == "3.9.2" and libraries.panel_version() == "1.9.4"
    for name in ("holoviews-plots", "panel-layout"):
        saved = (FIXTURES / f"{name}.ipynb").read_text(encoding="utf-8")
        assert '\\"version\\":\\"3.9.2\\"' in saved and CDN in saved, "regenerate it with make_holoviz_posts.py"


def test_holoviews_plots_are_bokeh_documents_drawn_without_panels_extension() -> None:
    notebook = fixture("holoviews-plots")
    prepared = prepare(notebook, ALL)
    assert prepared.warnings("x") == []
    # HoloViews draws with WebGL; Panel's style sheets come from the site, its script is not needed
    assert prepared.libraries == {"bokeh", "bokeh-gl", "panel-css"}
    assert shown(notebook, EXTENSION) == [], "the loader, its logo and Panel's comms are dropped"
    for cell in (CURVE, SIDE_BY_SIDE):
        [data] = shown(notebook, cell)
        assert set(data) == {BOKEH, "text/plain"}
        [doc] = data[BOKEH]["docs_json"].values()
        assert doc["version"] == "3.9.2"
    text = json.dumps(notebook)
    assert "cdn.holoviz.org" not in text and "/assets/notebook-outputs/panel-css/listpanel.css?v=" in text
    assert notebook["cells"][CURVE - 1]["metadata"].get(TEASER_KEY), "index pages stop before the first plot"


def test_a_panel_layout_loads_panels_extension_and_leaves_out_its_comms() -> None:
    notebook = fixture("panel-layout")
    prepared = prepare(notebook, ALL)
    assert prepared.libraries == {"bokeh", "bokeh-widgets", "bokeh-tables", "panel", "panel-css"}
    assert shown(notebook, EXTENSION) == []
    [doc] = document(notebook, LAYOUT).values()
    assert [root["name"] for root in doc["roots"]] == ["panel.models.layout.Column"], "no CommManager"
    [tabs] = document(notebook, TABS).values()
    assert [root["name"] for root in tabs["roots"]] == ["panel.models.tabs.Tabs"]
    assert "&lt;h3&gt;Dots and their size&lt;/h3&gt;" in json.dumps(doc), "the Markdown pane's HTML, as saved"
    # Panel's jslink is a CustomJS callback: the notebook's JavaScript, which the site does not run
    assert "carries JavaScript" in shown(notebook, LINKED)[0]["text/html"]
    assert prepared.warnings("post.ipynb") == [
        f"post.ipynb: cell {LINKED}: the Bokeh plot is shown as a note: it holds JavaScript of its own"
        " (a CustomJS model), and the site runs no script a notebook brings"
    ]


def test_a_layout_saved_by_another_panel_release_gets_a_note_naming_both() -> None:
    notebook = edited("panel-layout", CDN, CDN.replace("1.9.4", "1.8.0"))
    prepared = prepare(notebook, ALL)
    [data] = shown(notebook, LAYOUT)
    assert list(data) == ["text/html"]
    assert "saved with Panel 1.8.0; the site draws layouts of Panel 1.9.4" in data["text/html"]
    assert "panel" not in prepared.libraries


def test_a_layout_whose_panel_release_is_unknown_gets_the_note() -> None:
    notebook = edited("panel-layout", CDN, "/static/")
    prepare(notebook, ALL)
    [data] = shown(notebook, LAYOUT)
    assert "saved with a Panel version it did not record" in data["text/html"]


def test_a_holoviews_plot_saved_by_another_bokeh_release_gets_bokehs_note() -> None:
    notebook = edited("holoviews-plots", '"version":"3.9.2"', '"version":"3.8.0"')
    prepare(notebook, ALL)
    [data] = shown(notebook, CURVE)
    assert "saved with Bokeh 3.8.0; the site draws plots of Bokeh 3.9.2" in data["text/html"]


def test_without_panels_extension_installed_a_layout_gets_the_install_warning() -> None:
    notebook = fixture("panel-layout")
    prepared = prepare(notebook, ALL - {"panel"})
    assert prepared.unavailable == {"panel": [LAYOUT, TABS]}
    assert "saved no static version" in shown(notebook, LAYOUT)[0]["text/html"]


def test_a_layout_with_a_panel_model_the_site_does_not_draw_gets_a_note_and_a_warning() -> None:
    notebook = edited(
        "panel-layout", '"name":"panel.models.markup.HTML"', '"name":"panel.models.reactive_html.ReactiveHTML"'
    )
    prepared = prepare(notebook, ALL)
    assert "the site does not draw its reactive_html.ReactiveHTML" in shown(notebook, LAYOUT)[0]["text/html"]
    assert (
        f"x: cell {LAYOUT}: the Panel layout is shown as a note: the site does not draw Panel's"
        " panel.models.reactive_html.ReactiveHTML"
    ) in prepared.warnings("x")


def test_the_html_of_a_panel_pane_is_cleaned_as_panel_draws_it() -> None:
    # Panel writes the pane's HTML escaped; its extension draws what the escaped text stands for.
    pane = "&lt;h3&gt;Dots and their size&lt;/h3&gt;"
    notebook = edited(
        "panel-layout", pane, pane + "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
    )
    prepared = prepare(notebook, ALL)
    text = json.dumps(document(notebook, LAYOUT))
    assert "alert" not in text and '&lt;img src=\\"x\\"&gt;' in text, text
    assert f"x: cell {LAYOUT}: scripts removed from its output; the site runs no script a notebook brings" in (
        prepared.warnings("x")
    )


def test_a_model_definition_extending_another_model_is_refused() -> None:
    # A document's own model definitions (defs) are plain data models; one built on CustomJS would run its code.
    definition = '{"type":"model","name":"request_value1",'
    notebook = edited("panel-layout", definition, definition + '"extends":{"id":"CustomJS"},')
    prepared = prepare(notebook, ALL)
    assert "carries JavaScript" in shown(notebook, LAYOUT)[0]["text/html"]
    assert any(
        f"cell {LAYOUT}: " in line and "a model definition extending CustomJS" in line
        for line in (prepared.warnings("x"))
    )


def test_style_sheets_from_elsewhere_are_left_out_with_a_warning() -> None:
    notebook = edited("holoviews-plots", CDN + "css/listpanel.css", "https://example.com/listpanel.css")
    sheet = ":host { background: url(https://example.com/x.png) }"
    notebook = edited_documents(notebook, CURVE, '"stylesheets":["', f'"stylesheets":["{sheet}","')
    prepared = prepare(notebook, ALL)
    text = json.dumps(document(notebook, CURVE))
    assert "example.com" not in text and '"name": "InlineStyleSheet"' in text, "the sheet's model stays, empty"
    assert prepared.warnings("x")[0].startswith(
        f"x: cell {CURVE}: style sheets from other sites left out of the plot (https://example.com/listpanel.css, https://example.com/x.png)"
    )
    assert "panel-css" in prepared.libraries, "Panel's other sheets are the site's"


def test_a_style_sheet_given_as_a_data_url_is_left_out() -> None:
    # A data: sheet is CSS of its own, which may @import one from elsewhere.
    notebook = edited(
        "holoviews-plots", CDN + "css/listpanel.css", "data:text/css,@import url(https://example.com/a.css);"
    )
    prepared = prepare(notebook, ALL)
    assert "example.com" not in json.dumps(document(notebook, CURVE))
    assert (
        f"x: cell {CURVE}: style sheets from other sites left out of the plot (data:text/css,"
        in (prepared.warnings("x")[0])
    )


def edited_documents(notebook: dict, cell: int, old: str, new: str) -> dict:
    notebook = copy.deepcopy(notebook)
    [output] = [output for output in notebook["cells"][cell - 1]["outputs"] if "text/html" in output.get("data", {})]
    markup = "".join(output["data"]["text/html"])
    assert old in markup
    output["data"]["text/html"] = markup.replace(old, new, 1)
    return notebook


# --- the site ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def holoviz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("holoviz"), posts=("welcome",))
    for path in FIXTURES.glob("*.*"):
        shutil.copy(path, site / "posts" / path.name)
    # The Panel post as another Panel release saved it.
    other = edited("panel-layout", CDN, CDN.replace("1.9.4", "1.8.0"))
    (site / "posts" / "panel-other.ipynb").write_text(json.dumps(other), encoding="utf-8")
    meta = (FIXTURES / "panel-layout.meta").read_text(encoding="utf-8")
    (site / "posts" / "panel-other.meta").write_text(
        meta.replace("slug: panel-layout", "slug: panel-other").replace(
            "title: A Panel layout", "title: Another Panel"
        ),
        encoding="utf-8",
    )
    result = nikola(site, "build")
    (site / "build-stderr.txt").write_text(result.stderr, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def site_url(holoviz_site: Path) -> Iterator[str]:
    with serve_folder(holoviz_site / "output") as url:
        yield url


def test_holoviews_plots_draw_offline(browser: Browser, site_url: str, holoviz_site: Path) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/holoviews-plots/")
    plots = page.locator(".nb-bokeh")
    assert plots.count() == 2
    for index in range(2):
        plots.nth(index).locator("canvas").first.wait_for()
    canvases = [plots.nth(index).locator("canvas").count() for index in range(2)]
    labels = [plots.nth(index).get_attribute("aria-label") for index in range(2)]
    text = page.inner_text(".nb-body")
    page.close()
    assert problems == []
    scripts = ["bokeh/bokeh.min.js", "bokeh-gl/bokeh-gl.min.js", "site/outputs.js"]
    assert requests[:3] == scripts, "no Panel script"
    assert sorted(requests[3:]) == [f"panel-css/{name}.css" for name in ("default", "listpanel", "loading", "native")]
    assert labels == ["Squares", "Points"] and canvases[1] > canvases[0], "the layout draws two plots"
    assert "Extension loaded" not in text and "saved no static version" not in text
    assert "holoviews-plots.ipynb" not in (holoviz_site / "build-stderr.txt").read_text(encoding="utf-8")


def test_a_panel_layout_draws_offline_with_panels_extension(browser: Browser, site_url: str) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/panel-layout/")
    assert page.locator(".nb-bokeh").count() == 2
    layout = page.locator(".nb-bokeh").first
    layout.locator("canvas").first.wait_for()
    layout.locator("h3", has_text="Dots and their size").wait_for()  # the Markdown pane, drawn by Panel's HTML model
    layout.locator(".noUi-target").wait_for()  # the slider
    tabs = page.locator(".nb-bokeh").nth(1)
    tabs.locator("select").wait_for()
    options = tabs.locator("select option").all_inner_texts()
    label = tabs.locator("input[type=text]").input_value()
    tabs.get_by_role("button", name="Draw").wait_for()
    tabs.get_by_text("About", exact=True).click()  # the other tab: the Markdown pane
    tabs.locator("em", has_text="Panel").wait_for()
    text = page.inner_text(".nb-body")
    page.close()
    assert problems == []
    assert requests[:5] == [
        "bokeh/bokeh.min.js",
        "bokeh-widgets/bokeh-widgets.min.js",
        "bokeh-tables/bokeh-tables.min.js",
        "panel/panel.min.js",
        "site/outputs.js",
    ]
    assert all(request.startswith("panel-css/") for request in requests[5:])
    assert "carries JavaScript" in text, "the jslink'd slider is a note"
    assert options == ["red", "blue"] and label == "dots"


def test_a_layout_of_another_panel_release_is_a_note_and_loads_nothing(
    browser: Browser, site_url: str, holoviz_site: Path
) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/panel-other/")
    text = page.inner_text(".nb-body")
    page.close()
    assert problems == [] and requests == []
    assert "saved with Panel 1.8.0; the site draws layouts of Panel 1.9.4" in text
    assert "Traceback" not in (holoviz_site / "build-stderr.txt").read_text(encoding="utf-8")
