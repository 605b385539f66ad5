"""The built site in a real headless Chromium (Debian's), driven by Playwright.

Pages are served from output/ by a plain static server on 127.0.0.1, as any static host
would serve them. Screenshots of every page, light and dark, at phone and laptop widths go
to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from conftest import ROOT, copy_site, nikola, serve_folder

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FIXTURES = Path(__file__).parent / "fixtures" / "posts"
PAGES = {
    "home": "/",
    "post": "/posts/fibonacci/",
    "tag": "/categories/python/",
    "page": "/about/",
    "404": "/404.html",
    "interactive": "/posts/interactive-outputs/",
    "series part": "/posts/verifying-packages/",
    "series": "/series/managing-python-environments/",
}
LIBRARY_FILES = "/assets/notebook-outputs/"


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real site plus the cell-tags fixture post, built and served on 127.0.0.1."""
    site = copy_site(tmp_path_factory.mktemp("browser-site"))
    for fixture in FIXTURES.iterdir():
        copy = shutil.copytree if fixture.is_dir() else shutil.copy  # iframe_figures/: plotly-iframe's figure
        copy(fixture, site / "posts" / fixture.name)
    nikola(site, "build")
    with serve_folder(site / "output") as url:
        yield url


class Traffic:
    """Everything a page asked for, and everything that went wrong."""

    def __init__(self, page: Page, site_url: str) -> None:
        self.host = urlsplit(site_url).netloc
        self.requests: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url}"))
        page.on("response", self.check_response)
        page.on("console", lambda message: message.type == "error" and self.problems.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def check_response(self, response) -> None:
        if response.status >= 400 and not response.url.endswith("/404.html"):
            self.problems.append(f"{response.status}: {response.url}")

    def foreign(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).netloc != self.host and not url.startswith("data:")]


