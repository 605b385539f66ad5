"""Page weight: the same notebook post in our theme and in stock Nikola, loaded by Chromium.

Stock Nikola is `nikola init` (bootblog4, default configuration) with the ipynb compiler
added to POSTS and nothing else changed. Both sites hold the blog's Fibonacci post and are
served from 127.0.0.1; the network is otherwise closed, so third-party requests (CDNs)
fail, but they are counted. Bytes are what the page asked for, uncompressed and gzipped
(level 6, what a typical host serves), with the post's own images counted apart.

With --charts it weighs chart pages instead (the fixture posts with a scatter plot, a 3-D
surface, two maps and a plain Vega chart), built by this tree and by the tree at
--baseline (default: the commit before pages chose their plotly.js bundle) in the same run.

    .venv/bin/python benchmarks/page_weight_benchmark.py [--write]
    .venv/bin/python benchmarks/page_weight_benchmark.py --charts [--baseline REV] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.report import replace_section  # noqa: E402

from conftest import copy_site  # noqa: E402

POST = "fibonacci"
TEXT_TYPES = ("text/html", "text/css", "javascript", "json")
FIXTURES = ROOT / "tests" / "fixtures" / "posts"
# The chart pages weighed with --charts: fixture post -> what it shows.
CHART_PAGES = {
    "plotly-only": "scatter plot (Plotly)",
    "plotly-surface": "3-D surface (Plotly)",
    "plotly-map": "two maps: choropleth, scattergeo (Plotly)",
    "vega-only": "plain Vega chart",
}
# The last commit whose pages loaded all of plotly.js and Vega-Lite for any chart.
BASELINE = "dbd0555^"
LIBRARY_FOLDER = "/assets/notebook-outputs/"
READING = """
"HTML + CSS + JS" is everything but the post's own images (and fonts, of which there are
none). Stock Nikola's notebook page loads MathJax and jQuery-era assets from CDNs and
inlines every figure as base64 inside the HTML, so its images are part of its HTML bytes.
"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def stock_site(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "nikola", "init", "-q", str(folder)], check=True, capture_output=True)
    conf = folder / "conf.py"
    text = conf.read_text()
    text = text.replace("POSTS = (\n", 'POSTS = (\n    ("posts/*.ipynb", "posts", "post.tmpl"),\n', 1)
    conf.write_text(text)
    (folder / "posts").mkdir(exist_ok=True)
    for suffix in (".ipynb", ".meta"):
        shutil.copy(ROOT / "posts" / f"{POST}{suffix}", folder / "posts" / f"{POST}{suffix}")
    return folder


def our_site(folder: Path) -> Path:
    site = copy_site(folder, posts=(POST,))
    return site


def build(site: Path) -> Path:
    subprocess.run([sys.executable, "-m", "nikola", "build"], cwd=site, check=True, capture_output=True)
    return site


