"""Interactive notebook outputs, made to work on a static page.

In Jupyter, a Plotly figure, an Altair chart or a widget is drawn by JavaScript that the
notebook front end provides. Saved in a notebook, such an output is either a MIME bundle
naming its data (`application/vnd.plotly.v1+json`, `application/vnd.vegalite.v6+json`,
`application/vnd.jupyter.widget-view+json`) or HTML with a script that fetches its
library from a CDN or expects RequireJS. `prepare` rewrites each output into one of:

- the data of a library the site serves (libraries.py), drawn by that library;
- the best static representation in its bundle (image, HTML with its scripts removed,
  text), when its JavaScript is unknown or its library is not installed;
- a short note, when the bundle holds nothing else that a reader could use;

and drops outputs that only load a library (Plotly's `init_notebook_mode` cell inlines
all 4 MB of plotly.js; itables', Bokeh's, HoloViews' and Panel's loaders). Every other HTML, and
markdown (cells and outputs), is cleaned by html_safety.py: no script a notebook brings
runs on the site, and nothing is fetched from another host. The notebook model
(notebook.py) runs it on every cell and marks where index pages and feeds must stop at
the latest: before the first interactive output, so they never carry its payload.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from blog_build import html_safety, libraries, maps, references

PLOTLY = "application/vnd.plotly.v1+json"
# What Bokeh 3's notebook `show` saves beside the plot's script; on the site, the plot's
# docs_json and render_items read from that script (bokeh_embedding), drawn by BokehJS.
BOKEH = "application/vnd.bokehjs_exec.v0+json"
# What Panel's (and so HoloViews') notebook output saves, empty, beside HTML with the document's script.
HOLOVIEWS_EXEC = "application/vnd.holoviews_exec.v0+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VEGALITE = re.compile(r"application/vnd\.vegalite\.v\d+(\.\d+)*\+json")
VEGA = re.compile(r"application/vnd\.vega\.v\d+(\.\d+)*\+json")
# What nbconvert may render, best first; the vega types are listed by version.
DISPLAY_PRIORITY = [
    WIDGET_VIEW,
    PLOTLY,
    BOKEH,
    *[f"application/vnd.vegalite.v{n}+json" for n in range(9, 1, -1)],
    *[f"application/vnd.vega.v{n}+json" for n in range(9, 3, -1)],
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
]
TEASER_KEY = "teaser_ends_here"
TEASER_MARKER = re.compile(r"<!--\s*(TEASER_END|END_TEASER)", re.I)
# Stands for a trace no partial plotly.js bundle can be known to draw (not an object, no string type).
UNKNOWN_TRACE = "?"
# What prepare_bokeh says of an output that draws nothing (Panel's loader): it is dropped.
NOTHING = ""
UNAVAILABLE = (
    '<p class="nb-unavailable">An interactive output was here; the notebook saved no static version of it.</p>'
)
# What the page shows, or would run: a notebook's output in none of these forms is in a form nobody here knows.
SHOWN_OR_RUN = {*DISPLAY_PRIORITY, "application/javascript"}
UNKNOWN_FORM = '<p class="nb-unavailable">An output was here in a form a web page cannot show ({forms}).</p>'

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
EXTERNAL_SRC = re.compile(r"""\bsrc\s*=\s*["']?(?:https?:)?//""", re.I)
# Signs that a script fetches code or needs a module loader the page does not have.
LOADS_CODE = re.compile(
    r"""\brequire(?:js)?\s*[(.]|\bdefine\s*\(|\bimport\b[^;]*["'](?:https?:)?//|["'](?:https?:)?//[^"']+\.js\b""",
    re.I,
)
# An output that is one frame and nothing else, as Plotly's iframe renderers write it.
FRAME_ONLY = re.compile(r"""\s*<iframe\b[^>]*?\bsrc\s*=\s*["']([^"']+)["'][^>]*>\s*</iframe\s*>\s*""", re.I)
PLOTLY_CALL = re.compile(r"""Plotly\.newPlot\(\s*(["'])[^"']*\1\s*,""")
# Static forms better than HTML whose script the site cannot run (HTML that is only a table's
# "Loading..." line once the script is gone): pictures and formulas.
RICHER_THAN_CLEANED_HTML = ("image/png", "image/jpeg", "image/svg+xml", "text/latex")
# The HTML of a plot or table drawn by a library the site does not serve: its scripts are
# removed without a warning (they are the library's, not the author's).
LIBRARY_OUTPUT = re.compile(
    r"class=[\"']?(?:bk-root|bk-plotdiv|hololayout|itables)\b|\bdata-root-id=|_bokeh_onload_callbacks|\bDataTable\(|"
    r"new ITable\("
)
BOKEH_OUTPUT = re.compile(r"class=[\"']?(?:bk-root|bk-plotdiv|hololayout)\b|\bdata-root-id=")
PICTURE = re.compile(r"<(?:img|svg)\b", re.I)
# A bare repr such as <IPython.core.display.Javascript object>: nothing for a reader.
OBJECT_REPR = re.compile(r"^<[\w.]+ object( at 0x[0-9a-f]+)?>$")


def library_for(mime: str) -> str | None:
    """The kind of site library that draws data of this MIME type ("plotly", "bokeh", "vega", "widgets"), if any."""
    if mime == PLOTLY:
        return "plotly"
    if mime == BOKEH:
        return "bokeh"
    if mime == maps.MAP:
        return maps.LIBRARY
    if VEGALITE.fullmatch(mime) or VEGA.fullmatch(mime):
        return "vega"
    if mime == WIDGET_VIEW:
        return "widgets"
    return None


