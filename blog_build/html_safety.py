"""HTML from notebooks made fit for the site: none of its scripts run, nothing is fetched from elsewhere.

Notebook HTML (`text/html` and `text/markdown` outputs, HTML inside markdown cells) often
carries scripts written for Jupyter: a library's loader, code that expects jQuery or
RequireJS, or an author's own `<script>alert(...)`. On the site they would run with the
site's rights, fail with console errors, or fetch code from a CDN. The outputs whose
JavaScript the site does know (Plotly, Vega, widgets) are turned into data before this
runs (interactive_outputs.py); everything else is cleaned here:

- `<script>` elements are removed, except data blocks (a `type` ending in `json`, which the
  browser never runs); so are inline event handlers (`onerror=`, `onload=`...), `srcdoc`
  pages, SVG animations that set a script URL, and `javascript:`, `vbscript:` and non-image
  `data:` URLs;
- an image or frame from another host becomes a link to it (its alt or title as text, else
  the URL); any other URL an element would load by itself from another host (a poster, a
  `<source>`, a background, an SVG `<image>` or `<use>`, a srcset) is dropped, and so are CSS
  declarations and rules that name one (`url()`, `image-set()`, `@import`, CSS escapes read).
  URLs are read as browsers read them: `\\host/x`, `http:host/x` and tabs inside count;
- an iframe that stays (a file of the site) gets a `title`, which screen readers announce;
- control characters HTML forbids are removed (lxml refuses them later in the build).

Everything else is kept: tables with their style attributes, `<style>`, SVG and MathML (written out again).

What is HTML is judged as the browser will parse it: with html5lib, which builds the tree
the HTML standard prescribes (scripting on, so `<noscript>` is raw text; `<style>` inside
`<svg>` holds elements). libxml2, which lxml uses, reads both the other way, and that
disagreement let `<svg><style><img onerror>` through. Where html5lib itself may differ from
today's browsers (SVG and MathML content, attributes holding `<`), the tree is written out
again by html5lib's serialiser with `<` escaped, raw text holding `<` there is dropped, and
`<noscript>`, `<noembed>`, `<noframes>` (never shown with scripts on) go. Last, the result is
parsed again and checked (`unsafe`): if anything would still run or fetch from elsewhere,
the output is shown as its source, escaped, never as HTML.

Markdown is not HTML: there only the tags concerned are found (by Python's HTML tokenizer,
outside code spans and blocks) and rewritten in place, so the Markdown around them is
untouched; then what nbconvert renders of the result is checked the same way (clean_markdown).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urlsplit
from xml.etree import ElementTree

from lxml import etree
from lxml import html as lxml_html

# Attributes whose value the browser loads or follows as a URL (HTML, SVG, MathML, and old ones Chromium still reads).
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "lowsrc", "dynsrc", "ping",
     "codebase", "archive", "classid", "manifest", "icon", "profile", "usemap", "longdesc", "cite", "itemtype",
     "attributionsrc"}
)  # fmt: skip
SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
# Where a URL of another host is only followed when the reader asks (a link, a form sent), or never loaded.
NAVIGATIONS = frozenset({"action", "formaction", "longdesc", "cite", "itemtype"})
# Script types the browser runs or acts on (with any `text/javascript1.x`).
RUNNABLE_SCRIPT_TYPES = frozenset(
    {"", "module", "importmap", "speculationrules", "application/ecmascript", "application/javascript",
     "application/x-ecmascript", "application/x-javascript", "text/ecmascript", "text/jscript", "text/livescript",
     "text/x-ecmascript", "text/x-javascript"}
)  # fmt: skip
# Elements that show another document (which may run its own scripts), and elements whose data: URL is only media.
FRAMES = frozenset({"iframe", "frame", "object", "embed"})
MEDIA = frozenset({"img", "video", "audio", "source", "track", "input"})
# What a data: URL may be that a browser would open as a page, with its scripts (old browsers did so for links).
DOCUMENT_TYPES = frozenset(
    {"", "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/javascript",
     "application/javascript"}
)  # fmt: skip
# Elements that fetch what their `src` (`data` for <object>) names as soon as the page loads.
EMBEDS = frozenset({"img", "iframe", "frame", "embed", "video", "audio", "object"})
# In Markdown, what the tag scanner looks at: without any of these a text has no HTML to clean.
NEEDLES = re.compile(
    r"<\s*/?\s*(?:script|iframe|frame|img|image|embed|object|applet|video|audio|source|track|input|link|base|meta|style"
    r"|noscript|noembed|noframes|xmp|plaintext|listing|svg|math|template|form|button|isindex|animate|set|use|textarea|title)\b"
    r"|\bon[a-z]+\s*=|\b(?:src|srcset|imagesrcset|href|poster|background|data|action|formaction|ping|codebase|archive"
    r"|classid|manifest|icon|profile|usemap|longdesc|cite|itemtype|attributionsrc|style|srcdoc|lowsrc|dynsrc|fill"
    r"|filter|mask|clip-path|cursor|marker-start|marker-mid|marker-end)\s*="
    r"|script\s*:|data\s*:|url\(|@import|&#|&colon;|&tab;|&newline;|\\",
    re.I,
)
LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")  # `\frac`: Markdown keeps a backslash before a letter as it is
# In CSS, what fetches from another host: an @import rule of a remote sheet, a remote url(...).
REMOTE_URL = r"""(?:https?:)?//[^"')\s;]+"""
REMOTE_CSS = re.compile(
    rf"""@import\s+(?:url\(\s*)?["']?{REMOTE_URL}["']?\s*\)?[^;]*;?|url\(\s*["']?{REMOTE_URL}["']?\s*\)""", re.I
)
# CSS read as its tokenizer reads it: comments, escapes (`\68` is `h`), where it fetches, what it names there.
CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(?:\r\n|[\n\r\f])|(.))", re.S)
CSS_FETCHING = re.compile(
    r"@import|\b(?:url|src|image|image-set|-webkit-image-set|cross-fade|-webkit-cross-fade)\s*\(", re.I
)
CSS_TARGET = re.compile(r"""\burl\(\s*([^"'\s)]+)|"([^"]*)"|'([^']*)'""", re.I)
# Characters HTML forbids in a document: C0 controls but white space, DEL, C1 controls, noncharacters, surrogates.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]")
# What a browser ignores inside a URL's scheme: ASCII whitespace and control characters.
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
# Markdown's own links and images (not HTML): `[text](javascript:...)` and `![alt](http://...)`.
# (A destination may hold balanced parentheses: `javascript:alert(1)`.)
MARKDOWN_SCRIPT_LINK = re.compile(r"(\]\(\s*<?)\s*(?:javascript|vbscript)\s*:(?:[^()\s>]|\([^()\s]*\))*", re.I)
MARKDOWN_SCRIPT_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*<?)\s*(?:javascript|vbscript)\s*:\S*", re.I | re.M)
MARKDOWN_SCRIPT_AUTOLINK = re.compile(r"<(?:javascript|vbscript):[^>\s]*>", re.I)  # CommonMark takes any scheme
MARKDOWN_REMOTE_IMAGE = re.compile(
    r"""!\[([^\]]*)\]\(\s*<?((?:https?:)?//[^\s)>]+)>?(?:\s+["']([^"']*)["'])?\s*\)""", re.I
)
# A reference-style Markdown image, `![alt][label]`, `![label][]` or `![label]`, and a link definition.
MARKDOWN_REFERENCE_IMAGE = re.compile(r"!\[([^\]]*)\](?:\[([^\]]*)\])?(?![(\[])")
MARKDOWN_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
# Markdown code (fenced blocks, indented code is rare in notebooks, inline spans): left alone.
MARKDOWN_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.S)


