"""What a reader downloads for one page of the built site, and what to do when it is too much.

The weight of an HTML page is its own bytes plus every file of the site it makes the browser
fetch: images (`<img>`, `<picture>`/`<video>`/`<audio>` sources, posters, favicons),
scripts, stylesheets (and the fonts and images their `url()`s name), and frames, with what
they load in turn; each file once, lazy images included (a reader who scrolls gets them).
Sizes are the files' bytes as written, **uncompressed**: a host that gzips sends less (the
report gives that figure too), but a browser still parses and holds all of it, and many cheap
hosts compress nothing. Not counted, because no file names them: what a script fetches when it
runs (the maps plotly.js loads for a geo chart, pagefind's index on the search page) and
anything from other sites (the site loads nothing from elsewhere).

A feed (RSS, Atom) weighs its own bytes: that is what a feed reader fetches on every poll
(the images of an item are fetched when it is read, one item at a time).

An overweight page's line names what to do, biggest first, until the advice covers what
the page is over by: for an index page or a feed, the posts whose teasers weigh most; for a
post, the libraries it loads, the cells whose outputs are largest, its images.
"""

from __future__ import annotations

import posixpath
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree, html

from blog_build.store import JsonStore, stamp

DEFAULT_BUDGET = 1_000_000  # bytes
# Elements and the attributes whose URL the browser fetches with the page.
FETCHED = {
    "img": ("src",),
    "script": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "source": ("src",),
    "track": ("src",),
    "input": ("src",),
}
# The elements names_in looks at (the one given and those within it), in document order, found by
# lxml rather than by a Python loop over every element (a 400-post site's pages: 0.33 s -> 0.15 s).
FETCHING = etree.XPath("|".join(f"descendant-or-self::{tag}" for tag in (*FETCHED, "link", "style")))
FETCHED_LINKS = {"stylesheet", "icon", "preload", "modulepreload"}  # <link rel=...> that load something
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")
DATA_URI = re.compile(r"""data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+""")
FONTS = {".woff", ".woff2", ".ttf", ".otf", ".eot"}
ATOM = "{http://www.w3.org/2005/Atom}"
TEASER_ADVICE = "end its teaser sooner (<!-- TEASER_END --> in a markdown cell)"


@dataclass(frozen=True)
class Loaded:
    """A file of the site that a page makes the browser fetch."""

    path: Path
    size: int
    kind: str  # images, scripts, stylesheets, fonts, frames


@dataclass
class PageWeight:
    """What a reader downloads for one page, and what it is made of."""

    page: str
    html: int  # the page's own bytes (a feed's XML)
    inline_data: int = 0
    files: list[Loaded] = field(default_factory=list)
    # (bytes, what it is, what to do about it): the parts worth naming, heaviest first
    parts: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.html + sum(loaded.size for loaded in self.files)

    def by_kind(self) -> str:
        """'HTML 0.13 MB (0.02 MB inline data), scripts 1.90 MB (largest embed.js, 1.88 MB), ...'."""
        own = "XML" if self.page.endswith((".xml", ".atom", ".rss")) else "HTML"
        pieces = [f"{own} {mb(self.html)}" + (f" ({mb(self.inline_data)} inline data)" if self.inline_data else "")]
        kinds: dict[str, list[Loaded]] = {}
        for loaded in self.files:
            kinds.setdefault(loaded.kind, []).append(loaded)
        for kind, files in sorted(kinds.items()):
            largest = max(files, key=lambda loaded: loaded.size)
            pieces.append(
                f"{kind} {mb(sum(loaded.size for loaded in files))} (largest {largest.path.name}, {mb(largest.size)})"
            )
        return ", ".join(pieces)

    def advice(self, budget: int) -> list[str]:
        """The heaviest parts with what to do about each, until they cover what the page is over by."""
        over, chosen = self.total - budget, []
        for size, _what, todo in sorted(self.parts, key=lambda part: -part[0]):
            chosen.append(todo)
            over -= size
            if over <= 0 or len(chosen) == 4:
                break
        return chosen


def mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def gzipped(data: bytes) -> int:
    """The bytes a host that gzips (at the usual level 6) would send."""
    return len(zlib.compress(data, 6)) + 18  # gzip's header and trailer around the deflate stream


def named_file(root: Path, page: Path, link: str) -> str | None:
    """The path, relative to the resolved output folder `root`, that `link` on `page` names; None if outside."""
    parts = urlsplit(link.strip())
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    try:
        target = target.resolve()
    except (OSError, ValueError):
        return None
    return target.relative_to(root).as_posix() if target.is_relative_to(root) else None


def existing(root: Path, named: str) -> Path | None:
    """The file a named path is now: itself, or a folder's index.html; None if there is none."""
    target = root / named
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def kind_of(tag: str, path: Path) -> str:
    if tag == "script":
        return "scripts"
    if tag in ("iframe", "frame", "embed", "object") and path.suffix in (".html", ".htm"):
        return "frames"
    if tag == "link" and path.suffix == ".css":
        return "stylesheets"
    return "fonts" if path.suffix.lower() in FONTS else "images"


def fetched(output: Path, page: Path, document: html.HtmlElement) -> list[tuple[str, Path]]:
    """(element, file) for each local file the document makes the browser fetch, in document order."""
    root = output.resolve()
    return [(tag, target) for tag, named in names_in(root, page, document) if (target := existing(root, named))]


def parsed(data: bytes) -> html.HtmlElement | None:
    """The page as lxml reads it, None when it holds no element (empty, only a comment) or cannot be read.

    Bytes, not text: lxml refuses a string whose XML declaration names an encoding, which an
    SVG or XHTML file framed from a notebook may begin with.
    """
    try:
        return html.document_fromstring(data)
    except (etree.ParserError, ValueError):
        return None


class LinkMemory:
    """What each page, frame and stylesheet of the site names, remembered by the file's size and time.

    Finding it means parsing the file, which is most of a report's time (1.5 s for the 460 pages
    of a 400-post site), and a build changes few pages: the report after one edit parses only
    the pages that edit rewrote. Only what a file says is remembered, never what it names: each
    named file is looked for and measured again by every report, so a script or image that
    changes, appears or goes is weighed as it is now. With a `store` (a JsonStore in the cache
    folder) the memory lasts from one build to the next.
    """

    def __init__(self, store: JsonStore | None = None) -> None:
        self.store = store or JsonStore(None, "")
        self.used: set[str] = set()
        self.files: dict[str, tuple[Path, int] | None] = {}  # named path -> (file, size) in this report

    def file(self, root: Path, named: str) -> tuple[Path, int] | None:
        """The file a named path is and its size, looked for once per report (most pages load the same)."""
        if named not in self.files:
            target = existing(root, named)
            self.files[named] = None if target is None else (target, target.stat().st_size)
        return self.files[named]

    def names(self, root: Path, path: Path, kind: str) -> tuple[int, list[tuple[str, str]]]:
        """(bytes of base64 data inline, [(element, named path)]) of `path`, a page, a frame or a stylesheet."""
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        key = f"{kind} {name}"
        self.used.add(key)
        now = stamp(path)
        known = self.store.section("files").get(key)
        if known is not None and known[0] == now:
            return known[1], [tuple(pair) for pair in known[2]]
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        if kind == "stylesheet":
            inline, links = 0, CSS_URL.findall(text)
            named = [("link", found) for link in links if (found := named_file(root, path, link)) is not None]
        else:
            inline = sum(map(len, DATA_URI.findall(text))) if kind == "page" else 0
            document = parsed(data)
            named = [] if document is None else names_in(root, path, document)
        self.store.put("files", key, [now, inline, named])
        return inline, list(named)  # a copy: the caller works through its list

    def save(self) -> None:
        """Keep what this report used (a page no longer built is forgotten), for the next."""
        self.store.keep_only("files", self.used)
        self.store.save()


