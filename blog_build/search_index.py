"""The search index: pagefind indexes the pages after `nikola build` has returned.

pagefind cannot add a page to an index it wrote before, so every index is made from all the
searchable pages: at 400 posts 0.6 s on a quiet machine (1.05 s of CPU on two cores), about
half of it parsing the pages and the rest building and writing the index; starting it costs
0.02 s. Feeding its indexing service text records kept per page instead (`add_custom_record`)
skips only the parsing, and measured no faster: the service takes requests one at a time
(400 records 0.25 s) where its command line parses on every core, and building and writing
(0.4-0.55 s) stay; the Python wrapper on PyPI also waits 0.1 s before reading each reply.
So that one edited post does not wait for the other pages to be indexed again, the build
only writes down what to index (a *job*: the pages, in CACHE/search_index/job.json) and
starts a detached indexer (`python -m blog_build.search_index CACHE`). The indexer takes the
lock, indexes into a new folder beside output/pagefind, puts it in place (so no fragment of
an older index is left behind), records the files it wrote and marks the job done.

Whatever needs the index the last build asked for calls `settle`: it waits for the lock and
runs the job itself if no indexer has yet (which then finds nothing to do). Every Nikola
command that loads tasks settles first (the next build, `nikola check`), and so does the
deploy; a failed indexing is reported there, as one line. The lock is `fcntl.flock`: POSIX
systems only, as the rest of the build's tooling (make, the CI's Debian).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from blog_build import output_tree

# Navigation, tags, the byline and the notebook tool links are on every page: not worth
# finding (searching the author's name found every post).
IGNORED = ".postpromonav, .nb-tools, .byline, #header, #footer"
STATE = "search_index"  # folder of the cache holding the job, the lock and what became of the job
TASK = "search_index"  # the name its written files are recorded under (blog_build.output_tree)


def pagefind_command(output: str, pages: list[str], index: str) -> list[str]:
    """The pagefind call indexing `pages` (paths relative to `output`) into the folder `index`."""
    return [
        sys.executable, "-m", "pagefind",
        "--site", output,
        "--output-path", index,
        "--glob", "{" + ",".join(pages) + "}",
        "--root-selector", "main",
        "--exclude-selectors", IGNORED,
        "--quiet",
    ]  # fmt: skip


def build_index(root: Path, output: str, pages: list[str], cache: Path) -> str | None:
    """Index `pages` into a new folder, put it in place of output/pagefind, record its files; the error, if any.

    `output` is relative to the site's folder `root`, as the build's tasks name it.
    """
    final, staged, old = (root / output / name for name in ("pagefind", ".pagefind.new", ".pagefind.old"))
    for leftover in (staged, old):
        shutil.rmtree(leftover, ignore_errors=True)
    result = subprocess.run(pagefind_command(output, pages, str(staged)), cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(staged, ignore_errors=True)
        # one line: pagefind prints its message to both streams, over two lines
        lines = dict.fromkeys(line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip())
        return f"pagefind could not index {output}: {' '.join(lines) or f'exit status {result.returncode}'}"
    if final.exists():
        os.replace(final, old)
    os.replace(staged, final)
    shutil.rmtree(old, ignore_errors=True)
    written = [os.path.join(output, "pagefind", str(path.relative_to(final))) for path in final.rglob("*")]
    output_tree.record_written(cache, TASK, [path for path in written if (root / path).is_file()])
    return None


def write_json(path: Path, value: object) -> None:
    """Write `path` whole or not at all (an indexer may read it at any moment)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(value), encoding="utf-8")
    os.replace(temporary, path)


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def request(output: str, pages: list[str], cache: str) -> None:
    """Ask for an index of `pages` (relative to `output`): write the job and start a detached indexer.

    Run in the site's folder, where `output` and `cache` are. The indexer gets no handle of
    this process (its output goes nowhere), so a caller waiting for this process to close
    its pipes, as `subprocess.run` does, is not kept waiting for the indexer.
    """
    state = Path(cache, STATE)
    state.mkdir(parents=True, exist_ok=True)
    # A new id for every build that asks: the same pages may have new content.
    write_json(state / "job.json", {"id": uuid.uuid4().hex, "root": os.getcwd(), "output": output, "pages": pages})
    subprocess.Popen(
        [sys.executable, "-m", "blog_build.search_index", cache],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not stopped with the build's process group (Ctrl-C after the build, doit's workers)
    )


def settle(cache: str | Path) -> str | None:
    """Wait until output/ holds the index the last build asked for, making it here if need be; its error, if any.

    Returns at once when no build asked for an index (no job), or the job is done.
    """
    state = Path(cache, STATE)
    if not (state / "job.json").exists():
        return None
    with open(state / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, also if this process dies
        job, done = read_json(state / "job.json"), read_json(state / "done.json")
        if not job:
            return f"{state / 'job.json'} is unreadable: build again"
        if done.get("id") == job["id"]:
            return done.get("error")
        error = build_index(Path(job["root"]), job["output"], job["pages"], Path(cache))
        write_json(state / "done.json", {"id": job["id"], "error": error})
        return error


def main(argv: list[str]) -> int:
    """`python -m blog_build.search_index CACHE`: the detached indexer."""
    return 1 if settle(argv[0]) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
