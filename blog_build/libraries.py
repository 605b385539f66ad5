"""The browser libraries that interactive notebook outputs need, and where the site serves them.

The files come from npm packages pinned in package.json / package-lock.json (`npm ci`
installs them into node_modules/, `make build` does it). They are copied into the site
under assets/notebook-outputs/, so pages load them from the site itself, never from a
CDN. URLs carry a hash of the file's content, so a reader's browser never keeps an old
copy after an upgrade.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

NODE_MODULES = Path("node_modules")
URL_FOLDER = "assets/notebook-outputs"
# Our own script: draws Plotly and Vega outputs once their libraries are loaded, names widget controls.
RENDERER = Path(__file__).with_name("outputs.js")


@dataclass(frozen=True)
class Library:
    scripts: tuple[str, ...]  # paths in node_modules/, loaded in this order
    assets: tuple[str, ...] = field(default=())  # globs in node_modules/ the scripts fetch themselves

    def sources(self, node_modules: Path = NODE_MODULES) -> list[Path]:
        """Every file of the library to copy into the site: scripts first."""
        files = [node_modules / script for script in self.scripts]
        for pattern in self.assets:
            files.extend(sorted(node_modules.glob(pattern)))
        return files

    def missing(self, node_modules: Path = NODE_MODULES) -> list[Path]:
        return [node_modules / script for script in self.scripts if not (node_modules / script).is_file()]


LIBRARIES = {
    "plotly": Library(("plotly.js-dist-min/plotly.min.js",)),
    "vega": Library(
        ("vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js", "vega-embed/build/vega-embed.min.js"),
    ),
    # html-manager's standalone bundle renders every widget view from the saved widget
    # state on its own; the icon fonts are looked up beside it.
    "widgets": Library(
        ("@jupyter-widgets/html-manager/dist/embed.js",),
        ("@jupyter-widgets/html-manager/dist/*.woff2", "@jupyter-widgets/html-manager/dist/*.woff"),
    ),
}


def available(node_modules: Path = NODE_MODULES) -> set[str]:
    """The libraries installed in node_modules/ (`npm ci`), which outputs may be drawn with."""
    return {name for name, library in LIBRARIES.items() if not library.missing(node_modules)}


def site_path(library: str, source: Path) -> str:
    """Where a library file lives in the site, relative to its root."""
    return f"{URL_FOLDER}/{library}/{source.name}"


@cache
def fingerprint(path: Path, mtime_ns: int) -> str:
    """A short hash of the file's content (cached per modification time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def versioned_url(path: Path, url: str) -> str:
    return f"/{url}?v={fingerprint(path, path.stat().st_mtime_ns)}"


def script_tags(names: set[str], node_modules: Path = NODE_MODULES) -> str:
    """Script elements loading `names` once each, then our renderer; all deferred, so in order.

    Deferred scripts run in document order after the page is parsed: every library is
    there before any output that needs it is drawn.
    """
    tags = []
    for name in sorted(names):
        library = LIBRARIES[name]
        for script in library.scripts:
            source = node_modules / script
            tags.append(f'<script src="{versioned_url(source, site_path(name, source))}" defer></script>')
    if names:
        tags.append(f'<script src="{versioned_url(RENDERER, site_path("site", RENDERER))}" defer></script>')
    return "\n".join(tags)


def pinned_versions(names: set[str]) -> str:
    """A cheap stand-in for the library URLs' hashes: the npm lock file, our renderer and `names`.

    `npm ci` installs exactly what package-lock.json pins, so this changes whenever a
    library file does, without reading megabytes of JavaScript on every start.
    """
    lock = Path("package-lock.json")
    digest = hashlib.sha256(lock.read_bytes() if lock.exists() else b"")
    digest.update(RENDERER.read_bytes())
    digest.update(" ".join(sorted(names)).encode())
    return digest.hexdigest()


def files_to_copy(names: set[str], node_modules: Path = NODE_MODULES) -> list[tuple[Path, str]]:
    """(source, site path) of every file the site serves for the libraries `names` (those installed)."""
    files = []
    for name in sorted(names):
        library = LIBRARIES[name]
        if not library.missing(node_modules):
            files.extend((source, site_path(name, source)) for source in library.sources(node_modules))
    return [(RENDERER, site_path("site", RENDERER)), *files] if files else []