def names_in(root: Path, page: Path, document: html.HtmlElement) -> list[tuple[str, str]]:
    """(element, named path) for each path of the site the document makes the browser fetch, in order."""
    found = []
    for element in FETCHING(document):
        tag = element.tag
        links = [element.get(name) for name in FETCHED.get(tag, ())]
        if tag == "link" and FETCHED_LINKS & set((element.get("rel") or "").lower().split()):
            links.append(element.get("href"))
        if tag == "style" and element.text:
            links += CSS_URL.findall(element.text)
        found += [(tag, named) for link in links if link and (named := named_file(root, page, link)) is not None]
    return found


def weigh(output: Path, page: Path, memory: LinkMemory | None = None) -> PageWeight:
    """What a reader downloads for `page`, an HTML page or a feed in `output`."""
    root = output.resolve()
    name = str(page.relative_to(output))
    if page.suffix in (".xml", ".atom", ".rss"):
        return PageWeight(name, page.stat().st_size)
    memory = memory or LinkMemory()
    inline, pending = memory.names(root, page.resolve(), "page")
    weight = PageWeight(name, page.stat().st_size, inline)
    seen: set[Path] = {page.resolve()}
    while pending:
        tag, named = pending.pop(0)
        found = memory.file(root, named)
        if found is None or found[0] in seen:
            continue
        target, size = found
        seen.add(target)
        kind = kind_of(tag, target)
        weight.files.append(Loaded(target, size, kind))
        if kind == "stylesheets":  # the fonts and images it names, relative to the stylesheet
            pending += memory.names(root, target, "stylesheet")[1]
        elif kind == "frames":  # a page of its own, with what it loads (one that cannot be read: its bytes alone)
            pending += memory.names(root, target, "frame")[1]
    return weight


def entry_sources(sources: dict[str, str], base_url: str, page_url: str, link: str) -> str:
    """The source file of the post an entry links to ('' if none is known)."""
    url = urljoin(page_url, link.strip())
    if base_url and url.startswith(base_url):
        url = "/" + url[len(base_url) :].lstrip("/")
    path = urlsplit(url).path
    return sources.get(path) or sources.get(posixpath.join(path, "")) or ""


def teaser_parts(
    output: Path, page: Path, weight: PageWeight, sources: dict[str, str], base_url: str
) -> list[tuple[int, str, str]]:
    """(bytes, title, advice) for each post an index page or feed shows, with the images its teaser loads."""
    relative = page.relative_to(output).as_posix()
    page_url = "/" + relative
    parts = []
    if page.suffix in (".xml", ".atom", ".rss"):
        root = etree.parse(str(page)).getroot()
        for entry in [*root.iter("item"), *root.iter(f"{ATOM}entry")]:
            title = entry.findtext("title") or entry.findtext(f"{ATOM}title") or "an entry"
            link = entry.findtext("link") or next((e.get("href") for e in entry.iter(f"{ATOM}link")), "") or ""
            parts.append((len(etree.tostring(entry)), title, entry_sources(sources, base_url, page_url, link)))
    else:
        document = html.document_fromstring(page.read_text(encoding="utf-8", errors="replace"))
        sizes = {loaded.path: loaded.size for loaded in weight.files}
        for article in document.iter("article"):
            heading = article.find(".//a[@class='u-url']")
            if heading is None:
                continue
            images = {target for _tag, target in fetched(output, page, article) if target in sizes}
            size = len(html.tostring(article)) + sum(sizes[image] for image in images)
            parts.append(
                (
                    size,
                    heading.text_content().strip(),
                    entry_sources(sources, base_url, page_url, heading.get("href") or ""),
                )
            )
    return [
        (size, title, f"{title!r} ({source or 'a post'}, {mb(size)} here): {TEASER_ADVICE}")
        for size, title, source in parts
    ]