def open_page(browser: Browser, site_url: str, path: str, width: int = 1280, scheme: str = "light"):
    """The page at `path`, with the network closed: anything not from the site itself fails."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    traffic = Traffic(page, site_url)
    page.route(lambda url: urlsplit(url).netloc != traffic.host, lambda route: route.abort("internetdisconnected"))
    page.goto(site_url + path, wait_until="networkidle")
    return page, traffic


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_from_this_host_only(browser: Browser, site_url: str, name: str) -> None:
    page, traffic = open_page(browser, site_url, PAGES[name])
    assert traffic.problems == []
    assert traffic.foreign() == [], "every request goes to the site itself"
    page.close()


@pytest.mark.parametrize("name", PAGES)
def test_layout_at_phone_and_laptop_widths(browser: Browser, site_url: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page, _ = open_page(browser, site_url, PAGES[name], width=375, scheme=scheme)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, (
            "only code and output boxes scroll sideways"
        )
        page.screenshot(path=SCREENSHOTS / f"{name}-375-{scheme}.png", full_page=True)
        page.close()
        page, _ = open_page(browser, site_url, PAGES[name], width=1280, scheme=scheme)
        column = page.locator("#container").bounding_box()
        assert 600 <= column["width"] <= 800, "a readable column on a laptop"
        page.screenshot(path=SCREENSHOTS / f"{name}-1280-{scheme}.png", full_page=True)
        page.close()


def test_wide_code_scrolls_inside_its_box(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url, "/posts/cell-tags/", width=375)
    box = page.locator(".input_area pre", has_text="wwww").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "the long line overflows its own box"
    assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    page.close()


def test_maths_is_mathml_with_a_size(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, "/posts/cell-tags/")
    formulas = page.locator("math")
    assert formulas.count() == 2
    for index in range(2):
        box = formulas.nth(index).bounding_box()
        assert box and box["width"] > 10 and box["height"] > 5
    assert page.locator("math[display=block]").count() == 1
    assert not [url for url in traffic.requests if "mathjax" in url.lower()]
    page.close()


def test_search_finds_a_word_from_one_notebook_output(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, "/search/")
    page.fill(".pagefind-ui__search-input", "quokkafrobnicate")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=10_000)
    assert page.locator(".pagefind-ui__result-link").count() == 1
    assert result.get_attribute("href").rstrip("/").endswith("/posts/cell-tags")
    assert traffic.problems == [] and traffic.foreign() == []
    page.close()


def test_search_takes_its_query_from_the_address(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, "/search/?q=quokkafrobnicate")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=10_000)
    assert page.locator(".pagefind-ui__search-input").input_value() == "quokkafrobnicate"
    assert result.get_attribute("href").rstrip("/").endswith("/posts/cell-tags")
    assert traffic.problems == [] and traffic.foreign() == []
    page.close()


def test_the_bylines_are_not_searched(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url, "/search/?q=Mumford")
    page.locator(".pagefind-ui__message").wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    links = [link.get_attribute("href") for link in page.locator(".pagefind-ui__result-link").all()]
    assert all(link.rstrip("/").endswith("/about") for link in links), links  # the About page names him
    page.close()


def test_cell_tags(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url, "/posts/cell-tags/")
    text = page.locator(".nb-body").inner_text()
    assert "REMOVED-CELL" not in text
    assert "REMOVED-INPUT-SOURCE" not in text and "KEPT-OUTPUT-OF-REMOVED-INPUT" in text
    assert "KEPT-SOURCE-OF-REMOVED-OUTPUT" in text and "REMOVED-OUTPUT-TEXT" not in text

    folded_input = page.locator("details.nb-fold", has_text="FOLDED-SOURCE")
    assert folded_input.get_attribute("open") is None
    assert not page.get_by_text("print('FOLDED-SOURCE')").is_visible()
    assert page.get_by_text("VISIBLE-OUTPUT-OF-FOLDED-SOURCE").is_visible()
    folded_input.locator("summary").click()
    assert page.get_by_text("print('FOLDED-SOURCE')").is_visible()

    assert page.get_by_text("print('VISIBLE-SOURCE-OF-FOLDED-OUTPUT')").is_visible()
    assert not page.get_by_text("FOLDED-OUTPUT quokkafrobnicate").is_visible()
    page.locator("details.nb-fold", has_text="quokkafrobnicate").locator("summary").click()
    assert page.get_by_text("FOLDED-OUTPUT quokkafrobnicate").is_visible()

    assert page.locator(".code_cell").count() == 6, "the empty code cell is dropped, the removed one too"
    page.close()


def test_ansi_tracebacks_are_coloured(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url, "/posts/cell-tags/")
    error = page.locator(".output_error")
    assert "ZeroDivisionError" in error.inner_text() and "[0;31m" not in error.inner_text()
    red = error.locator(".ansi-red-fg").first
    assert red.evaluate("el => getComputedStyle(el).color") != error.evaluate("el => getComputedStyle(el).color")
    page.close()


def test_notebook_images_are_lazy_files_with_size_and_alt(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url, "/posts/fibonacci/")
    image = page.locator(".output_png img").first
    assert image.get_attribute("loading") == "lazy"
    assert image.get_attribute("src").endswith(".png") and not image.get_attribute("src").startswith("data:")
    assert int(image.get_attribute("width")) > 0 and int(image.get_attribute("height")) > 0
    assert image.get_attribute("alt").startswith("Horizontal bar chart")
    page.close()


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(browser: Browser, site_url: str, name: str, scheme: str) -> None:
    page, _ = open_page(browser, site_url, PAGES[name], scheme=scheme)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()
    page.close()


def contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio between an element's text colour and the page background."""
    return page.evaluate(
        """selector => {
            const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
            const lum = ([r, g, b]) => {
                const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
            };
            const el = document.querySelector(selector);
            let bg = el, colour = 'rgba(0, 0, 0, 0)';
            while (bg && (colour === 'rgba(0, 0, 0, 0)' || colour === 'transparent')) {
                colour = getComputedStyle(bg).backgroundColor; bg = bg.parentElement;
            }
            const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(colour))];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }""",
        selector,
    )


def test_dark_mode_toggle_survives_a_reload_and_keeps_code_readable(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, "/posts/fibonacci/", scheme="light")
    toggle = page.locator("#theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") is None
    light_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert toggle.get_attribute("aria-pressed") == "true"
    page.reload(wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light_background
    for token in (
        ".input_area .highlight .kn",
        ".input_area .highlight .s2",
        ".input_area .highlight .mi",
        ".nb-body p",
    ):
        assert contrast(page, token) >= 4.5, f"{token} is hard to read in the dark theme"
    page.locator("#theme-toggle").click()
    page.reload(wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert traffic.problems == []
    page.close()


def library_requests(traffic: Traffic) -> Counter[str]:
    """How often each interactive-output library file was requested, by its path in the site."""
    return Counter(
        urlsplit(url).path.split(LIBRARY_FILES, 1)[1] for url in traffic.requests if LIBRARY_FILES in urlsplit(url).path
    )


def test_plotly_and_vega_charts_draw_offline_with_each_library_loaded_once(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, PAGES["interactive"])
    plotly, vega = page.locator(".nb-plotly"), page.locator(".nb-vega")
    assert plotly.count() == 2 and vega.count() == 2
    page.wait_for_function("[...document.querySelectorAll('.nb-plotly')].every(o => o.querySelector('.main-svg'))")
    assert plotly.nth(0).locator(".scatterlayer .point").count() == 5, "five squares, as the notebook plotted"
    assert plotly.nth(1).locator(".barlayer .point").count() == 3, "three bars, from Plotly's HTML output"
    assert plotly.nth(0).locator(".gtitle").text_content() == "Squares"
    page.wait_for_function(
        "[...document.querySelectorAll('.nb-vega')].every(o => o.querySelector('canvas, svg.marks'))"
    )
    for index in range(2):
        box = vega.nth(index).locator("canvas, svg.marks").first.bounding_box()
        assert box["width"] > 100 and box["height"] > 100
    assert traffic.problems == [] and traffic.foreign() == []
    assert library_requests(traffic) == {
        "plotly-basic/plotly-basic.min.js": 1,
        "vega/vega.min.js": 1,
        "vega-lite/vega-lite.min.js": 1,
        "vega-embed/vega-embed.min.js": 1,
        "widgets/embed.js": 1,
        "site/outputs.js": 1,
    }
    page.close()


def test_a_slider_from_saved_widget_state_appears_and_moves(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, PAGES["interactive"])
    slider = page.locator(".output_widget_view .widget-slider")
    slider.wait_for(timeout=10_000)
    assert slider.locator(".widget-label").inner_text() == "n"
    readout = slider.locator(".widget-readout")
    assert readout.inner_text() == "3"
    handle = slider.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert readout.inner_text() == "5"
    box = slider.locator(".noUi-base").bounding_box()
    handle.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"], box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert readout.inner_text() == "10", "dragged to the end of its 0-10 range"
    assert traffic.problems == []
    page.close()


def test_pages_load_only_the_libraries_their_outputs_need(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, "/posts/plotly-only/")
    page.wait_for_function("document.querySelector('.nb-plotly .main-svg')")
    assert library_requests(traffic) == {"plotly-basic/plotly-basic.min.js": 1, "site/outputs.js": 1}
    page.close()
    for path in ("/", "/posts/fibonacci/", "/categories/fixtures/"):
        page, traffic = open_page(browser, site_url, path)
        assert library_requests(traffic) == {}, path
        assert page.locator(".nb-chart").count() == 0, "index pages stop before interactive outputs"
        page.close()


def test_outputs_with_unknown_javascript_show_their_static_form(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, PAGES["interactive"])
    image = page.locator(".output_png img").last
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.is_visible()
    assert not page.locator(".output_subarea", has_text="Loading table").count()
    assert page.locator(".nb-unavailable").is_visible(), "Javascript() with no static form says so"
    assert traffic.problems == [] and traffic.foreign() == []
    page.close()


def test_a_series_part_shows_where_it_stands_and_links_the_others(browser: Browser, site_url: str) -> None:
    page, traffic = open_page(browser, site_url, "/posts/verifying-packages/")
    box = page.locator("nav.series-box")
    assert box.is_visible() and "Part 2 of 2 in the series Managing Python environments" in box.inner_text()
    assert box.bounding_box()["y"] < page.locator("article h1").bounding_box()["y"], "the box comes before the post"
    box.get_by_role("link", name="Jupyter notebooks and conda environments as kernels").click()
    page.wait_for_url("**/posts/jupyter-conda-environments/")
    assert "Part 1 of 2" in page.locator("nav.series-box").inner_text()
    assert not traffic.problems
    page.close()
