"""Build speed: this site against stock Nikola, Sphinx + ABlog and the floor, on the same posts.

For each N, benchmarks/generate_posts.py writes N notebook posts into
(a) a copy of this site (its conf.py, theme and plugins; the blog's own posts left out),
(b) stock Nikola: `nikola init` with the ipynb compiler added to POSTS, nothing else changed, and
(c) the peer, Sphinx + ABlog + MyST-NB (the Sphinx route to a notebook blog): a minimal ABlog
site (PEER_CONF: alabaster, ABlog's blog, archive and tag pages and Atom feeds, notebooks not
executed), each notebook's `.meta` moved into its notebook metadata, where ABlog reads it.
Each is timed for a full build, a no-op rebuild, a rebuild after editing one markdown cell
of one post, and (the two Nikola sites) a full build with `-n 2`; the peak memory of the
full build is recorded. This site writes its search index after the build returns: the
full and one-edit builds are also timed until it is written, and every build waits for it
before the next one starts. After each build the posts' pages are counted (and the edit looked
for in its page), so a broken build cannot pass as a fast one.
The floor is one Python process doing only the unavoidable work for the same notebooks:
parse the JSON, render the markdown (mistune), highlight the code (Pygments), write HTML.
Seconds are medians of --runs runs; the sites take turns, run by run, each going first in
turn, so that the drift of this shared machine's speed falls on all of them.

The peer runs from benchmarks/.peer-venv/, which the benchmark makes itself from
requirements/peer-benchmark.lock (`pip install --require-hashes --no-deps`), apart from .venv.

Quarto is not measured: `pip install quarto-cli` builds from a source package that
downloads the Quarto binary from GitHub, which the network here refuses.

With `--baseline REV` the baseline is this site as it was at git revision REV (checked out
into a temporary worktree) instead of stock Nikola and the peer: the same posts, the same
scenarios, for telling whether a change made the build faster or slower. Its table is
recorded in its own section.

    .venv/bin/python benchmarks/build_benchmark.py [--posts 20 100 400] [--runs 3] [--write]
    .venv/bin/python benchmarks/build_benchmark.py --baseline e79061f --posts 400 [--write]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.generate_posts import write_posts  # noqa: E402
from benchmarks.report import main_with_posts  # noqa: E402
from blog_build.search_index import STATE, settle  # noqa: E402

from conftest import copy_site  # noqa: E402

# "..., index written": until the search index is written too, which this site does after
# the build returns (blog_build/search_index.py); a site that indexes in its build, or has
# no search, has its build's time there.
SCENARIOS = ("full", "full, index written", "no-op", "one edit", "one edit, index written", "full, -n 2")
NIKOLA_STATE = ("output", "cache", ".doit.db", ".doit.db.dat", ".doit.db.dir", ".doit.db.bak", ".doit.db.db")
# Every site is built as on an author's machine, where Python keeps the bytecode of the modules
# it compiles (__pycache__): this machine's environment sets PYTHONDONTWRITEBYTECODE, which made
# every build compile the site's own plugins and modules again (0.07 s of a 400-post no-op).
BUILD_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
PEER_VENV = ROOT / "benchmarks" / ".peer-venv"
PEER_LOCK = ROOT / "requirements" / "peer-benchmark.lock"
# A minimal ABlog site with what a blog has: post pages, the blog's list of posts, archive
# and tag pages, Atom feeds for the blog and for each tag and archive (as Nikola writes RSS
# and Atom per tag). The notebooks' outputs are shown as saved, as in the Nikola sites.
PEER_CONF = """\
project = "Generated posts"
extensions = ["myst_nb", "ablog"]
nb_execution_mode = "off"
blog_post_pattern = "posts/*"
blog_title = "Generated posts"
blog_baseurl = "https://blog.example.org/"
blog_feed_archives = True
post_date_format = "%Y-%m-%d %H:%M"
# the notebook's "title" metadata becomes the page's <h1>, as Nikola shows the title
myst_title_to_header = True
html_theme = "alabaster"
exclude_patterns = ["_build"]
"""
PEER_INDEX = """\
# Generated posts