@dataclass
class Findings:
    """What cleaning removed or changed, for the author's warnings."""

    scripts: int = 0  # script elements, event handlers, script URLs and srcdoc pages removed
    remote: list[str] = field(default_factory=list)  # URLs of off-site images and frames made links

    def add(self, other: Findings) -> None:
        self.scripts += other.scripts
        self.remote += other.remote


def is_data_block(script_type: str | None) -> bool:
    """True for a script element the browser does not run, only holds: JSON (widget views, chart specs),
    templates, old widget snapshots' `application/vnd.jupyter-embedded-widgets`.

    Browsers run a script whose type is empty, `module` or a JavaScript MIME type (the HTML
    standard's list), and act on `importmap` and `speculationrules`; any other type is data.
    """
    kind = (script_type or "").split(";")[0].strip().lower()
    return kind not in RUNNABLE_SCRIPT_TYPES and not kind.startswith("text/javascript")


def scheme(url: str) -> str:
    """The URL's scheme as a browser reads it (`java\\tscript:` is `javascript`), lower case; "" for none."""
    squeezed = IGNORED_IN_SCHEME.sub("", url)
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", squeezed)
    return match.group(1).lower() if match else ""


def runs_script(url: str, tag: str = "") -> bool:
    """True for a URL that runs code when followed or loaded on the element `tag`: javascript:,
    vbscript:, any data: URL in a frame (a page of its own), a data: URL of a document type
    elsewhere. A data: file to download (`<a href="data:text/csv;...">`) or media stays."""
    kind = scheme(url)
    if kind == "data":
        media = IGNORED_IN_SCHEME.sub("", url)[5:].split(",")[0].split(";")[0].lower()
        return tag in FRAMES or (tag not in MEDIA and media in DOCUMENT_TYPES)
    return kind in ("javascript", "vbscript")


