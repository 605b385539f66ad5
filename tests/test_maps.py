"""folium (Leaflet) maps drawn offline from the site's pinned Leaflet, in a page of their own beside the post.

The fixture post (tests/fixtures/maps/, written by make_map_posts.py with folium 0.20) holds what
folium saves: a "Make this Notebook Trusted" line and an iframe whose srcdoc is a whole page
loading Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs, with a marker
(popup, tooltip) and a GeoJSON polygon over OpenStreetMap tiles.
"""

from __future__ import annotations

import copy
import html
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html
from playwright.sync_api import Browser
from test_interactive_outputs import open_offline

from blog_build import libraries, maps
from blog_build.interactive_outputs import TEASER_KEY, prepare

from conftest import ROOT, copy_site, nikola, serve_folder

FIXTURES = ROOT / "tests" / "fixtures" / "maps"
ALL = set(libraries.LIBRARIES)
MAP_CELL = 2
TILES = "tile.openstreetmap.org"
BUTTON = f"Load map tiles from {TILES}"
# What Chromium logs for each request the test aborts (a tile, once asked for).
DISCONNECTED = "console: Failed to load resource: net::ERR_INTERNET_DISCONNECTED"
ARTIFACTS = ROOT / "test-artifacts" / "maps"  # screenshots a person can look at


def fixture() -> dict:
    return json.loads((FIXTURES / "folium-map.ipynb").read_text(encoding="utf-8"))


def shown(notebook: dict, cell: int) -> list[dict]:
    return [output["data"] for output in notebook["cells"][cell - 1].get("outputs", [])]


def edit_page(notebook: dict, old: str, new: str) -> dict:
    """The notebook with `old` replaced by `new` in the map's saved HTML (its srcdoc, escaped as folium escapes it)."""
    edited = copy.deepcopy(notebook)
    data = edited["cells"][MAP_CELL - 1]["outputs"][0]["data"]
    markup = "".join(data["text/html"])
    escaped_old, escaped_new = html.escape(old), html.escape(new)
    assert escaped_old in markup, f"{old!r} is not in the map's page"
    data["text/html"] = markup.replace(escaped_old, escaped_new)
    return edited


def loaded_addresses(page: str) -> list[str]:
    root = lxml_html.document_fromstring(page)
    return [element.get("src") for element in root.iter("script") if element.get("src")] + [
        element.get("href") for element in root.iter("link")
    ]


def test_the_fixture_names_the_pinned_leaflet_and_jquery() -> None:
    saved = (FIXTURES / "folium-map.ipynb").read_text(encoding="utf-8")
    assert maps.installed_version("leaflet") == "1.9.3" and "leaflet@1.9.3/dist/leaflet.js" in saved
    assert maps.installed_version("jquery") == "3.7.1" and "jquery-3.7.1.min.js" in saved


def test_a_folium_map_becomes_its_page_on_the_sites_leaflet() -> None:
    notebook = fixture()
    prepared = prepare(notebook, ALL)
    assert prepared.libraries == {"leaflet"} and prepared.warnings("x") == []
    [data] = shown(notebook, MAP_CELL)
    assert set(data) == {maps.MAP, "text/plain"}
    page = data[maps.MAP]["page"]
    addresses = loaded_addresses(page)
    folder = f"/{libraries.URL_FOLDER}/leaflet/"
    assert [urlsplit(address).path.removeprefix(folder) for address in addresses] == [
        "leaflet.js",
        "jquery.min.js",
        "leaflet.css",
    ]
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "netdna.bootstrapcdn.com"):
        assert cdn not in page
    assert "bootstrap" not in page and "fontawesome" not in page and "awesome-markers" not in page
    # What is left of other hosts: the tile template (held back until asked) and the attribution's link.
    assert maps.ADDRESS.findall(page) == [
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "https://www.openstreetmap.org/copyright",
    ]
    assert f">{BUTTON}</button>" in page and "<title>Interactive map (cell 2)</title></head>" in page
    assert "L.marker(" in page and "L.geoJson(" in page, "folium's own script is kept"
    assert notebook["cells"][MAP_CELL - 1]["metadata"].get(TEASER_KEY), "index pages stop before the map"


