"""Bokeh 3 plots drawn on the page by the site's BokehJS, offline; plots of other versions get a note naming it.

The fixture post (tests/fixtures/bokeh/, written by make_bokeh_posts.py with the Bokeh release
whose BokehJS package.json pins) holds what Bokeh's `output_notebook()` and `show()` save:
the loader, then for each plot an empty root element and the plot's script with its
docs_json and render_items, which interactive_outputs.prepare_bokeh reads as JSON.
"""

from __future__ import annotations

import copy
import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from test_interactive_outputs import Quiet, open_offline

from blog_build import libraries
from blog_build.interactive_outputs import BOKEH, TEASER_KEY, UNAVAILABLE, prepare

from conftest import ROOT, copy_site, nikola

FIXTURES = ROOT / "tests" / "fixtures" / "bokeh"
ALL = set(libraries.LIBRARIES)
LINE, SCATTER = 4, 6  # the cells of the plots that `show` saved
COMPONENTS, FILE_HTML = 8, 9  # and of those saved as HTML by `components` and by `file_html`
SLIDER = 11  # a plot in a column with a Slider, which BokehJS' widgets bundle draws
PLOTS = (LINE, SCATTER, COMPONENTS, FILE_HTML, SLIDER)


def fixture() -> dict:
    return json.loads((FIXTURES / "bokeh-plots.ipynb").read_text(encoding="utf-8"))


def shown(notebook: dict, cell: int) -> list[dict]:
    return [output["data"] for output in notebook["cells"][cell - 1].get("outputs", [])]


def edit_script(notebook: dict, cell: int, old: str, new: str) -> dict:
    """The notebook with `old` replaced by `new` in the script Bokeh saved for the plot of `cell`."""
    edited = copy.deepcopy(notebook)
    for output in edited["cells"][cell - 1]["outputs"]:
        script = "".join(output["data"].get("application/javascript", ""))
        if old in script:
            output["data"]["application/javascript"] = script.replace(old, new)
            return edited
    raise AssertionError(f"{old!r} is not in the script of cell {cell}")


def test_the_fixture_was_saved_by_the_bokeh_release_of_the_pinned_bokehjs() -> None:
    assert libraries.bokeh_version() == "3.9.2"
    saved = (FIXTURES / "bokeh-plots.ipynb").read_text(encoding="utf-8")  # the scripts are JSON strings in it
    assert saved.count('\\"version\\":\\"3.9.2\\"') == len(PLOTS), "regenerate it with make_bokeh_posts.py"


def test_bokeh_3_plots_become_documents_for_bokehjs() -> None:
    notebook = fixture()
    prepared = prepare(notebook, ALL)
    assert prepared.libraries == {"bokeh", "bokeh-widgets"} and prepared.warnings("x") == []
    assert shown(notebook, 2) == []  # output_notebook(): the loader
    for cell in PLOTS:
        # the empty root element is dropped; the script's documents are data, the script is gone
        [data] = shown(notebook, cell)
        assert set(data) <= {BOKEH, "text/plain"} and BOKEH in data
        [document] = data[BOKEH]["docs_json"].values()
        assert document["version"] == "3.9.2" and data[BOKEH]["render_items"][0]["roots"]
    assert notebook["cells"][LINE - 1]["metadata"].get(TEASER_KEY), "index pages stop before the first plot"


def test_a_plot_saved_by_another_bokeh_release_gets_a_note_naming_it() -> None:
    notebook = edit_script(fixture(), SCATTER, '"version":"3.9.2"', '"version":"3.8.0"')
    prepared = prepare(notebook, ALL)
    [data] = shown(notebook, SCATTER)
    assert "saved with Bokeh 3.8.0; the site draws plots of Bokeh 3.9.2" in data["text/html"]
    assert "saved no static version" in data["text/html"] and list(data) == ["text/html"]
    assert list(shown(notebook, LINE)[0]) == [BOKEH], "the other plot is drawn"
    assert prepared.warnings("x") == []


def test_an_unreadable_bokeh_script_gets_the_note_and_one_warning_naming_its_cell() -> None:
    notebook = edit_script(fixture(), LINE, "const docs_json = {", "const docs_json = {{")
    prepared = prepare(notebook, ALL)
    assert shown(notebook, LINE) == [{"text/html": UNAVAILABLE}]
    assert prepared.warnings("post.ipynb") == [
        f"post.ipynb: cell {LINE}: the Bokeh plot's docs_json or render_items could not be read as JSON;"
        " a note is shown instead"
    ]
    assert list(shown(notebook, SCATTER)[0]) == [BOKEH]


def test_without_bokehjs_installed_plots_get_the_note_and_the_install_warning() -> None:
    notebook = fixture()
    prepared = prepare(notebook, ALL - {"bokeh"})
    assert prepared.libraries == set() and prepared.unavailable == {"bokeh": list(PLOTS)}
    assert "x: bokeh output in cell 4, 6, 8, 9, 11 shown without interactivity" in prepared.warnings("x")[0]
    for cell in PLOTS:
        assert shown(notebook, cell) == [{"text/html": UNAVAILABLE}]


