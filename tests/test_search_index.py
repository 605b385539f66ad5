"""The search index after every kind of build: pagefind in Chromium finds exactly the current pages' words.

The build leaves indexing to an indexer that runs after it (blog_build/search_index.py);
`nikola()` (conftest) waits for it as a deploy does, so what is searched here is what a
deploy would upload. Each fixture post (tests/fixtures/search/) has its own words in a
markdown cell, a code cell and its output, and all of them share one word. The index is in
parts; the sites here make parts of one page on average (`SEARCH_INDEX_PART_SIZE`), so that
the search merges several parts, and each fixture post is in a part of its own.
"""

from __future__ import annotations

import gzip
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
# A word only on each of the site's own pages here, so that every part has a page to find.
PAGE_WORDS = {"physicist": "/about/", "conjugate": "/posts/fibonacci/", "cryptographer": "/posts/verifying-packages/"}
# pagefind's own API, as the search page uses it: the first part's bundle, the other parts
# merged into it (once: a part merged twice would find its pages twice).
MERGE = """async () => {
    const manifest = await (await fetch("/pagefind/parts.json")).json();
    const parts = manifest.parts.map((name) => `/pagefind/${name}/`);
    window.pagefind = await import(parts[0] + "pagefind.js");
    for (const part of parts.slice(1)) await window.pagefind.mergeIndex(part);
    return parts.length;
}"""
# The URL of every page a query finds that holds the word. When no page does, pagefind
# falls back to shorter prefixes of it ("axolotl" finds every page with "a"), which are not
# this word found.
SEARCH = """async (query) => {
    const found = await window.pagefind.search(query);
    const pages = await Promise.all(found.results.map((result) => result.data()));
    return pages.filter((page) => page.content.toLowerCase().includes(query)).map((page) => page.url).sort();
}"""


def search(browser: Browser, site: Path, queries: list[str]) -> dict[str, list[str]]:
    """The pages each query finds, searched in Chromium from the built site's output/, all parts merged."""
    with serve_folder(site / "output") as url:
        context = browser.new_context()  # a cache of its own: nothing of an earlier index is reused
        page = context.new_page()
        host = urlsplit(url).netloc
        page.route(lambda address: urlsplit(address).netloc != host, lambda route: route.abort("internetdisconnected"))
        page.goto(url + "/", wait_until="networkidle")
        page.evaluate(MERGE)
        found = {query: page.evaluate(SEARCH, query) for query in queries}
        context.close()
    return found


def parted_site(folder: Path, posts: tuple[str, ...]) -> Path:
    """A copy of the site with `posts` whose index has parts of one page on average (see `split`)."""
    site = copy_site(folder, posts=posts)
    with (site / "conf.py").open("a") as conf:
        conf.write("\nSEARCH_INDEX_PART_SIZE = 1\n")
    return site


def parts(site: Path) -> dict[str, dict[str, str]]:
    """Each part folder of the site's index: the digest of each of its files."""
    index = site / "output" / "pagefind"
    return {path.name: tree_digest(path) for path in sorted(index.iterdir()) if path.is_dir()}


def job_parts(site: Path) -> dict[str, list[str]]:
    """The parts the last build asked for: each part's pages."""
    return json.loads((site / "cache" / search_index.STATE / "job.json").read_text())["parts"]


def part_of(site: Path, url: str) -> str:
    """The name of the part the page at `url` (/posts/SLUG/) is in, as the last build asked for."""
    return next(name for name, pages in job_parts(site).items() if url.strip("/") + "/index.html" in pages)


