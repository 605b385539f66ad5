"""Bad sources stop the build with one line naming the file, and leave output/ as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blog_build import metadata as scan_posts
from blog_build.metadata import SourceError
from blog_build.notebook import checked_notebook

from conftest import ROOT, nikola, tree_digest

GOOD_META = (
    ".. title: Fine\n.. slug: fine\n.. date: 2024-01-02 03:04:05 UTC\n.. tags: x\n.. description: d\n.. type: text\n"
)
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
WELCOME_META = (ROOT / "posts" / "welcome.meta").read_text(encoding="utf-8")

# name: (files to write, the file the error must name, words the error must contain)
CASES = {
    "broken notebook JSON": (
        {"posts/broken.ipynb": '{"cells": [,], "nbformat": 4}', "posts/broken.meta": GOOD_META},
        "posts/broken.ipynb",
        "not valid notebook JSON (line 1, column 12",
    ),
    "unparseable date": (
        {
            "posts/late.ipynb": NOTEBOOK,
            "posts/late.meta": GOOD_META.replace("2024-01-02 03:04:05 UTC", "next tuesday-ish"),
        },
        "posts/late.meta",
        "date 'next tuesday-ish' is not a date",
    ),
    "notebook without any metadata": (
        {"posts/bare.ipynb": NOTEBOOK},
        "posts/bare.ipynb",
        "no metadata; add bare.meta",
    ),
    "meta file without its notebook": (
        {"posts/lonely.meta": GOOD_META},
        "posts/lonely.meta",
        "no post beside it",
    ),
    "malformed meta line": (
        {"posts/odd.ipynb": NOTEBOOK, "posts/odd.meta": GOOD_META + "title = Oops\n"},
        "posts/odd.meta:7",
        "expected '.. key: value'",
    ),
    # The good build remembered these as checked; a change must still be caught.
    "a checked notebook broken since": (
        {"posts/welcome.ipynb": '{"cells": [,], "nbformat": 4}'},
        "posts/welcome.ipynb",
        "not valid notebook JSON",
    ),
    "a checked post's date broken since": (
        {"posts/welcome.meta": re.sub(r"\.\. date: .*", ".. date: 2026-13-45", WELCOME_META)},
        "posts/welcome.meta",
        "date '2026-13-45' is not a date",
    ),
    "meta without a slug": (
        {"posts/noslug.ipynb": NOTEBOOK, "posts/noslug.meta": GOOD_META.replace(".. slug: fine\n", "")},
        "posts/noslug.meta",
        "missing slug",
    ),
}


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import copy_site

    site = copy_site(tmp_path_factory.mktemp("good"), posts=("welcome",))
    nikola(site, "build")
    return site


@pytest.mark.parametrize("case", CASES)
def test_bad_source_stops_the_build_cleanly(good_build: Path, tmp_path: Path, case: str) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(good_build, site)
    before = tree_digest(site / "output")
    files, named_file, problem = CASES[case]
    for relative, content in files.items():
        (site / relative).write_text(content, encoding="utf-8")

    result = nikola(site, "build", check=False)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    matching = [line for line in errors if named_file in line and problem in line]
    assert len(matching) == 1, f"no single error line naming {named_file} with {problem!r}:\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    assert tree_digest(site / "output") == before, "output/ changed after a failed build"


def test_every_problem_is_reported_at_once(small_site: Path) -> None:
    (small_site / "posts/one.ipynb").write_text("not json")
    (small_site / "posts/one.meta").write_text(GOOD_META)
    (small_site / "posts/two.meta").write_text(GOOD_META)
    result = nikola(small_site, "build", check=False)
    assert result.returncode != 0
    assert "posts/one.ipynb" in result.stderr and "posts/two.meta" in result.stderr
    output = small_site / "output"
    assert not output.exists() or tree_digest(output) == {}, "nothing is written when the first build fails"


def test_parse_meta_reads_keys_and_values() -> None:
    meta = scan_posts.parse_meta(".. title: A: B\n\n.. Tags: x, y\n.. link:\n", "f.meta")
    assert meta == {"title": "A: B", "tags": "x, y", "link": ""}


@pytest.mark.parametrize(
    "meta,message",
    [
        ({"slug": "s", "date": "2020-01-01"}, "missing title"),
        ({"title": "t", "slug": "s"}, "missing date"),
        ({"title": "t", "slug": "s", "date": "2020-13-45"}, "is not a date"),
    ],
)
def test_check_metadata_rejects(meta: dict, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        scan_posts.check_metadata(meta, Path("posts/x.meta"), needs_date=True)


def test_pages_need_no_date() -> None:
    scan_posts.check_metadata({"title": "About", "slug": "about"}, Path("pages/about.md"), needs_date=False)


@pytest.mark.parametrize(
    "content,message",
    [
        ("[1, 2]", "not a Jupyter notebook"),
        ('{"cells": [], "nbformat": 3}', "nbformat 3 is not supported"),
        (
            '{"cells": [{"cell_type": "code", "id": "a"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
            "cell 1 is malformed",
        ),
    ],
)
def test_notebook_metadata_rejects(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        checked_notebook(content.encode(), "x.ipynb", [])
