"""Where a full build's time goes: `nikola build -n 0` (one process) of N generated posts under cProfile.

The build benchmark says how long; this says what for. Each stage is the cumulative time
of the function that does it, as a share of the whole profiled run (cProfile slows
Python code more than C code, so shares, not seconds, are the reading). The last line is
the same build timed without the profiler.

    .venv/bin/python benchmarks/profile_build.py [--posts 100] [--runs 1] [--write]

With `--no-op` the profiled build is a no-op one, after a full build of the same posts (and
its search index) untimed, with the record that build left removed first (plugins/build_stamp:
with it the build would stop at once): what every build that has something to do pays before
its first task runs, in the author's edit-build loop: start-up, task generation and doit's
up-to-date checks.

    .venv/bin/python benchmarks/profile_build.py --no-op --posts 400 [--write]

With `--tasks` nothing is profiled: a full `nikola build -n 0` with doit's JSON reporter,
whose time per task is summed by kind of task, and the wall time before the first task
(start-up, the scan, task generation). cProfile slows Python code several times more than C
code, so stages that are mostly C (Pillow's cards, lxml) look smaller under it than they are;
these are real seconds.

    .venv/bin/python benchmarks/profile_build.py --tasks --posts 400 [--write]
"""

from __future__ import annotations

import datetime
import json
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
from blog_build.search_index import settle  # noqa: E402

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
    ("link-preview cards (plugins/post_cards, Pillow)", "post_cards/post_cards.py", ("draw_cards",)),
    ("page-size report (plugins/page_size_report)", "page_size_report/page_size_report.py", ("print_report",)),
    ("search index: asking for it (pagefind runs after the build)", "blog_build/search_index.py", ("request",)),
]
CHECK = ("doit/dependency.py", "get_status")
# The same for a no-op build. Imports happen inside the other stages too (a plugin's module
# is imported while plugins load), so the shares add up to more than the whole.
NO_OP_STAGES = [
    ("importing modules (Nikola, doit, plugins, libraries)", "<frozen importlib._bootstrap>", ("_find_and_load",)),
    ("loading plugins (Nikola's plugin manager)", "nikola/nikola.py", ("init_plugins",)),
    ("scanning posts (plugins/scan_posts: models from cache/, Post objects)", "nikola/nikola.py", ("scan_posts",)),
    ("task generation (every plugin's gen_tasks, scanning included)", "nikola/__main__.py", ("load_tasks",)),
    ("  of which making each page task (generic_page_renderer)", "nikola/nikola.py", ("generic_page_renderer",)),
    ("doit's up-to-date checks (every task)", "doit/dependency.py", ("get_status",)),
    # (the last two: only what doit's check calls, as a function is called from elsewhere too)
    ("  of which digests of each task's settings (Nikola's config_changed)", "nikola/utils.py", ("__call__",), CHECK),
    ("  of which doit inspecting each uptodate callable (inspect.signature)", "inspect.py", ("signature",), CHECK),
]


def stage_times(profile: Path, stages: list[tuple]) -> tuple[float, list[tuple[str, float]]]:
    stats = pstats.Stats(str(profile)).stats
    total = max(cumulative for _, _, _, cumulative, _ in stats.values())
    found = []
    for label, file_end, functions, *called_from in stages:
        entries = [entry for (path, _, name), entry in stats.items() if path.endswith(file_end) and name in functions]
        if called_from:  # the cumulative time of the calls from that function only
            caller_end, caller = called_from[0]
            entries = [
                timing
                for entry in entries
                for (path, _, name), timing in entry[4].items()
                if path.endswith(caller_end) and name == caller
            ]
        found.append((label, sum(entry[3] for entry in entries)))
    return total, found


def profile_build(count: int, no_op: bool = False) -> str:
    build = [sys.executable, "-m", "nikola", "build", "-n", "0"]
    with tempfile.TemporaryDirectory(prefix=f"profile-build-{count}-") as temp:
        made = our_site(Path(temp) / "site", count)
        site = made.folder
        if no_op:
            subprocess.run(build, cwd=site, check=True, capture_output=True)
            settle(site / "cache")
            (site / "cache" / "build_stamp.json").unlink(missing_ok=True)  # or the build stops at the record
        profile = Path(temp) / "build.prof"
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *build[1:]]
        subprocess.run(command, cwd=site, check=True, capture_output=True)
        settle(site / "cache")
        total, stages = stage_times(profile, NO_OP_STAGES if no_op else STAGES)
        if not no_op:
            clean(made)
        (site / "cache" / "build_stamp.json").unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run(build, cwd=site, check=True, capture_output=True)
        plain = time.perf_counter() - started
        settle(site / "cache")
    kind = "no-op build" if no_op else "build"
    lines = [f"| stage ({count} posts, one process) | share of the {kind} | seconds profiled |", "|---|---|---|"]
    lines += [f"| {label} | {seconds / total:.0%} | {seconds:.2f} |" for label, seconds in stages]
    lines.append(f"| the whole {kind}: {total:.1f} s profiled, {plain:.1f} s without the profiler | 100% | |")
    return "\n".join(lines)


