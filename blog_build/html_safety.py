"""HTML from notebooks made fit for the site: none of its scripts run, nothing is fetched from elsewhere.

Notebook HTML (`text/html` and `text/markdown` outputs, HTML inside markdown cells) often
carries scripts written for Jupyter: a library's loader, code that expects jQuery or
RequireJS, or an author's own `<script>alert(...)`. On the site they would run with the
site's rights, fail with console errors, or fetch code from a CDN. The outputs whose
JavaScript the site does know (Plotly, Vega, widgets) are turned into data before this
runs (interactive_outputs.py); everything else is cleaned here:

- `<script>` elements are removed, except data blocks (a `type` ending in `json`, which the
  browser never runs); so are inline event handlers (`onerror=`, `onload=`...), `srcdoc`
  pages, and `javascript:`, `vbscript:` and non-image `data:` URLs;
- an image or frame from another host becomes a link to it (its alt or title as text, else
  the URL), and a stylesheet from another host is removed: pages make no request off the site;
- an iframe that stays (a file of the site) gets a `title`, which screen readers announce.

Everything else is kept as it was: tables with their style attributes, SVG, `<style>`.
HTML outputs are parsed with lxml and written back only when something changed (lxml's
serialisation is what the browser then reads, so a script cannot hide in a quirk of the
parser). Markdown is not HTML: there only the tags concerned are found (by Python's HTML
tokenizer, outside code spans and blocks) and rewritten in place, so the Markdown around
them is untouched; then what nbconvert renders of the result is checked (clean_markdown).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

# Attributes whose value the browser loads or follows as a URL.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "lowsrc", "dynsrc", "ping"}
)
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
# A cheap test: HTML without any of these has nothing to clean (almost every output).
NEEDLES = re.compile(
    r"<\s*(script|iframe|frame|img|embed|object|video|audio|link|base|meta)\b|\bon[a-z]+\s*=|script\s*:|data\s*:|url\("
    r"|@import"
    r"|srcdoc|srcset|&#|&colon;|&tab;|&newline;",
    re.I,
)
# In CSS, what fetches from another host: an @import rule of a remote sheet, a remote url(...).
REMOTE_URL = r"""(?:https?:)?//[^"')\s;]+"""
REMOTE_CSS = re.compile(
    rf"""@import\s+(?:url\(\s*)?["']?{REMOTE_URL}["']?\s*\)?[^;]*;?|url\(\s*["']?{REMOTE_URL}["']?\s*\)""", re.I
)
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
    """True for a URL on another host (`https://...`, `//host/...`): loading it is a request off the site."""
    if not url:
        return False
    url = url.strip()
    return url.startswith("//") or (scheme(url) in ("http", "https", "ftp") and bool(urlsplit(url).netloc))


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
    """The element's attributes without event handlers, script URLs and srcdoc pages; off-site srcset dropped."""
    kept = {}
    for name, value in attributes.items():
        lowered = name.lower()
        script_url = lowered in URL_ATTRIBUTES and bool(value) and runs_script(value, tag)
        if lowered.startswith("on") or lowered == "srcdoc" or script_url:
            findings.scripts += 1
        elif (
            lowered == "srcset"
            and value
            and any(is_remote(part.split()[0]) for part in value.split(",") if part.strip())
        ):
            continue  # the src (itself made a link when off-site) still shows the image
        else:
            kept[name] = value
    if tag in ("iframe", "frame") and not (kept.get("title") or "").strip():
        kept["title"] = frame_title(kept.get("src"))
    return kept


def embed_url(tag: str, attributes: dict[str, str | None]) -> str | None:
    """The off-site URL an embedding element would load, if it would load one."""
    url = attributes.get("data" if tag == "object" else "src")
    return url.strip() if tag in EMBEDS and is_remote(url) else None


# --- HTML outputs: lxml ----------------------------------------------------------------------


def local_name(element: etree._Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1].split(":")[-1].lower()


