"""The search index after every kind of build: pagefind in Chromium finds exactly the current pages' words.

The build leaves indexing to an indexer that runs after it (blog_build/search_index.py);
`nikola()` (conftest) waits for it as a deploy does, so what is searched here is what a
deploy would upload. Each fixture post (tests/fixtures/search/) has its own words in a
markdown cell, a code cell and its output, and all of them share one word.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser

from blog_build import output_tree, search_index

from conftest import NIKOLA, ROOT, copy_site, nikola, serve_folder, tree_digest
from deploy_helpers import deploy_environment, local_tree, remote_tree
from ftp_server import start_server

FIXTURES = ROOT / "tests" / "fixtures" / "search"
SHARED = "searchfixtureword"
WORDS = {
    "search-alpha": ["quetzalmarigold", "alphacodeword", "alphaoutputword"],
    "search-beta": ["ocelotpumpernickel", "betacodeword", "betaoutputword"],
    "search-gamma": ["narwhalcardamom", "gammacodeword", "gammaoutputword"],
}
EDITED = "axolotlsaffron"  # replaces alpha's first word
# pagefind's own API, as its UI calls it: the URL of every page a query finds that holds the
# word. When no page does, pagefind falls back to shorter prefixes of it ("axolotl" finds
# every page with "a"), which are not this word found.
SEARCH = """async (query) => {
    const pagefind = await import("/pagefind/pagefind.js");
    const found = await pagefind.search(query);
    const pages = await Promise.all(found.results.map((result) => result.data()));
    return pages.filter((page) => page.content.toLowerCase().includes(query)).map((page) => page.url).sort();
}"""


def search(browser: Browser, site: Path, queries: list[str]) -> dict[str, list[str]]:
    """The pages each query finds, searched in Chromium from the built site's output/."""
    with serve_folder(site / "output") as url:
        context = browser.new_context()  # a cache of its own: nothing of an earlier index is reused
        page = context.new_page()
        host = urlsplit(url).netloc
        page.route(lambda address: urlsplit(address).netloc != host, lambda route: route.abort("internetdisconnected"))
        page.goto(url + "/", wait_until="networkidle")
        found = {query: page.evaluate(SEARCH, query) for query in queries}
        context.close()
    return found


def expected(current: dict[str, list[str]]) -> dict[str, list[str]]:
    """What each query must find when the fixture posts `current` (slug: its words) are the site's."""
    every_word = {word for words in (*WORDS.values(), *current.values()) for word in words}
    finds = {word: [f"/posts/{slug}/" for slug, words in current.items() if word in words] for word in every_word}
    finds[SHARED] = sorted(f"/posts/{slug}/" for slug in current)
    return finds


def add_post(site: Path, slug: str) -> None:
    for suffix in (".ipynb", ".meta"):
        shutil.copy(FIXTURES / f"{slug}{suffix}", site / "posts" / f"{slug}{suffix}")


def test_search_finds_exactly_the_current_pages_words_after_every_kind_of_build(
    browser: Browser, tmp_path: Path
) -> None:
    site = copy_site(tmp_path / "site", posts=("welcome",))
    add_post(site, "search-alpha")
    add_post(site, "search-beta")
    current = {slug: list(WORDS[slug]) for slug in ("search-alpha", "search-beta")}
    queries = sorted(expected(current)) + [EDITED]

    def check(step: str) -> None:
        found, wanted = search(browser, site, queries), {query: [] for query in queries} | expected(current)
        wrong = {query: (found[query], wanted[query]) for query in queries if found[query] != wanted[query]}
        assert not wrong, f"after {step}, (found, wanted) for each query that went wrong: {wrong}"

    nikola(site, "build")
    check("a full build")

    notebook = site / "posts" / "search-alpha.ipynb"
    notebook.write_text(notebook.read_text().replace("quetzalmarigold", EDITED))
    current["search-alpha"][0] = EDITED
    nikola(site, "build")
    check("one post edited")

    for suffix in (".ipynb", ".meta"):
        (site / "posts" / f"search-beta{suffix}").unlink()
    del current["search-beta"]
    nikola(site, "build")
    check("a post deleted")

    add_post(site, "search-gamma")
    current["search-gamma"] = list(WORDS["search-gamma"])
    nikola(site, "build")
    check("a post added")

    job = (site / "cache" / search_index.STATE / "job.json").read_text()
    index = tree_digest(site / "output" / "pagefind")
    nikola(site, "build")
    check("a no-op build")
    assert (site / "cache" / search_index.STATE / "job.json").read_text() == job, "a no-op build indexes nothing"
    assert tree_digest(site / "output" / "pagefind") == index

    clean = copy_site(tmp_path / "clean", root=site)
    nikola(clean, "build")
    assert tree_digest(clean / "output" / "pagefind") == index, "the index after four builds is a clean build's"


def test_settling_makes_the_index_a_build_asked_for_when_no_indexer_has(tmp_path: Path) -> None:
    """A job with no indexer (it died, or has not started yet): `settle` makes the index itself, once."""
    for page, word in (("index.html", "kestrelpaprika"), ("about/index.html", "wombatnutmeg")):
        (tmp_path / "output" / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "output" / page).write_text(f"<html lang='en'><body><main><h1>{word}</h1></main></body></html>")
    state = tmp_path / "cache" / search_index.STATE
    state.mkdir(parents=True)
    job = {"id": "a-job", "root": str(tmp_path), "output": "output", "pages": ["index.html", "about/index.html"]}
    search_index.write_json(state / "job.json", job)

    assert search_index.settle(tmp_path / "cache") is None
    entry = json.loads((tmp_path / "output" / "pagefind" / "pagefind-entry.json").read_text())
    assert sum(language["page_count"] for language in entry["languages"].values()) == 2
    assert json.loads((state / "done.json").read_text()) == {"id": "a-job", "error": None}
    written = output_tree.recorded(tmp_path / "cache", search_index.TASK)
    assert "output/pagefind/pagefind-entry.json" in written
    files = (tmp_path / "output" / "pagefind").rglob("*")
    assert written == {str(path.relative_to(tmp_path)) for path in files if path.is_file()}

    before = tree_digest(tmp_path / "output" / "pagefind")
    (tmp_path / "output" / "index.html").write_text("<html><body><main>changed, not asked for</main></body></html>")
    assert search_index.settle(tmp_path / "cache") is None
    assert tree_digest(tmp_path / "output" / "pagefind") == before, "a job is done once"


def test_a_failed_index_is_one_line_at_the_next_build_which_indexes_again(small_site: Path, browser: Browser) -> None:
    nikola(small_site, "build")
    state = small_site / "cache" / search_index.STATE
    job = json.loads((state / "job.json").read_text())
    search_index.write_json(state / "job.json", {**job, "id": "failing", "pages": ["no/such/page.html"]})
    failure = search_index.settle(small_site / "cache")
    assert failure and failure.startswith("pagefind could not index output: ") and "\n" not in failure
    assert (small_site / "output" / "pagefind" / "pagefind.js").exists(), "the last good index stays"

    result = nikola(small_site, "build")
    lines = [line for line in result.stderr.splitlines() if "search index failed" in line]
    assert len(lines) == 1 and failure in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads((state / "done.json").read_text())["error"] is None
    assert search(browser, small_site, ["welcome"])["welcome"] == ["/posts/welcome/"]


def test_builds_run_back_to_back_end_with_the_last_ones_index(browser: Browser, small_site: Path) -> None:
    """Each build starts while the last one's indexer may still run (nothing waits in between here)."""
    add_post(small_site, "search-alpha")
    notebook = small_site / "posts" / "search-alpha.ipynb"
    words = ["quetzalmarigold", "firstedit", "secondedit", "thirdedit"]

    def build() -> None:
        result = subprocess.run([*NIKOLA, "build"], cwd=small_site, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    build()
    for before, after in zip(words, words[1:], strict=False):
        notebook.write_text(notebook.read_text().replace(before, after))
        build()
    assert search_index.settle(small_site / "cache") is None
    found = search(browser, small_site, words)
    assert found == {word: ["/posts/search-alpha/"] if word == words[-1] else [] for word in words}


def test_a_deploy_uploads_the_index_the_last_build_asked_for(small_site: Path, tmp_path: Path) -> None:
    """A deploy right after a build waits for its index (here: a job no indexer has run yet)."""
    nikola(small_site, "build")
    page = small_site / "output" / "posts" / "welcome" / "index.html"
    page.write_text(page.read_text().replace("</main>", "<p>pangolinvermouth</p></main>", 1))
    state = small_site / "cache" / search_index.STATE
    search_index.write_json(state / "job.json", {**json.loads((state / "job.json").read_text()), "id": "unindexed"})
    server = start_server(tmp_path / "server", tls=True)
    try:
        env = deploy_environment(server)
        deploy = subprocess.run(
            [sys.executable, "-m", "plugins.ftp_deploy"], cwd=small_site, env=env, capture_output=True, text=True
        )
        assert deploy.returncode == 0, deploy.stderr
        assert json.loads((state / "done.json").read_text()) == {"id": "unindexed", "error": None}
        index = {path: data for path, data in local_tree(small_site / "output").items() if path.startswith("pagefind/")}
        online = {path: data for path, data in remote_tree(server).items() if path.startswith("pagefind/")}
        assert online == index and not any(path.startswith(".pagefind") for path in remote_tree(server))
    finally:
        server.stop()
