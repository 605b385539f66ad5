"""Jupyter notebooks as posts.

Takes the place of Nikola's ipynb compiler (same plugin name, so the site's copy wins):

- rendering: one lean nbconvert exporter per process (templates compiled once, no
  BeautifulSoup or bleach pass, cached Pygments lexers), with our template
  (templates/notebook_blog.html.j2: cell tags, folding, lazy images, no empty cells);
- the notebook is wrapped in `<div class="nb-body">`, which the theme's notebook styles
  are scoped to, under a bar of links (download, Binder, Colab) and the reading time;
- figures become files beside the post (images.py), and so do files the notebook
  refers to by relative path (relative_files.py); which files those are is remembered
  between builds while the notebook is unchanged (content_facts.py); posts run at build
  time are rendered from their executed copy (plugins/execute_notebooks);
- Plotly, Vega-Lite and widget outputs are drawn by libraries the site serves, and
  outputs whose JavaScript is unknown fall back to a static form
  (plugins/interactive_outputs), with the page's script elements after the notebook;
- nbconvert is imported on first use, so commands that render nothing start quickly;
- `nikola new_post -f ipynb` works without a Jupyter kernel installed in the build
  environment: the new notebook names the standard Python 3 kernel.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

from nikola import shortcodes
from nikola.plugin_categories import PageCompiler
from nikola.utils import LocaleBorg, makedirs

from plugins.execute_notebooks.execution import executed_copy, post_executes
from plugins.interactive_outputs import libraries
from plugins.interactive_outputs.outputs import DISPLAY_PRIORITY, prepare, render
from plugins.ipynb.content_facts import Facts, FactsCache
from plugins.ipynb.images import extract_images, image_names
from plugins.ipynb.relative_files import copy_referenced_files, referenced_targets, references
from plugins.scan_posts import source_cache

if TYPE_CHECKING:
    from nbconvert.exporters import HTMLExporter
    from nbformat import NotebookNode
    from traitlets.config import Config

PYTHON3_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

TEMPLATES = str(Path(__file__).with_name("templates"))
SITE_DEFAULTS = {
    # Interactive outputs (Plotly, Vega-Lite, widgets) first, then the static forms.
    "NbConvertBase": {"display_data_priority": DISPLAY_PRIORITY},
    "TemplateExporter": {
        "extra_template_paths": [TEMPLATES],
        "template_file": "notebook_blog.html.j2",
    },
    # Only the preprocessors a blog post needs, and one schema validation after them all
    # instead of one after each (scan_posts has already validated the source).
    "Exporter": {
        "optimistic_validation": True,
        "default_preprocessors": [
            "nbconvert.preprocessors.TagRemovePreprocessor",
            "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
            "nbconvert.preprocessors.HighlightMagicsPreprocessor",
        ],
    },
    # The classic and lab templates' conf.json add this one: it builds the stylesheet of a
    # standalone page (Pygments CSS included) for every notebook; our fragments never use it.
    "CSSHTMLHeaderPreprocessor": {"enabled": False},
    # The cell tags Jupyter Book and MyST use to leave parts of a notebook off the page.
    "TagRemovePreprocessor": {
        "enabled": True,
        "remove_cell_tags": ["remove-cell"],
        "remove_input_tags": ["remove-input"],
        "remove_all_outputs_tags": ["remove-output"],
    },
}


def exporter_config(ipynb_config: dict, prompts: bool = False) -> Config:
    """nbconvert configuration: the user's Jupyter config, our defaults, then conf.py's settings.

    `prompts` (NOTEBOOK_PROMPTS) shows In [n]: / Out[n]: beside cells; IPYNB_CONFIG, in
    nbconvert's own terms, has the last word.
    """
    from nikola.plugins.compile.ipynb import get_default_jupyter_config
    from traitlets.config import Config

    config = Config(get_default_jupyter_config())
    config.merge(Config(SITE_DEFAULTS))
    config.merge(
        Config({"TemplateExporter": {"exclude_input_prompt": not prompts, "exclude_output_prompt": not prompts}})
    )
    config.merge(Config(ipynb_config))
    return config


class Highlighter:
    """Pygments highlighting with the lexers and formatters made once, not once per cell.

    nbconvert's filter looks the lexer up and builds a formatter (with its stylesheet)
    for every code cell; on a blog of many notebooks that was a fifth of the rendering.
    """

    def __init__(self, default_language: str) -> None:
        self.default_language = default_language
        self._lexers: dict = {}
        self._formatters: dict = {}

    def __call__(self, source: str, language: str | None = None, metadata: dict | None = None) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        language = (metadata or {}).get("magics_language") or language or self.default_language
        if language not in self._lexers:
            try:
                self._lexers[language] = get_lexer_by_name(language)
            except ClassNotFound:
                self._lexers[language] = get_lexer_by_name("text")
            self._formatters[language] = HtmlFormatter(cssclass=f" highlight hl-{language}")
        return highlight(source or " ", self._lexers[language], self._formatters[language])


def make_exporter(config: Config) -> HTMLExporter:
    """nbconvert's HTMLExporter without the BeautifulSoup pass it makes over every page.

    That pass adds alt text and tab stops after rendering and took a fifth of a build; our
    template writes alt text itself, and the theme's script gives a tab stop to the code
    boxes that need one.
    """
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from nbformat import NotebookNode

    highlighters: dict[str, Highlighter] = {}

    class Uncopied(NotebookNode):
        """A notebook parsed for one render: nbconvert's deep copy of it (a tenth of rendering) protects nothing."""

        def __deepcopy__(self, memo: dict) -> Uncopied:
            return self

    class BlogExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer") or info.get("name") or "ipython"
            if lexer == "python":
                lexer = "ipython"  # a notebook's Python is IPython's: %magics and !shell lines
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", highlighters.setdefault(lexer, Highlighter(lexer)))
            data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("filter_data_type", data_types)
            self.register_filter("interactive_output", lambda value, mime: render(mime, value))
            return TemplateExporter.from_notebook_node(self, Uncopied(nb), resources, **kw)

    return BlogExporter(config=config)