def libraries_for(mime: str) -> set[str]:
    """The site libraries (libraries.LIBRARIES) that must all be installed to draw data of this MIME type.

    For Plotly that is the full plotly.js: whether a smaller bundle will do is known only
    once every figure on the page is seen (`prepare`); for Bokeh it is BokehJS alone, its
    extensions being known from the plot's models (prepare_bokeh).
    """
    kind = library_for(mime)
    if kind == "vega":
        return {"vega", "vega-lite", "vega-embed"} if VEGALITE.fullmatch(mime) else {"vega", "vega-embed"}
    return {kind} if kind else set()


def trace_types(figure: dict) -> set[str]:
    """The trace types of a Plotly figure, its animation frames' included; a trace without one is a scatter.

    A trace or a list of traces in a shape plotly.js would not read counts as UNKNOWN_TRACE,
    which only the full bundle is taken to draw.
    """
    frames = figure.get("frames") or []
    groups = [figure.get("data") or []]
    groups += (
        [frame.get("data") or [] if isinstance(frame, dict) else None for frame in frames]
        if isinstance(frames, list)
        else [None]
    )
    types = set()
    for traces in groups:
        for trace in traces if isinstance(traces, list) else [None]:
            kind = trace.get("type", "scatter") if isinstance(trace, dict) else None
            types.add(kind if isinstance(kind, str) else UNKNOWN_TRACE)
    return types


def json_values(text: str, start: int, count: int) -> list:
    """Up to `count` JSON values written one after another from `start`, separated by commas."""
    decoder = json.JSONDecoder()
    values, position = [], start
    while len(values) < count:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        values.append(value)
    return values


def plotly_figure(markup: str) -> dict | None:
    """The figure in HTML that Plotly's `to_html`/notebook renderers write, if there is one."""
    call = PLOTLY_CALL.search(markup)
    if call is None:
        return None
    values = json_values(markup, call.end(), 3)
    if len(values) < 2 or not isinstance(values[0], list) or not isinstance(values[1], dict):
        return None
    figure = {"data": values[0], "layout": values[1]}
    if len(values) == 3 and isinstance(values[2], dict):
        figure["config"] = values[2]
    return figure


def altair_chart(markup: str) -> tuple[str, dict] | None:
    """(MIME type, spec) of the chart in HTML that Altair's html renderer writes, if there is one."""
    if "vegaEmbed(" not in markup or "function(spec, embedOpt)" not in markup:
        return None
    start = markup.rfind("})(")
    values = json_values(markup, start + 3, 2) if start >= 0 else []
    if not values or not isinstance(values[0], dict):
        return None
    spec, options = values[0], (values[1] if len(values) > 1 and isinstance(values[1], dict) else {})
    version = re.search(r"/v(\d+)", str(spec.get("$schema", "")))
    kind = "vega" if options.get("mode") == "vega" else "vegalite"
    return f"application/vnd.{kind}.v{version.group(1) if version else 5}+json", spec


# Where Bokeh's embedding script (notebook `show` from 0.12 on, `components`, `file_html`) assigns
# the plot's documents and where they go; the values are JSON, or in `components` JSON in a JS
# string, or in `file_html` JSON in a script element of its own that the script names.
BOKEH_DOCS = re.compile(r"\b(?:const|var|let)\s+docs_json\s*=\s*")
BOKEH_ITEMS = re.compile(r"\b(?:const|var|let)\s+render_items\s*=\s*")
BOKEH_JSON_ELEMENT = re.compile(r"""document\.getElementById\(['"]([\w-]+)['"]\)\.textContent""")
# The empty element Bokeh 3's notebook `show` saves as an output of its own, before the output
# with the plot's script: on the site the plot is drawn into an element of its own (render).
BOKEH_ROOT = re.compile(r"""\s*(?:<div id=["'][\w-]+["'] data-root-id=["'][\w-]+["'][^>]*>\s*</div>\s*)+""")


def bokeh_value(text: str, start: int) -> object:
    """The JSON value Bokeh's script writes at `start`: JSON, or HTML-escaped JSON in a JS string or an element."""
    if element := BOKEH_JSON_ELEMENT.match(text, start):
        name = re.escape(element.group(1))
        found = re.search(rf"""<script type=["']application/json["'] id=["']{name}["']>(.*?)</script""", text, re.S)
        if found is None:
            raise ValueError("its JSON element is missing")
        return json.loads(html.unescape(found.group(1)))
    if text.startswith("'", start):
        end = text.find("'", start + 1)  # `components` writes its single quotes as &#x27;
        return json.loads(html.unescape(text[start + 1 : end].replace("\\\\", "\\")))
    values = json_values(text, start, 1)
    if not values:
        raise ValueError("not JSON")
    return values[0]


def bokeh_embedding(text: str) -> dict | None:
    """{"docs_json", "render_items"} of the Bokeh plot that a script of Bokeh's embeds, read as JSON (never run).

    None when the text holds no such script; ValueError when it does but they cannot be read.
    """
    docs, items = BOKEH_DOCS.search(text), BOKEH_ITEMS.search(text)
    if docs is None and items is None:
        return None
    if docs is None or items is None:
        raise ValueError("docs_json or render_items missing")
    docs_json, render_items = bokeh_value(text, docs.end()), bokeh_value(text, items.end())
    if not isinstance(docs_json, dict) or not docs_json or not all(isinstance(doc, dict) for doc in docs_json.values()):
        raise ValueError("docs_json is no object of documents")
    if not isinstance(render_items, list) or not render_items or not all(isinstance(i, dict) for i in render_items):
        raise ValueError("render_items is no list of objects")
    return {"docs_json": docs_json, "render_items": render_items}


