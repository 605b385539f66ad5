"""Guards for what we change in nbconvert's and Nikola's behaviour (plugins/README.md lists each).

Each test runs stock behaviour and ours on the same input and compares: if an upgrade
changes what the stock code does, the test says so before a reader sees a difference.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

from lxml import etree, html

from blog_build import libraries, rendering
from blog_build.images import ImageStore
from blog_build.notebook import checked_notebook, content_key, make_model, point_images, render_ready

from conftest import ROOT

POSTS = sorted((ROOT / "posts").glob("*.ipynb")) + sorted((ROOT / "tests/fixtures/posts").glob("*.ipynb"))


def pages(tmp_path: Path):
    """(name, render-ready notebook) for every post and fixture notebook of the project."""
    store = ImageStore(tmp_path / "images")
    for path in POSTS:
        data = path.read_bytes()
        notebook = checked_notebook(data, str(path), [])
        installed = set(libraries.LIBRARIES)  # every library, so every interactive output is drawn as on the site
        model = make_model(notebook, str(path), content_key(data, installed, str(path)), installed, store)
        point_images(model.notebook, "/posts/x/")
        yield path.name, model.notebook


def without_tab_stops(markup: str) -> bytes:
    """The fragment as a tree, minus the tab stops nbconvert's BeautifulSoup pass adds.

    BeautifulSoup also writes attributes in another order, a class list without stray
    spaces, and drops blank lines between elements: canonical XML (attributes sorted),
    classes joined by single spaces, whitespace-only text outside <pre> removed.
    """
    document = html.fragment_fromstring(markup, create_parent="div")
    for element in document.iter():
        element.attrib.pop("tabindex", None)
        if "class" in element.attrib:
            element.set("class", " ".join(element.get("class").split()))
        in_pre = element.tag == "pre" or any(parent.tag == "pre" for parent in element.iterancestors())
        for side in ("text", "tail"):
            keep = (
                in_pre
                if side == "text"
                else element.getparent() is not None
                and (
                    element.getparent().tag == "pre" or any(p.tag == "pre" for p in element.getparent().iterancestors())
                )
            )
            if not keep and not (getattr(element, side) or "").strip():
                setattr(element, side, None)
    return etree.tostring(document, method="c14n")


def test_our_exporter_renders_what_stock_nbconvert_renders(tmp_path: Path) -> None:
    """BlogExporter skips HTMLExporter's BeautifulSoup pass and its deep copy of the notebook.

    The stock path (HTMLExporter.from_notebook_node, which deep-copies, renders, then parses
    the page with BeautifulSoup to add alt text and tab stops) must give the same HTML
    apart from the tab stops, which the theme's script adds where a box scrolls.
    """
    from nbconvert.exporters import HTMLExporter

    config = rendering.exporter_config({}, {})
    ours = rendering.make_exporter(config)

    class Stock(type(ours)):
        def from_notebook_node(self, nb, resources=None, **kw):
            # The same filters as ours, given through the exporter's `filters` setting: the stock
            # path replaces a highlight_code that is only registered.
            self.register_blog_filters(nb)
            self.filters = {name: self.environment.filters[name] for name in ("highlight_code", "interactive_output")}
            return HTMLExporter.from_notebook_node(self, nb, resources, **kw)

    stock = Stock(config=config)
    compared = 0
    for name, page in pages(tmp_path):
        mine, _ = ours.from_notebook_node(render_ready(page))
        theirs, _ = stock.from_notebook_node(render_ready(page))
        assert without_tab_stops(mine) == without_tab_stops(theirs), name
        compared += 1
    assert compared == len(POSTS) >= 7


def test_rendering_leaves_the_notebook_it_is_given_usable_again(tmp_path: Path) -> None:
    """Without nbconvert's deep copy the preprocessors work on our notebook: each render gets a fresh one."""
    exporter = rendering.make_exporter(rendering.exporter_config({}, {}))
    for name, page in pages(tmp_path):
        before = json.dumps(page, sort_keys=True)
        first, _ = exporter.from_notebook_node(render_ready(page))
        second, _ = exporter.from_notebook_node(render_ready(page))
        assert first == second and json.dumps(page, sort_keys=True) == before, name


TEMPLATE_DEPS = """
import sys
sys.path.insert(0, ".")
import os
import conf
from nikola import utils
from nikola.nikola import Nikola
from nikola.plugins.template.jinja import JinjaTemplates

site = Nikola(**{key: value for key, value in vars(conf).items() if key.isupper()})
site.init_plugins()
ours = site.template_system
assert type(ours) is not JinjaTemplates, "the site's plugins/jinja is not the template system"
stock = JinjaTemplates()
# As Nikola sets up its template system (nikola.py, _get_template_system).
stock.set_directories(
    ["templates"] + [os.path.join(utils.get_theme_path(name), "templates") for name in site.THEMES],
    site.config["CACHE_FOLDER"],
)
stock.set_site(site)
compared = 0
for name in ("post.tmpl", "index.tmpl", "page.tmpl", "tag.tmpl", "archive.tmpl", "list.tmpl", "base.tmpl"):
    path = ours.get_template_path(name)
    if path is None:
        continue
    context = site.GLOBAL_CONTEXT
    assert sorted(ours.get_deps(path, context)) == sorted(stock.get_deps(path, context)), name
    again = sorted(ours.get_deps(path, context))
    assert again == sorted(stock.get_deps(path, context)), name + " (asked again: the remembered answer)"
    compared += 1
print(compared)
"""


