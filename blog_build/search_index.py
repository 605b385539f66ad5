"""The search index: pagefind indexes the pages after `nikola build` has returned, in parts.

pagefind cannot add a page to an index it wrote before, so an index is made from all of its
pages: at 400 posts 0.6 s on a quiet machine (1.05 s of CPU on two cores), about half of it
parsing the pages and the rest building and writing the index; starting it costs 0.02 s.
Feeding its indexing service text records kept per page instead (`add_custom_record`)
skips only the parsing, and measured no faster: the service takes requests one at a time
(400 records 0.25 s) where its command line parses on every core, and building and writing
(0.4-0.55 s) stay; the Python wrapper on PyPI also waits 0.1 s before reading each reply.
So that one edited post does not wait for the other pages to be indexed again, the build
only writes down what to index (a *job*: the pages, in CACHE/search_index/job.json) and
starts a detached indexer (`python -m blog_build.search_index CACHE`).

One index of every page took 559 MB and 4.5 s at 2,000 posts, so beyond `PART_SIZE` pages
they are split into *parts*, each a whole pagefind bundle in output/pagefind/PART/, which the
search page merges in the browser (pagefind's `mergeIndex`; output/pagefind/parts.json names
them). A page's part is a hash of its address into a power of two of parts, as many as keep a
part at `PART_SIZE` pages or under on average: a page stays in its part while pages come and
go, until their count crosses a power of two (then all move once). The parts are a function
of the pages alone, so an index made bit by bit is a clean build's. pagefind runs once per
part, one part at a time (its memory is a part's), and only for a part whose pages or their
files changed since it was indexed: CACHE/search_index/parts.json records a digest of each
part's pages, their bytes and the pagefind command. The indexer takes the lock, indexes the
changed parts into new folders beside output/pagefind, and only when all of them succeeded
puts each in place of its old folder (so no fragment of an older index is left behind),
writes parts.json, removes the parts no page is in any more, records the files and marks the
job done. A failed part leaves the whole last index as it was.

What merging costs in the results: pagefind searches each part on its own and, in a part
without any word that starts with a query's word, matches the longest word that the query's
word starts with instead. A word found in one part only brings such near matches from the
others, ranked by each part's own scores, so they can come first: in a trial with the About
page in one part and the posts in another, "mumford" found two posts by the "m" of
`python -m`, ranked above the About page. Up to `PART_SIZE` pages there is one part, searched
as one index always was.

Whatever needs the index the last build asked for calls `settle`: it waits for the lock and
runs the job itself if no indexer has yet (which then finds nothing to do). Every Nikola
command that loads tasks settles first (the next build, `nikola check`), and so does the
deploy; a failed indexing is reported there, as one line. The lock is `fcntl.flock`: POSIX
systems only, as the rest of the build's tooling (make, the CI's Debian).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from importlib import metadata
from pathlib import Path

from pagefind_bin import get_executable

from blog_build import output_tree

# Navigation, tags, the byline and the notebook tool links are on every page: not worth
# finding (searching the author's name found every post).
IGNORED = ".postpromonav, .nb-tools, .byline, #header, #footer"
STATE = "search_index"  # folder of the cache holding the job, the lock and what became of the job
TASK = "search_index"  # the name its written files are recorded under (blog_build.output_tree)
# Pages in a part, at most on average (a hash spreads them): pagefind takes about a quarter
# of a megabyte per page, 268 MB for 1,000 pages and 524 MB for 2,000 in one index
# (benchmarks/README.md, "At 2,000 posts"). As large as keeps a part's run well under 400 MB,
# since merging parts brings near matches (above): a blog of up to 1,000 pages is one index.
PART_SIZE = 1000
MANIFEST = "parts.json"  # in output/pagefind: the names of the parts, for the search page
DIGESTS = "parts.json"  # in the state folder: the digest of what each part in output/ was made from


def split(pages: list[str], part_size: int = PART_SIZE) -> dict[str, list[str]]:
    """The parts of the index: each part's name and its pages (paths), by name; no part is empty.

    A page's part depends on its own path and on how many parts there are, a power of two:
    the fewest that keep the pages per part at `part_size` or under on average.
    """
    count = 1
    while len(pages) > count * part_size:
        count *= 2
    parts: dict[str, list[str]] = {}
    for page in sorted(pages):
        bucket = int.from_bytes(hashlib.sha256(page.encode()).digest()[:8], "big") % count
        parts.setdefault(f"part-{bucket + 1}-of-{count}", []).append(page)
    return dict(sorted(parts.items()))


def pagefind_command(output: str, pages: list[str], index: str) -> list[str]:
    """The pagefind call indexing `pages` (paths relative to `output`) into the folder `index`."""
    return [
        str(get_executable()),  # the binary itself: `python -m pagefind` costs 0.05 s more, for each part
        "--site", output,
        "--output-path", index,
        "--glob", "{" + ",".join(pages) + "}",
        "--root-selector", "main",
        "--exclude-selectors", IGNORED,
        "--quiet",
    ]  # fmt: skip


def part_digest(site: Path, pages: list[str]) -> str:
    """What a part's index is made from: its pages' paths and bytes, pagefind's version and options."""
    digest = hashlib.sha256()
    how = pagefind_command("SITE", pages, "INDEX")[1:]
    digest.update(json.dumps([metadata.version("pagefind_bin"), how]).encode())
    for page in pages:
        try:
            content = (site / page).read_bytes()
        except OSError:
            content = b""  # pagefind says what is wrong with it
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def run_pagefind(root: Path, output: str, name: str, pages: list[str], index: Path) -> str | None:
    """Index one part's pages into the folder `index`; the error, if any, as one line."""
    result = subprocess.run(pagefind_command(output, pages, str(index)), cwd=root, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    # one line: pagefind prints its message to both streams, over two lines
    lines = dict.fromkeys(line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip())
    return f"pagefind could not index {output} (part {name}): {' '.join(lines) or f'exit status {result.returncode}'}"


def build_index(root: Path, output: str, parts: dict[str, list[str]], cache: Path) -> str | None:
    """Index the parts whose pages changed, put them in place in output/pagefind, record its files; the error, if any.

    `output` is relative to the site's folder `root`, as the build's tasks name it; `parts`
    is what `split` made of the pages.
    """
    final, staged, old = (root / output / name for name in ("pagefind", ".pagefind.new", ".pagefind.old"))
    for leftover in (staged, old):
        shutil.rmtree(leftover, ignore_errors=True)
    # What each part in output/ was made from (in the cache: a page's bytes differ from build
    # to build where pagefind does not look, as the time of a notebook's run).
    state = cache / STATE
    listed = read_json(final / MANIFEST).get("parts", [])
    indexed = {name: digest for name, digest in read_json(state / DIGESTS).items() if name in listed}
    digests = {name: part_digest(root / output, pages) for name, pages in parts.items()}
    changed = [
        name
        for name in parts
        if indexed.get(name) != digests[name] or not (final / name / "pagefind-entry.json").is_file()
    ]
    staged.mkdir(parents=True)
    for name in changed:  # one at a time: pagefind's memory is one part's
        error = run_pagefind(root, output, name, parts[name], staged / name)
        if error:
            shutil.rmtree(staged, ignore_errors=True)
            return error
    final.mkdir(exist_ok=True)
    old.mkdir()
    for name in changed:
        if (final / name).exists():
            os.replace(final / name, old / name)
        os.replace(staged / name, final / name)
    write_json(final / MANIFEST, {"parts": list(parts)})
    write_json(state / DIGESTS, digests)  # only now: a part recorded is a part in place
    # Then the parts no page is in any more, and whatever else is there (an index of the pages
    # all in one, as this site wrote before it had parts; a manifest half written).
    for path in final.iterdir():
        if path.name not in digests and path.name != MANIFEST:
            os.replace(path, old / path.name)
    for leftover in (staged, old):
        shutil.rmtree(leftover, ignore_errors=True)
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


def request(output: str, pages: list[str], cache: str, part_size: int = PART_SIZE) -> None:
    """Ask for an index of `pages` (relative to `output`): write the job and start a detached indexer.

    Run in the site's folder, where `output` and `cache` are. The indexer gets no handle of
    this process (its output goes nowhere), so a caller waiting for this process to close
    its pipes, as `subprocess.run` does, is not kept waiting for the indexer.
    """
    state = Path(cache, STATE)
    state.mkdir(parents=True, exist_ok=True)
    # A new id for every build that asks: the same pages may have new content.
    job = {"id": uuid.uuid4().hex, "root": os.getcwd(), "output": output, "parts": split(pages, part_size)}
    write_json(state / "job.json", job)
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
        if "parts" not in job:
            return f"{state / 'job.json'} was written by a build from before the index had parts: build again"
        error = build_index(Path(job["root"]), job["output"], job["parts"], Path(cache))
        write_json(state / "done.json", {"id": job["id"], "error": error})
        return error


def main(argv: list[str]) -> int:
    """`python -m blog_build.search_index CACHE`: the detached indexer."""
    return 1 if settle(argv[0]) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