def bokeh_models(value: object, models: set[str] | None = None) -> tuple[set[str], bool]:
    """The names of the models in a Bokeh document (docs_json), and whether a plot among them draws with WebGL."""
    models = set() if models is None else models
    webgl = False
    if isinstance(value, dict):
        if value.get("type") == "object" and isinstance(value.get("name"), str):
            models.add(value["name"])
        webgl = value.get("output_backend") == "webgl"
        children = value.values()
    else:
        children = value if isinstance(value, list) else []
    for child in children:
        webgl = bokeh_models(child, models)[1] or webgl
    return models, webgl


def bokeh_elements(render_items: list) -> list[str]:
    """The ids of the elements BokehJS draws the render items into: each item's roots' (Bokeh 3), or its elementid."""
    ids = []
    for item in render_items:
        roots = item.get("roots")
        ids += [str(id) for id in roots.values()] if isinstance(roots, dict) else [str(item.get("elementid", ""))]
    return [id for id in ids if id]


# underscore's template tags, which HTMLTemplateFormatter runs as JavaScript: `<% code %>`,
# `<%= expression %>` (its value as HTML), `<%- expression %>` (its value as text).
TEMPLATE_TAG = re.compile(r"<%([=-]?)([\s\S]*?)%>")
IDENTIFIER = re.compile(r"\s*[A-Za-z_$][\w$]*\s*")
# Stands for the column value a template writes: any string, the worst being a script URL; one
# written as HTML (`<%=`) is marked apart, to be found if it is inside a tag.
TEMPLATE_VALUE = "javascript:\ue000"
RAW_TEMPLATE_VALUE = TEMPLATE_VALUE + "\ue001"
# Models of BokehJS that follow a URL they are given (a script URL runs when they do).
BOKEH_URLS = {"OpenURL": "url", "HelpTool": "redirect"}
# What Panel adds to a notebook's documents to talk to the kernel (the browser's details, the comms):
# nothing to see, and nothing to talk to on a static page, so they are left out.
PANEL_PLUMBING = frozenset({"panel.models.browser.BrowserInfo", "panel.models.comm_manager.CommManager"})
# The models of Panel's extension that the site draws: its Column and Tabs, the widgets that are
# BokehJS' own with a little more (their strings are text), and the HTML that Markdown, HTML, Str and
# DataFrame panes (and indicators) become, whose text is cleaned (clean_panel_html). Others are not:
# ReactiveHTML and ESM components run code of the notebook's, most others load libraries.
PANEL_DRAWN = frozenset({
    "panel.models.layout.Column", "panel.models.markup.HTML", "panel.models.tabs.Tabs", "panel.models.widgets.Button",
    "panel.models.widgets.CustomSelect", "panel.models.widgets.TextInput",
})  # fmt: skip
# Where Panel's and HoloViews' documents name Panel's style sheets: `dist/` on Panel's CDN, by version.
PANEL_CDN = re.compile(r"https://cdn\.holoviz\.org/panel/([^/?#]+)/dist/([^?#]+)(?:\?[^#]*)?")
# Models that are style sheets, and the attribute holding their CSS or its URL.
STYLE_SHEETS = {"InlineStyleSheet": "css", "GlobalInlineStyleSheet": "css", "ImportedStyleSheet": "url",
                "GlobalImportedStyleSheet": "url"}  # fmt: skip


def template_problem(template: str) -> str | None:
    """Why an HTMLTemplateFormatter's template cannot be drawn (it runs code, or its HTML needs cleaning), or None.

    A template is not cleaned but taken or refused as it is: lxml would write its `<%` tags
    back escaped, changing what it means. Taken are templates whose tags only name a
    column, whose HTML cleaning leaves as it is whatever the values are (each stands for a
    script URL, the worst a string can be in a link), and that write no value as HTML
    inside a tag (a quote in the data would end the attribute and start a handler).
    """
    tags = TEMPLATE_TAG.findall(template)
    if any(not kind or not IDENTIFIER.fullmatch(code) for kind, code in tags):
        return "code in an HTMLTemplateFormatter's template"
    probe = TEMPLATE_TAG.sub(lambda tag: RAW_TEMPLATE_VALUE if tag.group(1) == "=" else TEMPLATE_VALUE, template)
    cleaned, found = html_safety.clean_html(probe)
    if cleaned != probe or found.scripts or found.remote:
        return "an HTMLTemplateFormatter's template that cleaning would change"
    try:
        root = lxml_html.fragment_fromstring(probe, create_parent="div")
    except etree.ParserError:  # no element at all: the values are text
        return None
    for element in root.iter():
        inside = [str(element.tag), *element.attrib.keys(), *element.attrib.values()]
        if any(RAW_TEMPLATE_VALUE in text for text in inside):
            return "an HTMLTemplateFormatter's template writing a value as HTML inside a tag"
    return None