def load(site: Path, pages: list[str]) -> dict[str, dict]:
    """What Chromium fetches for each page of the built site (the page, then its lazy images)."""
    handler = functools.partial(Quiet, directory=str(site / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        for path in pages:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests: list[str] = []
            bodies: dict[str, tuple[str, bytes]] = {}
            page.on("request", lambda request, requests=requests: requests.append(request.url))

            def keep(response, bodies=bodies) -> None:
                if urlsplit(response.url).netloc == host:
                    # A redirect or an aborted response has no body.
                    with contextlib.suppress(Exception):
                        bodies[response.url] = (response.headers.get("content-type", ""), response.body())

            page.on("response", keep)
            page.route(lambda url: urlsplit(url).netloc != host, lambda route: route.abort("internetdisconnected"))
            page.goto(f"http://{host}{path}", wait_until="networkidle")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
            page.wait_for_timeout(1000)
            page.close()
            results[path] = weigh(requests, bodies, host)
        browser.close()
    server.shutdown()
    return results


def weigh(requests: list[str], bodies: dict[str, tuple[str, bytes]], host: str) -> dict:
    text = [body for kind, body in bodies.values() if any(t in kind for t in TEXT_TYPES)]
    images = [body for kind, body in bodies.values() if kind.startswith("image/")]
    libraries = [urlsplit(url).path.split(LIBRARY_FOLDER, 1)[1] for url in bodies if LIBRARY_FOLDER in url]
    return {
        "requests": len(requests),
        "third-party": sum(1 for url in requests if urlsplit(url).netloc not in (host, "")),
        "text bytes": sum(len(body) for body in text),
        "text gzip": sum(len(gzip.compress(body, 6)) for body in text),
        "image bytes": sum(len(body) for body in images),
        "libraries": sorted(name.rsplit("/", 1)[1] for name in libraries if not name.startswith("site/")),
    }


def measure(site: Path) -> dict:
    return load(build(site), [f"/posts/{POST}/"])[f"/posts/{POST}/"]


def chart_site(folder: Path, root: Path) -> Path:
    """The site at `root` with only the chart fixture posts (this tree's, so both sites hold the same posts)."""
    site = copy_site(folder, posts=(), root=root)
    for name in CHART_PAGES:
        for suffix in (".ipynb", ".meta"):
            shutil.copy(FIXTURES / f"{name}{suffix}", site / "posts" / f"{name}{suffix}")
    return build(site)


def baseline_tree(revision: str, folder: Path) -> Path:
    """The sources at `revision`, from git (the repository is only read)."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def chart_table(baseline: str) -> str:
    pages = [f"/posts/{name}/" for name in CHART_PAGES]
    with tempfile.TemporaryDirectory(prefix="chart-weight-") as temp:
        before_root = baseline_tree(baseline, Path(temp) / "baseline")
        before = load(chart_site(Path(temp) / "before", before_root), pages)
        after = load(chart_site(Path(temp) / "after", ROOT), pages)
    lines = [
        "| page | before: libraries loaded | before | after: libraries loaded | after | after/before (gzipped) |",
        "|---|---|---|---|---|---|",
    ]

    def cell(result: dict) -> str:
        count = result["third-party"]
        refused = f"; {count} off-site request{'s' if count > 1 else ''} refused" if count else ""
        return f"{result['text bytes'] / 1024:,.0f} KB ({result['text gzip'] / 1024:,.0f} KB gzipped{refused})"

    for name, page in zip(CHART_PAGES.values(), pages, strict=True):
        old, new = before[page], after[page]
        lines.append(
            f"| {name} | {', '.join(old['libraries'])} | {cell(old)} | {', '.join(new['libraries'])} | {cell(new)} "
            f"| {new['text gzip'] / old['text gzip']:.2f}x |"
        )
    return "\n".join(lines)


CHART_READING = """
Bytes are everything the page fetched but images: HTML, CSS, our script, the chart
libraries and, for the maps, the topojson file plotly.js draws coastlines and borders from.
"Before" is the site at the baseline commit, which loaded all of plotly.js (and Vega-Lite
for any Vega chart); its map page asked Plotly's CDN for the maps and, offline, drew no
map. "After" loads the smallest of plotly.js's official bundles (`plotly.js-*-dist-min`,
the same version) that holds every trace type on the page, and Vega-Lite only for
Vega-Lite specs. A page with a trace no partial bundle holds loads the full plotly.js, as
before. Uncompressed, a Plotly page is still over the default `PAGE_SIZE_BUDGET` of 1 MB,
which counts bytes as stored, not as served: the smallest bundle is 1.19 MB.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/README.md")
    parser.add_argument("--charts", action="store_true", help="weigh chart pages against --baseline instead")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the chart pages' baseline")
    args = parser.parse_args()
    if args.charts:
        table = chart_table(args.baseline)
        print(table)
        if args.write:
            command = f"`.venv/bin/python benchmarks/page_weight_benchmark.py --charts --baseline {args.baseline}`"
            replace_section("Chart libraries per page", table, command, CHART_READING)
        return
    with tempfile.TemporaryDirectory(prefix="page-weight-") as temp:
        results = {
            "this theme": measure(our_site(Path(temp) / "ours")),
            "stock Nikola (bootblog4)": measure(stock_site(Path(temp) / "stock")),
        }
    stock = results["stock Nikola (bootblog4)"]
    lines = [
        "| site | requests | third-party | HTML + CSS + JS | same, gzipped | post's images | gzipped vs stock |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        ratio = r["text gzip"] / stock["text gzip"]
        lines.append(
            f"| {name} | {r['requests']} | {r['third-party']} | {r['text bytes'] / 1024:.1f} KB "
            f"| {r['text gzip'] / 1024:.1f} KB | {r['image bytes'] / 1024:.1f} KB | {ratio:.2f}x |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        replace_section("Page weight", table, "`.venv/bin/python benchmarks/page_weight_benchmark.py`", READING)


if __name__ == "__main__":
    main()
