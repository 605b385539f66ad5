"""Jupyter notebooks as posts.

Takes the place of Nikola's ipynb compiler (same plugin name, so the site's copy
wins) and changes four things:

- nbconvert is imported on first use, not when Nikola loads its plugins, so commands
  that render nothing (`nikola ftp_deploy`, `nikola check`) start quickly;
- one nbconvert exporter per process instead of one per notebook, so Jinja compiles
  nbconvert's templates once rather than for every post;
- the notebook is wrapped in `<div class="nb">`, which the theme's notebook styles are
  scoped to, so they never restyle the rest of the page;
- `nikola new_post -f ipynb` works without a Jupyter kernel installed in the build
  environment: the new notebook names the standard Python 3 kernel.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from nikola import shortcodes
from nikola.plugin_categories import PageCompiler
from nikola.utils import LocaleBorg, makedirs

from plugins.execute_notebooks.execution import executed_copy, post_executes

if TYPE_CHECKING:
    from nbconvert.exporters import HTMLExporter
    from nbformat import NotebookNode
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
    from nikola.plugins.compile.ipynb import get_default_jupyter_config
    from traitlets.config import Config

    config = Config(get_default_jupyter_config())
    config.merge(Config(SITE_DEFAULTS))
    config.merge(Config(ipynb_config))
    return config


def use_ipython_lexer(notebook: NotebookNode) -> None:
    """Ask Pygments for its "ipython" lexer for Python notebooks.

    nbconvert imports the lexer for "ipython3" from IPython itself, which the build
    does not install; Pygments knows the same lexer as "ipython" through the small
    ipython-pygments-lexers package, and nbconvert passes that name straight through.
    """
    info = notebook.metadata.setdefault("language_info", {"name": "python"})
    lexer = info.get("pygments_lexer") or info.get("name") or "ipython"
    if lexer.startswith("ipython") or lexer == "python":
        info["pygments_lexer"] = "ipython"


def notebook_to_html(exporter: HTMLExporter, notebook: NotebookNode) -> str:
    """Render a notebook's cells as an HTML fragment wrapped for the theme."""
    use_ipython_lexer(notebook)
    body, _resources = exporter.from_notebook_node(notebook)
    return f'<div class="nb">\n{body}\n</div>'


def new_notebook(markdown: str) -> NotebookNode:
    """A notebook with one markdown cell, ready to open in Jupyter."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(markdown)]
    notebook.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


class CompileIPynb(PageCompiler):
    """Compile notebooks to HTML with a per-process exporter."""

    name = "ipynb"
    friendly_name = "Jupyter Notebook"
    demote_headers = True
    supports_metadata = True
    _exporter: HTMLExporter | None = None

    def set_site(self, site) -> None:
        super().set_site(site)
        # Nikola re-renders a post when its compiler's config_dependencies change; stock
        # Nikola leaves IPYNB_CONFIG out, so changing how notebooks render changed nothing.
        self.config_dependencies = [
            json.dumps([SITE_DEFAULTS, site.config["IPYNB_CONFIG"]], sort_keys=True, default=str)
        ]

    def register_extra_dependencies(self, post) -> None:
        """Posts that run at build time render from their executed copy, so they depend on it."""
        super().register_extra_dependencies(post)
        if post_executes(post, self.site.config):
            post.add_dependency(str(executed_copy(post, self.site.config)), "fragment")

    def exporter(self) -> HTMLExporter:
        """The process's exporter, built on first use (after doit has forked its workers)."""
        if self._exporter is None:
            from nbconvert.exporters import HTMLExporter

            self._exporter = HTMLExporter(config=exporter_config(self.site.config["IPYNB_CONFIG"]))
        return self._exporter

    def compile_string(self, data: str, source_path=None, is_two_file=True, post=None, lang=None) -> tuple:
        """Render notebook JSON to HTML; returns (html, shortcode dependencies) as Nikola expects."""
        import nbformat

        data, codes = shortcodes.extract_shortcodes(data)
        html = notebook_to_html(self.exporter(), nbformat.reads(data, nbformat.NO_CONVERT))
        return self.site.apply_shortcodes_uuid(html, codes, filename=source_path, extra_context={"post": post})

    def compile(self, source: str, dest: str, is_two_file=False, post=None, lang=None) -> None:
        """Render the notebook at `source` (or its executed copy) into `dest`."""
        if post is not None and post_executes(post, self.site.config):
            source = str(executed_copy(post, self.site.config))
        with open(source, encoding="utf-8-sig") as stream:
            html, shortcode_deps = self.compile_string(stream.read(), source, is_two_file, post, lang)
        makedirs(os.path.dirname(dest))
        with open(dest, "w", encoding="utf-8") as stream:
            stream.write(html)
        if post is not None:
            post._depfile[dest] += shortcode_deps

    def read_metadata(self, post, lang: str | None = None) -> dict:
        """The notebook's `metadata.nikola` (the scan_posts plugin has already checked the file)."""
        source = post.translated_source_path(lang or LocaleBorg().current_lang)
        with open(source, encoding="utf-8-sig") as stream:
            return json.load(stream).get("metadata", {}).get("nikola", {})

    def create_post(self, path: str, **kw) -> None:
        """Write a new notebook post; its metadata goes inside only for one-file posts."""
        import nbformat

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
