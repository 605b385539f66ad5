"""Save to screen: from writing a post's file to an open Chromium page showing the change.

For each N, benchmarks/generate_posts.py writes N notebook posts into a copy of this site
and into stock Nikola (`nikola init` with the ipynb compiler, as build_benchmark.py makes
them). Each site is built once, then served by its own `nikola auto` (this site's is what
`make serve` runs) on a free port of 127.0.0.1, and Debian's Chromium opens the newest
post's page. Three edits are timed, each written as Jupyter saves (jupyter_server's
atomic_writing: a `.~NAME` copy, NAME rewritten in place, the copy removed):

- markdown: new words in the first markdown cell of the notebook;
- output: a code cell's printed output changed (as after running it again);
- title: the `.. title:` line of the post's `.meta` file.

The clock starts when the file is written and stops when the page first paints a document
holding the new text: the page's own clock says when (`performance.timeOrigin` plus its first
contentful paint, kept in sessionStorage by a script Playwright adds to every document, so a
later reload does not move it). Playwright waits for the text through the reloads, but it
looks again only every 0.5 s once it has waited a while, which added up to half a second to
a sub-second edit; its own time is kept as the "seen" figure. Only one server runs at a time
(the machine has two cores); the sites take turns, run by run. Seconds are medians of --runs runs.
"Rebuilds" is how many builds the server started per edit (stock Nikola's watcher counts
its own builds' reads as changes, so after the first edit it rebuilds until stopped).

    .venv/bin/python benchmarks/preview_benchmark.py [--posts 20 100 400] [--runs 3] [--write]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from benchmarks.build_benchmark import BUILD_ENVIRONMENT, our_site, stock_site  # noqa: E402
from benchmarks.report import main_with_posts  # noqa: E402
from blog_build.search_index import STATE, settle  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

EDITS = ("markdown", "output", "title")
WANT = "text => { sessionStorage.setItem('benchmark-wanted', text); sessionStorage.removeItem('benchmark-shown'); }"
# In every document the benchmark's page loads: when the text the benchmark waits for
# (sessionStorage "benchmark-wanted") is first on screen, in epoch milliseconds, once.
PAINT_CLOCK = """
(() => {
  const note = (at) => {
    const wanted = sessionStorage.getItem("benchmark-wanted");
    if (!wanted || sessionStorage.getItem("benchmark-shown") || !document.body) return;
    if (document.body.textContent.includes(wanted)) sessionStorage.setItem("benchmark-shown", String(at));
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name === "first-contentful-paint") note(performance.timeOrigin + entry.startTime);
    }
  }).observe({type: "paint", buffered: true});
  // a document that painted before its text arrived: the moment the text is there
  addEventListener("load", () => note(performance.timeOrigin + performance.now()));
})();
"""
WAIT_SECONDS = 300  # for a server to start or a page to change: a bound, not a measurement


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`nikola auto` in `site`, its output in a file; stopped with its process group."""

    def __init__(self, site: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = site.parent / f"{site.name}-auto.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nikola", "auto", "--port", str(self.port)],
                cwd=site,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=BUILD_ENVIRONMENT,
            )
        deadline = time.monotonic() + WAIT_SECONDS
        while "Serving on" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"nikola auto did not start in {site}:\n{self.log()[-2000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", errors="replace")

    def rebuilds(self) -> int:
        return self.log().count("REBUILDING SITE")

    def idle(self) -> None:
        """Wait until no build runs (every build started has said how it ended), 15 s at most.

        Stock Nikola, rebuilding for its own reads, never stops: it gets the 15 s.
        """
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            builds = self.log().split("REBUILDING SITE")[1:]
            if all("Rebuild successful" in build or "failed" in build for build in builds):
                return
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def save_like_jupyter(path: Path, text: str) -> None:
    backup = path.with_name(".~" + path.name)
    shutil.copy2(path, backup)
    with path.open("w", encoding="utf-8", newline="\n") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    backup.unlink()


def newest_post(site: Path) -> Path:
    """The notebook of the post with the latest date: the one on the front page and in the feeds."""
    dated = {}
    for meta in (site / "posts").glob("*.meta"):
        dated[re.search(r"^\.\. date: (.*)$", meta.read_text(), re.M).group(1)] = meta.with_suffix(".ipynb")
    return dated[max(dated)]


def expected_text(kind: str, label: str) -> str:
    """The text the page shows once it has the edit of `kind` made with `label`."""
    return f"Retitled {label}" if kind == "title" else f"Edited {label}"


def edit(notebook: Path, kind: str, label: str) -> str:
    """Write one edit of `kind` to the post; the text the page shows once it has it."""
    if kind == "title":
        meta = notebook.with_suffix(".meta")
        title = expected_text(kind, label)
        save_like_jupyter(meta, re.sub(r"^\.\. title: .*$", f".. title: {title}", meta.read_text(), flags=re.M))
        return title
    content = json.loads(notebook.read_text(encoding="utf-8"))
    words = expected_text(kind, label)
    if kind == "markdown":
        cell = next(cell for cell in content["cells"] if cell["cell_type"] == "markdown")
        cell["source"] = f"{words}.\n\n" + "".join(cell["source"])
    else:
        cell = next(cell for cell in content["cells"] if cell["cell_type"] == "code" and cell["outputs"])
        cell["outputs"][0]["text"] = f"{words}\n"
    save_like_jupyter(notebook, json.dumps(content, indent=1) + "\n")
    return words


def evaluate(page: Page, script: str, argument: object = None) -> object:
    """`script` run in the page, again if a reload destroyed the document it ran in (stock Nikola
    reloads its pages without end); sessionStorage is the tab's, so the next document sees the same."""
    for _ in range(50):
        try:
            return page.evaluate(script, argument)
        except PlaywrightError:
            time.sleep(0.1)
    return page.evaluate(script, argument)


