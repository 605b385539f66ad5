"""The public corpus (tests/corpus/README.md) built as posts and checked in Chromium, one test per page.

Slow (about ten minutes) and it needs the notebooks extracted from fetched mirrors, which CI
cannot fetch: it runs only with `-m slow` and only when tests/corpus/notebooks/ holds every
notebook of the manifest; otherwise it is skipped, saying why.

    .venv/bin/python tests/corpus/extract.py && .venv/bin/pytest -m slow tests/test_corpus.py

benchmarks/corpus_check.py does the work and prints the same findings as a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.corpus_check import NOTEBOOKS, PageReport, manifest, run

ENTRIES = manifest()
NAMES = ["(home)"] + [entry["name"] for entry in ENTRIES]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, PageReport]:
    absent = [entry["name"] for entry in ENTRIES if not (NOTEBOOKS / f"{entry['name']}.ipynb").is_file()]
    if absent:
        pytest.skip(
            f"{len(absent)} corpus notebooks are not extracted (they come from GitHub mirrors, which CI cannot "
            "fetch): run tests/corpus/extract.py after fetching the repositories tests/corpus/corpus.json names"
        )
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("the corpus check takes about ten minutes: run it with -m slow")
    found, _, fatal, _ = run(ENTRIES, Path(tmp_path_factory.mktemp("corpus")))
    assert not fatal, f"the build failed for a reason no corpus notebook explains:\n{fatal}"
    return {report.name: report for report in found}


@pytest.mark.parametrize("name", NAMES)
def test_corpus_page(reports: dict[str, PageReport], name: str) -> None:
    report = reports[name]
    assert report.built, f"the build stopped on it: {report.build_error}"
    for scheme, mode in (("light", report.light), ("dark", report.dark)):
        assert mode.problems == [], f"{scheme}: console errors, script errors or failed requests"
        assert mode.off_site == [], f"{scheme}: requests to other hosts"
        assert mode.serious == {}, f"{scheme}: serious or critical axe-core violations {mode.examples}"
    assert report.undrawn() == [], f"interactive outputs not drawn: {report.drawn}, expected {report.expected}"