def test_remembered_template_dependencies_are_jinjas_own(built_site: Path) -> None:
    """plugins/jinja answers get_deps once per template file; the answer must be Nikola's."""
    result = subprocess.run([sys.executable, "-c", TEMPLATE_DEPS], cwd=built_site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) >= 5


PAGE_DIGESTS = """
import hashlib
import json
import conf
from nikola.nikola import Nikola
from nikola.utils import CustomEncoder

site = Nikola(**{key: value for key, value in vars(conf).items() if key.isupper()})
site.init_plugins()
site.scan_posts()
(pages,) = [p.plugin_object for p in site.plugin_manager.get_plugins_of_category("Task") if p.name == "render_pages"]
tasks = [task for task in pages.gen_tasks() if isinstance(task, dict) and "uptodate" in task]
shown = hashlib.sha256(json.dumps(site.GLOBAL_CONTEXT, cls=CustomEncoder, sort_keys=True).encode()).hexdigest()
for task in tasks:
    (check,) = [c for c in task["uptodate"] if getattr(c, "identifier", "").endswith("generic_renderer")]
    ours = check.config
    assert type(ours["global"]).__name__ == "GlobalContextDigest", task["name"]
    assert ours["global"]["blog_title"] is site.GLOBAL_CONTEXT["blog_title"]  # read as the context itself
    # what stock Nikola digests, with its global context written as that context's digest
    expected = json.dumps({**ours, "global": "global context " + shown}, cls=CustomEncoder, sort_keys=True)
    assert check._calc_digest() == hashlib.md5(expected.encode()).hexdigest(), task["name"]
print(len(tasks))
"""


def test_page_checks_hold_the_global_context_as_its_digest(built_site: Path) -> None:
    """plugins/incremental_deps: every page's check is stock's with the global context's JSON replaced by its digest.

    So it changes exactly when stock's does (but for a SHA-256 collision).
    """
    result = subprocess.run([sys.executable, "-c", PAGE_DIGESTS], cwd=built_site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) >= 5


def test_cached_highlighter_gives_what_nbconvert_highlights(tmp_path: Path) -> None:
    """rendering.Highlighter keeps lexers and formatters; nbconvert's Highlight2HTML makes them per cell.

    The HTML is the same but for the CSS class naming the language: ours names the lexer
    used (hl-cython for a %%cython cell), nbconvert the notebook's default (hl-ipython3).
    """
    import re

    from nbconvert.filters.highlight import Highlight2HTML

    compared = 0
    for name, page in pages(tmp_path):
        info = page["metadata"].get("language_info", {})
        lexer = info.get("pygments_lexer") or info.get("name") or "ipython"
        lexer = "ipython" if lexer == "python" else lexer
        ours, theirs = rendering.Highlighter(lexer), Highlight2HTML(pygments_lexer=lexer)
        for cell in page["cells"]:
            if cell["cell_type"] != "code":
                continue
            metadata = dict(cell["metadata"])
            first = cell["source"].split("\n", 1)[0]
            if first.startswith("%%") and first[2:].split()[:1] in (["cython"], ["bash"], ["html"], ["javascript"]):
                metadata["magics_language"] = first[2:].split()[0]
            mine, stock = ours(cell["source"], metadata=metadata), theirs(cell["source"], metadata=metadata)
            assert re.sub(r"hl-[\w+-]+", "hl-", mine) == re.sub(r"hl-[\w+-]+", "hl-", stock), (name, cell["id"])
            compared += 1
    assert compared > 20


def test_preprocessed_notebooks_stay_valid_without_nbconvert_checking(tmp_path: Path) -> None:
    """Our exporter skips nbconvert's schema check after its preprocessors: they must keep notebooks valid."""
    import nbformat

    exporter = rendering.make_exporter(rendering.exporter_config({}, {}))
    for name, page in pages(tmp_path):
        processed, _ = exporter._preprocess(render_ready(page), exporter._init_resources(None))
        nbformat.validate(processed, relax_add_props=True)
        assert processed.cells, name


def doit_statuses(db: Path) -> list[str]:
    """What doit's up-to-date check says of a task with a config_changed check, run three times (settings a, a, b)."""
    from doit.dependency import DbmDB, Dependency
    from doit.task import Task
    from nikola.utils import config_changed

    dependencies = Dependency(DbmDB, str(db))
    found = []
    for settings in ({"title": "a"}, {"title": "a"}, {"title": "b"}):
        task = Task("page", None, uptodate=[config_changed(settings, "test")])
        found.append(dependencies.get_status(task, {}).status)
        task.save_extra_values()  # what doit does after a task's actions ran
        dependencies.save_success(task)
    dependencies.close()
    return found


def test_config_changed_checks_tell_doit_what_stock_ones_do(tmp_path: Path) -> None:
    """plugins/uptodate_signature: the signature given is inspect's own, and doit's checks answer the same."""
    from nikola.utils import config_changed

    from plugins.uptodate_signature.uptodate_signature import name_the_signature

    given = config_changed.__dict__.get("__signature__")
    if given is not None:
        del config_changed.__signature__
    try:
        check = config_changed({"title": "a"}, "test")
        stock_signature, stock_class = inspect.signature(check), inspect.signature(config_changed)
        stock = doit_statuses(tmp_path / "stock.db")
        name_the_signature()
        assert "__signature__" in config_changed.__dict__
        assert inspect.signature(check) == stock_signature  # (task, values): doit passes both
        assert inspect.signature(config_changed) == stock_class  # the constructor's, untouched
        assert doit_statuses(tmp_path / "ours.db") == stock == ["run", "up-to-date", "run"]
    finally:
        if given is not None:
            config_changed.__signature__ = given
        elif "__signature__" in config_changed.__dict__:
            del config_changed.__signature__