def clean_bokeh_documents(docs_json: dict) -> tuple[str | None, html_safety.Findings]:
    """The Bokeh documents' strings cleaned as HTML (in place), or why the plot must not be drawn.

    BokehJS runs the code of every CustomJS* model (callbacks, hover and tick formatters,
    transforms, filters, expressions, a document's `document_ready`), so a plot holding one
    is not drawn. Strings are drawn as HTML in many places (a Div's text, a string of
    tooltips, a Tooltip's content, column values that a `{safe}` tooltip field or a template
    writes), so every string goes through html_safety.clean_html, which returns one with
    nothing to clean as it was; templates are checked instead (template_problem).
    """
    findings = html_safety.Findings()
    pending: list[dict | list] = [docs_json]
    templates: set[int] = set()  # the ids of the attributes of template formatters, whose template stays
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            name = value.get("name") if value.get("type") == "object" else value.get("type")
            attributes = value.get("attributes")
            attributes = attributes if isinstance(attributes, dict) else {}
            if isinstance(name, str) and name.startswith("CustomJS"):
                return f"JavaScript of its own (a {name} model)", findings
            base = value.get("extends")
            if value.get("type") == "model" and base is not None:  # a model the document defines (defs)
                base_name = base.get("id") if isinstance(base, dict) else base
                if base_name != "Model":  # the base's code would run with the document's values
                    return f"a model definition extending {base_name}", findings
            if name == "panel.models.markup.HTML" and isinstance(attributes.get("text"), str):
                attributes["text"] = clean_panel_html(attributes["text"], findings)
            url = attributes.get(BOKEH_URLS.get(name, ""))
            if isinstance(url, str) and html_safety.runs_script(url):
                return f"a script URL (in a {name} model)", findings
            if name == "HTMLTemplateFormatter" and isinstance(template := attributes.get("template"), str):
                if problem := template_problem(template):
                    return problem, findings
                templates.add(id(attributes))
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            if isinstance(child, str) and not (key == "template" and id(value) in templates):
                cleaned, found = html_safety.clean_html(child)
                findings.add(found)
                value[key] = cleaned
            elif isinstance(child, dict | list):
                pending.append(child)
    return None, findings


def clean_panel_html(text: str, findings: html_safety.Findings) -> str:
    """The text of Panel's HTML model with its HTML cleaned: as it was when cleaning changes nothing.

    Panel writes the pane's HTML escaped, and its extension draws the text content of the
    text read as HTML (html_decode in panel/models/html.ts); that HTML is what is cleaned,
    and written back escaped.
    """
    import html5lib  # (here, as in html_safety: only a render needs it)

    root = html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=False)
    shown = "".join(root.itertext())
    cleaned, found = html_safety.clean_html(shown)
    findings.add(found)
    return text if cleaned == shown else html.escape(cleaned, quote=False)


def local_stylesheets(docs_json: dict, panel_version: str | None) -> tuple[bool, list[str]]:
    """Point the documents' style sheets on Panel's CDN at the site's copies (in place); drop other remote ones.

    A sheet is served by the site when it is Panel's, of the installed Panel's version; any other
    sheet from elsewhere, or with a scheme (a `data:` sheet may @import one), becomes an empty one
    (the model stays: others may refer to it by id), and CSS written in the document loses what
    it would fetch from elsewhere. Returns whether some sheet is the site's copy of Panel's, and
    the URLs left out.
    """
    panel, dropped = False, []
    pending: list[dict | list] = [docs_json]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            attributes = value.get("attributes")
            name = value.get("name") if value.get("type") == "object" else None
            key = STYLE_SHEETS.get(name) if isinstance(attributes, dict) else None
            sheet = attributes.get(key) if key else None
            if key == "url" and isinstance(sheet, str) and (html_safety.is_remote(sheet) or html_safety.scheme(sheet)):
                cdn = PANEL_CDN.fullmatch(sheet)
                local = libraries.panel_stylesheet(cdn.group(2)) if cdn and cdn.group(1) == panel_version else None
                if local:
                    attributes["url"], panel = local, True
                else:
                    value["name"], value["attributes"] = "InlineStyleSheet", {"css": ""}
                    dropped.append(sheet)
            elif key == "css" and isinstance(sheet, str) and html_safety.css_fetches(sheet):
                attributes["css"] = html_safety.local_css(sheet)
                dropped += css_urls(sheet)
            sheets = value.get("stylesheets") if isinstance(value.get("stylesheets"), list) else []
            for index, css in enumerate(sheets):  # CSS written into a model's list of sheets
                if isinstance(css, str) and html_safety.css_fetches(css):
                    sheets[index] = html_safety.local_css(css)
                    dropped += css_urls(css)
        children = value.values() if isinstance(value, dict) else value
        pending.extend(child for child in children if isinstance(child, dict | list))
    return panel, dropped


def css_urls(css: str) -> list[str]:
    """The URLs of other hosts that CSS names, for a warning (escaped ones are not read)."""
    return re.findall(html_safety.REMOTE_URL, css) or ["CSS naming another host"]


def release_note(library: str, output: str, saved: str | None, ours: str) -> str:
    """The note for a `library` `output` (a "plot") that the site's release `ours` cannot draw, saved by `saved`."""
    saved_with = f"{library} {html.escape(saved)}" if saved else f"a {library} version it did not record"
    return (
        f'<p class="nb-unavailable">An interactive {library} {output} was here, saved with {saved_with}; the site'
        f" draws {output}s of {library} {html.escape(ours)}, and the notebook saved no static version of it.</p>"
    )


def panel_note(version: str | None) -> str:
    """The note for a Panel layout the site's Panel extension cannot draw: the version it was saved with, and ours."""
    return release_note("Panel", "layout", version, libraries.panel_version() or "1")


def panel_model_note(models: list[str]) -> str:
    """The note for a Panel layout holding models of Panel's that the site does not draw."""
    names = html.escape(", ".join(name.removeprefix(libraries.PANEL_MODELS) for name in models))
    return (
        f'<p class="nb-unavailable">An interactive Panel layout was here; the site does not draw its {names},'
        " and the notebook saved no static version of it.</p>"
    )


def bokeh_script_note() -> str:
    """The note for a Bokeh plot that the site does not draw because it would run the notebook's JavaScript."""
    return (
        '<p class="nb-unavailable">An interactive Bokeh plot was here; it carries JavaScript of the notebook'
        "'s own, which the site does not run, and the notebook saved no static version of it.</p>"
    )


