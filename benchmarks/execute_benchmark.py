"""Executed posts: a full build with a cold cache against one with a warm cache, same run.

For N generated posts marked `.. execute: true` (a few quick code cells each), in a copy of
the site:

- cold: no output/, no cache/: every post starts a kernel;
- warm: no output/ and no doit state, but cache/executed kept: no kernel starts.

Both build with `-n 2`. Seconds are medians of --runs runs.

    .venv/bin/python benchmarks/execute_benchmark.py [--posts 5 20] [--runs 3] [--write]
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.report import main_with_posts  # noqa: E402

from conftest import copy_site  # noqa: E402

CODE = [
    "import math\nvalues = [math.sqrt(n) for n in range({n}, {n} + 1000)]",
    "print(f'sum of roots: {{sum(values):.3f}}')",
    "sorted(values)[:3]",
]


def add_executed_posts(site: Path, count: int) -> None:
    for n in range(count):
        cells = [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": f"Post number {n}."}]
        cells += [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source.format(n=n),
            }
            for i, source in enumerate(CODE)
        ]
        notebook = {
            "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (site / "posts" / f"run-{n:03d}.ipynb").write_text(json.dumps(notebook))
        (site / "posts" / f"run-{n:03d}.meta").write_text(
            f".. title: Executed {n}\n.. slug: run-{n:03d}\n.. date: 2020-01-01 00:00:{n % 60:02d} UTC\n"
            ".. tags: bench\n.. description: generated\n.. execute: true\n"
        )


def timed_build(site: Path, keep_cache: bool) -> float:
    for leftover in ("output", ".doit.db", ".doit.db.dat", ".doit.db.dir", ".doit.db.bak"):
        path = site / leftover
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    if not keep_cache:
        shutil.rmtree(site / "cache", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nikola", "build", "-n", "2"], cwd=site, check=True, capture_output=True)
    return time.perf_counter() - started


def benchmark(post_counts: list[int], runs: int) -> str:
    lines = [
        "| executed posts | cold cache, s | warm cache, s | warm / cold |",
        "|---|---|---|---|",
    ]
    for count in post_counts:
        with tempfile.TemporaryDirectory(prefix="execute-bench-") as temp:
            site = copy_site(Path(temp) / "site")
            add_executed_posts(site, count)
            cold, warm = [], []
            for _ in range(runs):
                cold.append(timed_build(site, keep_cache=False))
                warm.append(timed_build(site, keep_cache=True))
            cold_s, warm_s = statistics.median(cold), statistics.median(warm)
            lines.append(f"| {count} (+2 of the blog's) | {cold_s:.1f} | {warm_s:.1f} | {warm_s / cold_s:.2f} |")
    return "\n".join(lines)


READING = """
The warm build starts no kernel: the outputs come from cache/executed, keyed by the code
cells, the kernel name and requirements/site.lock. What remains is rendering the site.
"""


if __name__ == "__main__":
    main_with_posts("Executed posts", "execute_benchmark.py", __doc__, benchmark, READING, [5, 20])
