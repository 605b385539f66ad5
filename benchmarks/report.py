"""Record a benchmark's table in benchmarks/README.md, replacing that benchmark's earlier section."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
from collections.abc import Callable
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}"


def replace_section(name: str, table: str, command: str, reading: str = "") -> None:
    """Write `## name` with the table, the command, the date and how to read it; keep every other section."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    today = datetime.date.today().isoformat()
    section = f"## {name}\n\nMeasured {today} on {machine()} with {command}:\n\n{table}\n"
    if reading:
        section += f"\n{reading.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main_with_posts(
    name: str, script: str, doc: str, benchmark: Callable[[list[int], int], str], reading: str, posts: list[int]
) -> None:
    """Command line of a benchmark run over numbers of posts: --posts N..., --runs, --write."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=posts)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/README.md")
    args = parser.parse_args()
    table = benchmark(args.posts, args.runs)
    print(table)
    if args.write:
        counts = " ".join(map(str, args.posts))
        command = f"`.venv/bin/python benchmarks/{script} --posts {counts} --runs {args.runs}`"
        replace_section(name, table, command, reading)
