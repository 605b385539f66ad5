"""A build of an unchanged site stops at once (plugins/build_stamp); any change goes the whole way.

The record a complete build leaves (blog_build/build_stamp.py) must never let a change slip
by: after each kind of change below, the next `nikola build` must not take the short path,
so that it is the build the site made before there was a record (which tests/test_incremental.py
compares with clean builds), and the build after it, with nothing changed, must take it again.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from test_incremental import compare_with_clean_build

from blog_build import build_stamp
from blog_build.search_index import settle

from conftest import NIKOLA, copy_site, nikola, tree_digest

UNCHANGED = "Nothing changed since the last complete build"
RECORD = Path("cache", "build_stamp.json")


def build(site: Path, *args: str) -> str:
    """The log of one `nikola build`, which must succeed."""
    return nikola(site, "build", *args).stderr


def short(log: str) -> bool:
    return UNCHANGED in log


def tasks_run(log: str) -> set[str]:
    """The tasks a build's log says it ran (doit's `.  basename:name` lines)."""
    return {line[3:].split(":")[0] for line in log.splitlines() if line.startswith(".  ")}


def assert_nothing_to_do(site: Path, after: str) -> None:
    """The next build takes the short path, and a whole build at this point would have run nothing either."""
    assert short(build(site)), f"after {after} and a build, the next build did not take the short path"
    (site / RECORD).unlink()
    ran = tasks_run(build(site)) - {"prune_output", "build_stamp"}  # the two that run in every whole build
    assert not ran, f"after {after}, the short path skipped tasks a whole build runs: {sorted(ran)}"


def edit_markdown(site: Path, words: str) -> None:
    path = site / "posts" / "welcome.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    cell["source"] = f"{words}\n\n" + "".join(cell["source"])
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def add_post(site: Path, slug: str, date: datetime.datetime, more: str = "") -> None:
    cells = [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": f"The post {slug}."}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (site / "posts" / f"{slug}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (site / "posts" / f"{slug}.meta").write_text(
        f".. title: Post {slug}\n.. slug: {slug}\n.. date: {date:%Y-%m-%d %H:%M:%S} UTC\n{more}", encoding="utf-8"
    )


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_an_unchanged_site_is_not_built_again_and_its_findings_are_said_again(small_site: Path) -> None:
    site = small_site
    # said in every build: the scan's finding that a picture the notebook shows is not beside
    # it, and Nikola's warning about a tag it reads as a setting
    edit_markdown(site, "![a chart](chart-missing.png)")
    add_post(site, "odd", datetime.datetime(2020, 1, 1), more=".. tags: mathjax\n")
    first = build(site)
    said = ["cell 1 refers to chart-missing.png, which is not beside the notebook", 'uses the "mathjax" tag']
    assert all(line in first for line in said) and not short(first)
    before = tree_digest(site / "output")
    again = build(site)
    assert short(again), again
    assert all(line in again for line in said), f"the last build's findings are said again:\n{again}"
    assert short(build(site)), "a build that stopped at the record leaves it as it was, for the next one"
    assert tree_digest(site / "output") == before


def test_every_kind_of_change_makes_the_next_build_go_the_whole_way(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome", "fibonacci"))
    shared = tmp_path / "shared"  # a folder linked into files/, as Nikola follows links when it copies
    shared.mkdir()
    (shared / "data.csv").write_text("a,b\n")
    (site / "files" / "shared").symlink_to(shared, target_is_directory=True)
    assert not short(build(site))
    assert_nothing_to_do(site, "the first build")
    now = datetime.datetime.now(datetime.UTC)
    output_page = site / "output" / "posts" / "fibonacci" / "index.html"
    notebook_template = site / "blog_build" / "templates" / "notebook_blog.html.j2"
    changes = {
        "a markdown cell edited": lambda: edit_markdown(site, "An edited paragraph."),
        "a .meta file changed": lambda: append(site / "posts" / "welcome.meta", "\n.. category: news\n"),
        "a post added": lambda: add_post(site, "added", now - datetime.timedelta(days=1)),
        "a post deleted": lambda: [(site / "posts" / f"added.{ext}").unlink() for ext in ("ipynb", "meta")],
        "a file added to files/": lambda: (site / "files" / "notes.txt").write_text("notes\n"),
        "a file added to a folder linked into files/": lambda: (shared / "more.csv").write_text("c,d\n"),
        "the notebook template edited": lambda: append(notebook_template, "\n"),
        "a theme template edited": lambda: append(site / "themes" / "notebook-blog" / "templates" / "post.tmpl", "\n"),
        "a page removed from output/": lambda: output_page.unlink(),
        "a stray file put in output/": lambda: (site / "output" / "stray.html").write_text("<p>stray</p>"),
        "the search index removed from output/": lambda: subprocess.run(
            ["rm", "-r", str(site / "output" / "pagefind")]
        ),
        "the lock file executed posts ran with touched": lambda: os.utime(site / "requirements" / "site.lock"),
        "a page of output/ rewritten": lambda: append(output_page, "\n"),
        "a setting changed in conf.py": lambda: append(site / "conf.py", '\nBLOG_DESCRIPTION = "Changed."\n'),
        "the cache folder deleted": lambda: subprocess.run(["rm", "-rf", str(site / "cache")], check=True),
        "doit's database deleted": lambda: [path.unlink() for path in site.glob(".doit.db*")],
        "doit told to forget the fragments": lambda: nikola(site, "forget", "render_posts"),
        "a module of the site's plugins touched": lambda: os.utime(site / "blog_build" / "rendering.py"),
    }
    history = []
    for name, change in changes.items():
        change()
        history.append(name)
        log = build(site)
        assert not short(log), f"after {name}, the build took the short path"
        assert_nothing_to_do(site, name)
    assert not (site / "output" / "stray.html").exists()
    compare_with_clean_build(site, tmp_path / "clean", history)


def test_a_scheduled_post_is_published_when_it_falls_due(small_site: Path) -> None:
    """Nikola writes a scheduled post's page at once, and lists it on the index page once it is due."""
    site = small_site
    build(site)  # the first build of a copy runs the executed posts; the next ones are quick
    due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=10)
    add_post(site, "scheduled", due)
    build(site)
    index = site / "output" / "index.html"
    assert "posts/scheduled/" not in index.read_text()
    assert short(build(site)), "not yet due: nothing to do"
    assert datetime.datetime.now(datetime.UTC) < due, "the builds took longer than the 10 s this test gives them"
    time.sleep(max(0.0, (due - datetime.datetime.now(datetime.UTC)).total_seconds()) + 1)
    assert not short(build(site))
    assert "posts/scheduled/" in index.read_text()