def bokeh_note(version: str | None) -> str:
    """The note for a Bokeh plot that the site's BokehJS cannot draw: the version it was saved with, and ours."""
    return release_note("Bokeh", "plot", version, libraries.bokeh_version() or "3")


def prepare_bokeh(data: dict, markup: str, available: set[str], prepared: Prepared, cell: int) -> str | None:
    """Put a Bokeh plot's documents under BOKEH for BokehJS to draw; else the note to show if nothing static is saved.

    A plot is drawn when the version it was saved with is the installed BokehJS' (BokehJS
    reads only documents of its own release), and the extensions its models need are
    installed. HoloViews' plots and Panel's layouts are Bokeh documents too, written by
    Panel's script: Panel's models in them are drawn by Panel's extension when they were
    saved by its release (the version in their style sheets' URLs) and the site knows them
    (PANEL_DRAWN); Panel's talk with the kernel is left out, and an output that holds
    nothing else is dropped (NOTHING). An output whose script cannot be read is named in a
    warning.
    """
    script = "".join(data.get("application/javascript", ""))
    saved = data.pop(BOKEH, None)
    data.pop(HOLOVIEWS_EXEC, None)  # it names the output for Panel's comms, which a static page has not
    try:
        embedding = bokeh_embedding(script) or bokeh_embedding(markup)
    except ValueError:
        prepared.unreadable_bokeh.append(cell)
        return None
    if embedding is None:
        return None if saved is None else UNAVAILABLE
    for doc in embedding["docs_json"].values():
        roots = doc.get("roots") if isinstance(doc.get("roots"), list) else []
        doc["roots"] = [root for root in roots if not (isinstance(root, dict) and root.get("name") in PANEL_PLUMBING)]
    if not any(doc["roots"] for doc in embedding["docs_json"].values()):
        return NOTHING  # Panel's `pn.extension()` output: its talk with the kernel alone
    versions = {doc.get("version") for doc in embedding["docs_json"].values()}
    version = next(iter(versions)) if len(versions) == 1 else None
    installed = libraries.bokeh_version()
    if installed is not None and version != installed:
        return bokeh_note(version if isinstance(version, str) else None)
    models, webgl = bokeh_models(embedding["docs_json"])
    panel_models = {model for model in models if model.startswith(libraries.PANEL_MODELS)}
    panel_versions = set(PANEL_CDN.findall(json.dumps(embedding["docs_json"])))
    panel_version = next(iter(panel_versions))[0] if len({found[0] for found in panel_versions}) == 1 else None
    panel_installed = libraries.panel_version()
    if panel_models and panel_installed is not None and panel_version != panel_installed:
        return panel_note(panel_version)
    if undrawn := sorted(panel_models - PANEL_DRAWN):
        prepared.panel_problems.append((cell, f"the site does not draw Panel's {', '.join(undrawn)}"))
        return panel_model_note(undrawn)
    problem, found = clean_bokeh_documents(embedding["docs_json"])
    if problem is not None:
        prepared.scripted_bokeh.append((cell, problem))
        return bokeh_script_note()
    prepared.note(cell, found)
    panel_sheets, dropped = local_stylesheets(embedding["docs_json"], panel_installed)
    if dropped:
        prepared.bokeh_stylesheets.append((cell, dropped))
    missing = libraries.bokeh_libraries(models, webgl) - available - {"bokeh"}
    for library in sorted(missing):
        cells = prepared.unavailable.setdefault(library, [])
        cells += [] if cell in cells else [cell]
    if missing:
        return UNAVAILABLE  # the warning on `unavailable` says which library to install
    if "bokeh" in available:
        prepared.libraries |= libraries.bokeh_libraries(models, webgl) | ({"panel-css"} if panel_sheets else set())
    data[BOKEH] = embedding
    return None


# Where itables' HTML (1.x) keeps its rows for DataTables: a JSON array in a script.
ITABLES_DATA = re.compile(r"\bconst data = \[")
# itables 2's static preview: the rows in a table inside `<div id="..._fallback">`.
ITABLES_PREVIEW = re.compile(r"""<div id=["']?[\w-]+_fallback\b""")
# Saved by a library's loader alone (Bokeh 1.x and later, HoloViews), never a figure.
LOADER_TYPES = frozenset({"application/vnd.bokehjs_load.v0+json", "application/vnd.holoviews_load.v0+json"})
# Panel's loader (`pn.extension()`, and HoloViews' on Panel) saves a style sheet and this script; HoloViews 1.23
# its logo apart, with "Extension loaded." to hover.
PANEL_LOADER = re.compile(r"""<script type=["']esms-options["']>""")
HOLOVIEWS_LOGO = re.compile(r"""<div class=["']logo-block["']>\s*<a href=["']https://holoviews\.org["']""")
# Names in the scripts of itables' loader outputs (DataTables and its stylesheet, inlined or from a CDN).
DATATABLES = re.compile(r"datatables?\b|dt_for_itables|/\*! jQuery v", re.I)


def only_loads_plotly(markup: str) -> bool:
    """True for what Plotly saves before its first figure (`init_notebook_mode`, the `notebook` and
    `notebook_connected` renderers): a script setting window.PlotlyConfig, then plotly.js itself or a
    loader fetching it, and nothing to see. The inlined plotly.js holds "Plotly.newPlot" itself."""
    return "window.PlotlyConfig" in markup and plotly_figure(markup) is None and not html_safety.visible(markup)


