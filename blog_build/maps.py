"""folium (Leaflet) maps drawn offline: the map's own page as a file beside the post, on the site's Leaflet.

What folium saves in a notebook is `text/html`: a "Make this Notebook Trusted to load
map" line and an `<iframe srcdoc="...">` holding a whole HTML page, which loads Leaflet,
jQuery, Bootstrap, Font Awesome and Leaflet.awesome-markers from CDNs and then runs
folium's generated script (`L.map(...)`, markers, GeoJSON, tile layers). html_safety.py
removes the srcdoc, which left an empty box under a misleading sentence. Here, when the
notebook model is made (interactive_outputs.prepare calls `prepare_map`), that page is
read with lxml and rewritten:

- Leaflet's script and stylesheet, and jQuery's (folium's popups are built with `$(...)`),
  point at the site's copies, pinned in package.json at the versions folium 0.20 names
  (`libraries.LIBRARIES["leaflet"]`); a map naming another Leaflet release, or another
  major jQuery, gets the static fallback, as a Bokeh plot of another release does: the
  generated script is written against that release's API;
- Bootstrap, the Bootstrap 3 glyphicons, Font Awesome and awesome-markers are dropped:
  a map uses them only through `L.AwesomeMarkers` (folium.Icon), and a map that does
  gets the fallback (the site does not serve them); any other script or stylesheet from
  elsewhere, or an address the map's script would fetch, gets the fallback too, since
  pages make no request off the site;
- tile layers (OpenStreetMap by default) come from another host: a small script of ours,
  run between Leaflet and folium's script, holds every tile layer back from the map, so
  the markers and shapes are drawn on Leaflet's plain background, and a button "Load map
  tiles from HOST" adds them when the reader asks.

The rewritten page is kept in the output under MAP (with its title); when a post is
rendered (`map_files`), it becomes a file beside the post, named by its content's hash
like huge outputs' text files (long_outputs.py), and the output an `<iframe src=...>`.
A file rather than the srcdoc: the post page, its teaser and the search index do not
carry the map's script and GeoJSON (which can be megabytes), the browser fetches it only
when the frame comes into view (`loading="lazy"`) and caches it apart from the page, and
html_safety keeps its rule that no notebook HTML brings a srcdoc. The frame is sandboxed
(`allow-scripts` without `allow-same-origin`): folium's script is the notebook's, so it
runs in an origin of its own, with no access to the site's pages.

A page that cannot be read, or a map that cannot be drawn so, gets the static fallback: a
note naming the cell and why, and one warning line (interactive_outputs.Prepared).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from blog_build import libraries

# Internal MIME type of a map readied for the site: {"page": its page's HTML, "title": ..., "ratio": CSS aspect-ratio}.
MAP = "application/x.nb-leaflet-map+json"
LIBRARY = "leaflet"
SRCDOC = re.compile(r"""<iframe\b[^>]*?\bsrcdoc=(["'])(.*?)\1""", re.I | re.S)
# The frame's shape, from folium's wrapper: `padding-bottom:60%` is a width:height of 100:60.
PADDING = re.compile(r"padding-bottom:\s*([\d.]+)%")
DEFAULT_RATIO = "5 / 3"
# Where CDNs keep Leaflet and jQuery (jsdelivr and unpkg `leaflet@1.9.3/dist/`, cdnjs
# `leaflet/1.9.3/`, code.jquery.com `jquery-3.7.1.min.js`): the file and its version.
LEAFLET_URL = re.compile(r"/leaflet[@/](\d+\.\d+\.\d+)/(?:dist/)?leaflet\.(js|css)$")
JQUERY_URL = re.compile(r"/jquery[-@/](\d+\.\d+\.\d+)(?:(?:/dist)?/jquery)?(?:\.min)?\.js$")
# What folium loads for awesome markers alone (folium.Icon), and nothing else of a map needs.
ICON_URL = re.compile(r"bootstrap|glyphicons|font-?awesome|fontawesome|awesome-markers|leaflet\.awesome\.rotate", re.I)
ICON_USE = "L.AwesomeMarkers"
TILE_LAYER = re.compile(r"""L\.tileLayer(?:\.wms)?\(\s*(["'])(.*?)\1""", re.S)
ADDRESS = re.compile(r"""https?://[^\s"'`\\<>)]+""")
LINK_BEFORE = re.compile(r"""href=\\?["']?$""")


class MapError(ValueError):
    """Why a map's page cannot be drawn on the site (said in the note and the warning)."""


@dataclass(frozen=True)
class MapFile:
    """A map's page, to be written beside the post as `name`."""

    name: str
    text: str


def folium_page(markup: str) -> str | None:
    """The page in an output's `<iframe srcdoc>` when it is a Leaflet map's (folium's), else None."""
    found = SRCDOC.search(markup)
    if found is None:
        return None
    page = html.unescape(found.group(2))
    return page if "L.map(" in page and "leaflet" in page else None


def installed_version(package: str, node_modules: Path = libraries.NODE_MODULES) -> str | None:
    try:
        return json.loads((node_modules / package / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def site_url(name: str) -> str:
    """Where the site serves one file of the leaflet library (by its file name), from its root."""
    return "/" + libraries.site_path(LIBRARY, Path(name))


# Leaflet finds its marker images' folder by cutting "marker-icon.png" off this one's address:
# it gets no ?v= (the images are Leaflet's, changed only with it).
UNVERSIONED = {"marker-icon.png"}


def versioned(page: str, node_modules: Path = libraries.NODE_MODULES) -> str:
    """The map's page with its addresses of the site's Leaflet files made versioned (libraries.versioned_url).

    Done when the post is rendered, not in the cached model: a new copy of a file gives the
    page new addresses (a lock file change re-renders the post) while its model is kept.
    """
    for source in libraries.LIBRARIES[LIBRARY].sources(node_modules):
        if source.name in UNVERSIONED:
            continue
        plain = site_url(source.name)
        url = libraries.versioned_url(source, plain[1:])
        page = page.replace(f'="{plain}"', f'="{url}"').replace(f"url({plain})", f"url({url})")
    return page


def tile_hosts(script: str) -> list[str]:
    """The hosts the map's tile layers load from ("{s}." subdomains left out), in order."""
    hosts = [urlsplit(url.replace("{s}.", "")).netloc for _quote, url in TILE_LAYER.findall(script)]
    return list(dict.fromkeys(host for host in hosts if host))


def fetched_addresses(script: str) -> list[str]:
    """Addresses in the map's script that a browser would fetch: not tile templates (held back), not links."""
    tiles = {url for _quote, url in TILE_LAYER.findall(script)}
    found = []
    for address in ADDRESS.finditer(script):
        if LINK_BEFORE.search(script[max(0, address.start() - 8) : address.start()]):
            continue
        if any(tile.startswith(address.group()) for tile in tiles):
            continue
        found.append(address.group())
    return found


def fetched_by_markup(root) -> list[str]:
    """Addresses elsewhere that the page's elements or inline styles would fetch (links excepted)."""
    found = []
    for element in root.iter():
        if element.tag == "style":
            found += ADDRESS.findall(element.text or "")
        elif element.tag not in ("a", "script", "link"):  # scripts and stylesheets are checked one by one
            found += [value for name, value in element.attrib.items() if name != "href" and ADDRESS.match(value)]
    return found


# Run after Leaflet and before folium's script: tile layers are held back until the reader asks.
HOLD_TILES = """
(function () {
  // Tiles come from another host: a page of this site requests nothing elsewhere unless the reader asks.
  var held = [];
  var addLayer = L.Map.prototype.addLayer;
  L.Map.prototype.addLayer = function (layer) {
    if (!(layer instanceof L.TileLayer)) return addLayer.call(this, layer);
    held.push([this, layer]);
    return this;
  };
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("nb-tiles");
    if (!held.length) return button.remove();
    button.hidden = false;
    button.addEventListener("click", function () {
      L.Map.prototype.addLayer = addLayer;
      held.forEach(function (pair) { pair[0].addLayer(pair[1]); });
      button.remove();
    });
  });
})();
"""
BUTTON_STYLE = (
    "#nb-tiles{position:absolute;left:10px;bottom:10px;z-index:1000;font:13px/1.4 sans-serif;"
    "padding:4px 8px;background:#fff;color:#222;border:1px solid #888;border-radius:4px;cursor:pointer}"
)


def map_page(page: str, title: str, node_modules: Path = libraries.NODE_MODULES) -> str:
    """folium's page rewritten for the site (module docstring); MapError says why it cannot be."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(page)
    except (etree.ParserError, ValueError) as error:
        raise MapError(f"its page could not be read ({error})") from None
    body = root.find("body")
    if body is None:
        raise MapError("its page has no body")
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    inline = "\n".join(script.text or "" for script in root.iter("script") if not script.get("src"))
    leaflet = installed_version("leaflet", node_modules)
    jquery = installed_version("jquery", node_modules)
    leaflet_script = leaflet_sheet = None
    for element in list(root.iter("script", "link")):
        address = element.get("src") if element.tag == "script" else element.get("href")
        if address is None or (element.tag == "link" and element.get("rel", "").lower() != "stylesheet"):
            continue
        path = urlsplit(address).path
        if (match := LEAFLET_URL.search(path)) is not None:
            if match.group(1) != leaflet:
                raise MapError(f"it was saved for Leaflet {match.group(1)}; the site draws maps with Leaflet {leaflet}")
            if element.tag == "script":
                leaflet_script = element
                element.set("src", site_url("leaflet.js"))
            else:
                leaflet_sheet = element
                element.set("href", site_url("leaflet.css"))
        elif (match := JQUERY_URL.search(path)) is not None:
            if jquery is None or match.group(1).split(".")[0] != jquery.split(".")[0]:
                raise MapError(f"it was saved for jQuery {match.group(1)}; the site serves jQuery {jquery}")
            element.set("src", site_url("jquery.min.js"))
        elif ICON_URL.search(path):
            if ICON_USE in inline:
                raise MapError("its markers use Leaflet.awesome-markers (folium.Icon), which the site does not serve")
            element.drop_tree()
        else:
            raise MapError(f"it loads {address}, which the site does not serve")
    if leaflet_script is None:
        raise MapError("its page does not load Leaflet from a known address")
    if fetched := fetched_addresses(inline) + fetched_by_markup(root):
        raise MapError(f"its page fetches {fetched[0]}; pages load nothing from elsewhere")
    # leaflet.css finds its images in images/ beside it; the site keeps them beside it.
    images = etree.Element("style")
    images.text = (
        f".leaflet-default-icon-path{{background-image:url({site_url('marker-icon.png')})}}"
        f".leaflet-control-layers-toggle{{background-image:url({site_url('layers.png')})}}"
        f".leaflet-retina .leaflet-control-layers-toggle"
        f"{{background-image:url({site_url('layers-2x.png')})}}" + BUTTON_STYLE
    )
    if leaflet_sheet is not None:
        leaflet_sheet.addnext(images)
    else:
        head.append(images)
    hold = etree.Element("script")
    hold.text = HOLD_TILES
    leaflet_script.addnext(hold)
    hosts = tile_hosts(inline)
    button = etree.SubElement(body, "button", id="nb-tiles", type="button", hidden="hidden")
    button.text = "Load map tiles from " + " and ".join(hosts) if hosts else "Load map tiles"
    for old in head.findall("title"):
        head.remove(old)
    etree.SubElement(head, "title").text = title
    if root.get("lang") is None:
        root.set("lang", "en")
    return "<!DOCTYPE html>\n" + etree.tostring(root, encoding="unicode", method="html")


def note(cell: int, reason: str) -> str:
    """The static fallback of a map that cannot be drawn: what was there, in which cell, and why."""
    return (
        f'<p class="nb-unavailable">An interactive map (cell {cell}) was here; the site cannot draw it:'
        f" {html.escape(reason)}.</p>"
    )


def frame_ratio(markup: str) -> str:
    padding = PADDING.search(markup)
    if padding is None or not 0 < float(padding.group(1)) < 1000:
        return DEFAULT_RATIO
    return f"100 / {float(padding.group(1)):g}"


def prepare_map(data: dict, markup: str, available: set[str], cell: int) -> str | None:
    """Put a folium map's rewritten page under MAP in `data` (in place); else the reason it is a note.

    `data` keeps its text/plain beside MAP; on failure it holds the note alone.
    """
    page = folium_page(markup)
    if page is None:
        return None
    title = f"Interactive map (cell {cell})"
    reason = None
    if LIBRARY not in available:
        reason = "Leaflet is not installed (run `npm ci`; `make build` does)"
    else:
        try:
            rewritten = map_page(page, title)
        except MapError as error:
            reason = str(error)
    if reason is not None:
        data.clear()
        data["text/html"] = note(cell, reason)
        return reason
    plain = data.get("text/plain")
    data.clear()
    data[MAP] = {"page": rewritten, "title": title, "ratio": frame_ratio(markup)}
    if plain is not None:
        data["text/plain"] = plain
    return None


def frame(value: dict, src: str | None) -> str:
    """The output's markup on the page: the map's frame, or without a file (`src` None) the note."""
    if src is None:
        return '<p class="nb-unavailable">An interactive map was here; it is shown on the post\'s own page.</p>'
    return (
        f'<div class="output_subarea output_html nb-map"><iframe src="{html.escape(src)}"'
        f' title="{html.escape(value["title"])}" loading="lazy" sandbox="allow-scripts"'
        f' style="width:100%;aspect-ratio:{html.escape(value.get("ratio", DEFAULT_RATIO))};border:0"></iframe></div>'
    )


def map_files(notebook, url: str | None) -> list[MapFile]:
    """Each map's page as a file beside the post, its output a frame showing it (in place); the files to write.

    `url` is that of the post's folder; with `url` None no file is made and a map is a note.
    A file is named by its content, so a reader's browser never keeps an old copy.
    """
    files: dict[str, MapFile] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            value = output.get("data", {}).get(MAP)
            if value is None:
                continue
            src = None
            if url is not None:
                text = versioned(value["page"])
                name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] + ".html"
                files[name] = MapFile(name, text)
                src = url + name
            output["data"] = {"text/html": frame(value, src)}
    return list(files.values())