def test_a_failed_or_partial_build_leaves_no_record(small_site: Path) -> None:
    site = small_site
    build(site)
    notebook = site / "posts" / "welcome.ipynb"
    saved, times = notebook.read_bytes(), os.stat(notebook)
    notebook.write_text("{ not json")
    failed = nikola(site, "build", check=False)
    assert failed.returncode != 0 and not (site / RECORD).exists()
    # the sources back exactly as the record had them: only the missing record sends the build the whole way
    notebook.write_bytes(saved)
    os.utime(notebook, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert not short(build(site))
    edit_markdown(site, "Only the fragment is built.")
    build(site, "render_posts")
    assert not (site / RECORD).exists(), "a build of some tasks is no complete build"
    assert not short(build(site))
    assert short(build(site))


def test_a_source_saved_while_the_build_runs_is_built_by_the_next_one(tmp_path: Path) -> None:
    """Saved after the scan read the notebook and before its tasks ended (doit records a file's state then)."""
    site = copy_site(tmp_path / "site", posts=("welcome",))
    build(site)
    edit_markdown(site, "The first edit.")
    pages = site / "cache" / "notebook-pages"
    before = set(pages.iterdir())
    running = subprocess.Popen([*NIKOLA, "build"], cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while set(pages.iterdir()) == before and running.poll() is None:
        time.sleep(0.002)  # the scan has read the first edit and made its model; no task has run
    edit_markdown(site, "Saved while the build ran.")
    assert running.poll() is None, "the build ended before the second save: this test tests nothing"
    assert running.wait(timeout=600) == 0, running.stderr.read().decode()
    page = site / "output" / "posts" / "welcome" / "index.html"
    assert "The first edit." in page.read_text() and "Saved while" not in page.read_text(), "the race was not run"
    settle(site / "cache")
    assert not short(build(site)), "the save after the build noted the sources was not built"
    assert "Saved while the build ran." in page.read_text(), "doit recorded the save as built"
    assert short(build(site)), "once built, the save is not built again"


def test_the_record_notices_what_changes_a_build_reads(tmp_path: Path) -> None:
    """blog_build.build_stamp alone: each kind of change to what it recorded is named."""
    sources, output = tmp_path / "posts", tmp_path / "output"
    (sources / "sub").mkdir(parents=True)
    output.mkdir()
    (sources / "a.ipynb").write_text("a")
    (sources / "sub" / "b.ipynb").write_text("b")
    (output / "a.html").write_text("a")
    (output / "pagefind").mkdir()
    (output / "pagefind" / "index.js").write_text("index")

    def take() -> dict:
        files, folders = build_stamp.walk([str(sources), str(tmp_path / "absent")])
        outputs = build_stamp.states([str(output / "a.html")])
        return build_stamp.record(
            settings="S",
            inputs=files,
            folders=folders,
            outputs=outputs,
            owned=[str(output / "pagefind")],
            due=None,
            logged=[],
        )

    def change(stamp: dict, settings: str = "S", now: float | None = None) -> str | None:
        return build_stamp.first_change(stamp, settings, time.time() if now is None else now, str(output))

    stamp = take()
    assert change(stamp) is None
    (output / "pagefind" / "index.js").write_text("rewritten by the indexer")
    assert change(stamp) is None, "a folder a task keeps itself is its own business"
    assert change(stamp, settings="T") == "the settings changed"
    assert change(None) == "no record of a complete build"
    assert change({**stamp, "due": 100.0}, now=100.0) == "a scheduled post is due"
    assert change({**stamp, "due": 100.0}, now=99.0) is None
    stepwise = [
        (lambda: (sources / "a.ipynb").write_text("a, longer"), "a.ipynb changed"),
        (lambda: (sources / "sub" / "new.ipynb").write_text("new"), "the files in"),
        (lambda: (sources / "sub" / "b.ipynb").unlink(), "b.ipynb changed"),
        (lambda: (tmp_path / "absent").mkdir(), "the files in"),
        (lambda: (output / "a.html").unlink(), "a.html changed"),
        (lambda: (output / "stray.html").write_text("stray"), "stray.html is no task's target"),
    ]
    for make, said in stepwise:
        make()
        assert said in (change(stamp) or ""), said
        stamp = take()
        if said.startswith("stray"):
            assert change(stamp) is not None, "a stray file is found however many times the record is taken"
            (output / "stray.html").unlink()
            stamp = take()
        assert change(stamp) is None


@pytest.mark.parametrize("options", [("-a",), ("--strict",), ("render_posts",)])
def test_a_build_asked_to_run_tasks_runs_them(small_site: Path, options: tuple[str, ...]) -> None:
    build(small_site)
    assert not short(build(small_site, *options))


def test_a_build_asked_to_run_the_posts_again_runs_them(small_site: Path) -> None:
    build(small_site)
    again = subprocess.run(
        [*NIKOLA, "build"],
        cwd=small_site,
        env={**os.environ, "NOTEBOOK_REEXECUTE": "1"},
        capture_output=True,
        text=True,
    )
    settle(small_site / "cache")
    assert again.returncode == 0 and not short(again.stderr)
    assert "posts/welcome.ipynb: executed (NOTEBOOK_REEXECUTE is set)" in again.stderr