```{postlist} 10
:excerpts:
```
"""


@dataclass(frozen=True)
class Site:
    """One site under test: the command that builds it, what a clean build removes, where post pages land."""

    folder: Path
    command: tuple[str, ...]
    state: tuple[str, ...]
    post_page: str  # the page of post SLUG, relative to folder
    # the page that must link every post (the peer's: proof that ABlog took each notebook for a post)
    post_list: str | None = None
    parallel_option: tuple[str, ...] | None = None  # how to build on two cores; None: not measured


def nikola_site(folder: Path) -> Site:
    return Site(
        folder,
        (sys.executable, "-m", "nikola", "build"),
        NIKOLA_STATE,
        "output/posts/{slug}/index.html",
        parallel_option=("-n", "2"),
    )


def our_site(folder: Path, count: int) -> Site:
    site = copy_site(folder, posts=())
    write_posts(site / "posts", count)
    return nikola_site(site)


def revision_site(folder: Path, count: int, revision: str) -> Site:
    """This site's sources as they were at git `revision`, with the generated posts."""
    checkout = folder.with_name(folder.name + "-checkout")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(checkout), revision], check=True)
    try:
        copy_site(folder, posts=(), root=checkout)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=True)
    write_posts(folder / "posts", count)
    return nikola_site(folder)


def stock_site(folder: Path, count: int) -> Site:
    subprocess.run([sys.executable, "-m", "nikola", "init", "-q", str(folder)], check=True, capture_output=True)
    conf = folder / "conf.py"
    conf.write_text(
        conf.read_text().replace("POSTS = (\n", 'POSTS = (\n    ("posts/*.ipynb", "posts", "post.tmpl"),\n', 1)
    )
    write_posts(folder / "posts", count)
    return nikola_site(folder)


def peer_python() -> Path:
    """The peer's interpreter in benchmarks/.peer-venv/, made anew whenever peer-benchmark.lock changes."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / "installed-lock.sha256"
    wanted = hashlib.sha256(PEER_LOCK.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    print(f"installing the peer into {PEER_VENV.relative_to(ROOT)} from {PEER_LOCK.relative_to(ROOT)}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    install = [str(python), "-m", "pip", "install", "-q", "--require-hashes", "--no-deps", "-r", str(PEER_LOCK)]
    subprocess.run(install, check=True)
    stamp.write_text(wanted)
    return python


def peer_site(folder: Path, count: int) -> Site:
    """Sphinx + ABlog + MyST-NB on the generated notebooks, each `.meta` moved into its notebook's metadata."""
    for notebook_path in write_posts(folder / "posts", count):
        meta_path = notebook_path.with_suffix(".meta")
        meta = dict(re.findall(r"^\.\. (\w+): (.*)$", meta_path.read_text(), re.M))
        notebook = json.loads(notebook_path.read_text())
        notebook["metadata"].update(
            blogpost=True, title=meta["title"], date=meta["date"].removesuffix(" UTC"), tags=meta["tags"]
        )
        notebook_path.write_text(json.dumps(notebook, indent=1))
        meta_path.unlink()
    (folder / "conf.py").write_text(PEER_CONF)
    (folder / "index.md").write_text(PEER_INDEX)
    return Site(
        folder,
        (str(peer_python()), "-m", "sphinx", "-q", "-b", "html", ".", "_build/html"),
        ("_build",),
        "_build/html/posts/{slug}.html",
        post_list="_build/html/blog.html",
    )


def clean(site: Site) -> None:
    for name in site.state:
        path = site.folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def build(site: Site, *args: str) -> tuple[float, int]:
    """Seconds and peak resident memory (MB) of one build."""
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *site.command, *args],
        cwd=site.folder,
        capture_output=True,
        text=True,
        env=BUILD_ENVIRONMENT,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed in {site.folder}:\n{result.stderr[-2000:]}")
    return seconds, int(result.stderr.strip().splitlines()[-1]) // 1024


def index_written(site: Site) -> float:
    """Seconds from the build's return until the search index it asked for is written (0 if none is pending).

    Every build is followed by this, so the next build is timed alone, not waiting for an indexer.
    """
    if not (site.folder / "cache" / STATE / "job.json").exists():
        return 0.0
    started = time.perf_counter()
    failure = settle(site.folder / "cache")
    if failure:
        raise SystemExit(f"{site.folder}: {failure}")
    return time.perf_counter() - started


