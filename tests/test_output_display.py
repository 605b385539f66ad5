"""Output boxes in Chromium: formulas without scroll bars, scrolling boxes reachable by keyboard, figures in dark mode.

The fixture posts are tests/fixtures/outputs/ (formulas, figures with a traceback, long
outputs) and the Plotly fixture of tests/fixtures/posts/, built with the blog's welcome post.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Browser, Page
from test_browser import open_page

from conftest import ROOT, copy_site, nikola, serve_folder

OUTPUTS = ROOT / "tests" / "fixtures" / "outputs"
PLOTLY = ROOT / "tests" / "fixtures" / "posts"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SCROLLING = "main pre, main .output_area, main .nb-chart"
FIGURES = ".nb-body .output_png, .nb-body .output_svg, .nb-body .nb-plotly"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = copy_site(tmp_path_factory.mktemp("output-display"), posts=("welcome",))
    for path in [*OUTPUTS.iterdir(), *PLOTLY.glob("plotly-only.*")]:
        shutil.copy(path, site / "posts" / path.name)
    nikola(site, "build")
    with serve_folder(site / "output") as url:
        yield url


def boxes(page: Page) -> list[dict]:
    """Every box that may scroll: its overflow, sizes, whether it holds a formula, and its tab stop."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)].map(box => ({
            html: box.outerHTML.slice(0, 160),
            math: !!box.querySelector('math'),
            overflowY: getComputedStyle(box).overflowY,
            tall: box.scrollHeight > box.clientHeight,
            wide: box.scrollWidth > box.clientWidth + 1,
            tab: [box.getAttribute('tabindex'), box.getAttribute('role'), box.getAttribute('aria-label')],
        }))""",
        SCROLLING,
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_formulas_sit_in_boxes_that_neither_scroll_nor_clip_vertically(
    browser: Browser, site_url: str, width: int
) -> None:
    page, _ = open_page(browser, site_url, "/posts/formulas/", width=width)
    formulas = [box for box in boxes(page) if box["math"]]
    assert len(formulas) == 6
    for box in formulas:
        assert box["overflowY"] == "hidden", box["html"]
        assert not box["tall"], f"nothing of the formula reaches past its box: {box['html']}"
    page.close()


@pytest.mark.parametrize("path", ["/posts/formulas/", "/posts/long-outputs/", "/posts/figures/"])
@pytest.mark.parametrize("width", [1280, 375])
def test_every_box_that_scrolls_can_take_focus_and_says_what_it_is(
    browser: Browser, site_url: str, path: str, width: int
) -> None:
    page, _ = open_page(browser, site_url, path, width=width)
    for state in ("as loaded", "folds opened"):
        wide = [box for box in boxes(page) if box["wide"]]
        for box in wide:
            assert box["tab"][0] == "0" and box["tab"][1] == "region" and box["tab"][2], f"{state}: {box['html']}"
        for box in boxes(page):
            if not box["wide"]:
                assert box["tab"][0] is None, f"{state}: a box that does not scroll takes no tab stop: {box['html']}"
        page.evaluate("() => document.querySelectorAll('details').forEach(fold => { fold.open = true; })")
        page.wait_for_timeout(100)  # the toggle event is queued, then the check waits for a frame
    if path == "/posts/formulas/":
        assert any("output_latex" in box["html"] and box["wide"] for box in boxes(page)), "the 80-term sum scrolls"
        assert any("wide wide" in box["html"] and box["wide"] for box in boxes(page)), "the opened fold scrolls"
    page.close()


@pytest.mark.parametrize("path", ["/posts/formulas/", "/posts/figures/", "/posts/long-outputs/"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_with_folds_open(
    browser: Browser, site_url: str, path: str, scheme: str
) -> None:
    for width in (1280, 375):
        page, _ = open_page(browser, site_url, path, width=width, scheme=scheme)
        page.evaluate("() => document.querySelectorAll('details').forEach(fold => { fold.open = true; })")
        page.wait_for_timeout(100)
        results = Axe().run(page)
        serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
        page.close()


def styles(page: Page) -> list[dict]:
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)].map(figure => ({
            background: getComputedStyle(figure).backgroundColor,
            shade: getComputedStyle(figure, '::after').backgroundColor,
            padding: getComputedStyle(figure).paddingLeft,
            fits: figure.getBoundingClientRect().right <= figure.parentElement.getBoundingClientRect().right + 0.5,
            box: figure.getBoundingClientRect().toJSON(),
        }))""",
        FIGURES,
    )


def pixel(page: Page, x: float, y: float) -> tuple[int, int, int]:
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    return shot.getpixel((int(x), int(y)))


@pytest.mark.parametrize("path", ["/posts/figures/", "/posts/plotly-only/"])
def test_figures_sit_on_a_dimmed_light_card_in_dark_mode_only(browser: Browser, site_url: str, path: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").split("/")[-1]
    for scheme, data_theme in (("light", None), ("dark", None), ("light", "dark"), ("dark", "light")):
        page, _ = open_page(browser, site_url, path, scheme=scheme)
        if data_theme:  # the reader's choice, as the toggle stores it
            page.evaluate(f"() => {{ document.documentElement.dataset.theme = '{data_theme}'; }}")
        dark = (data_theme or scheme) == "dark"
        figures = styles(page)
        assert len(figures) == (3 if name == "figures" else 1)
        for figure in figures:
            assert figure["fits"], "the card stays inside the column"
            assert float(figure["padding"].rstrip("px")) >= 8
            # The card's mat as a reader sees it, left of the figure's middle.
            mat = pixel(page, figure["box"]["x"] + 3, figure["box"]["y"] + figure["box"]["height"] / 2)
            if dark:
                assert figure["background"] == "rgb(255, 255, 255)" and figure["shade"] == "rgba(0, 0, 0, 0.14)"
                assert min(mat) >= 200 and max(mat) <= 230, f"light, but not the glaring white of the figure: {mat}"
            else:
                assert figure["background"] == figure["shade"] == "rgba(0, 0, 0, 0)", figure
                assert mat == (255, 255, 255), "on the white page the card is not seen"
        page.screenshot(path=SCREENSHOTS / f"{name}-{scheme}-{data_theme or 'system'}.png", full_page=True)
        page.close()


def test_the_traceback_has_no_inline_colours(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url, "/posts/figures/")
    spans = page.locator(".output_error span")
    assert spans.count() >= 5
    assert page.locator(".output_error [style]").count() == 0, "every colour is one of the theme's classes"
    page.close()


def test_fixture_pages_are_what_the_checks_above_look_at() -> None:
    """The fixtures these checks need exist: a missing one would make a parametrised test pass on nothing."""
    assert {path.name for path in OUTPUTS.glob("*.ipynb")} >= {"formulas.ipynb", "figures.ipynb", "long-outputs.ipynb"}
    assert Path(PLOTLY / "plotly-only.ipynb").is_file()