def drop_repeated_title(notebook: NotebookNode, title: str) -> None:
    """Remove the notebook's opening `# heading` when it only repeats the post's title.

    Notebooks usually start with their title as a heading; the page already shows it.
    """
    for cell in notebook.cells:
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        first, _, rest = cell.source.lstrip().partition("\n")
        if first.startswith("# ") and first[2:].strip().strip("#").strip() == title.strip():
            cell.source = rest.lstrip("\n")
        return


def reading_minutes(notebook: NotebookNode, words_per_minute: int = 220) -> int:
    """Minutes to read the notebook's prose and code at an unhurried pace."""
    words = sum(len(cell.source.split()) for cell in notebook.cells if cell.cell_type in ("markdown", "code"))
    return max(1, round(words / words_per_minute))


def tools_bar(notebook: NotebookNode, download: str, notebook_path: str, repository: dict) -> str:
    """Links under the title: download, Binder and Colab (when conf.py names the repository), reading time."""
    links = [f'<a href="{download}" download>Download notebook</a>']
    github, branch = repository.get("github"), repository.get("branch", "main")
    if github:
        binder = f"https://mybinder.org/v2/gh/{github}/{branch}?labpath={notebook_path}"
        colab = f"https://colab.research.google.com/github/{github}/blob/{branch}/{notebook_path}"
        links.append(f'<a href="{binder}">Open in Binder</a>')
        links.append(f'<a href="{colab}">Open in Colab</a>')
    links.append(f"<span>{reading_minutes(notebook)} min read</span>")
    return '<p class="nb-tools">' + " ".join(links) + "</p>"


def notebook_to_html(exporter: HTMLExporter, notebook: NotebookNode, header: str = "", scripts: str = "") -> str:
    """Render a notebook's cells as an HTML fragment wrapped for the theme, then the scripts it needs."""
    body, _resources = exporter.from_notebook_node(notebook)
    return f'{header}<div class="nb-body">\n{body}\n</div>\n{scripts}'.rstrip("\n")


def notebook_facts(source: Path, libraries: set[str]) -> Facts:
    """The image files and referenced paths of the notebook at `source`, as compile() will find them."""
    with open(source, encoding="utf-8-sig") as stream:
        notebook = json.load(stream)
    prepare(notebook, libraries)  # the images compile() keeps are those left after it
    return Facts(sorted(image_names(notebook)), [path for _, path in references(notebook)])