def index_text(site: Path) -> str:
    """Every file of the site's index as text, the compressed ones (pagefind gzips its own) uncompressed."""
    texts = []
    for path in sorted((site / "output" / "pagefind").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace"))
    return "\n".join(texts)


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
    # six pages, then five, then six: eight parts throughout (fewer, as the hash shares some)
    site = parted_site(tmp_path / "site", posts=("welcome", "fibonacci", "verifying-packages"))
    add_post(site, "search-alpha")
    add_post(site, "search-beta")
    current = {slug: list(WORDS[slug]) for slug in ("search-alpha", "search-beta")}
    queries = sorted(expected(current)) + [EDITED, *PAGE_WORDS]

    def check(step: str) -> None:
        wanted = {query: [] for query in queries} | expected(current) | {w: [url] for w, url in PAGE_WORDS.items()}
        found = search(browser, site, queries)
        wrong = {query: (found[query], wanted[query]) for query in queries if found[query] != wanted[query]}
        assert not wrong, f"after {step}, (found, wanted) for each query that went wrong: {wrong}"
        assert {part_of(site, url) for urls in found.values() for url in urls} == set(job_parts(site)), (
            f"after {step}, a page was found in every part"
        )
        fixtures = [part_of(site, f"/posts/{slug}/") for slug in current]
        assert len(set(fixtures)) == len(fixtures), f"after {step}, each fixture post is in a part of its own"

    nikola(site, "build")
    check("a full build")
    before = parts(site)
    assert len(before) == 5 and set(before) == set(job_parts(site)), list(before)
    text = index_text(site)
    assert all(word in text for word in [*WORDS["search-beta"], "search-beta"]), "what the deleted post leaves, if any"

    notebook = site / "posts" / "search-alpha.ipynb"
    notebook.write_text(notebook.read_text().replace("quetzalmarigold", EDITED))
    current["search-alpha"][0] = EDITED
    nikola(site, "build")
    check("one post edited")
    after = parts(site)
    assert after.keys() == before.keys()
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {part_of(site, "/posts/search-alpha/")}, "an edit indexes only the part of the edited post"

    beta = part_of(site, "/posts/search-beta/")
    assert job_parts(site)[beta] == ["posts/search-beta/index.html"]
    for suffix in (".ipynb", ".meta"):
        (site / "posts" / f"search-beta{suffix}").unlink()
    del current["search-beta"]
    nikola(site, "build")
    check("a post deleted")
    left = parts(site)
    assert beta not in left and set(left) == set(job_parts(site)), "the part no page is in any more is removed"
    assert {name: left[name] for name in left if name != part_of(site, "/posts/search-alpha/")} == {
        name: after[name] for name in left if name != part_of(site, "/posts/search-alpha/")
    }, "the other parts are left as they were (alpha's has a new neighbour)"
    text = index_text(site)
    assert not [word for word in [*WORDS["search-beta"], "search-beta"] if word in text], "nothing of it is left"

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


def test_a_page_keeps_its_part_while_pages_come_and_go() -> None:
    """Until the count of pages crosses a power of two of parts, when all of them may move at once."""
    pages = [f"posts/post-{number}/index.html" for number in range(1000)]
    parts = search_index.split(pages[:900], part_size=100)
    assert len(parts) == 16 and sorted(page for part in parts.values() for page in part) == sorted(pages[:900])
    assert max(len(part) for part in parts.values()) < 2 * 900 / 16, "a hash spreads the pages"

    def where(parts: dict[str, list[str]]) -> dict[str, str]:
        return {page: name for name, pages in parts.items() for page in pages}

    # 1,000 pages and 801 still need 16 parts of 100: every page stays where it was
    for count in (1000, 801):
        moved = where(parts).items() ^ where(search_index.split(pages[:count], part_size=100)).items()
        assert {page for page, _ in moved} <= set(pages[count:900]) ^ set(pages[900:count])
    assert set(search_index.split(pages[:800], part_size=100)) == {f"part-{number}-of-8" for number in range(1, 9)}
    assert list(search_index.split(pages[:3], part_size=100)) == ["part-1-of-1"]


def test_settling_makes_the_index_a_build_asked_for_when_no_indexer_has(tmp_path: Path) -> None:
    """A job with no indexer (it died, or has not started yet): `settle` makes the index itself, once."""
    output, state = tmp_path / "output", tmp_path / "cache" / search_index.STATE

    def write_page(page: str, word: str) -> None:
        (output / page).parent.mkdir(parents=True, exist_ok=True)
        (output / page).write_text(f"<html lang='en'><body><main><h1>{word}</h1></main></body></html>")

    def ask(job_id: str, parts: dict[str, list[str]]) -> str | None:
        job = {"id": job_id, "root": str(tmp_path), "output": "output", "parts": parts}
        search_index.write_json(state / "job.json", job)
        return search_index.settle(tmp_path / "cache")

    for page, word in (("index.html", "kestrelpaprika"), ("about/index.html", "wombatnutmeg"), ("a/index.html", "emu")):
        write_page(page, word)
    state.mkdir(parents=True)
    # an index of every page in one, as this site wrote before its index had parts
    (output / "pagefind" / "fragment").mkdir(parents=True)
    (output / "pagefind" / "fragment" / "old.pf_fragment").write_text("an older index")
    (output / "pagefind" / "pagefind.js").write_text("an older index")
    parts = {"part-1-of-2": ["about/index.html"], "part-2-of-2": ["a/index.html", "index.html"]}

    assert ask("a-job", parts) is None
    index = output / "pagefind"
    assert sorted(path.name for path in index.iterdir()) == ["part-1-of-2", "part-2-of-2", "parts.json"]
    for name, pages in parts.items():
        entry = json.loads((index / name / "pagefind-entry.json").read_text())
        assert sum(language["page_count"] for language in entry["languages"].values()) == len(pages)
    assert json.loads((index / "parts.json").read_text()) == {"parts": list(parts)}
    assert json.loads((state / "done.json").read_text()) == {"id": "a-job", "error": None}
    written = output_tree.recorded(tmp_path / "cache", search_index.TASK)
    assert {"output/pagefind/parts.json", "output/pagefind/part-1-of-2/pagefind-entry.json"} <= written
    assert written == {str(path.relative_to(tmp_path)) for path in index.rglob("*") if path.is_file()}

    before = tree_digest(index)
    write_page("index.html", "changed, not asked for")
    assert search_index.settle(tmp_path / "cache") is None
    assert tree_digest(index) == before, "a job is done once"

    write_page("index.html", "kestrelpaprika")
    write_page("about/index.html", "dingobasil")
    assert ask("the About page edited", parts) is None
    after = tree_digest(index)
    changed = {name.split("/")[0] for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert changed == {"part-1-of-2"}, "only the part of the page edited is indexed again"
    assert ask("nothing changed", parts) is None
    assert tree_digest(index) == after, "a part whose pages did not change is not indexed again"

    assert ask("the About page went", {"part-2-of-2": parts["part-2-of-2"]}) is None
    assert sorted(path.name for path in index.iterdir()) == ["part-2-of-2", "parts.json"]
    assert not (output / ".pagefind.new").exists() and not (output / ".pagefind.old").exists()


def test_a_failed_index_is_one_line_at_the_next_build_which_indexes_again(small_site: Path, browser: Browser) -> None:
    nikola(small_site, "build")
    state, output = small_site / "cache" / search_index.STATE, small_site / "output"
    index = tree_digest(output / "pagefind")
    job = json.loads((state / "job.json").read_text())
    # the first part changed is indexed, the second fails: neither is put in place
    page = output / "posts" / "welcome" / "index.html"
    page.write_text(page.read_text().replace("</main>", "<p>pangolinvermouth</p></main>", 1))
    parts = {**job["parts"], "part-9-of-9": ["no/such/page.html"]}
    search_index.write_json(state / "job.json", {**job, "id": "failing", "parts": parts})
    failure = search_index.settle(small_site / "cache")
    assert failure and failure.startswith("pagefind could not index output (part part-9-of-9): ")
    assert "\n" not in failure
    assert tree_digest(output / "pagefind") == index, "the last good index stays, all of it"
    assert not (output / ".pagefind.new").exists()

    result = nikola(small_site, "build")
    lines = [line for line in result.stderr.splitlines() if "search index failed" in line]
    assert len(lines) == 1 and failure in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads((state / "done.json").read_text())["error"] is None
    assert search(browser, small_site, ["welcome", "pangolinvermouth"]) == {
        "welcome": ["/posts/welcome/"],
        "pangolinvermouth": ["/posts/welcome/"],
    }


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
