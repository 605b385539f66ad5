"""Bokeh 3 plots drawn on the page by the site's BokehJS, offline; plots of other versions get a note naming it.

The fixture post (tests/fixtures/bokeh/, written by make_bokeh_posts.py with the Bokeh release
whose BokehJS package.json pins) holds what Bokeh's `output_notebook()` and `show()` save:
the loader, then for each plot an empty root element and the plot's script with its
docs_json and render_items, which interactive_outputs.prepare_bokeh reads as JSON.
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
from blog_build.interactive_outputs import (
    BOKEH,
    TEASER_KEY,
    UNAVAILABLE,
    bokeh_elements,
    bokeh_embedding,
    clean_bokeh_documents,
    prepare,
    template_problem,
)

from conftest import ROOT, copy_site, nikola, serve_folder

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


# --- the notebook's JavaScript and HTML in a plot's documents ----------------------------------

SLIDER_ATTRIBUTES = '"attributes":{"title":"Size","start":0,"end":10,"value":3}'


def customjs(name: str, code: str = "alert(document.domain)") -> str:
    return f'{{"type":"object","name":"{name}","id":"p9{len(name)}","attributes":{{"code":"{code}"}}}}'


def with_customjs(place: str, notebook: dict | None = None) -> dict:
    """The fixture with a CustomJS* model of the kind `place` names in the Slider plot's document."""
    notebook = notebook or fixture()
    callbacks = '{"type":"map","entries":[["%s",[%s]]]}'
    if place == "document_ready":  # a document's own callbacks
        return edit_script(
            notebook, SLIDER, '"title":"Bokeh Application",',
            f'"title":"Bokeh Application","callbacks":{callbacks % ("document_ready", customjs("CustomJS"))},',
        )  # fmt: skip
    extra = {
        "js_property_callbacks": f'"js_property_callbacks":{callbacks % ("change:value", customjs("CustomJS"))}',
        "js_event_callbacks": f'"js_event_callbacks":{callbacks % ("document_ready", customjs("CustomJS"))}',
        "CustomJSTickFormatter": f'"format":{customjs("CustomJSTickFormatter")}',
        "CustomJSTransform": f'"transform":{customjs("CustomJSTransform")}',
        "CustomJSFilter": f'"filter":{customjs("CustomJSFilter")}',
        "CustomJSExpr": f'"expr":{customjs("CustomJSExpr")}',
        "CustomJSHover": f'"formatters":{{"type":"map","entries":[["@x",{customjs("CustomJSHover")}]]}}',
    }[place]
    return edit_script(notebook, SLIDER, SLIDER_ATTRIBUTES, SLIDER_ATTRIBUTES[:-1] + "," + extra + "}")


@pytest.mark.parametrize(
    "place",
    ["js_property_callbacks", "js_event_callbacks", "document_ready", "CustomJSTickFormatter", "CustomJSTransform",
     "CustomJSFilter", "CustomJSExpr", "CustomJSHover"],
)  # fmt: skip
def test_a_plot_holding_a_customjs_model_gets_the_note_and_one_warning(place: str) -> None:
    notebook = with_customjs(place)
    prepared = prepare(notebook, ALL)
    [data] = shown(notebook, SLIDER)
    assert list(data) == ["text/html"] and "carries JavaScript" in data["text/html"], data
    assert "alert" not in json.dumps(notebook["cells"][SLIDER - 1])
    name = "CustomJS" if place.startswith(("js_", "document")) else place
    assert prepared.warnings("post.ipynb") == [
        f"post.ipynb: cell {SLIDER}: the Bokeh plot is shown as a note: it holds JavaScript of its own"
        f" (a {name} model), and the site runs no script a notebook brings"
    ]
    assert prepared.libraries == {"bokeh"}, "the other plots are drawn; the widgets bundle is not needed"
    assert list(shown(notebook, LINE)[0]) == [BOKEH]


def test_an_open_url_callback_with_a_script_url_gets_the_note() -> None:
    model = '{"type":"object","name":"OpenURL","id":"p9001","attributes":{"url":"javascript:alert(1)"}}'
    extra = f'"js_property_callbacks":{{"type":"map","entries":[["change:value",[{model}]]]}}'
    notebook = edit_script(fixture(), SLIDER, SLIDER_ATTRIBUTES, SLIDER_ATTRIBUTES[:-1] + "," + extra + "}")
    prepared = prepare(notebook, ALL)
    assert "carries JavaScript" in shown(notebook, SLIDER)[0]["text/html"]
    assert "a script URL (in a OpenURL model)" in prepared.warnings("x")[0]


def document(notebook: dict, cell: int) -> str:
    return json.dumps(shown(notebook, cell)[0][BOKEH]["docs_json"])


def test_html_in_tooltips_a_div_and_column_values_is_cleaned() -> None:
    tooltips = '"tooltips":[["name","@name"],["(x, y)","(@x, @y)"]]'
    notebook = edit_script(
        fixture(), SCATTER, tooltips, '"tooltips":"<img src=x onerror=alert(1)><b>@name</b> (@x, @y)"'
    )  # a string of tooltips is an HTML template
    notebook = edit_script(notebook, SCATTER, '["a","b","c","d"]', '["a","<img src=y onerror=alert(2)>","c","d"]')
    div = '{"type":"object","name":"Div","id":"p9002","attributes":{"text":"<p onclick=alert(3)>Hello</p>"}}'
    notebook = edit_script(notebook, SLIDER, '"children":[', f'"children":[{div},')
    prepared = prepare(notebook, ALL)
    scatter, slider = document(notebook, SCATTER), document(notebook, SLIDER)
    assert "alert" not in scatter + slider
    assert r'"tooltips": "<img src=\"x\"><b>@name</b> (@x, @y)"' in scatter
    assert r'"<img src=\"y\">"' in scatter and r'"text": "<p>Hello</p>"' in slider
    assert prepared.warnings("x") == [
        f"x: cell {SCATTER}: scripts removed from its output; the site runs no script a notebook brings",
        f"x: cell {SLIDER}: scripts removed from its output; the site runs no script a notebook brings",
    ]