def itables_table(markup: str) -> str | None:
    """itables' HTML with its table readable without its scripts and marked for DataTables, else None.

    itables 1.x saves the table's header alone, a "Loading..." row, and the rows as a JSON
    array in a script (`const data = [...]`): the rows are written into the table here (their
    values are HTML, as DataTables shows them, and are cleaned with the rest). itables 2's
    static preview saves the rows in a `..._fallback` table beside a hidden one. Either table
    gets the class `nb-datatable`, which the site's tables.js starts DataTables on.
    """
    start = ITABLES_DATA.search(markup)
    rows = json_values(markup, start.end() - 1, 1) if start else []
    written = bool(rows) and isinstance(rows[0], list) and all(isinstance(row, list) for row in rows[0])
    if not written and ITABLES_PREVIEW.search(markup) is None:
        return None
    from lxml import etree
    from lxml import html as lxml_html

    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    if written:
        table = next(iter(root.iter("table")), None)
        body = table.find("tbody") if table is not None else None
        if body is None:
            return None
        cells = "".join(
            "<tr>" + "".join(f"<td>{'' if value is None else value}</td>" for value in row) + "</tr>" for row in rows[0]
        )
        body.clear()
        for row in lxml_html.fragments_fromstring(f"<table><tbody>{cells}</tbody></table>")[0].iter("tr"):
            body.append(row)
    else:
        fallback = next(iter(root.xpath("//div[substring(@id, string-length(@id) - 8) = '_fallback']")), None)
        table = next(iter(fallback.iter("table")), None) if fallback is not None else None
        if table is None:
            return None
        for loading in root.xpath("//table[@hidden][@id = $id]", id=fallback.get("id")[: -len("_fallback")]):
            loading.drop_tree()  # itables' "Loading ITables from the internet..." table, shown only to replace it
    table.set("class", " ".join([*(table.get("class") or "").split(), "nb-datatable"]))
    head = html.escape(root.text or "", quote=False)
    return head + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)


def only_loads_a_library(data: dict, markup: str) -> bool:
    """True for an output that only loads a library for later outputs and shows nothing of its own.

    Plotly's (only_loads_plotly); Bokeh's `output_notebook()` ("Loading BokehJS ..." and
    its loader script); HoloViews' `notebook_extension` (its widget code and logo);
    itables' `init_notebook_mode` (jQuery and DataTables, their stylesheet). On the site
    these libraries are not loaded, so the outputs would show a note or a stray logo.
    """
    script = "".join(data.get("application/javascript", ""))
    if LOADER_TYPES & set(data) or "Loading BokehJS" in markup or "function HoloViewsWidget()" in markup:
        return True
    if PANEL_LOADER.search(markup) and not html_safety.visible(markup):
        return True
    if HOLOVIEWS_LOGO.search(markup) and "Extension loaded." in markup:
        return True
    if markup and only_loads_plotly(markup):
        return True
    if "_bokeh_onload_callbacks" in script or DATATABLES.search(script) or DATATABLES.search(markup):
        return not html_safety.visible(markup)
    return False


def has_unknown_script(markup: str) -> bool:
    """True when the HTML's scripts fetch code, or need RequireJS or a library we do not serve."""
    for attributes, body in SCRIPT.findall(markup):
        if EXTERNAL_SRC.search(attributes) or LOADS_CODE.search(body):
            return True
    return False


@dataclass
class Prepared:
    libraries: set[str] = field(default_factory=set)  # what the page must load (libraries.LIBRARIES)
    plotly_traces: set[str] = field(default_factory=set)  # trace types of the Plotly figures drawn
    # Needed but not installed, so shown static: library -> cell numbers (from 1).
    unavailable: dict[str, list[int]] = field(default_factory=dict)
    # What html_safety removed, by cell number, when it tells the author something (not a known library's).
    cleaned: dict[int, html_safety.Findings] = field(default_factory=dict)
    markdown_cells: set[int] = field(default_factory=set)  # numbers of the markdown cells among `cleaned`
    unreadable_bokeh: list[int] = field(default_factory=list)  # cells whose Bokeh script holds no readable plot
    scripted_bokeh: list[tuple[int, str]] = field(default_factory=list)  # (cell, what) of Bokeh plots running JS
    map_problems: list[tuple[int, str]] = field(default_factory=list)  # (cell, why) of folium maps shown as a note
    # (cell, output, media types) of outputs saved only in forms no browser or library here shows
    unknown_forms: list[tuple[int, int, list[str]]] = field(default_factory=list)
    panel_problems: list[tuple[int, str]] = field(default_factory=list)  # (cell, why) of Panel layouts shown as a note
    # (cell, URLs) of the style sheets from elsewhere left out of Bokeh documents drawn
    bokeh_stylesheets: list[tuple[int, list[str]]] = field(default_factory=list)

    def warnings(self, source: str) -> list[str]:
        lines = [
            f"{source}: {library} output in cell {', '.join(map(str, cells))} shown without interactivity:"
            " its library is not installed (run `npm ci`; `make build` does)"
            for library, cells in sorted(self.unavailable.items())
        ]
        lines += [
            f"{source}: cell {cell}: the Bokeh plot's docs_json or render_items could not be read as JSON;"
            " a note is shown instead"
            for cell in dict.fromkeys(self.unreadable_bokeh)
        ]
        lines += [
            f"{source}: cell {cell}: the Bokeh plot is shown as a note: it holds {what}, and the site runs no script"
            " a notebook brings"
            for cell, what in self.scripted_bokeh
        ]
        lines += [f"{source}: cell {cell}: the folium map is shown as a note: {why}" for cell, why in self.map_problems]
        lines += [
            f"{source}: cell {cell}, output {index}: saved only as {', '.join(forms)}, which a web page cannot"
            " show; a note is shown (save a PNG, SVG, HTML or text form with it)"
            for cell, index, forms in self.unknown_forms
        ]
        lines += [
            f"{source}: cell {cell}: the Panel layout is shown as a note: {why}" for cell, why in self.panel_problems
        ]
        lines += [
            f"{source}: cell {cell}: style sheets from other sites left out of the plot"
            f" ({', '.join(sorted(set(urls)))}); pages load nothing from elsewhere"
            for cell, urls in self.bokeh_stylesheets
        ]
        for cell, found in sorted(self.cleaned.items()):
            where = "its markdown" if cell in self.markdown_cells else "its output"
            if found.scripts:
                lines.append(
                    f"{source}: cell {cell}: scripts removed from {where}; the site runs no script a notebook brings"
                )
            if found.remote:
                urls = ", ".join(dict.fromkeys(found.remote))
                if len(set(found.remote)) > 3:  # itables' flags: one line, not 200 addresses
                    hosts = Counter(urlsplit(url if "//" in url else "//" + url).netloc for url in found.remote)
                    urls = ", ".join(f"{count} from {host}" for host, count in sorted(hosts.items()))
                lines.append(
                    f"{source}: cell {cell}: images or frames from other sites shown as links ({urls});"
                    " pages load nothing from elsewhere"
                )
        return lines

    def note(self, cell: int, found: html_safety.Findings) -> None:
        if found.scripts or found.remote:
            self.cleaned.setdefault(cell, html_safety.Findings()).add(found)


