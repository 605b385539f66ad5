"""The public corpus (tests/corpus/) built as posts of this blog and checked page by page in Chromium.

Each extracted corpus notebook becomes a post beside the blog's own (a generated .meta:
title from the notebook's first heading or its file name, a date, its name as slug), the
site is built with `nikola build` and served from 127.0.0.1, and Debian's Chromium visits
every corpus post and the home page, in light and in dark mode, with the network closed.
For each page it records console errors, requests to anything but the site, whether each
interactive output was drawn, axe-core's serious and critical violations (rule ids and
node counts) and the bytes the page loads; screenshots go to test-artifacts/corpus/ and the
whole record to test-artifacts/corpus/report.json. A notebook on which the build stops is
recorded with the build's message and left out, so the others can still be checked.

    .venv/bin/python tests/corpus/extract.py        # once, from the fetched mirrors
    .venv/bin/python benchmarks/corpus_check.py [--only NAME ...] [--keep DIR]

Nothing here passes or fails: tests/test_corpus.py turns the same record into tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from test_browser import Traffic  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_ARGS, copy_site, nikola, serve_folder  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
NOTEBOOKS = CORPUS / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "corpus"
SERIOUS = ("serious", "critical")
SCREENSHOT_HEIGHT_LIMIT = 12_000  # px: a 50,000-line print would make a screenshot no one can open
FIRST_DATE = (2026, 1, 1)  # corpus posts are dated one a day from here, in manifest order

# What each interactive kind of the manifest looks like on the page once its library drew it:
# (containers the site writes, what a drawn container holds). Containers are counted even when
# the notebook's kind list does not name them, so an unexpected one is seen too.
DRAWN = {
    "plotly": (".js-plotly-plot, .nb-plotly", ".main-svg"),
    "vega": (".nb-vega, .vega-embed", "canvas, svg.marks"),
    "widgets": (".output_widget_view", ".jupyter-widgets, .widget-box, .widget-inline-hbox, .widget-html"),
    "itables": (
        "table[id^='itables_'], .itables, .dt-container, .dataTables_wrapper",
        ".dt-container, .dataTables_wrapper",
    ),
    "bokeh": (".bk-root, [data-root-id], .nb-bokeh", "canvas, .bk-canvas"),
    "leaflet": (".folium-map, .leaflet-container", ".leaflet-tile, .leaflet-marker-icon, path.leaflet-interactive"),
}
# The manifest's kinds whose outputs the site must draw. Kinds that only say why a notebook's
# outputs cannot be drawn are not here, and their static fallback is checked like any page:
# plotly-iframe (a Chart Studio frame on plot.ly, shown as a link), plotly-cdn (F#'s figure
# inside a script), widgets-state-empty, widgets-state-refused, widgets5-views-only and
# widgets-without-state (no widget values saved), bokeh-0.12 (BokehJS 0.12 is not installable
# from npm; the note names the version).
KIND_TO_DRAWN = {
    "plotly-notebook": "plotly",
    "plotly-notebook-connected": "plotly",
    "plotly-mimetype": "plotly",
    "altair": "vega",
    "widgets": "widgets",
    "itables": "itables",
    "bokeh": "bokeh",
    "holoviews": "bokeh",
    "folium": "leaflet",
}


@dataclass
class Mode:
    """What one load of a page in one colour scheme showed."""

    problems: list[str] = field(default_factory=list)  # console errors, script errors, failed or 4xx requests
    off_site: list[str] = field(default_factory=list)
    serious: dict[str, int] = field(default_factory=dict)  # axe rule id -> nodes, serious and critical only
    other: dict[str, int] = field(default_factory=dict)  # moderate and minor, for the README
    examples: dict[str, list[str]] = field(default_factory=dict)  # rule id -> a few CSS targets


@dataclass
class PageReport:
    name: str
    path: str
    kinds: list[str]
    built: bool = True
    build_error: str = ""
    build_warnings: list[str] = field(default_factory=list)
    drawn: dict[str, list[int]] = field(default_factory=dict)  # kind -> [containers, drawn]
    expected: list[str] = field(default_factory=list)  # drawn kinds the manifest says the notebook has
    unavailable: int = 0  # "the notebook saved no static version" placeholders
    light: Mode = field(default_factory=Mode)
    dark: Mode = field(default_factory=Mode)
    html_bytes: int = 0
    page_bytes: int = 0  # the HTML and everything it loaded from the site
    height: int = 0

    def undrawn(self) -> list[str]:
        """Interactive kinds with a container the library did not draw, or expected and absent."""
        missing = [kind for kind, (total, drawn) in self.drawn.items() if drawn < total]
        return missing + [kind for kind in self.expected if self.drawn.get(kind, [0, 0])[0] == 0]


def manifest() -> list[dict]:
    return json.loads((CORPUS / "corpus.json").read_text())["notebooks"]


def notebook_title(notebook: dict, fallback: str) -> str:
    """The text of the notebook's first heading, as a reader would read it, else `fallback`."""
    cells = notebook.get("cells") or [cell for sheet in notebook.get("worksheets", []) for cell in sheet["cells"]]
    for cell in cells:
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "heading":  # nbformat 3
            return plain_title(text) or fallback
        if cell.get("cell_type") != "markdown":
            continue
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                return plain_title(line.lstrip().lstrip("#")) or fallback
    return fallback