def check_built(site: Site, count: int, edit: str | None = None) -> None:
    """Stop the benchmark unless every post has its page (and the edited post's page shows `edit`)."""
    slugs = [f"generated-{n:04d}" for n in range(count)]
    missing = [slug for slug in slugs if not (site.folder / site.post_page.format(slug=slug)).exists()]
    if site.post_list:
        listed = (site.folder / site.post_list).read_text(encoding="utf-8")
        missing += [f"{slug} (not in {site.post_list})" for slug in slugs if f"{slug}.html" not in listed]
    if edit is not None:
        page = site.folder / site.post_page.format(slug=slugs[0])
        if edit not in page.read_text(encoding="utf-8"):
            missing.append(f"{slugs[0]} (the edit {edit!r} is not on its page)")
    if missing:
        raise SystemExit(f"{site.folder}: {len(missing)} of {count} posts not built: {', '.join(missing[:5])}")


def edit_one_post(site: Site, run: int) -> str:
    """Append a sentence to the first markdown cell of the first post; return the sentence."""
    path = sorted((site.folder / "posts").glob("*.ipynb"))[0]
    notebook = json.loads(path.read_text())
    sentence = f"Edited in run {run}."
    notebook["cells"][0]["source"] += " " + sentence
    path.write_text(json.dumps(notebook, indent=1))
    return sentence


def measure_round(site: Site, count: int, run: int, samples: dict[str, list[float]]) -> None:
    """One of each build, in order: full, no-op, one edit, then full on two cores."""
    clean(site)
    seconds, peak = build(site)
    samples["full"].append(seconds)
    samples["full, index written"].append(seconds + index_written(site))
    check_built(site, count)
    samples["memory"].append(peak)
    samples["no-op"].append(build(site)[0] + index_written(site))
    check_built(site, count)
    sentence = edit_one_post(site, run)
    seconds = build(site)[0]
    samples["one edit"].append(seconds)
    samples["one edit, index written"].append(seconds + index_written(site))
    check_built(site, count, sentence)
    if site.parallel_option:
        clean(site)
        samples["full, -n 2"].append(build(site, *site.parallel_option)[0])
        index_written(site)
        check_built(site, count, sentence)


def measure(sites: dict[str, Site], count: int, runs: int) -> dict[str, dict[str, float]]:
    """Medians per site; the sites take turns, each run starting one site later, so drift hits all."""
    samples = {name: {scenario: [] for scenario in (*SCENARIOS, "memory")} for name in sites}
    names = list(sites)
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            measure_round(sites[name], count, run, samples[name])
            # each run's figures, so that a run slowed by the machine shows in the log
            timed = ", ".join(f"{s} {v[-1]:.1f} s" for s, v in samples[name].items() if s != "memory" and v)
            print(f"{count} posts, run {run + 1}, {name}: {timed}", flush=True)
    return {
        name: {**{s: statistics.median(v[s]) for s in SCENARIOS if v[s]}, "memory": max(v["memory"])}
        for name, v in samples.items()
    }


