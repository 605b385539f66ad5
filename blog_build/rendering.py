"""Notebooks to HTML fragments with nbconvert: one lean exporter per process, our template.

- one exporter per process (templates compiled once), no BeautifulSoup pass (what it
  saves, and the test comparing the result with stock nbconvert: plugins/README.md),
  cached Pygments lexers;
- our template (templates/notebook_blog.html.j2): cell tags, folding, lazy images, no
  empty cells, interactive outputs drawn by the site's libraries;
- a notebook whose author put no teaser marker gets one (blog_build/teasers.py): index
  pages and feeds show its opening prose only;
- the notebook is wrapped in `<div class="nb-body">`, which the theme's notebook styles
  are scoped to, under a bar of links (download, Binder, Colab) and the reading time.
"""

from __future__ import annotations

import re
from html import escape as html_escape
from html import unescape as html_unescape
from pathlib import Path
from typing import TYPE_CHECKING

from blog_build.cell_tags import DEFAULT_REMOVAL_TAGS, RemovalTags
from blog_build.interactive_outputs import DISPLAY_PRIORITY, render
from blog_build.teasers import mark_automatic_teaser

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
    # instead of one after each (the notebook model has already validated the source).
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
        "remove_cell_tags": sorted(DEFAULT_REMOVAL_TAGS.cell),
        "remove_input_tags": sorted(DEFAULT_REMOVAL_TAGS.source),
        "remove_all_outputs_tags": sorted(DEFAULT_REMOVAL_TAGS.outputs),
    },
}


def exporter_config(jupyter_config: dict, ipynb_config: dict, prompts: bool = False) -> Config:
    """nbconvert configuration: the user's Jupyter config, our defaults, then conf.py's settings.

    `prompts` (NOTEBOOK_PROMPTS) shows In [n]: / Out[n]: beside cells; IPYNB_CONFIG, in
    nbconvert's own terms, has the last word.
    """
    from traitlets.config import Config

    config = Config(jupyter_config)
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


# Lexer names notebooks save that Pygments (and IPython's lexers) do not know by that name.
LEXER_NAMES = {
    "python": "ipython",  # a notebook's Python is IPython's: %magics and !shell lines
    "ipython2": "python2",  # Python 2 notebooks (2018 and before): `print x` is not an error there
}


def notebook_lexer(metadata: dict) -> str:
    """The Pygments lexer for a notebook's code: language_info, else the kernel's language, else IPython."""
    info = metadata.get("language_info") or {}
    kernel = metadata.get("kernelspec") or {}
    found = info.get("pygments_lexer") or info.get("name") or kernel.get("language") or "ipython"
    return LEXER_NAMES.get(str(found).lower(), str(found).lower())


def make_exporter(config: Config) -> HTMLExporter:
    """nbconvert's HTMLExporter without the BeautifulSoup pass it makes over every page.

    That pass adds alt text and tab stops after rendering and took a fifth of a build; our
    template writes alt text itself, and the theme's script gives a tab stop to the code
    boxes that need one.
    """
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    highlighters: dict[str, Highlighter] = {}

    class BlogExporter(HTMLExporter):
        def register_blog_filters(self, nb, resources=None) -> dict:
            """Our filters (cached highlighters, interactive outputs); the resources the template needs."""
            lexer = notebook_lexer(nb.metadata)
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", highlighters.setdefault(lexer, Highlighter(lexer)))
            data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("filter_data_type", data_types)
            self.register_filter("interactive_output", lambda value, mime: render(mime, value))
            return resources

        def _validate_preprocessor(self, nbc, preprocessor) -> None:
            """No schema check after the preprocessors (nbconvert's private hook).

            The notebook model has checked the notebook already (blog_build/notebook.py), and
            the preprocessors configured here only remove and merge cells and outputs; the
            check was 1-2 ms a notebook, 3% of a full build's CPU.
            """

        def from_notebook_node(self, nb, resources=None, **kw):
            resources = self.register_blog_filters(nb, resources)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return BlogExporter(config=config)


# Where a notebook's own title heading may be: before its first code cell, in its first
# markdown cells, near the top (a byline, a line of navigation links or one sentence may come
# first, as in notebooks from Norvig's pytudes, ipywidgets' docs and Jupytext's tests).
TITLE_CELLS = 3
TITLE_LINES = 10
ATX_HEADING = re.compile(r" {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*")
SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+)\s*")
FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
HTML_HEADING = re.compile(r"\s*<h([1-6])\b[^>]*>(.*?)</h\1\s*>\s*", re.I)