def post_parts(
    output: Path, page: Path, weight: PageWeight, cell_numbers: dict[str, int]
) -> list[tuple[int, str, str]]:
    """(bytes, what, advice) for a post or page: the libraries and images it loads, its heaviest outputs."""
    parts = []
    images = [loaded for loaded in weight.files if loaded.kind == "images"]
    for loaded in weight.files:
        name = loaded.path.relative_to(output.resolve()).as_posix()
        if loaded.kind in ("scripts", "stylesheets") and "notebook-outputs/" in name:
            library = name.split("notebook-outputs/", 1)[1]
            todo = f"the page loads {library} ({mb(loaded.size)}) for its interactive outputs"
            parts.append((loaded.size, name, todo))
        elif loaded.kind == "frames":
            parts.append((loaded.size, name, f"the page frames {name} ({mb(loaded.size)})"))
    if images:
        size, largest = sum(image.size for image in images), max(images, key=lambda image: image.size)
        todo = (
            f"{len(images)} images weigh {mb(size)} (largest {largest.path.name}, {mb(largest.size)}): "
            "save figures smaller (a lower dpi; JPEG for photographs)"
        )
        parts.append((size, "images", todo))
    document = html.document_fromstring(page.read_text(encoding="utf-8", errors="replace"))
    outputs = []
    for cell in document.find_class("cell"):
        shown = cell.find_class("output_wrapper")
        size = sum(len(html.tostring(part)) for part in shown)
        if size:
            cell_id = (cell.get("id") or "").removeprefix("cell-id=")
            outputs.append((size, f"cell {cell_numbers[cell_id]}" if cell_id in cell_numbers else f"cell id {cell_id}"))
    outputs.sort(reverse=True)
    if outputs:
        size = sum(size for size, _ in outputs[:3])
        named = ", ".join(f"{label} {mb(size)}" for size, label in outputs[:3])
        parts.append((size, "outputs", f"long outputs: {named} (print less, or tag the cell remove-output)"))
    if weight.inline_data:
        parts.append((weight.inline_data, "inline data", f"{mb(weight.inline_data)} of base64 data inline in the HTML"))
    return parts


def report_line(weight: PageWeight, budget: int, output: Path) -> str:
    """The warning for an overweight page: its weight, gzipped too, what it is made of, what to do."""
    data = [(output / weight.page).read_bytes(), *(loaded.path.read_bytes() for loaded in weight.files)]
    compressed = sum(gzipped(part) for part in data)
    line = (
        f"{weight.page} is {mb(weight.total)} uncompressed ({mb(compressed)} gzipped), "
        f"over the {mb(budget)} budget: {weight.by_kind()}"
    )
    advice = weight.advice(budget)
    return line + (f". To lighten it: {'; '.join(advice)}" if advice else "")


def report(
    output: Path,
    pages: list[str],
    budget: int,
    sources: dict[str, str] | None = None,
    base_url: str = "",
    cell_numbers=None,
    memory: LinkMemory | None = None,
) -> list[str]:
    """One line per page over `budget`, heaviest first.

    `sources` maps a post's URL path (`/posts/x/`) to its source file, so index pages and
    feeds can name the posts that make them heavy; `cell_numbers(source)` gives a post's
    {cell id: cell number}, so a line names cells as the build's warnings do. `memory`
    remembers what the pages name, for the next report.
    """
    sources = sources or {}
    source_of_page = {posixpath.join(url.lstrip("/"), "index.html"): source for url, source in sources.items()}
    memory = memory or LinkMemory()
    weights = [weigh(output, output / page, memory) for page in pages if (output / page).is_file()]
    heavy = sorted((w for w in weights if w.total > budget), key=lambda w: -w.total)
    lines = []
    for weight in heavy:
        page = output / weight.page
        source = source_of_page.get(weight.page)
        if source is None:  # an index page or a feed
            weight.parts = teaser_parts(output, page, weight, sources, base_url)
        else:
            numbers = cell_numbers(source) if (cell_numbers and source) else {}
            weight.parts = post_parts(output, page, weight, numbers)
        lines.append(report_line(weight, budget, output))
    return lines