def floor(posts: Path) -> float:
    """Only the unavoidable work: read, render markdown, highlight code, write HTML."""
    import mistune
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    markdown = mistune.create_markdown()
    lexer, formatter = get_lexer_by_name("ipython"), HtmlFormatter()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        for path in sorted(posts.glob("*.ipynb")):
            notebook = json.loads(path.read_text())
            parts = []
            for cell in notebook["cells"]:
                if cell["cell_type"] == "markdown":
                    parts.append(markdown(cell["source"]))
                else:
                    parts.append(highlight(cell["source"], lexer, formatter))
                    for output in cell.get("outputs", []):
                        parts.append(output.get("text") or output.get("data", {}).get("text/html", ""))
            Path(out, path.stem + ".html").write_text("\n".join(parts))
        return time.perf_counter() - started


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def benchmark(counts: list[int], runs: int, baseline: str | None = None) -> str:
    label = f"at {baseline}" if baseline else "stock Nikola"
    with_peer = baseline is None
    peer = ["Sphinx + ABlog, s"] if with_peer else []
    header = ["posts", "build", f"{label}, s", *peer, "this site, s", "this / baseline" if baseline else "this / stock"]
    header += ["this / Sphinx"] if with_peer else []
    header += ["s per post", "floor, s", "this / floor"]
    lines = [row(header), "|" + "---|" * len(header)]
    memory_header = [
        "posts",
        f"{label}, peak MB",
        *(["Sphinx + ABlog, peak MB"] if with_peer else []),
        "this site, peak MB",
    ]
    memory_lines = [row(memory_header), "|" + "---|" * len(memory_header)]
    for count in counts:
        with tempfile.TemporaryDirectory(prefix=f"build-bench-{count}-") as temp:
            ours_site = our_site(Path(temp) / "ours", count)
            other = Path(temp) / "baseline"
            base = revision_site(other, count, baseline) if baseline else stock_site(other, count)
            sites = {"stock": base, "ours": ours_site}
            if with_peer:
                sites["peer"] = peer_site(Path(temp) / "peer", count)
            results = measure(sites, count, runs)
            bottom = statistics.median(floor(ours_site.folder / "posts") for _ in range(runs))
        stock, ours = results["stock"], results["ours"]
        for scenario in SCENARIOS:
            full = scenario.startswith("full")
            cells = [str(count), scenario, f"{stock[scenario]:.1f}"]
            # the peer is not timed on two cores: ABlog is not safe for Sphinx's parallel reading
            peer_timed = with_peer and scenario in results["peer"]
            if with_peer:
                cells.append(f"{results['peer'][scenario]:.1f}" if peer_timed else "-")
            cells += [f"{ours[scenario]:.1f}", f"{ours[scenario] / stock[scenario]:.2f}x"]
            if with_peer:
                cells.append(f"{ours[scenario] / results['peer'][scenario]:.2f}x" if peer_timed else "-")
            cells += [f"{ours[scenario] / count:.3f}", f"{bottom:.1f}" if full else "-"]
            cells.append(f"{ours[scenario] / bottom:.1f}x" if full else "-")
            lines.append(row(cells))
        memory = [str(count), str(stock["memory"]), *([str(results["peer"]["memory"])] if with_peer else [])]
        memory_lines.append(row([*memory, str(ours["memory"])]))
        print(*lines[-len(SCENARIOS) :], memory_lines[-1], sep="\n", flush=True)
    return "\n".join(lines) + "\n\nPeak memory of a full build (`/usr/bin/time -f %M`):\n\n" + "\n".join(memory_lines)


READING = """
How to read it: "full" is a plain build of each: this site builds on both cores
(`DOIT_CONFIG` in conf.py), stock Nikola and Sphinx on one; "full, -n 2" gives the Nikola
sites two. Sphinx + ABlog is not timed with `-j 2`: ABlog is not safe for Sphinx's parallel
reading, so Sphinx reads serially anyway, and `-j 2` was slower in a trial by hand (100
posts: 10.7 s against 7.6 s). Every site is built with Python's bytecode cache
(`BUILD_ENVIRONMENT`), the three sites taking turns, each going first in turn; this shared
machine's speed drifts with its host's load, so compare within a table, not across tables.
The peer is Sphinx + ABlog + MyST-NB at the versions of requirements/peer-benchmark.lock.

Quarto is not in the table: `pip install quarto-cli` (1.10.19, tried 2026-11-25) is a source
package whose build downloads the Quarto binary from GitHub, which this network refuses.
"""


if __name__ == "__main__":
    if "--baseline" in sys.argv:
        at = sys.argv.index("--baseline")
        revision = sys.argv[at + 1]
        del sys.argv[at : at + 2]
        main_with_posts(
            f"Build speed against the site at {revision}",
            f"build_benchmark.py --baseline {revision}",
            __doc__,
            lambda counts, runs: benchmark(counts, runs, revision),
            "",
            [400],
        )
    else:
        main_with_posts("Build speed", "build_benchmark.py", __doc__, benchmark, READING, [20, 100, 400])
