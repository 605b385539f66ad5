"""Widgets and charts drawn on the page, with names a screen reader can say.

The notebooks here are written by hand in the shapes ipywidgets 6 and 7 save (sparse state:
only values that differ from the defaults) and Altair saves (a Vega-Lite spec), so the
tests need neither library to build.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from conftest import copy_site, nikola, serve_folder

STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
CONTROLS, BASE = ("@jupyter-widgets/controls", "1.5.0"), ("@jupyter-widgets/base", "1.2.0")


def model(name: str, module: tuple[str, str], **state) -> dict:
    return {"model_name": name, "model_module": module[0], "model_module_version": module[1], "state": state}


def widgets_7() -> dict:
    """A Play widget (icon-only buttons), a colour picker, a text box and two untitled tabs: names ipywidgets omits."""
    models = {f"l{n}": model("LayoutModel", BASE) for n in range(9)}
    models |= {f"d{n}": model("DescriptionStyleModel", CONTROLS) for n in range(4)}
    models |= {
        "play": model("PlayModel", CONTROLS, layout="IPY_MODEL_l0", style="IPY_MODEL_d0", max=10),
        "colour": model("ColorPickerModel", CONTROLS, layout="IPY_MODEL_l1", style="IPY_MODEL_d1", value="#1f5f8b"),
        "text": model("TextModel", CONTROLS, layout="IPY_MODEL_l2", style="IPY_MODEL_d2", value="tides"),
        "label": model("LabelModel", CONTROLS, layout="IPY_MODEL_l3", value="first"),
        "label2": model("LabelModel", CONTROLS, layout="IPY_MODEL_l4", value="second"),
        "tabs": model("TabModel", CONTROLS, layout="IPY_MODEL_l5", children=["IPY_MODEL_label", "IPY_MODEL_label2"]),
        "label3": model("LabelModel", CONTROLS, layout="IPY_MODEL_l6", value="inside"),
        "accordion": model("AccordionModel", CONTROLS, layout="IPY_MODEL_l7", children=["IPY_MODEL_label3"],
                           _titles={"0": "Section"}, selected_index=None),
        "toggle": model("ToggleButtonModel", CONTROLS, layout="IPY_MODEL_l8", style="IPY_MODEL_d3", value=True,
                        description="Pressed"),
    }  # fmt: skip
    return {"version_major": 2, "version_minor": 0, "state": models}


def widgets_6() -> dict:
    """An IntSlider and a progress bar as ipywidgets 6 saved them (module jupyter-js-widgets, format 1)."""
    old = ("jupyter-js-widgets", "~2.0.30")
    models = {
        "old-layout": model("LayoutModel", old),
        "old-style": model("SliderStyleModel", old),
        "old-slider": model("IntSliderModel", old, layout="IPY_MODEL_old-layout", style="IPY_MODEL_old-style",
                            description="Depth", value=40, max=100),
        "old-bar": model("ProgressModel", old, layout="IPY_MODEL_old-layout", value=7.5, max=10.0),
    }  # fmt: skip
    for saved in models.values():
        saved["state"]["_model_module_version"] = "~2.0.30"
    return {"version_major": 1, "version_minor": 0, "state": models}


def widgets_with_scripts() -> dict:
    """An HTML widget and a described slider whose saved HTML would run a script where an image fails to load."""
    models = {f"l{n}": model("LayoutModel", BASE) for n in range(2)}
    models |= {f"d{n}": model("DescriptionStyleModel", CONTROLS) for n in range(2)}
    models |= {
        "html": model("HTMLModel", CONTROLS, layout="IPY_MODEL_l0", style="IPY_MODEL_d0",
                      value="<b>Bold</b> <img src=missing.png onerror=alert('value')>"),
        "slider": model("IntSliderModel", CONTROLS, layout="IPY_MODEL_l1", style="IPY_MODEL_d1", value=3,
                        description="<i>Depth</i><img src=gone.png onerror=alert('description')>"),
    }  # fmt: skip
    return {"version_major": 2, "version_minor": 0, "state": models}


def chart() -> dict:
    """A Vega-Lite chart of points with no encoding, drawn as SVG: the Altair tutorial's first chart.

    Vega gives its mark container the role of an image but no name.
    """
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"x": n} for n in range(5)]},
        "mark": "point",
        "usermeta": {"embedOptions": {"renderer": "svg"}},
    }


def notebook(state: dict | None, views: list[str]) -> dict:
    cells: list[dict] = [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "Outputs, saved."}]
    for number, view in enumerate(views):
        data = {VIEW: {"model_id": view}} if state else {"application/vnd.vegalite.v5+json": chart()}
        output = {"output_type": "display_data", "metadata": {}, "data": {**data, "text/plain": view}}
        cells.append({"cell_type": "code", "id": f"c{number}", "metadata": {}, "execution_count": number + 1,
                      "source": f"show({view!r})", "outputs": [output]})  # fmt: skip
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if state:
        metadata["widgets"] = {STATE: state}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}


# Colours an author set in a markdown cell for a white page: a header row on white, a blue link.
COLOURED_HTML = (
    '<table><tr style="border:none; background-color: #ffffff"><td><a href="#top">Home</a></td>'
    "<td><h2>Tutorial</h2></td></tr></table>\n\n"
    '<p>See <a href="#top" style="color: rgb(0,0,255)">the start</a>.</p>'
)


def write_meta(site, name: str, day: int) -> None:
    meta = f".. title: {name}\n.. slug: {name}\n.. date: 2026-11-0{day} 10:00:00 UTC\n"
    (site / "posts" / f"{name}.meta").write_text(meta, encoding="utf-8")


@pytest.fixture(scope="module")
def widget_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = copy_site(tmp_path_factory.mktemp("widgets"), posts=("welcome",))
    posts = {"widgets-seven": (widgets_7(), ["play", "colour", "text", "tabs", "accordion", "toggle"]),
             "widgets-six": (widgets_6(), ["old-slider", "old-bar"]), "svg-chart": (None, ["chart"]),
             "scripted-html": (widgets_with_scripts(), ["html", "slider"])}  # fmt: skip
    for day, (name, (state, views)) in enumerate(posts.items(), 1):
        (site / "posts" / f"{name}.ipynb").write_text(json.dumps(notebook(state, views)), encoding="utf-8")
        write_meta(site, name, day)
    coloured = notebook(None, [])
    coloured["cells"][0]["source"] = COLOURED_HTML
    (site / "posts" / "coloured-html.ipynb").write_text(json.dumps(coloured), encoding="utf-8")
    write_meta(site, "coloured-html", 5)
    result = nikola(site, "build")
    assert "WARNING: Nikola: posts/widgets" not in result.stderr, result.stderr
    with serve_folder(site / "output") as url:
        yield url


def open_page(browser: Browser, url: str):
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.route(lambda address: urlsplit(address).hostname != "127.0.0.1", lambda route: route.abort())
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_ipywidgets_6_state_is_drawn(browser: Browser, widget_site: str) -> None:
    page, problems = open_page(browser, f"{widget_site}/posts/widgets-six/")
    page.wait_for_selector(".widget-slider .widget-label", timeout=20_000)
    assert page.locator(".widget-slider .widget-label").inner_text() == "Depth"
    page.wait_for_selector(".output_widget_view progress, .output_widget_view .progress-bar", timeout=10_000)
    assert page.get_by_role("slider", name="Depth").get_attribute("aria-valuenow") == "40"
    assert problems == []
    page.close()


def test_controls_ipywidgets_leaves_unnamed_get_names(browser: Browser, widget_site: str) -> None:
    page, problems = open_page(browser, f"{widget_site}/posts/widgets-seven/")
    page.wait_for_selector(".widget-play button", timeout=20_000)
    page.wait_for_function("document.querySelectorAll('[role=tab][aria-label], [role=tab]:not(:empty)').length >= 2")
    names = page.eval_on_selector_all(".widget-play button", "all => all.map(b => b.getAttribute('aria-label'))")
    assert names[:3] == ["Play", "Pause", "Stop"]
    assert page.locator('input[type="color"]').get_attribute("aria-label") == "Colour"
    rules = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found = Axe().run(
            page, options={"runOnly": ["button-name", "label", "aria-tab-name", "image-alt", "color-contrast"]}
        )
        rules[scheme] = [violation["id"] for violation in found.response["violations"]]
    assert rules == {"light": [], "dark": []} and problems == []
    page.close()


def test_svg_charts_are_one_named_figure_not_many_unnamed_images(browser: Browser, widget_site: str) -> None:
    page, problems = open_page(browser, f"{widget_site}/posts/svg-chart/")
    page.wait_for_selector(".nb-vega svg.marks", timeout=20_000)
    assert page.locator(".nb-vega").get_attribute("aria-label")
    found = Axe().run(page, options={"runOnly": ["svg-img-alt", "role-img-alt"]})
    assert [violation["id"] for violation in found.response["violations"]] == [] and problems == []
    page.close()


def test_html_coloured_for_a_white_page_keeps_its_contrast_in_dark_mode(browser: Browser, widget_site: str) -> None:
    page, problems = open_page(browser, f"{widget_site}/posts/coloured-html/")
    rules = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found = Axe().run(page, options={"runOnly": ["color-contrast"]})
        rules[scheme] = [node["target"] for violation in found.response["violations"] for node in violation["nodes"]]
    assert rules == {"light": [], "dark": []} and problems == []
    page.close()


def test_saved_widget_html_runs_no_script(browser: Browser, widget_site: str) -> None:
    dialogs: list[str] = []
    page = browser.new_page()  # listening for dialogs before the page loads: unheard ones are dismissed unseen
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: dialogs.append(f"script error: {error}"))
    page.route(lambda address: urlsplit(address).hostname != "127.0.0.1", lambda route: route.abort())
    page.goto(f"{widget_site}/posts/scripted-html/", wait_until="networkidle")
    page.wait_for_selector(".widget-html b", timeout=20_000)
    page.wait_for_selector(".widget-slider .widget-label i", timeout=10_000)
    # Both images have failed to load, and a task after their error events has run.
    page.wait_for_function("[...document.querySelectorAll('.output_widget_view img')].every(img => img.complete)")
    page.evaluate("new Promise(resolve => setTimeout(resolve, 0))")
    images = page.eval_on_selector_all(".output_widget_view img", "all => all.map(img => img.outerHTML)")
    page.close()
    assert dialogs == []
    assert len(images) == 2 and not any("onerror" in image for image in images), images
