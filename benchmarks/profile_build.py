"""Where a full build's time goes: `nikola build -n 0` (one process) of N generated posts under cProfile.

The build benchmark says how long; this says what for. Each stage is the cumulative time
of the function that does it, as a share of the whole profiled run (cProfile slows
Python code more than C code, so shares, not seconds, are the reading). The last line is
the same build timed without the profiler.

    .venv/bin/python benchmarks/profile_build.py [--posts 100] [--runs 1] [--write]
"""

from __future__ import annotations

import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.build_benchmark import clean, our_site  # noqa: E402
from benchmarks.report import main_with_posts  # noqa: E402

# (stage, file name ending, function names); a stage inside another is indented.
STAGES = [
    ("start-up and task generation (scan posts, dependencies)", "nikola/__main__.py", ("load_tasks",)),
    ("notebook models: read, checked, images (blog_build)", "blog_build/pipeline.py", ("prepare", "model")),
    ("render notebooks (plugins/ipynb, nbconvert)", "ipynb/ipynb.py", ("render_post",)),
    ("  of which highlighting code (Pygments)", "pygments/__init__.py", ("highlight",)),
    ("  of which markdown cells (mistune)", "nbconvert/exporters/html.py", ("markdown2html",)),
    ("  of which checking the notebook schema (nbformat)", "nbformat/validator.py", ("validate",)),
    ("pages and index pages (Nikola's templates)", "nikola/nikola.py", ("render_template",)),
    ("  of which rewriting every link (lxml)", "nikola/nikola.py", ("rewrite_links",)),
    ("  of which teasers for index pages", "scan_posts/teasers.py", ("text",)),
    ("feeds (RSS, Atom)", "nikola/nikola.py", ("generic_rss_renderer", "atom_feed_renderer")),
    ("maths to MathML (plugins/mathml)", "mathml/mathml.py", ("mathml_filter",)),
    ("search index (pagefind, a separate program)", "search_index/search_index.py", ("build_index",)),
]


def stage_times(profile: Path) -> tuple[float, list[tuple[str, float]]]:
    stats = pstats.Stats(str(profile)).stats
    total = max(cumulative for _, _, _, cumulative, _ in stats.values())
    found = []
    for label, file_end, functions in STAGES:
        seconds = sum(
            entry[3] for (path, _, name), entry in stats.items() if path.endswith(file_end) and name in functions
        )
        found.append((label, seconds))
    return total, found


def profile_build(count: int) -> str:
    with tempfile.TemporaryDirectory(prefix=f"profile-build-{count}-") as temp:
        site = our_site(Path(temp) / "site", count)
        profile = Path(temp) / "build.prof"
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "nikola", "build", "-n", "0"]
        subprocess.run(command, cwd=site, check=True, capture_output=True)
        total, stages = stage_times(profile)
        clean(site)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nikola", "build", "-n", "0"], cwd=site, check=True, capture_output=True)
        plain = time.perf_counter() - started
    lines = [f"| stage ({count} posts, one process) | share of the build |", "|---|---|"]
    lines += [f"| {label} | {seconds / total:.0%} |" for label, seconds in stages]
    lines.append(f"| the whole build: {total:.1f} s profiled, {plain:.1f} s without the profiler | 100% |")
    return "\n".join(lines)


def benchmark(counts: list[int], _runs: int) -> str:
    return "\n\n".join(profile_build(count) for count in counts)


READING = """
How to read it: rendering the notebooks is the largest stage, and more than half of it is
the work the floor does too (Pygments, mistune); the rest is nbconvert's nested Jinja
templates (every scoped block copies the template context) and its preprocessors. Nikola's
page rendering comes next: its templates, then the link rewriting of every page, which
visits only the elements that can hold a link (plugins/link_rewriting), so what is left of
it is working out each relative URL. The stages this site added (MathML, mostly latex2mathml
converting each formula, and the search index) and the teasers are small.
"""


if __name__ == "__main__":
    main_with_posts("Where a full build's time goes", "profile_build.py", __doc__, benchmark, READING, [100])