def test_the_map_page_becomes_a_file_and_the_output_a_titled_frame() -> None:
    import nbformat

    notebook = nbformat.from_dict(fixture())
    prepare(notebook, ALL)
    page = shown(notebook, MAP_CELL)[0][maps.MAP]["page"]
    [written] = maps.map_files(notebook, "/posts/folium-map/")
    assert written.name.endswith(".html") and written.text != page
    assert written.text == maps.versioned(page)
    folder = f"/{libraries.URL_FOLDER}/leaflet/"
    for address in loaded_addresses(written.text):  # each the site's copy, by its content hash
        name = urlsplit(address).path.removeprefix(folder)
        source = next(path for path in libraries.LIBRARIES["leaflet"].sources() if path.name == name)
        assert address == libraries.versioned_url(source, libraries.site_path("leaflet", source))
    icon = f"url({folder}marker-icon.png)"  # Leaflet reads its images' folder from this address
    assert icon in written.text and "layers.png?v=" in written.text
    [data] = shown(notebook, MAP_CELL)
    frame = lxml_html.fragment_fromstring(data["text/html"]).find("iframe")
    assert frame.get("src") == f"/posts/folium-map/{written.name}"
    assert frame.get("title") == "Interactive map (cell 2)" and frame.get("sandbox") == "allow-scripts"
    assert "aspect-ratio:100 / 60" in frame.get("style")

    without_folder = nbformat.from_dict(fixture())
    prepare(without_folder, ALL)
    assert maps.map_files(without_folder, None) == []
    assert "nb-unavailable" in shown(without_folder, MAP_CELL)[0]["text/html"]


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "leaflet@1.9.3/dist/leaflet.js",
            "leaflet@1.7.1/dist/leaflet.js",
            "it was saved for Leaflet 1.7.1; the site draws maps with Leaflet 1.9.3",
        ),
        ("jquery-3.7.1.min.js", "jquery-1.12.4.min.js", "it was saved for jQuery 1.12.4; the site serves jQuery 3.7.1"),
        (
            '/dist/leaflet.js"></script>',
            '/dist/leaflet.js"></script><script src="https://unpkg.com/leaflet.markercluster@1.1.0/dist/leaflet.markercluster.js"></script>',
            "it loads https://unpkg.com/leaflet.markercluster@1.1.0/dist/leaflet.markercluster.js,"
            " which the site does not serve",
        ),
        (
            "L.marker(",
            "L.AwesomeMarkers.icon({}); L.marker(",
            "its markers use Leaflet.awesome-markers (folium.Icon), which the site does not serve",
        ),
        (
            "L.marker(",
            'L.imageOverlay("https://example.org/a.png", [[0, 0], [1, 1]]); L.marker(',
            "its page fetches https://example.org/a.png; pages load nothing from elsewhere",
        ),
        (
            "</body>",
            '<img src="https://example.org/b.png" alt=""></body>',
            "its page fetches https://example.org/b.png; pages load nothing from elsewhere",
        ),
        (
            "</style>",
            "@import url(https://example.org/c.css);</style>",
            "its page fetches https://example.org/c.css; pages load nothing from elsewhere",
        ),
    ],
    ids=["other-leaflet", "other-jquery", "unknown-script", "awesome-markers", "script-fetches", "image", "import"],
)
def test_a_map_the_site_cannot_draw_gets_a_note_naming_its_cell_and_a_warning(old: str, new: str, reason: str) -> None:
    notebook = edit_page(fixture(), old, new)
    prepared = prepare(notebook, ALL)
    assert shown(notebook, MAP_CELL) == [{"text/html": maps.note(MAP_CELL, reason)}]
    assert f"(cell {MAP_CELL})" in maps.note(MAP_CELL, reason)
    assert prepared.warnings("post.ipynb") == [
        f"post.ipynb: cell {MAP_CELL}: the folium map is shown as a note: {reason}"
    ]
    assert prepared.libraries == set()


def test_without_leaflet_installed_the_map_is_a_note_and_a_warning() -> None:
    notebook = fixture()
    prepared = prepare(notebook, ALL - {"leaflet"})
    [data] = shown(notebook, MAP_CELL)
    assert "Leaflet is not installed" in data["text/html"] and "Trusted" not in data["text/html"]
    assert prepared.warnings("x") == [
        f"x: cell {MAP_CELL}: the folium map is shown as a note:"
        " Leaflet is not installed (run `npm ci`; `make build` does)"
    ]


def test_an_unreadable_map_page_is_a_map_error() -> None:
    with pytest.raises(maps.MapError, match="does not load Leaflet"):
        maps.map_page("<html><body><script>L.map('m')</script></body></html>", "t")
    with pytest.raises(maps.MapError, match="could not be read"):
        maps.map_page("", "t")