def task_times(count: int) -> str:
    """Seconds per kind of task in a full one-process build of `count` posts, from doit's JSON reporter."""
    with tempfile.TemporaryDirectory(prefix=f"task-times-{count}-") as temp:
        site = our_site(Path(temp) / "site", count).folder
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "nikola", "build", "-n", "0", "--reporter", "json"],
            cwd=site,
            check=True,
            capture_output=True,
            text=True,
        )
        whole = time.time() - started
        settle(site / "cache")
    log = done.stdout + done.stderr  # the reporter writes one JSON document among Nikola's lines
    tasks = json.JSONDecoder().raw_decode(log[log.index('{"tasks"') :])[0]["tasks"]
    by_kind: dict[str, list[float]] = {}
    for task in tasks:
        by_kind.setdefault(task["name"].split(":")[0], []).append(float(task.get("elapsed") or 0))
    # doit writes when each task started in UTC without saying so; a task it did not run has none
    begun = [datetime.datetime.fromisoformat(task["started"]) for task in tasks if task.get("started")]
    first = min(moment.replace(tzinfo=datetime.UTC).timestamp() for moment in begun)
    before = first - started
    lines = [f"| kind of task ({count} posts, one process) | tasks | seconds | share |", "|---|---|---|---|"]
    lines.append(f"| before the first task: start-up, scan, tasks made | - | {before:.2f} | {before / whole:.0%} |")
    for kind, times in sorted(by_kind.items(), key=lambda item: -sum(item[1])):
        if sum(times) >= 0.01:
            lines.append(f"| {kind} | {len(times)} | {sum(times):.2f} | {sum(times) / whole:.0%} |")
    lines.append(f"| the whole build | {len(tasks)} | {whole:.2f} | 100% |")
    return "\n".join(lines)


def benchmark(counts: list[int], _runs: int, no_op: bool = False) -> str:
    return "\n\n".join(profile_build(count, no_op) for count in counts)


READING = """
How to read it: rendering the notebooks is the largest stage, and more than half of it is
the work the floor does too (Pygments, mistune); the rest is nbconvert's nested Jinja
templates (every scoped block copies the template context) and its preprocessors. Nikola's
page rendering comes next: its templates, then the link rewriting of every page, which
visits only the elements that can hold a link (plugins/link_rewriting), so what is left of
it is working out each relative URL. The stages this site added (MathML, mostly latex2mathml
converting each formula, and the search index) and the teasers are small.
"""


NO_OP_READING = """
How to read it: a no-op build that goes the whole way (the last build's record removed)
renders nothing, so what is left is Nikola's start-up (imports and plugins), making the Post
objects again, every plugin generating its tasks and doit checking each task: what a build
with one edit pays besides its tasks. A plain no-op build stops at the record instead.
Seconds are the profiler's: Python code runs slower under cProfile than C code (imports,
file reads), so compare shares within one row's kind of work.
"""


TASKS_READING = """
How to read it: doit's own time for each task, summed by kind, in a build on one core (the
site's builds use both, so its wall time is about half); the time before the first task is
wall time. What is not in any row is doit starting and ending tasks and Nikola's filters run
between them.
"""


if __name__ == "__main__":
    if "--tasks" in sys.argv:
        sys.argv.remove("--tasks")
        main_with_posts(
            "Where a full build's time goes, by task",
            "profile_build.py --tasks",
            __doc__,
            lambda counts, runs: "\n\n".join(task_times(count) for count in counts),
            TASKS_READING,
            [400],
        )
    elif "--no-op" in sys.argv:
        sys.argv.remove("--no-op")
        main_with_posts(
            "Where a no-op build's time goes",
            "profile_build.py --no-op",
            __doc__,
            lambda counts, runs: benchmark(counts, runs, no_op=True),
            NO_OP_READING,
            [400],
        )
    else:
        main_with_posts("Where a full build's time goes", "profile_build.py", __doc__, benchmark, READING, [100])
