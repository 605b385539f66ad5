"""Where index pages and feeds stop a notebook post whose author put no teaser marker.

Notebooks brought from elsewhere never have `<!-- TEASER_END -->`, and Nikola shows a post
without one whole on the home page and in every feed: a batch of ordinary tutorials made a
1.4 MB home page. The rule here, applied to the render-ready copy of a notebook just before
nbconvert, after the repeated title is dropped and long outputs are folded:

- an author's marker anywhere wins: nothing is added;
- otherwise the teaser is the opening prose and ends before the first code cell that shows
  something, at the latest (a cell removed by its tags, or an empty one, does not count);
- and it ends sooner once the prose has reached TEASER_WORDS words: after the top-level
  Markdown block (paragraph, list, heading, table...) that reaches it, so no paragraph is
  cut in two;
- a cell whose outputs already end the teaser (an interactive or a folded output,
  interactive_outputs.TEASER_KEY) keeps doing so when it comes first.

A teaser that ends between cells is marked with TEASER_KEY on the next cell (the template
writes the marker before it); one that ends inside a markdown cell gets the marker in the
cell's source, between two blocks, where CommonMark (markdown-it-py, the parser Jupytext
uses) says a block ends. The marker is an HTML comment: the post's own page is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blog_build.cell_tags import DEFAULT_REMOVAL_TAGS, RemovalTags
from blog_build.interactive_outputs import TEASER_KEY, TEASER_MARKER

if TYPE_CHECKING:
    from nbformat import NotebookNode

# About a minute of reading, a long paragraph or two: enough to say what the post is about.
TEASER_WORDS = 200
MARKER = "<!-- TEASER_END -->"


def _shown(cell: dict, removal: RemovalTags) -> bool:
    """Whether the cell puts anything on the page, given its tags."""
    if not removal.shows_cell(cell):
        return False
    if cell.get("cell_type") != "code":
        return bool(cell.get("source", "").strip())
    source = cell.get("source", "").strip() and removal.shows_source(cell)
    outputs = cell.get("outputs") and removal.shows_outputs(cell)
    return bool(source or outputs)


def block_ends(markdown: str) -> list[tuple[int, int]]:
    """(line after the block, words so far) for each top-level block of a markdown cell, in order."""
    from markdown_it import MarkdownIt

    lines = markdown.splitlines()
    ends = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.level == 0 and token.nesting >= 0 and token.map:
            words = sum(len(line.split()) for line in lines[: token.map[1]])
            ends.append((token.map[1], words))
    return ends


def split_at(markdown: str, words: int) -> int | None:
    """The line before which a teaser of about `words` words ends in this cell; None if the cell is shorter.

    The end of the block that reaches `words`, unless that is the cell's end, or display
    maths (`$$`, which CommonMark does not know) is open there.
    """
    lines = markdown.splitlines()
    for end, counted in block_ends(markdown):
        if counted < words:
            continue
        if end >= len(lines) or not "".join(lines[end:]).strip():
            return None
        if "\n".join(lines[:end]).count("$$") % 2 == 0:
            return end
    return None


def mark_automatic_teaser(
    notebook: NotebookNode, removal: RemovalTags = DEFAULT_REMOVAL_TAGS, words: int = TEASER_WORDS
) -> None:
    """Mark where index pages and feeds stop this notebook (in place), by the module's rule;
    `removal`: the tags that take cells off the page (the exporter's)."""
    cells = notebook.cells
    if any(cell.cell_type == "markdown" and TEASER_MARKER.search(cell.source) for cell in cells):
        return
    counted = 0
    shown = [cell for cell in cells if _shown(cell, removal)]
    for index, cell in enumerate(shown):
        if cell.get("metadata", {}).get(TEASER_KEY):
            return  # an interactive or folded output ends it here already
        if cell.cell_type == "code":  # (a post that opens with code shows only "Read more")
            cell.setdefault("metadata", {})[TEASER_KEY] = True
            return
        if cell.cell_type != "markdown":
            continue
        end = split_at(cell.source, words - counted)
        if end is not None:
            lines = cell.source.splitlines()
            cell.source = "\n".join([*lines[:end], "", MARKER, "", *lines[end:]])
            return
        counted += len(cell.source.split())
        if counted >= words and index + 1 < len(shown):
            shown[index + 1].setdefault("metadata", {})[TEASER_KEY] = True
            return