def test_a_plot_without_html_to_clean_is_left_as_bokeh_saved_it() -> None:
    notebook = fixture()
    outputs = [data for cell in PLOTS for data in shown(notebook, cell) if "docs_json" in json.dumps(data)]
    scripts = ["".join(data.get("application/javascript", "") or data.get("text/html", "")) for data in outputs]
    saved = [json.dumps(bokeh_embedding(script)["docs_json"]) for script in scripts]
    prepare(notebook, ALL)
    assert [document(notebook, cell) for cell in PLOTS] == saved


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("<%= value %>", None),
        ('<b style="color: red"><%= value %></b> <%- other %>', None),
        ('<a href="/items/<%- id %>.html"><%= name %></a>', None),
        ('<span title="<%- value %>">x</span>', None),
        ("<% alert(1) %>", "code in an HTMLTemplateFormatter's template"),
        ("<%= alert(1) %>", "code in an HTMLTemplateFormatter's template"),
        ('<a href="<%- url %>">link</a>', "an HTMLTemplateFormatter's template that cleaning would change"),
        ("<img src=x onerror=alert(1)><%= value %>", "an HTMLTemplateFormatter's template that cleaning would change"),
        ('<img src="https://example.com/a.png">', "an HTMLTemplateFormatter's template that cleaning would change"),
        (
            '<span title="<%= value %>">x</span>',
            "an HTMLTemplateFormatter's template writing a value as HTML inside a tag",
        ),
    ],
)
def test_a_template_formatter_is_drawn_only_if_it_runs_no_code_and_needs_no_cleaning(
    template: str, problem: str | None
) -> None:
    assert template_problem(template) == problem
    formatter = {"type": "object", "name": "HTMLTemplateFormatter", "id": "p9003", "attributes": {"template": template}}
    documents = {"d": {"version": "3.9.2", "roots": [formatter]}}
    found, _cleaned = clean_bokeh_documents(documents)
    assert found == problem and formatter["attributes"]["template"] == template, "taken or refused, never changed"


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


SCRIPTED_FORMATTER = (
    '"formatter":{"type":"object","name":"BasicTickFormatter","id":"p1027"}',
    '"formatter":' + customjs("CustomJSTickFormatter", "alert('tick ' + tick); return String(tick)"),
)


@pytest.fixture(scope="module")
def bokeh_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("bokeh"), posts=("welcome",))
    for path in FIXTURES.glob("bokeh-plots.*"):
        shutil.copy(path, site / "posts" / path.name)
    # The same post, its first plot's axis labels written by a CustomJSTickFormatter that opens a dialog.
    scripted = edit_script(fixture(), LINE, SCRIPTED_FORMATTER[0], SCRIPTED_FORMATTER[1])
    (site / "posts" / "bokeh-scripted.ipynb").write_text(json.dumps(scripted), encoding="utf-8")
    meta = (FIXTURES / "bokeh-plots.meta").read_text(encoding="utf-8")
    (site / "posts" / "bokeh-scripted.meta").write_text(
        meta.replace("slug: bokeh-plots", "slug: bokeh-scripted").replace("title: Bokeh plots", "title: Scripted"),
        encoding="utf-8",
    )
    result = nikola(site, "build")
    (site / "build-stderr.txt").write_text(result.stderr, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def site_url(bokeh_site: Path) -> Iterator[str]:
    with serve_folder(bokeh_site / "output") as url:
        yield url


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


def test_a_customjs_plot_never_runs_its_code(browser: Browser, site_url: str, bokeh_site: Path) -> None:
    # The formatter does open dialogs when BokehJS draws the plot's document as it was saved.
    scripted = edit_script(fixture(), LINE, *SCRIPTED_FORMATTER)
    [saved] = [data for data in shown(scripted, LINE) if "application/javascript" in data]
    embedding = bokeh_embedding("".join(saved["application/javascript"]))
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content("".join(f'<div id="{id}"></div>' for id in bokeh_elements(embedding["render_items"])))
    page.add_script_tag(path=ROOT / "node_modules" / libraries.LIBRARIES["bokeh"].scripts[0])
    page.evaluate(
        "([docs, items]) => Bokeh.embed.embed_items(docs, items)", [embedding["docs_json"], embedding["render_items"]]
    )
    page.locator("canvas").first.wait_for()
    page.close()
    assert dialogs and dialogs[0].startswith("tick "), "the test's formatter runs when drawn"

    dialogs.clear()
    page = browser.new_page()  # listening for dialogs before the page loads: unheard ones are dismissed unseen
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: dialogs.append(f"script error: {error}"))
    page.route(lambda url: not url.startswith(site_url), lambda route: route.abort("internetdisconnected"))
    page.goto(site_url + "/posts/bokeh-scripted/", wait_until="networkidle")
    plots = page.locator(".nb-bokeh")
    for index in range(plots.count()):
        plots.nth(index).locator("canvas").first.wait_for()  # BokehJS has drawn every other plot
    count, text = plots.count(), page.inner_text(".nb-body")
    page.close()
    assert dialogs == []
    assert count == len(PLOTS) - 1 and "carries JavaScript" in text and "alert" not in text
    stderr = (bokeh_site / "build-stderr.txt").read_text(encoding="utf-8")
    assert f"bokeh-scripted.ipynb: cell {LINE}: the Bokeh plot is shown as a note" in stderr