def plain_title(markdown: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # links and images keep their text
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(text.replace("`", "").replace("*", "").split())[:120]


def add_posts(site: Path, entries: list[dict]) -> None:
    """Copy each corpus notebook into the site's posts/ with a .meta file."""
    year, month, day = FIRST_DATE
    for number, entry in enumerate(entries):
        source = NOTEBOOKS / f"{entry['name']}.ipynb"
        shutil.copy(source, site / "posts" / source.name)
        beside = NOTEBOOKS / f"{entry['name']}.files"
        if beside.is_dir():  # the images and data the notebook refers to, as its repository has them
            shutil.copytree(beside, site / "posts", dirs_exist_ok=True)
        fallback = entry["name"].replace("-", " ").capitalize()
        try:
            title = notebook_title(json.loads(source.read_text(encoding="utf-8")), fallback)
        except (ValueError, KeyError, TypeError):
            title = fallback  # the build is what judges a broken notebook
        date = f"{year}-{month:02d}-{day:02d} 12:{number % 60:02d}:00 UTC"
        (site / "posts" / f"{entry['name']}.meta").write_text(
            f".. title: {title}\n.. slug: {entry['name']}\n.. date: {date}\n.. tags: corpus\n.. type: text\n",
            encoding="utf-8",
        )
        day += 1
        if day > 28:
            month, day = month + 1, 1


def build(site: Path, reports: dict[str, PageReport]) -> tuple[float, str]:
    """Build the site; a notebook the build stops on is recorded and taken out, and the build retried."""
    started = time.perf_counter()
    while True:
        result = nikola(site, "build", check=False)
        if result.returncode == 0:
            break
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        blamed = [
            name
            for name in reports
            if reports[name].built and any(re.search(rf"\b{re.escape(name)}\.(ipynb|meta)\b", line) for line in errors)
        ]
        if not blamed:
            return time.perf_counter() - started, result.stderr  # a failure no corpus notebook explains
        for name in blamed:
            reports[name].built = False
            reports[name].build_error = "\n".join(line for line in errors if name in line)
            for suffix in (".ipynb", ".meta"):
                (site / "posts" / f"{name}{suffix}").unlink()
    for name, report in reports.items():
        report.build_warnings = [line for line in result.stderr.splitlines() if f"{name}.ipynb" in line]
    return time.perf_counter() - started, ""


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def count_drawn(page: Page) -> dict[str, list[int]]:
    """[containers, drawn containers] for each interactive kind present on the page."""
    counts = page.evaluate(
        """kinds => Object.fromEntries(Object.entries(kinds).map(([kind, [container, mark]]) => {
            const found = [...document.querySelectorAll(container)]
                .filter(el => !el.parentElement.closest(container));  // nested wrappers count once
            return [kind, [found.length, found.filter(el => el.matches(mark) || el.querySelector(mark)).length]];
        }))""",
        DRAWN,
    )
    return {kind: pair for kind, pair in counts.items() if pair[0]}


def wait_until_drawn(page: Page, seconds: float) -> None:
    """Give the libraries time to draw every container they will draw."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            """kinds => Object.values(kinds).every(([container, mark]) =>
                [...document.querySelectorAll(container)].every(el => el.matches(mark) || el.querySelector(mark)))""",
            arg=DRAWN,
            timeout=seconds * 1000,
        )


def axe(page: Page) -> tuple[dict[str, int], dict[str, int], dict[str, list[str]]]:
    violations = Axe().run(page).response["violations"]
    serious = {v["id"]: len(v["nodes"]) for v in violations if v["impact"] in SERIOUS}
    other = {v["id"]: len(v["nodes"]) for v in violations if v["impact"] not in SERIOUS}
    examples = {v["id"]: [" ".join(map(str, node["target"])) for node in v["nodes"][:3]] for v in violations}
    return serious, other, examples


def bytes_loaded(output: Path, site_url: str, requests: list[str]) -> int:
    """Bytes of every file of the site the page asked for, each counted once."""
    paths = {unquote(urlsplit(url).path) for url in requests if url.startswith(site_url)}
    total = 0
    for path in paths:
        file = output / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        if file.is_file():
            total += file.stat().st_size
    return total


def screenshot(page: Page, target: Path, height: int) -> None:
    if height <= SCREENSHOT_HEIGHT_LIMIT:
        page.screenshot(path=target, full_page=True)
    else:
        page.screenshot(
            path=target, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": SCREENSHOT_HEIGHT_LIMIT}
        )


def open_page(browser: Browser, site_url: str, path: str, scheme: str) -> tuple[Page, Traffic]:
    """A page opened as tests/test_browser.py opens one, also counting alert() dialogs (Playwright dismisses them)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    traffic = Traffic(page, site_url)
    page.on("dialog", lambda dialog: (traffic.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.route(lambda url: urlsplit(url).netloc != traffic.host, lambda route: route.abort("internetdisconnected"))
    page.goto(site_url + path, wait_until="networkidle")
    return page, traffic


def check_page(browser: Browser, site_url: str, output: Path, report: PageReport) -> None:
    for scheme in ("light", "dark"):
        page, traffic = open_page(browser, site_url, report.path, scheme)
        wait_until_drawn(page, 8 if scheme == "light" else 2)  # what did not draw in 8 s will not in the dark
        mode = report.light if scheme == "light" else report.dark
        if scheme == "light":
            report.drawn = count_drawn(page)
            report.unavailable = page.locator(".nb-unavailable").count()
            report.height = page.evaluate("document.documentElement.scrollHeight")
            report.page_bytes = bytes_loaded(output, site_url, traffic.requests)
            index = output / report.path.lstrip("/") / "index.html"
            report.html_bytes = index.stat().st_size if index.is_file() else 0
        mode.serious, mode.other, mode.examples = axe(page)
        # axe and the libraries may log once the page settled, so read the traffic last
        mode.problems = list(traffic.problems)
        mode.off_site = sorted(set(traffic.foreign()))
        screenshot(page, ARTIFACTS / f"{report.name}-{scheme}.png", report.height)
        page.close()


def post_path(name: str) -> str:
    return f"/posts/{name}/"


def run(entries: list[dict], keep: Path | None = None) -> tuple[list[PageReport], float, str, int]:
    """Build the corpus into a copy of the site and check every page.

    Returns the reports, the build's seconds, the build's error when no corpus notebook explains
    it, and the size of rss.xml.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reports = {
        entry["name"]: PageReport(
            entry["name"],
            post_path(entry["name"]),
            entry["kinds"],
            expected=sorted({KIND_TO_DRAWN[kind] for kind in entry["kinds"] if kind in KIND_TO_DRAWN}),
        )
        for entry in entries
    }
    with contextlib.ExitStack() as stack:
        folder = keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="corpus-site-")))
        site = copy_site(folder / "site")
        add_posts(site, entries)
        seconds, fatal = build(site, reports)
        if fatal:
            return list(reports.values()), seconds, fatal, 0
        output = site / "output"
        home = PageReport("(home)", "/", [])
        pages = [home] + [report for report in reports.values() if report.built]
        with serve_folder(output) as site_url, chromium() as browser:
            for report in pages:
                check_page(browser, site_url, output, report)
        feed = output / "rss.xml"
        return [home, *reports.values()], seconds, "", feed.stat().st_size if feed.is_file() else 0


def rules(counts: dict[str, int]) -> str:
    return ", ".join(f"{rule} {nodes}" for rule, nodes in sorted(counts.items())) or "-"


def table(reports: list[PageReport]) -> str:
    rows = [
        "| notebook | build | console errors | off-site requests | interactive drawn "
        "| axe light | axe dark | page KB (HTML) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        if not report.built:
            rows.append(f"| {report.name} | stopped: {report.build_error.splitlines()[0][:90]} | | | | | | |")
            continue
        drawn = ", ".join(f"{kind} {drawn}/{total}" for kind, (total, drawn) in report.drawn.items())
        absent = [kind for kind in report.expected if kind not in report.drawn]
        drawn = "; ".join(part for part in (drawn, " ".join(f"{kind} none" for kind in absent)) if part) or "-"
        if report.unavailable:
            drawn += f"; {report.unavailable} placeholder"
        problems = len(report.light.problems) + len(report.dark.problems)
        off_site = len(set(report.light.off_site) | set(report.dark.off_site))
        rows.append(
            f"| {report.name} | ok | {problems} | {off_site} | {drawn} | {rules(report.light.serious)} "
            f"| {rules(report.dark.serious)} | {report.page_bytes // 1024} ({report.html_bytes // 1024}) |"
        )
    return "\n".join(rows)


def summary(reports: list[PageReport]) -> str:
    built = [r for r in reports if r.built]
    rule_pages: Counter[str] = Counter()
    for report in built:
        for rule in set(report.light.serious) | set(report.dark.serious):
            rule_pages[rule] += 1
    lines = [
        f"pages checked: {len(built)}; build stopped on: {', '.join(r.name for r in reports if not r.built) or 'none'}",
        f"pages with console errors: {sum(bool(r.light.problems or r.dark.problems) for r in built)}",
        f"pages with off-site requests: {sum(bool(r.light.off_site or r.dark.off_site) for r in built)}",
        f"pages with an interactive output not drawn: {sum(bool(r.undrawn()) for r in built)}",
        "serious/critical axe rules (pages): " + (", ".join(f"{k} {v}" for k, v in rule_pages.most_common()) or "none"),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="check only these corpus notebooks")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    arguments = parser.parse_args()
    entries = [e for e in manifest() if not arguments.only or e["name"] in arguments.only]
    absent = [e["name"] for e in entries if not (NOTEBOOKS / f"{e['name']}.ipynb").is_file()]
    if absent:
        print(
            f"{len(absent)} corpus notebooks are not extracted ({', '.join(absent[:3])}...): "
            "run .venv/bin/python tests/corpus/extract.py first",
            file=sys.stderr,
        )
        return 2
    reports, seconds, fatal, feed_bytes = run(entries, arguments.keep)
    if fatal:
        print(f"the build failed for a reason no corpus notebook explains:\n{fatal}", file=sys.stderr)
        return 1
    print(table(reports))
    print()
    print(summary(reports))
    print(f"build: {seconds:.1f} s for {len(entries)} corpus notebooks and the blog's posts")
    print(f"rss.xml: {feed_bytes // 1024} KB")
    (ARTIFACTS / "report.json").write_text(json.dumps([asdict(r) for r in reports], indent=1) + "\n")
    print(f"details: {ARTIFACTS / 'report.json'}; screenshots: {ARTIFACTS}/NAME-light.png, NAME-dark.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