def available_libraries() -> set[str]:
    """The interactive-output libraries installed in node_modules/ (`npm ci`)."""
    return {name for name, library in libraries.LIBRARIES.items() if not library.missing()}


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
    _facts: FactsCache | None = None

    def set_site(self, site) -> None:
        super().set_site(site)
        # Nikola re-renders a post when its compiler's config_dependencies change; stock
        # Nikola leaves IPYNB_CONFIG out, so changing how notebooks render changed nothing.
        template = Path(TEMPLATES, "notebook_blog.html.j2").read_text(encoding="utf-8")
        settings = [SITE_DEFAULTS, site.config["IPYNB_CONFIG"], site.config.get("NOTEBOOK_REPOSITORY", {}), template]
        settings.append(site.config.get("NOTEBOOK_PROMPTS", False))
        # Pages name library files by content hash: a new library version re-renders them.
        settings.append(libraries.pinned_versions(available_libraries()))
        # As a digest: Nikola hashes config_dependencies again for every task showing a post
        # (the RSS feed's task: 400 times), and the settings with the template are 5 KB.
        settings_json = json.dumps(settings, sort_keys=True, default=str)
        self.config_dependencies = [hashlib.sha256(settings_json.encode("utf-8")).hexdigest()]

    def register_extra_dependencies(self, post) -> None:
        """Posts that run at build time render from their executed copy, so they depend on it."""
        super().register_extra_dependencies(post)
        if post_executes(post, self.site.config):
            post.add_dependency(str(executed_copy(post, self.site.config)), "fragment")

    def exporter(self) -> HTMLExporter:
        """The process's exporter, built on first use (after doit has forked its workers)."""
        if self._exporter is None:
            config = exporter_config(self.site.config["IPYNB_CONFIG"], self.site.config.get("NOTEBOOK_PROMPTS", False))
            self._exporter = make_exporter(config)
        return self._exporter

    def compile_string(self, data: str, source_path=None, is_two_file=True, post=None, lang=None) -> tuple:
        """Render notebook JSON to HTML; returns (html, shortcode dependencies) as Nikola expects."""
        import nbformat

        data, codes = shortcodes.extract_shortcodes(data)
        # Parsed without nbformat's schema check: scan_posts checked the source, and nbconvert
        # checks the notebook again after its preprocessors.
        notebook = nbformat.reader.reads(data)
        prepared = prepare(notebook, available_libraries())
        for warning in prepared.warnings(post.source_path if post else source_path):
            self.logger.warning(warning)
        header = ""
        if post is not None:
            folder, url = self.image_location(post, lang)
            extract_images(notebook, folder, url)
            drop_repeated_title(notebook, post.title(lang))
            _copied, warnings = copy_referenced_files(notebook, Path(post.source_path).parent, folder, post.source_path)
            for warning in warnings:
                self.logger.warning(warning)
            repository = self.site.config.get("NOTEBOOK_REPOSITORY", {})
            header = tools_bar(notebook, post.source_link(lang), post.source_path, repository)
        html = notebook_to_html(self.exporter(), notebook, header, libraries.script_tags(prepared.libraries))
        return self.site.apply_shortcodes_uuid(html, codes, filename=source_path, extra_context={"post": post})

    def image_location(self, post, lang: str | None) -> tuple[Path, str]:
        """The post's output folder and its URL from the site root: images live beside the page."""
        folder = posixpath.dirname(post.destination_path(lang or LocaleBorg().current_lang))
        return Path(self.site.config["OUTPUT_FOLDER"], folder), f"/{folder}/" if folder else "/"

    def rendered_source(self, post) -> str:
        """The executed copy for posts run at build time, else the notebook itself."""
        if post_executes(post, self.site.config):
            return str(executed_copy(post, self.site.config))
        return post.source_path

    def get_extra_targets(self, post, lang: str, dest: str) -> list[str]:
        """The image files compile() writes, so doit knows them (and `nikola check` does not call them orphans)."""
        source = Path(self.rendered_source(post))
        libraries = available_libraries()
        try:
            facts = self.facts_cache().facts(
                source, ",".join(sorted(libraries)), lambda: notebook_facts(source, libraries)
            )
        except FileNotFoundError:
            return []  # an executed copy not made yet: its images are declared on the next build
        folder, _url = self.image_location(post, lang)
        images = [folder / name for name in facts.images]
        return [
            str(path) for path in images + referenced_targets(facts.references, Path(post.source_path).parent, folder)
        ]

    def facts_cache(self) -> FactsCache:
        if self._facts is None:
            self._facts = FactsCache(Path(self.site.config["CACHE_FOLDER"], "notebook_facts.json"))
            # Targets are declared while doit collects its tasks, and nothing is called after
            # that: what was learnt is written when the build process ends.
            atexit.register(self._facts.save)
        return self._facts

    def compile(self, source: str, dest: str, is_two_file=False, post=None, lang=None) -> None:
        """Render the notebook at `source` (or its executed copy) into `dest`."""
        if post is not None:
            source = self.rendered_source(post)
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
        checked = source_cache.current.embedded(Path(source))
        if checked is not None:
            return checked  # read moments ago by the scanner, or on an earlier build
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