def shown_at(page: Page) -> float | None:
    """When (epoch seconds) the page first painted a document with the text it waits for, by its own clock.

    Playwright may see the text laid out a moment before that document's paint is reported (or
    its load event fires), so the value is waited for, 10 s at most.
    """
    deadline = time.monotonic() + 10
    while True:
        value = evaluate(page, "() => sessionStorage.getItem('benchmark-shown')")
        if value or time.monotonic() > deadline:
            return float(value) / 1000 if value else None
        time.sleep(0.02)


def measure_site(browser: Browser, site: Path, label: str, samples: dict[str, list], rebuilds: list[int]) -> None:
    """Start the site's server, time each kind of edit once on the open page, stop the server."""
    notebook = newest_post(site)
    server = Server(site)
    try:
        page: Page = browser.new_page()
        page.add_init_script(PAINT_CLOCK)
        page.goto(f"{server.url}/posts/{notebook.stem}/", wait_until="load")
        for kind in EDITS:
            server.idle()
            time.sleep(1)  # any reload still under way has landed
            before = server.rebuilds()
            label_of_edit = f"{label} {kind}"
            text = expected_text(kind, label_of_edit)
            evaluate(page, WANT, text)
            started = time.time()
            edit(notebook, kind, label_of_edit)
            try:
                page.get_by_text(text).first.wait_for(timeout=WAIT_SECONDS * 1000)
            except PlaywrightTimeout:
                name = f"preview-benchmark-{site.name}-{label}-{kind}.log".replace(" ", "-")
                kept = shutil.copy(server.log_path, Path(tempfile.gettempdir(), name))
                raise SystemExit(f"{site}: the {kind} edit ({label}) never showed; server log: {kept}") from None
            seen = time.time() - started
            shown = shown_at(page)
            if shown is None:
                raise SystemExit(f"{site}: the {kind} edit ({label}) showed without a reload the page could time")
            samples[kind].append(shown - started)
            samples[f"{kind} seen"].append(seen)
            time.sleep(2)
            rebuilds.append(server.rebuilds() - before)
        page.close()
    finally:
        server.stop()
        # this site's last build may have left its search indexer running, writing in output/
        if (site / "cache" / STATE / "job.json").exists():
            settle(site / "cache")


def benchmark(counts: list[int], runs: int) -> str:
    lines = [
        "| posts | edit | stock `nikola auto`, s | `make serve`, s | ours / stock | seen by Playwright: stock, ours |",
        "|---|---|---|---|---|---|",
    ]
    rebuild_lines = ["| posts | stock, builds started per edit | ours |", "|---|---|---|"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for count in counts:
            with tempfile.TemporaryDirectory(prefix=f"preview-bench-{count}-") as temp:
                made = {"stock": stock_site(Path(temp) / "stock", count), "ours": our_site(Path(temp) / "ours", count)}
                sites = {name: site.folder for name, site in made.items()}
                for site in sites.values():
                    subprocess.run(
                        [sys.executable, "-m", "nikola", "build"],
                        cwd=site,
                        check=True,
                        capture_output=True,
                        env=BUILD_ENVIRONMENT,
                    )
                samples = {name: {key: [] for kind in EDITS for key in (kind, f"{kind} seen")} for name in sites}
                rebuilds: dict[str, list[int]] = {name: [] for name in sites}
                for run in range(runs):
                    for name in list(sites)[:: 1 if run % 2 == 0 else -1]:
                        measure_site(browser, sites[name], f"run {run}", samples[name], rebuilds[name])
            for kind in EDITS:
                stock, ours, stock_seen, ours_seen = (
                    statistics.median(samples[name][key])
                    for key in (kind, f"{kind} seen")
                    for name in ("stock", "ours")
                )
                seen = f"{stock_seen:.2f}, {ours_seen:.2f}"
                lines.append(f"| {count} | {kind} | {stock:.2f} | {ours:.2f} | {ours / stock:.2f}x | {seen} |")
            stock_builds, our_builds = (statistics.mean(rebuilds[name]) for name in ("stock", "ours"))
            rebuild_lines.append(f"| {count} | {stock_builds:.1f} | {our_builds:.1f} |")
            print(*lines[-3:], rebuild_lines[-1], sep="\n", flush=True)
        browser.close()
    builds = "Builds each server started per edit (counted until 2 s after the page changed):"
    return "\n".join(lines) + f"\n\n{builds}\n\n" + "\n".join(rebuild_lines)


READING = """
How to read it: ours renders the edited post's page inside the preview's process (the
README's "Previewing"; `plugins/auto/post_pages.py`): the time is the 0.1 s the watcher
waits for the writes to pause, scanning every post again, rendering the notebook and the
page, and the page reloading; the full `nikola build` that follows (index, tag and archive
pages, feeds, search index) is not on this clock. The markdown edit is each new server's first
edit; what a first render pays once (nbconvert's exporter, the templates, the page's
filters) the preview pays in the background after its first build, by rendering the newest
post, and what a first model pays (the schema's validator, the safety checks' parser) beside
that build, by making one notebook's model it does not keep. Stock `nikola auto` runs a
whole `nikola build` in a new process for each change, and its watcher takes its own builds'
reads for changes, so from the first edit on it rebuilds without end (the "builds started
per edit" table) and an edit waits for the build under way.
"""


if __name__ == "__main__":
    main_with_posts("Save to screen", "preview_benchmark.py", __doc__, benchmark, READING, [20, 100, 400])