def plain_heading(markdown: str) -> str:
    """A heading's text as a reader reads it, for comparing with the title: no markup, spaces collapsed, any case."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # links and images keep their text
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", text).replace("`", "").replace("*", "").replace("\u00b6", "")
    return " ".join(html_unescape(text).split()).casefold()


def title_heading(lines: list[str], title: str) -> tuple[int, int] | None:
    """The lines [start, end) of the first heading that reads as `title` in `lines`, if any."""
    fence = None
    for number, line in enumerate(lines):
        opening = FENCE.match(line)
        if fence is not None:  # inside fenced code: a `# comment` there is no heading
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        atx, html = ATX_HEADING.fullmatch(line), HTML_HEADING.fullmatch(line)
        if atx or html:
            text = (atx.group(1) or "") if atx else html.group(2)
            if plain_heading(text) == title:
                return number, number + 1
        elif (
            line.strip()
            and number + 1 < len(lines)
            and SETEXT_UNDERLINE.fullmatch(lines[number + 1])
            and (number == 0 or not lines[number - 1].strip())
            and plain_heading(line) == title
        ):
            return number, number + 2
    return None


def drop_repeated_title(notebook: NotebookNode, title: str) -> None:
    """Remove the heading (any level) that only repeats the post's title, if the notebook opens with one.

    Notebooks usually carry their title as a heading; the page already shows it. It counts
    as the opening heading when it comes before any code cell, in the first TITLE_CELLS
    markdown cells and the first TITLE_LINES lines that are not blank. Only one is removed,
    and only a heading that reads exactly as the title (markup, spaces and case aside).
    """
    wanted = plain_heading(title)
    seen_cells = seen_lines = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" or seen_cells >= TITLE_CELLS or seen_lines >= TITLE_LINES:
            return
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        seen_cells += 1
        lines = cell.source.splitlines()
        near_top, counted = len(lines), seen_lines
        for number, line in enumerate(lines):
            counted += bool(line.strip())
            if counted > TITLE_LINES:
                near_top = number
                break
        found = title_heading(lines[:near_top], wanted)
        if found is not None:
            start, end = found
            before, after = "\n".join(lines[:start]).rstrip(), "\n".join(lines[end:]).lstrip("\n")
            cell.source = f"{before}\n\n{after}" if before and after else before or after
            return
        seen_lines = counted


def reading_minutes(notebook: NotebookNode, words_per_minute: int = 220) -> int:
    """Minutes to read the notebook's prose and code at an unhurried pace."""
    words = sum(len(cell.source.split()) for cell in notebook.cells if cell.cell_type in ("markdown", "code"))
    return max(1, round(words / words_per_minute))


def tools_bar(notebook: NotebookNode, download: str, notebook_path: str, repository: dict) -> str:
    """Links under the title: download, Binder and Colab (when conf.py names the repository), reading time."""
    suffix = Path(notebook_path).suffix
    kind = "" if suffix == ".ipynb" else f" ({suffix}, for Jupytext)"  # a text notebook is downloaded as it is
    links = [f'<a href="{download}" download>Download notebook{kind}</a>']
    github, branch = repository.get("github"), repository.get("branch", "main")
    if github:
        binder = f"https://mybinder.org/v2/gh/{github}/{branch}?labpath={notebook_path}"
        links.append(f'<a href="{binder}">Open in Binder</a>')
        if suffix == ".ipynb":  # Colab opens .ipynb files only
            colab = f"https://colab.research.google.com/github/{github}/blob/{branch}/{notebook_path}"
            links.append(f'<a href="{colab}">Open in Colab</a>')
    links.append(f"<span>{reading_minutes(notebook)} min read</span>")
    return '<p class="nb-tools">' + " ".join(links) + "</p>"


def provenance(notebook: NotebookNode) -> str:
    """For a post run at build time, a line saying when it ran and with what (left out of the search index)."""
    run = notebook.get("metadata", {}).get("nb_run")
    if not run:
        return ""
    used = [run["language"]] if run.get("language") else []
    used += [f"{name} {version}" for name, version in run.get("packages", {}).items()]
    tools = ""
    if used:
        tools = " with " + (used[0] if len(used) == 1 else ", ".join(used[:-1]) + " and " + used[-1])
    text = f"The outputs above are from a run on {run['when']}{tools}."
    return f'<p class="nb-provenance" data-pagefind-ignore>{html_escape(text)}</p>\n'


def notebook_to_html(exporter: HTMLExporter, notebook: NotebookNode, header: str = "", scripts: str = "") -> str:
    """Render a notebook's cells as an HTML fragment wrapped for the theme, its provenance, the scripts it needs.

    The fragment always says where index pages and feeds stop (blog_build/teasers.py), so
    `notebook` (the caller's copy) gets a teaser marker if its author gave none.
    """
    mark_automatic_teaser(notebook, RemovalTags.of(exporter.config))
    body, _resources = exporter.from_notebook_node(notebook)
    return f'{header}<div class="nb-body">\n{body}\n</div>\n{provenance(notebook)}{scripts}'.rstrip("\n")


def new_notebook(markdown: str) -> NotebookNode:
    """A notebook with one markdown cell, ready to open in Jupyter."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(markdown)]
    notebook.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook
