"""Shared fixtures: copies of the real site, built with the real `nikola` command."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from blog_build.search_index import settle

ROOT = Path(__file__).resolve().parent.parent
SITE_PARTS = ("conf.py", "posts", "pages", "files", "themes", "plugins", "blog_build", "requirements")
NIKOLA = [sys.executable, "-m", "nikola"]


def copy_site(dest: Path, posts: tuple[str, ...] | None = None, root: Path = ROOT) -> Path:
    """Copy the sources of the site at `root` (this one) to `dest`; `posts` keeps only those post names (stems)."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in SITE_PARTS:
        source = root / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        elif source.exists():
            shutil.copy2(source, dest / part)
    # The npm packages (interactive outputs' libraries) are big and only read: link them.
    if (ROOT / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    if posts is not None:
        for path in (dest / "posts").iterdir():
            if path.stem not in posts:
                path.unlink()
    return dest


def nikola(site: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a nikola command in `site`, as a user would."""
    result = subprocess.run([*NIKOLA, *args], cwd=site, capture_output=True, text=True, timeout=600)
    if args[:1] == ("build",):
        # the build leaves its search index to an indexer that runs after it: wait, as a deploy does
        settle(site / "cache")
    if check and result.returncode != 0:
        raise AssertionError(f"nikola {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No line per request in the test output."""


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """`folder` served over HTTP on 127.0.0.1 at a free port while the block runs; its URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below `folder`, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole site, built once for every test that only reads the output."""
    site = copy_site(tmp_path_factory.mktemp("site"))
    nikola(site, "build")
    return site


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    """A fresh copy of the site with only the welcome post, for tests that change sources."""
    return copy_site(tmp_path / "site", posts=("welcome",))


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser downloads do not work here
# No sandbox (CI runs as root), no GPU, and none of Chromium's own traffic to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, one per test module: Playwright's sync API cannot run inside another instance's loop."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
