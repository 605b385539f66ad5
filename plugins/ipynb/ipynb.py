"""Jupyter notebooks as posts.

Takes the place of Nikola's ipynb compiler (same plugin name, so the site's copy
wins) and changes three things:

- one nbconvert exporter per process instead of one per notebook, so Jinja compiles
  nbconvert's templates once rather than for every post;
- the notebook is wrapped in `<div class="nb">`, which the theme's notebook styles are
  scoped to, so they never restyle the rest of the page;
- `nikola new_post -f ipynb` works without a Jupyter kernel installed in the build
  environment: the new notebook names the standard Python 3 kernel.
"""

from __future__ import annotations

import os

import nbformat
from nbconvert.exporters import HTMLExporter
from nikola.plugins.compile import ipynb as nikola_ipynb
from nikola.utils import makedirs
from traitlets.config import Config

PYTHON3_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# Readers of a blog rarely need In [n]: prompts; the markup stays lean without them.
SITE_DEFAULTS = {
    "TemplateExporter": {
        "template_file": "classic/base.html.j2",
        "exclude_input_prompt": True,
        "exclude_output_prompt": True,
    },
}


def exporter_config(ipynb_config: dict) -> Config:
    """nbconvert configuration: the user's Jupyter config, our defaults, then conf.py's IPYNB_CONFIG."""
    config = Config(nikola_ipynb.get_default_jupyter_config())
    config.merge(Config(SITE_DEFAULTS))
    config.merge(Config(ipynb_config))
    return config


def use_ipython_lexer(notebook: nbformat.NotebookNode) -> None:
    """Ask Pygments for its "ipython" lexer for Python notebooks.

    nbconvert imports the lexer for "ipython3" from IPython itself, which the build
    does not install; Pygments knows the same lexer as "ipython" through the small
    ipython-pygments-lexers package, and nbconvert passes that name straight through.
    """
    info = notebook.metadata.setdefault("language_info", {"name": "python"})
    lexer = info.get("pygments_lexer") or info.get("name") or "ipython"
    if lexer.startswith("ipython") or lexer == "python":
        info["pygments_lexer"] = "ipython"


def notebook_to_html(exporter: HTMLExporter, notebook: nbformat.NotebookNode) -> str:
    """Render a notebook's cells as an HTML fragment wrapped for the theme."""
    use_ipython_lexer(notebook)
    body, _resources = exporter.from_notebook_node(notebook)
    return f'<div class="nb">\n{body}\n</div>'


def new_notebook(markdown: str) -> nbformat.NotebookNode:
    """A notebook with one markdown cell, ready to open in Jupyter."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(markdown)]
    notebook.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


class CompileIPynb(nikola_ipynb.CompileIPynb):
    """Compile notebooks to HTML with a per-process exporter."""

    name = "ipynb"
    _exporter: HTMLExporter | None = None

    def exporter(self) -> HTMLExporter:
        """The process's exporter, built on first use (after doit has forked its workers)."""
        if self._exporter is None:
            self._exporter = HTMLExporter(config=exporter_config(self.site.config["IPYNB_CONFIG"]))
        return self._exporter

    def _compile_string(self, nb_json: nbformat.NotebookNode) -> str:
        return notebook_to_html(self.exporter(), nb_json)

    def create_post(self, path: str, **kw) -> None:
        """Write a new notebook post; its metadata goes inside only for one-file posts."""
        content = kw.pop("content", None) or "Write your post here."
        onefile = kw.pop("onefile", False)
        for unused in ("jupyter_kernel", "is_page"):
            kw.pop(unused, None)
        notebook = nbformat.reads(content, nbformat.NO_CONVERT) if content.startswith("{") else new_notebook(content)
        if onefile:
            notebook.metadata["nikola"] = {**self.default_metadata, **kw}
        makedirs(os.path.dirname(path))
        with open(path, "w", encoding="utf-8") as stream:
            nbformat.write(notebook, stream, version=4)