def widget_models(notebook: dict) -> set[str]:
    widgets = notebook.get("metadata", {}).get("widgets") or {}
    state = widgets.get(WIDGET_STATE) or {} if isinstance(widgets, dict) else {}
    models = state.get("state") if isinstance(state, dict) else None
    return set(models) if isinstance(models, dict) else set()


def framed_page(markup: str, framed: dict[str, str]) -> str | None:
    """The HTML file beside the notebook that an output showing only a frame of it frames (see `prepare`)."""
    frame = FRAME_ONLY.fullmatch(markup)
    return framed.get(references.relative_path(html.unescape(frame.group(1))) or "") if frame else None


def prepare_output(
    output: dict,
    models: set[str],
    available: set[str],
    prepared: Prepared,
    cell: int,
    framed: dict[str, str],
    index: int = 0,
) -> bool:
    """Rewrite one output's data for the page (output `index` of cell `cell`); False when it should be dropped."""
    data = output.get("data")
    if not data:
        return "data" not in output  # a stream or an error; an empty display shows nothing in Jupyter either
    given = list(data)
    markup = "".join(data["text/html"]) if "text/html" in data else ""
    if only_loads_a_library(data, markup) or (BOKEH_ROOT.fullmatch(markup) and set(data) <= {"text/html"}):
        return False  # a loader, or Bokeh's empty element that the plot's own output replaces (render)
    note = UNAVAILABLE
    if BOKEH in data or "docs_json" in markup or "docs_json" in "".join(data.get("application/javascript", "")):
        note = prepare_bokeh(data, markup, available, prepared, cell)
        if note == NOTHING:
            return False
        note = note or UNAVAILABLE
    if markup and not any(library_for(mime) for mime in data):
        if (figure := plotly_figure(framed_page(markup, framed) or markup)) is not None:
            data[PLOTLY] = figure
        elif (chart := altair_chart(markup)) is not None:
            data[chart[0]] = chart[1]
        elif (problem := maps.prepare_map(data, markup, available, cell)) is not None:
            prepared.map_problems.append((cell, problem))
            return True  # data holds the note (blog_build/maps.py)
    for mime in [mime for mime in data if library_for(mime) == "vega" and mime not in DISPLAY_PRIORITY]:
        major = re.search(r"\.v(\d+)", mime).group(1)  # v5.20 is drawn as v5: the template knows majors
        data[re.sub(r"\.v[\d.]+\+", f".v{major}+", mime)] = data.pop(mime)
    interactive = [mime for mime in data if library_for(mime)]
    if WIDGET_VIEW in data and data[WIDGET_VIEW].get("model_id") not in models:
        interactive.remove(WIDGET_VIEW)  # no saved state: nothing to draw the widget from
        del data[WIDGET_VIEW]
    drawn = [mime for mime in interactive if libraries_for(mime) <= available]
    for mime in interactive:
        if mime not in drawn:
            cells = prepared.unavailable.setdefault(library_for(mime), [])
            cells += [] if cell in cells else [cell]
            del data[mime]
    if drawn:
        for mime in drawn:
            prepared.libraries |= libraries_for(mime)
        if PLOTLY in drawn:
            prepared.plotly_traces |= trace_types(data[PLOTLY])
        for mime in [mime for mime in data if mime not in drawn and mime != "text/plain"]:
            del data[mime]  # the library draws it: other forms would only be written and never shown
        return True
    lost_script = data.pop("application/javascript", None) is not None or bool(interactive)
    known_library = False
    if markup:
        richer = any(mime in data for mime in RICHER_THAN_CLEANED_HTML)
        if richer and has_unknown_script(markup):
            del data["text/html"]  # it needs a script the site cannot run: the static form saved with it is better
            lost_script = True
        else:
            table = itables_table(markup)
            if table is not None and "datatables" in available:
                prepared.libraries.add("datatables")
            elif table is not None:
                cells = prepared.unavailable.setdefault("datatables", [])
                cells += [] if cell in cells else [cell]
            cleaned, found = html_safety.clean_html(table or markup)
            known_library = bool(LIBRARY_OUTPUT.search(markup))
            if not known_library or found.remote:
                prepared.note(cell, found if not known_library else html_safety.Findings(remote=found.remote))
            lost_script = lost_script or bool(found.scripts)
            # A Bokeh or HoloViews plot without its scripts is an empty frame (and dead controls),
            # unless its backend saved pictures (HoloViews' matplotlib backend does).
            pictures = not BOKEH_OUTPUT.search(markup) or PICTURE.search(cleaned)
            if pictures and html_safety.visible(cleaned):
                data["text/html"] = cleaned
            else:
                del data["text/html"]
    if "text/markdown" in data:
        data["text/markdown"], found = html_safety.clean_markdown("".join(data["text/markdown"]))
        prepared.note(cell, found)
        lost_script = lost_script or bool(found.scripts)
        if not data["text/markdown"].strip():
            del data["text/markdown"]
    plain = "".join(data.get("text/plain", "")).strip()
    nothing_to_show = not any(mime in DISPLAY_PRIORITY for mime in data)
    # A library's repr (HoloViews' `:Image [x,y] (z)`, Bokeh's `Figure(id=...)`) is no picture of its plot.
    repr_only = not plain or OBJECT_REPR.match(plain) or bool(BOKEH_OUTPUT.search(markup))
    if nothing_to_show and not any(library_for(mime) or mime in SHOWN_OR_RUN for mime in given):
        prepared.unknown_forms.append((cell, index, given))
        note = UNKNOWN_FORM.format(forms=html.escape(", ".join(given)))
    if nothing_to_show or (lost_script and set(data) <= {"text/plain"} and repr_only):
        data.clear()
        data["text/html"] = note
    return True


