"""A notebook that shows a file missing beside it: a note on the page instead of a request that fails."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser

from blog_build.references import absent, show_absent

from conftest import copy_site, nikola, serve_folder

MARKDOWN = "A diagram: ![Split, apply, combine](images/split.png) and `![code](images/code.png)`."
FRAME = '<iframe src="chart.html" width="400" height="200"></iframe>'


def notebook() -> dict:
    output = {"output_type": "display_data", "metadata": {}, "data": {"text/html": FRAME, "text/plain": "IFrame"}}
    cells = [
        {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": MARKDOWN},
        {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "source": "IFrame('chart.html')",
         "outputs": [output]},
    ]  # fmt: skip
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def test_absent_images_and_frames_become_notes() -> None:
    page = notebook()
    show_absent(page, {"images/split.png", "chart.html"})
    source = page["cells"][0]["source"]
    assert "The image &#x27;Split, apply, combine&#x27; could not be shown: images/split.png is not beside" in source
    assert "`![code](images/code.png)`" in source, "code is left alone"
    assert page["cells"][1]["outputs"][0]["data"]["text/html"].startswith('<span class="nb-unavailable">This frame')
    assert absent([(1, "images/split.png"), (2, "chart.html"), (1, "images/split.png")], Path("/nonexistent")) == [
        "chart.html",
        "images/split.png",
    ]


def test_a_file_that_comes_or_goes_is_followed_by_an_incremental_build(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome",))
    (site / "posts" / "diagram.ipynb").write_text(json.dumps(notebook()), encoding="utf-8")
    (site / "posts" / "diagram.meta").write_text(".. title: Diagram\n.. slug: diagram\n.. date: 2026-11-01\n")
    built = nikola(site, "build")
    assert "cell 1 refers to images/split.png, which is not beside the notebook" in built.stderr
    page = (site / "output/posts/diagram/index.html").read_text(encoding="utf-8")
    assert 'src="images/split.png"' not in page and 'src="chart.html"' not in page
    assert page.count('class="nb-unavailable"') == 2
    (site / "posts/images").mkdir()
    (site / "posts/images/split.png").write_bytes((site / "files/favicon.svg").read_bytes())  # any file will do
    nikola(site, "build")
    page = (site / "output/posts/diagram/index.html").read_text(encoding="utf-8")
    assert 'src="images/split.png"' in page and page.count('class="nb-unavailable"') == 1
    assert (site / "output/posts/diagram/images/split.png").is_file()
    (site / "posts/images/split.png").unlink()
    nikola(site, "build")
    page = (site / "output/posts/diagram/index.html").read_text(encoding="utf-8")
    assert 'src="images/split.png"' not in page and page.count('class="nb-unavailable"') == 2


CHART = """<!doctype html><html><body><p id="drawn">not yet</p><script>
document.getElementById("drawn").textContent = "drawn";
let reached = "isolated";
try { parent.document.title; reached = "reached the post"; } catch (error) {}
try { localStorage.length; reached = "read the site's storage"; } catch (error) {}
document.body.dataset.reached = reached;
</script></body></html>"""


def test_a_framed_page_beside_the_notebook_runs_as_an_origin_of_its_own(tmp_path: Path, browser: Browser) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome",))
    (site / "posts" / "diagram.ipynb").write_text(json.dumps(notebook()), encoding="utf-8")
    (site / "posts" / "diagram.meta").write_text(".. title: Diagram\n.. slug: diagram\n.. date: 2026-11-01\n")
    (site / "posts" / "chart.html").write_text(CHART, encoding="utf-8")
    nikola(site, "build")
    assert (site / "output/posts/diagram/chart.html").is_file()
    with serve_folder(site / "output") as url:
        page = browser.new_page()
        page.goto(url + "/posts/diagram/")
        frame = page.frame_locator("iframe[src='chart.html']")
        assert frame.locator("#drawn").text_content() == "drawn", "its scripts run"
        assert frame.locator("body").get_attribute("data-reached") == "isolated"
        page.close()
