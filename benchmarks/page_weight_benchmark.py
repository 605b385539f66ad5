"""Page weight: the same notebook post in our theme and in stock Nikola, loaded by Chromium.

Stock Nikola is `nikola init` (bootblog4, default configuration) with the ipynb compiler
added to POSTS and nothing else changed. Both sites hold the blog's Fibonacci post and are
served from 127.0.0.1; the network is otherwise closed, so third-party requests (CDNs)
fail, but they are counted. Bytes are what the page asked for, uncompressed and gzipped
(level 6, what a typical host serves), with the post's own images counted apart.

    .venv/bin/python benchmarks/page_weight_benchmark.py [--write]
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


def measure(site: Path) -> dict:
    subprocess.run([sys.executable, "-m", "nikola", "build"], cwd=site, check=True, capture_output=True)
    handler = functools.partial(Quiet, directory=str(site / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    requests: list[str] = []
    bodies: dict[str, tuple[str, bytes]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda request: requests.append(request.url))

        def keep(response) -> None:
            if urlsplit(response.url).netloc == host:
                # A redirect or an aborted response has no body.
                with contextlib.suppress(Exception):
                    bodies[response.url] = (response.headers.get("content-type", ""), response.body())

        page.on("response", keep)
        page.goto(f"http://{host}/posts/{POST}/", wait_until="networkidle")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
        page.wait_for_timeout(1000)
        browser.close()
    server.shutdown()
    text = [body for kind, body in bodies.values() if any(t in kind for t in TEXT_TYPES)]
    images = [body for kind, body in bodies.values() if kind.startswith("image/")]
    return {
        "requests": len(requests),
        "third-party": sum(1 for url in requests if urlsplit(url).netloc not in (host, "")),
        "text bytes": sum(len(body) for body in text),
        "text gzip": sum(len(gzip.compress(body, 6)) for body in text),
        "image bytes": sum(len(body) for body in images),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/README.md")
    args = parser.parse_args()
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