def is_remote(url: str | None) -> bool:
    """True for a URL a browser would resolve to another host, as the URL standard reads it.

    `https://h/`, `//h/`, and what browsers read the same way: `\\\\h/` and `/\\h/` (a backslash
    is a slash), `http:h/` (a special scheme needs no slashes), tabs and newlines anywhere.
    Any http(s), ftp or ws(s) URL counts, even one that may name this site: a notebook cannot know
    where the site is served from.
    """
    if not url:
        return False
    squeezed = re.sub(r"[\t\n\r]", "", url).strip("\x00\x20" + "".join(map(chr, range(1, 32))))
    if scheme(squeezed) in ("http", "https", "ftp", "ws", "wss"):
        return True
    return not scheme(squeezed) and squeezed.replace("\\", "/").startswith("//")


def navigates(tag: str, attribute: str) -> bool:
    """True when the URL in this attribute is only followed when the reader asks: a link, a form sent."""
    return attribute in NAVIGATIONS or (tag in ("a", "area") and attribute in ("href", "xlink:href"))


def remote_srcset(value: str | None) -> bool:
    """True when any image candidate of a srcset is on another host."""
    return any(is_remote(part.split()[0]) for part in (value or "").split(",") if part.strip())


def css_unescape(css: str) -> str:
    """CSS with its escapes read (`\\68ttps` is `https`), as the CSS tokenizer reads them."""

    def character(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match.group(2) or ""  # an escaped newline is nothing

    return CSS_ESCAPE.sub(character, css)


def css_piece_fetches(css: str) -> bool:
    """True when this CSS, escapes read, names a URL of another host where CSS fetches one."""
    for text in (css_unescape(css), css_unescape(CSS_COMMENT.sub("", css))):  # a "/*" may sit in a string
        if not CSS_FETCHING.search(text):
            continue
        targets = [next((part for part in groups if part), "") for groups in CSS_TARGET.findall(text)]
        if any(is_remote(target) or scheme(target) not in ("", "data") for target in targets):
            return True
    return False


def css_fetches(css: str | None) -> bool:
    """True when a style sheet or declaration list would fetch something from another host."""
    return bool(css) and ("(" in css or "@" in css) and css_piece_fetches(css)


def local_css(css: str) -> str:
    """CSS without what it would fetch from another host: a remote `url(...)` made `none`, `@import` rules
    of remote sheets dropped, and any other declaration or rule that names one (`image-set("https://...")`,
    escapes) dropped; if something is still left, nothing of the CSS is kept."""
    css = REMOTE_CSS.sub(lambda match: "" if match.group(0).startswith("@") else "none", css)
    css = re.sub(r"[^;{}]+", lambda match: "" if css_piece_fetches(match.group(0)) else match.group(0), css)
    return "" if css_fetches(css) else css


def allowed_characters(text: str) -> str:
    """The text without the control characters HTML forbids (lxml and browsers reject or mangle them); a form
    feed is white space."""
    if FORBIDDEN_CHARACTERS.search(text) or "\x0c" in text:
        return FORBIDDEN_CHARACTERS.sub("", text.replace("\x0c", " "))
    return text


FRAMED_PAGE = re.compile(r"\.(?:html?|xhtml|svg)$", re.I)  # frames of these run the file's scripts


def frame_title(src: str | None) -> str:
    """A title for an iframe of the site's own: what it shows, as far as its address says."""
    name = PurePosixPath(urlsplit(src or "").path).name
    return f"Embedded page {name}" if name else "Embedded page"


def link_text(attributes: dict[str, str | None], url: str) -> str:
    """What a link standing for an image or frame reads: its alt, title or label, else the URL."""
    for name in ("alt", "title", "aria-label"):
        value = (attributes.get(name) or "").strip()
        if value:
            return value
    return url


def cleaned_attributes(tag: str, attributes: dict[str, str | None], findings: Findings) -> dict[str, str | None]:
    """The element's attributes without event handlers, script URLs and srcdoc pages; without off-site URLs an
    element would load by itself (a poster, a background, an SVG image, a remote srcset) and CSS that fetches
    from another host. Names are lower case, `xlink:href` written so."""
    kept = {}
    for name, value in attributes.items():
        lowered = name.lower()
        url_attribute = lowered in URL_ATTRIBUTES
        script_url = url_attribute and bool(value) and runs_script(value or "", tag)
        if lowered.startswith("on") or lowered == "srcdoc" or script_url:
            findings.scripts += 1
        elif url_attribute and is_remote(value) and not navigates(tag, lowered):
            findings.remote.append((value or "").strip())  # a <source>'s, a poster's: the rest of the element stays
        elif lowered in SRCSET_ATTRIBUTES and remote_srcset(value):
            continue  # the src (itself made a link when off-site) still shows the image
        elif lowered == "style" and css_fetches(value):
            if local := local_css(value or "").strip():
                kept[name] = local
        elif css_fetches(value):  # an SVG presentation attribute: fill="url(https://...)"
            findings.remote.append("url(...)")
        else:
            kept[name] = value
    if tag in ("iframe", "frame") and not (kept.get("title") or "").strip():
        kept["title"] = frame_title(kept.get("src"))
    if tag in ("iframe", "frame") and FRAMED_PAGE.search(urlsplit(kept.get("src") or "").path):
        # A page beside the notebook (an exported chart, a report) runs its scripts, but as an
        # origin of its own: it reads none of the site's storage and cannot script the post.
        kept["sandbox"] = "allow-scripts"
    return kept


def embed_url(tag: str, attributes: dict[str, str | None]) -> str | None:
    """The off-site URL an embedding element would load, if it would load one."""
    url = attributes.get("data" if tag == "object" else "src")
    return url.strip() if tag in EMBEDS and is_remote(url) else None


# --- HTML outputs: html5lib, which builds the tree a browser builds -------------------------------

NAMESPACE_PREFIXES = {
    "http://www.w3.org/1999/xlink": "xlink:",
    "http://www.w3.org/XML/1998/namespace": "xml:",
    "http://www.w3.org/2000/xmlns/": "xmlns:",
}
XHTML = "http://www.w3.org/1999/xhtml"
# Elements whose content a browser with scripts on never shows (so dropping them loses nothing a
# reader sees), and whose raw text is where a parser mismatch would hide markup.
UNSHOWN = frozenset({"noscript", "noembed", "noframes"})
# Old raw-text elements that do show their text: written as <pre>, whose text is escaped.
SHOWN_RAW = frozenset({"xmp", "plaintext", "listing"})
# SVG animations that can set an attribute (a link's href) to a script URL.
ANIMATIONS = frozenset({"animate", "set", "animatemotion", "animatetransform"})
ANIMATED = ("to", "from", "by", "values")
# html5lib's names for markup that ends where the page's own markup would go on it (`<img src=x onerror=f()//`
# followed by the page's `</div>`): a tag, attribute, comment or raw text left open (not just an element).
UNFINISHED = frozenset(
    {"expected-named-closing-tag-but-got-eof", "expected-attribute-name-but-got-eof",
     "expected-attribute-value-but-got-eof", "expected-end-of-tag-name-but-got-eof", "expected-doctype-but-got-eof",
     "expected-doctype-name-but-got-eof"}
)  # fmt: skip
# ... and the names for an element left open, which the page closes.
OPEN_ELEMENTS = frozenset(
    {"eof-in-table", "eof-in-select", "eof-in-foreign-lands", "eof-in-frameset", "eof-in-innerhtml"}
)
# Elements whose text html5lib's serialiser writes raw (HTML's raw-text elements), and the two whose text it escapes
# that a browser reading them as SVG or MathML would read as markup.
RAW_TEXT = frozenset({"style", "script", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"})
SERIALISED_AS_TEXT = frozenset({"title", "textarea"})


@dataclass
class Parsed:
    """A fragment parsed as a browser with scripting on parses it inside a <div> (names hold their namespace)."""

    root: ElementTree.Element
    unfinished: bool  # it ends inside a tag, an attribute, a comment, a <style>, <textarea> or <script>
    open_elements: list[str]  # elements left open at its end, as `namespace name`: the page's markup goes on in them


# What stands for the page's markup after a fragment used as written (a markdown cell): it must stay the page's.
SENTINEL_ID = "nb-after-fragment"
SENTINEL = f'<i id="{SENTINEL_ID}"></i>'


def parse(markup: str) -> Parsed:
    import html5lib  # (here: 0.18 s of imports that a build rendering nothing need not pay)

    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"))
    root = parser.parseFragment(markup, scripting=True)
    # The tokenizer ends outside plain text when a <textarea>, <title> or raw-text element is left open.
    in_text = parser.tokenizer.state == parser.tokenizer.dataState
    unfinished = not in_text or any(
        code in UNFINISHED or (code.startswith("eof-in-") and code not in OPEN_ELEMENTS) for _, code, _ in parser.errors
    )
    return Parsed(root, unfinished, [f"{element.namespace} {element.name}" for element in parser.tree.openElements[1:]])


def name_of(key: str) -> str:
    """An element's or attribute's name as markup writes it (`xlink:href`), lower case; no namespace URI."""
    namespace, _, local = key[1:].partition("}") if key.startswith("{") else ("", "", key)
    prefix = (
        ""
        if namespace in ("", XHTML, "http://www.w3.org/2000/svg", "http://www.w3.org/1998/Math/MathML")
        else (NAMESPACE_PREFIXES.get(namespace, ""))
    )
    return (prefix + local).lower()


def in_html(element: ElementTree.Element) -> bool:
    return str(element.tag).startswith("{" + XHTML + "}")


def problems(parent: ElementTree.Element, as_written: bool = True, foreign: bool = False) -> list[str]:
    """What under `parent` would run a script or fetch from another host: the final check (module docstring).

    html5lib follows the HTML standard of 2020; browsers since break out of SVG and MathML in a few
    more places (`</p>`, `<mglyph>` in a table), and markup that one parser reads as an element
    inside <svg> and the other as a <style>'s text is how scripts get past sanitisers. So
    raw text inside foreign content may hold no `<`, nor (in markup used as written, not
    serialised by us with `<` escaped) may an attribute there.
    """
    found = []
    for element in parent:
        if not isinstance(element.tag, str):
            continue
        tag = name_of(element.tag)
        inside = foreign or not in_html(element)
        attributes = {name_of(name): value for name, value in element.attrib.items()}
        runnable = attributes.get("src") or attributes.get("href") or not is_data_block(attributes.get("type"))
        raw = RAW_TEXT | SERIALISED_AS_TEXT if as_written else RAW_TEXT
        if (
            (tag == "script" and runnable)
            or tag in ("base", *UNSHOWN, *SHOWN_RAW)
            or (tag == "meta" and "http-equiv" in attributes)
            or (tag in ANIMATIONS and any(runs_script(attributes.get(name) or "") for name in ANIMATED))
            or (tag == "style" and css_fetches(element.text))
            or (tag == "link" and is_remote(attributes.get("href")))
            or (tag in raw and (inside or tag == "style") and "<" in "".join(element.itertext()))
            # html5lib 1.1 closes a <template> where browsers keep it open (`<template><table></p>`).
            or (as_written and tag == "template")
        ):
            found.append(f"<{tag}>")
        for name, value in attributes.items():
            url = name in URL_ATTRIBUTES
            if (
                name.startswith("on")
                or name == "srcdoc"
                or (url and runs_script(value, tag))
                or (url and is_remote(value) and not navigates(tag, name))
                or (name in SRCSET_ATTRIBUTES and remote_srcset(value))
                or css_fetches(value)
                or (as_written and inside and "<" in value)
            ):
                found.append(f"<{tag} {name}={value!r}>")
        found += problems(element, as_written, inside)
    return found


def unsafe(markup: str, as_written: bool = True) -> list[str]:
    """What of `markup`, parsed as a browser parses it, would run or fetch from elsewhere; [] when nothing.

    `as_written` False: the markup is html5lib's serialisation, where no attribute holds a raw `<`."""
    parsed = parse(markup + SENTINEL if as_written else markup)
    left_open = as_written and (parsed.unfinished or not in_body(parsed.root))
    return ["markup left open"] * left_open + problems(parsed.root, as_written)


def in_body(parent: ElementTree.Element) -> bool:
    """True when SENTINEL, the page's markup after the fragment, is an HTML element outside <template>, SVG and
    MathML: the fragment left nothing open that changes how the page goes on."""
    for element in parent:
        if not isinstance(element.tag, str) or not in_html(element) or name_of(element.tag) == "template":
            continue
        if element.get("id") == SENTINEL_ID or in_body(element):
            return True
    return False


def drop(parent: ElementTree.Element, element: ElementTree.Element) -> None:
    """Remove the element and what it holds, its tail text kept where it was."""
    index = list(parent).index(element)
    if element.tail and index:
        parent[index - 1].tail = (parent[index - 1].tail or "") + element.tail
    elif element.tail:
        parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def link_for(url: str, text: str, tail: str | None, inside_link: bool) -> ElementTree.Element:
    """A link to `url` reading `text`, standing where an image or frame was; a span inside another link."""
    link = ElementTree.Element(f"{{{XHTML}}}{'span' if inside_link else 'a'}", {} if inside_link else {"href": url})
    link.text, link.tail = text, tail
    return link


def clean_tree(root: ElementTree.Element, findings: Findings) -> bool:
    """Clean the parsed fragment in place (module docstring); True when anything changed."""
    return clean_children(root, findings, inside_link=False, foreign=False)


def clean_children(parent: ElementTree.Element, findings: Findings, inside_link: bool, foreign: bool) -> bool:
    changed = False
    for element in list(parent):
        if not isinstance(element.tag, str):
            continue  # a comment
        tag = name_of(element.tag)
        inside = foreign or not in_html(element)
        # SVG, MathML, <template> and attributes holding "<" are where parsers disagree: written out again, closed
        # and with "<" escaped.
        changed = (
            changed
            or not in_html(element)
            or tag == "template"
            or any("<" in value for value in element.attrib.values())
        )
        attributes = {name_of(name): value for name, value in element.attrib.items()}
        script = tag == "script" and bool(
            attributes.get("src") or attributes.get("href") or not is_data_block(attributes.get("type"))
        )
        animation = tag in ANIMATIONS and any(runs_script(attributes.get(name) or "") for name in ANIMATED)
        findings.scripts += script or animation
        if (
            script
            or animation
            or tag in UNSHOWN
            or tag == "base"
            or (tag == "meta" and "http-equiv" in attributes)  # a redirect, a cookie, another policy
            or (tag == "link" and is_remote(attributes.get("href")))
            # Markup in raw text inside SVG or MathML, or in CSS, is a parser mismatch waiting (problems()).
            or (tag in RAW_TEXT and (inside or tag == "style") and "<" in "".join(element.itertext()))
        ):
            drop(parent, element)
            changed = True
            continue
        if tag in SHOWN_RAW and in_html(element):
            element.tag = f"{{{XHTML}}}pre"
            changed = True
        if tag == "iframe" and element.text:
            element.text = None  # never shown; raw text that other parsers read as markup
            changed = True
        if in_html(element) and (url := embed_url(tag, attributes)) is not None:
            findings.remote.append(url)
            parent[list(parent).index(element)] = link_for(url, link_text(attributes, url), element.tail, inside_link)
            changed = True
            continue
        kept = cleaned_attributes(tag, attributes, findings)
        if kept != attributes:
            element.attrib = {name: value or "" for name, value in kept.items()}
            changed = True
        if tag == "style" and css_fetches(element.text):
            element.text = local_css(element.text or "")
            changed = True
        changed = clean_children(element, findings, inside_link or tag == "a", inside) or changed
    return changed


SERIALIZER_OPTIONS = {
    "quote_attr_values": "always",
    "omit_optional_tags": False,
    "minimize_boolean_attributes": False,
    "escape_lt_in_attrs": True,
    "use_trailing_solidus": False,
}


def serialise(root: ElementTree.Element) -> str:
    """The fragment's HTML: the children of the parsing <div>."""
    for element in root.iter():  # prefixed names (`xlink:href`) as markup writes them; the browser maps them back
        if any(name.startswith("{") for name in element.attrib):
            element.attrib = {name_of(name) if "{" in name else name: value for name, value in element.attrib.items()}
    import html5lib.serializer

    walker = html5lib.getTreeWalker("etree")
    return html5lib.serializer.HTMLSerializer(**SERIALIZER_OPTIONS).render(walker(root))


def as_text(markup: str) -> str:
    """HTML that shows `markup` as its source, never as markup."""
    return f'<pre class="nb-unsafe-html">{html.escape(markup, quote=False)}</pre>'


def clean_html(markup: str) -> tuple[str, Findings]:
    """The HTML without its scripts and off-site requests (module docstring), and what was taken out.

    HTML with nothing to clean is returned as it was, byte for byte. Whatever is returned has
    been parsed again as a browser parses it and holds nothing that runs or fetches from
    elsewhere; if cleaning could not get there, the output is its source as text.
    """
    findings = Findings()
    markup = allowed_characters(markup)
    if "<" not in markup:  # no element, and nothing left open that the page's markup after it would continue
        return markup, findings
    try:
        parsed = parse(markup)
        root = parsed.root
        # Written out again, what was left open is closed: the page's markup after it is read as the page's.
        if clean_tree(root, findings) or parsed.unfinished or parsed.open_elements:
            cleaned = serialise(root)
            left = unsafe(cleaned, as_written=False)
        else:
            cleaned, left = markup, problems(root)
    except Exception:  # html5lib takes any string; this is the net under a bug of ours, never a traceback
        left = ["unparsable"]
    if left:
        findings.scripts = max(findings.scripts, 1)
        return as_text(markup), findings
    return cleaned, findings


def local_name(element: etree._Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1].split(":")[-1].lower()


def visible(markup: str) -> bool:
    """True when the HTML shows a reader something: text, or an image, table, chart or control."""
    try:
        root = lxml_html.fragment_fromstring(allowed_characters(markup), create_parent="div")
    except (etree.ParserError, ValueError):
        return bool(markup.strip())
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if local_name(element) in ("style", "script", "template"):
            continue
        if local_name(element) in ("img", "svg", "table", "canvas", "video", "audio", "iframe", "input", "select"):
            return True
        pieces = [element.text or ""] + [child.tail or "" for child in element]
        if any(piece.strip() for piece in pieces) and not any(
            local_name(ancestor) in ("style", "script", "template") for ancestor in element.iterancestors()
        ):
            return True
    return False


# --- Markdown: the tags concerned, found by Python's HTML tokenizer and rewritten in place -------


class TagScanner(HTMLParser):
    """Finds, in text that mixes HTML with Markdown, the spans to cut out or rewrite: (start, end, new text)."""

    def __init__(self, text: str, findings: Findings) -> None:
        super().__init__(convert_charrefs=False)
        self.text, self.findings = text, findings
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.edits: list[tuple[int, int, str]] = []
        self.open: tuple[str, int, str] | None = None  # element cut out up to its end tag: name, start, replacement
        self.links = 0  # <a> elements open here: a link standing for an image inside one is a <span>

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.open is not None:
            return
        self.links += tag == "a"
        start = self.position()
        end = start + len(self.get_starttag_text() or "")
        attributes = dict(attrs)
        if tag == "script" and (attributes.get("src") or not is_data_block(attributes.get("type"))):
            self.findings.scripts += 1
            self.open = ("script", start, "")
            return
        redirect = tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh"
        if tag == "base" or redirect or (tag == "link" and is_remote(attributes.get("href"))):
            self.edits.append((start, end, ""))
            return
        if (url := embed_url(tag, attributes)) is not None:
            self.findings.remote.append(url)
            text = html.escape(link_text(attributes, url))
            link = f"<span>{text}</span>" if self.links else f'<a href="{html.escape(url)}">{text}</a>'
            if tag in ("img", "embed") or (self.get_starttag_text() or "").rstrip().endswith("/>"):
                self.edits.append((start, end, link))
            else:
                self.open = (tag, start, link)
            return
        kept = cleaned_attributes(tag, attributes, self.findings)
        starttag = self.get_starttag_text() or ""
        if kept != attributes:
            closing = "/>" if starttag.rstrip().endswith("/>") else ">"
            written = "".join(
                f" {name}" if value is None else f' {name}="{html.escape(value)}"' for name, value in kept.items()
            )
            starttag = f"<{tag}{written}{closing}"
            if tag != "iframe":
                self.edits.append((start, end, starttag))
        if tag == "iframe":  # what it holds is never shown, and is raw text to a browser but markup to this tokenizer
            self.open = ("iframe", start, f"{starttag}</iframe>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.open is not None and self.open[0] != "script":
            name, start, replacement = self.open
            self.open = None
            self.edits.append((start, self.position() + len(self.get_starttag_text() or ""), replacement))

    def handle_endtag(self, tag: str) -> None:
        if self.open is None and tag == "a":
            self.links = max(0, self.links - 1)
        if self.open is None or tag != self.open[0]:
            return
        _, start, replacement = self.open
        self.open = None
        close = self.text.find(">", self.position())
        self.edits.append((start, len(self.text) if close < 0 else close + 1, replacement))

    def finish(self) -> str:
        self.close()
        if self.open is not None:  # never closed: the browser would take the rest as its content too
            self.edits.append((self.open[1], len(self.text), self.open[2]))
        text = self.text
        for start, end, replacement in sorted(self.edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text


def clean_markdown_text(text: str, findings: Findings) -> str:
    """One piece of Markdown outside code, cleaned."""
    if NEEDLES.search(text):
        scanner = TagScanner(text, findings)
        try:
            scanner.feed(text)
            text = scanner.finish()
        except Exception:  # Python's tokenizer asserts on some `<![` sections: those, or else all tags, shown as text
            text = (
                clean_markdown_text(text.replace("<!", "&lt;!"), findings)
                if "<!" in text
                else text.replace("<", "&lt;")
            )

    def script_link(match: re.Match) -> str:
        findings.scripts += 1
        return f"{match.group(1)}#"

    def remote_image(match: re.Match) -> str:
        alt, url, title = match.groups()
        findings.remote.append(url)
        return f"[{alt.strip() or title or url}]({url})"

    text = MARKDOWN_SCRIPT_REFERENCE.sub(script_link, MARKDOWN_SCRIPT_LINK.sub(script_link, text))
    text, autolinks = MARKDOWN_SCRIPT_AUTOLINK.subn("", text)
    findings.scripts += autolinks
    return MARKDOWN_REMOTE_IMAGE.sub(remote_image, text)


def clean_markdown(text: str) -> tuple[str, Findings]:
    """Markdown without scripts and off-site images, its code left alone (module docstring).

    Markdown and HTML are read by different parsers (nbconvert's Markdown renderer, then the
    browser), and a tag can hide from the one that looks for it: in an unclosed comment, in
    what looks like code but is not. So the HTML that nbconvert makes of the cleaned text is
    checked as a browser parses it; if it would still run a script or fetch from another host, every
    `<` outside code is written as `&lt;`
    (the tags show as text), and if even that runs one, the cell is shown as its source, in
    a code block. An author's ordinary HTML never gets that far.
    """
    findings = Findings()
    text = allowed_characters(text)
    # With no tag, link or image to put it in, a LaTeX command's backslash (`$\alpha$`) turns nothing
    # into a URL: maths alone need not be rendered to be judged (the models of 400 generated posts
    # with maths, in one process: 2.7-3.2 s before, 1.9-2.2 s after).
    no_markup = "<" not in text and "](" not in text and "]:" not in text and "![" not in text
    if no_markup and not NEEDLES.search(LATEX_COMMAND.sub(" ", text)):
        return text, findings
    cleaned = outside_code(text, lambda piece: clean_markdown_text(piece, findings))
    remote = {label_key(label): url for label, url in MARKDOWN_DEFINITION.findall(cleaned) if is_remote(url)}
    if remote:

        def as_link(match: re.Match) -> str:
            alt, label = match.group(1), match.group(2)
            url = remote.get(label_key(label or alt))
            if url is None:
                return match.group(0)
            findings.remote.append(url)
            return match.group(0)[1:]  # the same reference without its "!": a link to the image

        cleaned = outside_code(cleaned, lambda piece: MARKDOWN_REFERENCE_IMAGE.sub(as_link, piece))
    if renders_safely(cleaned):
        return cleaned, findings
    findings.scripts = max(findings.scripts, 1)
    escaped = outside_code(cleaned, lambda piece: piece.replace("<", "&lt;"))
    if renders_safely(escaped):
        return escaped, findings
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}", findings


def label_key(label: str) -> str:
    """A link label as Markdown matches it: case and runs of white space do not count."""
    return " ".join(label.split()).casefold()


def outside_code(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to what is not Markdown code (fenced blocks, inline code spans)."""
    pieces, start = [], 0
    for match in MARKDOWN_CODE.finditer(text):
        pieces += [change(text[start : match.start()]), match.group(0)]
        start = match.end()
    return "".join([*pieces, change(text[start:])])


def renders_safely(markdown: str) -> bool:
    """True when the HTML that nbconvert's Markdown renderer makes of `markdown`, parsed as a browser parses
    it, holds nothing that runs or fetches from another host (`unsafe`)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    # nbconvert's renderer stops on `![x](attachment:NAME)` without the cell's attachments, which the
    # model turns into image files only after cleaning; where an image points does not decide a script.
    try:
        return not unsafe(markdown2html_mistune(markdown.replace("attachment:", "attachment-file:")))
    except Exception:  # a failure (the renderer's, or nesting too deep) is no proof of safety: the caller falls back
        return False