def prepare(
    notebook: dict,
    available: set[str],
    broken: Callable[[int, int, Exception], dict] | None = None,
    framed: dict[str, str] | None = None,
) -> Prepared:
    """Rewrite the notebook's outputs in place for a static page (module docstring); say what it needs.

    `available` names the libraries the site can serve. Plotly figures get one plotly.js
    bundle for the whole page, the smallest that draws all their traces. The first cell with an
    interactive output gets metadata[TEASER_KEY] unless an author's teaser marker comes
    before it. `framed` holds the text of the HTML files beside the notebook that its outputs
    frame (references.framed_paths): a Plotly figure that the `iframe` renderers saved as a frame
    of a page of its own is drawn from the figure in that page like any other, so the reader
    loads neither the page's own plotly.js (4.8 MB inlined, or from a CDN) nor its MathJax.
    An output whose data defeats the rewriting (a shape no tool writes) is
    replaced by what `broken(cell number, output number, error)` returns; without
    `broken` the error is raised.
    """
    prepared = Prepared()
    models = widget_models(notebook)
    teaser_marked = False
    for number, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") == "markdown":
            cell["source"], found = html_safety.clean_markdown("".join(cell.get("source", "")))
            prepared.note(number, found)
            prepared.markdown_cells |= {number} if number in prepared.cleaned else set()
            teaser_marked = teaser_marked or bool(TEASER_MARKER.search(cell["source"]))
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for index, output in enumerate(cell.get("outputs", []), 1):
            try:
                if prepare_output(output, models, available, prepared, number, framed or {}, index):
                    kept.append(output)
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                if broken is None:
                    raise
                kept.append(broken(number, index, error))
        cell["outputs"] = kept
        drawn_here = any(library_for(mime) for output in cell["outputs"] for mime in output.get("data", {}))
        if drawn_here and not teaser_marked:
            cell.setdefault("metadata", {})[TEASER_KEY] = True
            teaser_marked = True
    if libraries.FULL_PLOTLY in prepared.libraries:
        prepared.libraries.remove(libraries.FULL_PLOTLY)
        prepared.libraries |= libraries.plotly_libraries(prepared.plotly_traces, available)
    return prepared


def bokeh_title(value: object) -> str | None:
    """The first plot title in Bokeh documents (docs_json), in the order they are written: a figure's `title=`.

    A Title model, not any `title` (a Slider's is the text beside it).
    """
    if isinstance(value, dict):
        title = value.get("attributes", {}).get("title") if value.get("type") == "object" else None
        text = (
            title.get("attributes", {}).get("text")
            if isinstance(title, dict) and title.get("name") == "Title"
            else None
        )
        if isinstance(text, str) and text:
            return text
        value = list(value.values())
    for child in value if isinstance(value, list) else []:
        if found := bokeh_title(child):
            return found
    return None


def chart_label(mime: str, value: dict) -> str:
    """An accessible name for a chart: its title, else what it is."""
    if mime == BOKEH:
        return bokeh_title(value["docs_json"]) or "Interactive plot"
    title = value.get("layout", {}).get("title") if mime == PLOTLY else value.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else "Interactive chart"


def render(mime: str, value: dict) -> str:
    """The markup of an output our renderer script draws: its data in a JSON script element."""
    payload = json.dumps(value, separators=(",", ":")).replace("</", "<\\/")
    label = html.escape(chart_label(mime, value))
    if mime == BOKEH:
        # BokehJS draws each root into the element whose id the render items name.
        roots = "".join(f'<div id="{html.escape(id)}"></div>' for id in bokeh_elements(value["render_items"]))
        opening = f'<div class="output_subarea nb-chart nb-bokeh" role="figure" aria-label="{label}">'
        return f'{opening}<script type="application/json">{payload}</script>{roots}</div>'
    if mime == PLOTLY:
        height = value.get("layout", {}).get("height") or 450
        opening = f'<div class="output_subarea nb-chart nb-plotly" role="figure" aria-label="{label}"'
        opening += f' style="min-height:{int(height)}px">'
    else:
        mode = "vega" if VEGA.fullmatch(mime) else "vega-lite"
        opening = f'<div class="output_subarea nb-chart nb-vega" role="figure" aria-label="{label}" data-mode="{mode}">'
    return f'{opening}<script type="application/json">{payload}</script></div>'