def test_extension_bundles_are_loaded_only_for_plots_with_their_models() -> None:
    assert libraries.bokeh_libraries({"Figure", "HoverTool"}, webgl=False) == {"bokeh"}
    assert libraries.bokeh_libraries({"Slider", "Figure"}, webgl=False) == {"bokeh", "bokeh-widgets"}
    assert libraries.bokeh_libraries({"Figure", "TeX"}, webgl=False) == {"bokeh", "bokeh-mathjax"}
    assert libraries.bokeh_libraries({"DataTable"}, webgl=True) == {
        "bokeh",
        "bokeh-widgets",
        "bokeh-tables",
        "bokeh-gl",
    }
    notebook = edit_script(fixture(), LINE, '"width":500,', '"width":500,"output_backend":"webgl",')
    assert prepare(notebook, ALL).libraries == {"bokeh", "bokeh-widgets", "bokeh-gl"}


def test_a_plot_whose_extension_bundle_is_not_installed_gets_the_note() -> None:
    notebook = fixture()
    prepared = prepare(notebook, ALL - {"bokeh-widgets"})
    assert prepared.libraries == {"bokeh"} and prepared.unavailable == {"bokeh-widgets": [SLIDER]}
    assert shown(notebook, SLIDER) == [{"text/html": UNAVAILABLE}]
    assert "x: bokeh-widgets output in cell 11 shown without interactivity" in prepared.warnings("x")[0]


# --- in Chromium: the bundles are what the table says, and the page draws its plots -------------


def test_each_extension_bundle_registers_the_models_the_table_gives(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=ROOT / "node_modules" / libraries.LIBRARIES["bokeh"].scripts[0])
    version, known = page.evaluate("[Bokeh.version, Bokeh.Models.names]")
    registered = {}
    for name in ("bokeh-widgets", "bokeh-tables"):
        page.add_script_tag(path=ROOT / "node_modules" / libraries.LIBRARIES[name].scripts[0])
        now = page.evaluate("Bokeh.Models.names")
        registered[name], known = set(now) - set(known), now
    page.close()
    assert version == libraries.bokeh_version()
    assert registered == {name: libraries.BOKEH_EXTENSIONS[name] for name in registered}
    assert libraries.BOKEH_EXTENSIONS["bokeh-mathjax"] <= set(known), "MathText models are BokehJS' own"


# --- the site ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bokeh_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("bokeh"), posts=("welcome",))
    for path in FIXTURES.glob("bokeh-plots.*"):
        shutil.copy(path, site / "posts" / path.name)
    result = nikola(site, "build")
    (site / "build-stderr.txt").write_text(result.stderr, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def site_url(bokeh_site: Path) -> Iterator[str]:
    handler = functools.partial(Quiet, directory=str(bokeh_site / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_plots_draw_offline_from_the_sites_bokehjs(browser: Browser, site_url: str, bokeh_site: Path) -> None:
    page, requests, problems = open_offline(browser, site_url, "/posts/bokeh-plots/")
    plots = page.locator(".nb-bokeh")
    assert plots.count() == len(PLOTS)
    for index in range(len(PLOTS)):
        plots.nth(index).locator("canvas").first.wait_for()  # BokehJS draws into a canvas in its root's shadow DOM
    labels = [plots.nth(index).get_attribute("aria-label") for index in range(len(PLOTS))]
    plots.nth(4).get_by_text("Size: 3").wait_for()  # the slider, drawn by the widgets bundle
    # The scatter's hover tool: the point "c" at (3, 4) is 40 px below the frame's top, at 251 px.
    plot = plots.nth(1)
    plot.scroll_into_view_if_needed()
    box = plot.locator("canvas").first.bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 150)  # into the plot first: BokehJS tracks the pointer from there
    page.mouse.move(box["x"] + 251, box["y"] + 40, steps=5)
    tooltip = page.locator(".bk-tooltip-content")  # BokehJS puts its tooltips outside the plot's element
    tooltip.wait_for()
    hovered = " ".join(tooltip.inner_text().split())
    text = page.inner_text(".nb-body")
    page.close()
    assert problems == []
    assert requests == ["bokeh/bokeh.min.js", "bokeh-widgets/bokeh-widgets.min.js", "site/outputs.js"]
    assert labels == ["Squares", "Points", "Bars", "Steps", "Dots"]
    assert "name: c" in hovered and "(3, 4)" in hovered, f"the hover tool shows the point: {hovered!r}"
    assert "saved no static version" not in text and "Loading BokehJS" not in text
    assert "bokeh-plots.ipynb" not in (bokeh_site / "build-stderr.txt").read_text(encoding="utf-8")


def test_index_pages_and_feeds_stop_before_the_first_plot(bokeh_site: Path) -> None:
    for page in ("index.html", "rss.xml"):
        text = (bokeh_site / "output" / page).read_text(encoding="utf-8")
        assert "Bokeh plots" in text and "nb-bokeh" not in text and "docs_json" not in text
        assert "bokeh.min.js" not in text