def replace_with_link(element: lxml_html.HtmlElement, url: str, text: str) -> None:
    """Put a link to `url` (text `text`) where the element was, its tail kept; a span inside another link."""
    inside_link = any(local_name(ancestor) == "a" for ancestor in element.iterancestors())
    link = lxml_html.Element("span" if inside_link else "a")
    if not inside_link:
        link.set("href", url)
    link.text = text
    link.tail = element.tail
    element.getparent().replace(element, link)


def clean_tree(root: lxml_html.HtmlElement, findings: Findings) -> bool:
    """Clean the parsed fragment in place (module docstring); True when anything changed."""
    changed = False
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element is root or element.getparent() is None:
            continue  # comments, and elements already removed with an ancestor
        tag = local_name(element)
        if tag == "script" and (element.get("src") or not is_data_block(element.get("type"))):
            findings.scripts += 1
            element.drop_tree()
            changed = True
            continue
        if (
            tag == "base"
            or (tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh")
            or (tag == "link" and is_remote(element.get("href")))
        ):
            element.drop_tree()  # another base for every link, a redirect, a stylesheet from elsewhere
            changed = True
            continue
        attributes = dict(element.attrib)
        if (url := embed_url(tag, attributes)) is not None:
            findings.remote.append(url)
            replace_with_link(element, url, link_text(attributes, url))
            changed = True
            continue
        kept = cleaned_attributes(tag, attributes, findings)
        if kept.get("style") and REMOTE_CSS.search(kept["style"]):
            kept["style"] = local_css(kept["style"])
        if kept != attributes:
            element.attrib.clear()
            element.attrib.update(kept)
            changed = True
        if tag == "style" and element.text and REMOTE_CSS.search(element.text):
            element.text = local_css(element.text)
            changed = True
    return changed


def local_css(css: str) -> str:
    """CSS without what it would fetch from another host: `@import` rules dropped, `url(...)` made `none`."""
    return REMOTE_CSS.sub(lambda match: "" if match.group(0).startswith("@") else "none", css)


def clean_html(markup: str) -> tuple[str, Findings]:
    """The HTML without its scripts and off-site requests (module docstring), and what was taken out.

    HTML with nothing to clean is returned as it was, byte for byte.
    """
    findings = Findings()
    if not NEEDLES.search(markup):
        return markup, findings
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except etree.ParserError:  # nothing lxml can hold: no element at all
        return markup, findings
    if not clean_tree(root, findings):
        return markup, findings
    head = html.escape(root.text or "", quote=False)
    return head + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root), findings


def visible(markup: str) -> bool:
    """True when the HTML shows a reader something: text, or an image, table, chart or control."""
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except etree.ParserError:
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
        if kept != attributes:
            closing = "/>" if (self.get_starttag_text() or "").rstrip().endswith("/>") else ">"
            written = "".join(
                f" {name}" if value is None else f' {name}="{html.escape(value)}"' for name, value in kept.items()
            )
            self.edits.append((start, end, f"<{tag}{written}{closing}"))

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
        scanner.feed(text)
        text = scanner.finish()

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
    checked; if it would still run a script, every `<` outside code is written as `&lt;`
    (the tags show as text), and if even that runs one, the cell is shown as its source, in
    a code block. An author's ordinary HTML never gets that far.
    """
    findings = Findings()
    if not NEEDLES.search(text) and "](" not in text and "]:" not in text:
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
    if not NEEDLES.search(text) or renders_safely(cleaned):
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
    """True when the HTML that nbconvert's Markdown renderer makes of `markdown` holds no script to remove."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    # nbconvert's renderer stops on `![x](attachment:NAME)` without the cell's attachments, which the
    # model turns into image files only after cleaning; where an image points does not decide a script.
    try:
        rendered = markdown2html_mistune(markdown.replace("attachment:", "attachment-file:"))
    except Exception:  # a renderer failure is no proof of safety: the caller falls back to a code block
        return False
    return clean_html(rendered)[1].scripts == 0
