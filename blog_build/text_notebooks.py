"""Text notebooks as posts: Jupytext/MyST Markdown (`.md`) and percent-format scripts (`.py`).

Many authors keep notebooks as text, so that a diff shows the code and prose that changed
and not the outputs. Jupytext (pinned in site.lock) reads them into ordinary notebooks, and
from there a text notebook travels the same way as an `.ipynb`: one model, read once.

- A `.md` file is a notebook when its YAML front matter has a `jupyter:`, `jupytext:` or
  `kernelspec:` entry, or it holds MyST `{code-cell}` blocks; any other `.md` is a Markdown post.
- A `.py` post must be in the percent format (`# %%` starts a cell).
- The post's metadata is its front matter (`title:`, `date:`, `tags:`...; the slug is the file
  name unless it gives one), then its `.meta` file if it has one, which wins.
- It has no saved outputs, so it is executed at build time (with the execution cache)
  unless its metadata says `execute: false`; with a Jupytext-paired `NAME.ipynb` beside it,
  the outputs saved in that file are shown instead, and the `.ipynb` is not a post of its own.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from blog_build.metadata import SourceError

SUFFIXES = (".md", ".py")
# Front matter keys that are Jupyter's (or Jupytext's, MyST's) own, not the post's metadata.
NOTEBOOK_KEYS = {"jupyter", "jupytext", "kernelspec", "language_info", "widgets", "nikola", "kernel_info"}
MARKDOWN_NOTEBOOK = re.compile(r"^(jupyter|jupytext|kernelspec)\s*:", re.M)
MYST_CODE_CELL = re.compile(r"^(```|~~~)\{code-cell\}", re.M)
PERCENT_CELL = re.compile(r"^# %%", re.M)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(\n|\Z)", re.S)
COMMENTED_FRONT_MATTER = re.compile(r"\A(?:#!.*\n)?(?:# -\*-.*\n)?# ---[ \t]*\n((?:#.*\n)*?)# ---[ \t]*(\n|\Z)")


def is_candidate(source: Path) -> bool:
    """Whether `source` may be a text notebook (its suffix is one Jupytext reads)."""
    return source.suffix in SUFFIXES


def is_text_notebook(source: Path, text: str) -> bool:
    """Whether `text`, the content of `source`, is a notebook rather than a Markdown post or a plain script."""
    if source.suffix == ".py":
        return True  # a .py post that is no notebook is an error, said by `read`
    if source.suffix != ".md":
        return False
    front = FRONT_MATTER.match(text)
    return bool(front and MARKDOWN_NOTEBOOK.search(front.group(1) or "")) or bool(MYST_CODE_CELL.search(text))


def pair_of(source: Path) -> Path:
    """Where a text notebook's Jupytext-paired `.ipynb` is (it may not exist)."""
    return source.with_suffix(".ipynb")


def files_of(source: Path) -> list[Path]:
    """The files a post's model is made from: the source and, for a text notebook, its paired `.ipynb`."""
    return [source, pair_of(source)] if is_candidate(source) else [source]


def read(text: str, source: str, paired: dict | None = None) -> dict:
    """The notebook (nbformat 4, as a plain dict) in a text notebook, its front matter in `metadata.nikola`.

    `paired` is the checked notebook of its paired `.ipynb`: its outputs are shown for the
    cells whose code is the same.
    """
    import jupytext

    if source.endswith(".py") and not PERCENT_CELL.search(text):
        raise SourceError(
            f"{source}: a .py post must be a notebook in Jupytext's percent format: start each cell with '# %%'"
            " (and markdown cells with '# %% [markdown]')"
        )
    front = front_matter(text, source)
    try:
        notebook = jupytext.reads(text, fmt=source.rsplit(".", 1)[-1])
    except Exception as error:  # jupytext's parsers raise many kinds of error on bad input
        why = f"{type(error).__name__}: {error}"
        raise SourceError(f"{source}: Jupytext cannot read it as a notebook ({why})") from None
    cells = notebook.cells
    if cells and cells[0].cell_type == "raw" and FRONT_MATTER.match(cells[0].source + "\n"):
        cells.pop(0)  # the front matter (Jupytext keeps keys it does not know as a raw cell)
    for key in [key for key in notebook.metadata if key not in NOTEBOOK_KEYS]:
        del notebook.metadata[key]  # MyST's front matter keys, read into `front` already
    for cell in cells:
        for key in ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker", "region_name"):
            cell.metadata.pop(key, None)  # how Jupytext lays out the text, nothing to show
    if paired is not None:
        notebook = with_paired_outputs(notebook, paired)
    elif "execute" not in {key.lower() for key in front}:
        front["execute"] = True  # a text notebook has no outputs of its own
    if front and "slug" not in {key.lower() for key in front}:
        front["slug"] = Path(source).stem  # as Nikola names a post without one
    inside = notebook.metadata.get("nikola")
    notebook.metadata["nikola"] = {**front, **(inside if isinstance(inside, dict) else {})}
    for cell in notebook.cells:
        cell.pop("id", None)  # nbformat gave random ones; the model gives stable ids
    return json.loads(json.dumps(notebook))


def front_matter(text: str, source: str) -> dict:
    """The post's metadata in a text notebook's YAML front matter (Jupyter's own keys left out)."""
    import yaml

    match = FRONT_MATTER.match(text)
    block = match.group(1) if match else None
    if source.endswith(".py"):
        commented = COMMENTED_FRONT_MATTER.match(text)
        block = re.sub(r"^# ?", "", commented.group(1), flags=re.M) if commented else None
    if not block:
        return {}
    try:
        values = yaml.safe_load(block)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(error, "problem", None) or error
        raise SourceError(f"{source}: the front matter is not valid YAML{where}: {problem}") from None
    if not isinstance(values, dict):
        raise SourceError(f"{source}: the front matter must be 'key: value' lines")
    return {str(key): as_metadata(value) for key, value in values.items() if str(key) not in NOTEBOOK_KEYS}


def as_metadata(value: object) -> object:
    """A YAML value as notebook metadata takes it (dates as text Nikola reads)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def with_paired_outputs(notebook, paired: dict):
    """The text notebook's cells with the outputs that its paired `.ipynb` saved for the same code."""
    import nbformat
    from jupytext.combine import combine_inputs_with_outputs

    outputs = nbformat.from_dict(paired)
    return combine_inputs_with_outputs(notebook, outputs)


def new_text_notebook(path: Path, content: str, metadata: dict | None = None) -> str:
    """The text of a new text notebook at `path` (MyST Markdown for `.md`, percent format for `.py`).

    `metadata`, for a one-file post, goes into its front matter (`title: ...` lines).
    """
    import jupytext
    import nbformat
    import yaml

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(content), nbformat.v4.new_code_cell("")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    text = jupytext.writes(notebook, fmt="md:myst" if path.suffix == ".md" else "py:percent")
    if not metadata:
        return text
    lead = "# " if path.suffix == ".py" else ""
    lines = text.split("\n")
    end = lines.index(f"{lead}---", 1)  # the header's closing line
    added = [f"{lead}{line}" for line in yaml.safe_dump(metadata, sort_keys=False).splitlines()]
    return "\n".join(lines[:end] + added + lines[end:])