# --- the site ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def map_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("maps"), posts=("welcome",))
    for path in FIXTURES.glob("folium-map.*"):
        shutil.copy(path, site / "posts" / path.name)
    result = nikola(site, "build")
    (site / "build-stderr.txt").write_text(result.stderr, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def site_url(map_site: Path) -> Iterator[str]:
    with serve_folder(map_site / "output") as url:
        yield url


def test_the_map_file_is_beside_the_post(map_site: Path) -> None:
    post = map_site / "output" / "posts" / "folium-map"
    [page] = [path for path in post.glob("*.html") if path.name != "index.html"]
    shown = lxml_html.fromstring((post / "index.html").read_text(encoding="utf-8"))
    assert [frame.get("src") for frame in shown.iter("iframe")] == [page.name]  # Nikola makes links relative
    assert "folium-map.ipynb" not in (map_site / "build-stderr.txt").read_text(encoding="utf-8")
    # A second build keeps it: it is a target of the post's task, so prune_output leaves it.
    nikola(map_site, "build")
    assert page.exists()


def test_the_map_draws_offline_and_loads_tiles_only_when_asked(browser: Browser, site_url: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, requests, problems = open_offline(browser, site_url, "/posts/folium-map/")
    frame_element = page.locator("iframe[title='Interactive map (cell 2)']")
    frame_element.scroll_into_view_if_needed()
    frame = page.frame_locator("iframe[title='Interactive map (cell 2)']")
    frame.locator(".leaflet-container .leaflet-marker-icon").wait_for()
    paths = frame.locator(
        ".leaflet-container .leaflet-overlay-pane svg path"
    )  # the polygon (not the flag in the attribution)
    paths.first.wait_for()
    drawn = {"paths": paths.count(), "tiles": frame.locator(".leaflet-tile").count()}
    frame.locator(".leaflet-marker-icon").click()
    popup = frame.locator(".leaflet-popup-content").inner_text()  # built with folium's `$(...)`: jQuery is there
    text = page.inner_text(".nb-body")
    frame_element.screenshot(path=str(ARTIFACTS / "map-before-tiles.png"))
    before = list(requests)
    assert problems == []
    assert all(not request.startswith("http") for request in before), f"requests off the site: {before}"
    assert {"leaflet/leaflet.js", "leaflet/jquery.min.js", "leaflet/leaflet.css"} <= set(before)
    assert "site/outputs.js" not in before, "the post's page loads no library of its own for a map"
    assert drawn == {"paths": 1, "tiles": 0}
    assert "Trusted" not in text and popup == "Trafalgar Square"

    with page.expect_request(lambda request: urlsplit(request.url).netloc == TILES):
        frame.get_by_role("button", name=BUTTON).click()
    frame.locator(".leaflet-tile").first.wait_for(state="attached")
    frame_element.screenshot(path=str(ARTIFACTS / "map-after-tiles.png"))
    page.close()
    aborted = [problem.removeprefix("failed: ") for problem in problems if problem.startswith("failed: ")]
    others = [problem for problem in problems if not problem.startswith("failed: ") and problem != DISCONNECTED]
    assert aborted and {urlsplit(url).netloc for url in aborted} == {TILES}, "the tiles, and only they, go off the site"
    assert {url for url in requests if url.startswith("http")} == set(aborted)
    assert others == []


def test_index_pages_and_feeds_stop_before_the_map(map_site: Path) -> None:
    for page in ("index.html", "rss.xml"):
        text = (map_site / "output" / page).read_text(encoding="utf-8")
        assert "A folium map" in text and "nb-map" not in text and "iframe" not in text


def test_a_changed_map_replaces_its_file_and_the_old_one_goes(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome",))
    for path in FIXTURES.glob("folium-map.*"):
        shutil.copy(path, site / "posts" / path.name)
    nikola(site, "build")
    post = site / "output" / "posts" / "folium-map"
    [old] = [path for path in post.glob("*.html") if path.name != "index.html"]
    source = site / "posts" / "folium-map.ipynb"
    source.write_text(source.read_text(encoding="utf-8").replace("Trafalgar Square", "Nelson's Column"), "utf-8")
    nikola(site, "build")
    [new] = [path for path in post.glob("*.html") if path.name != "index.html"]
    assert new != old and "Nelson" in new.read_text(encoding="utf-8"), "the map's page is rendered again"
    assert f'src="{new.name}"' in (post / "index.html").read_text(encoding="utf-8")
