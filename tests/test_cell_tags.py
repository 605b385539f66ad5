"""Cells that tags take off the page stay off everything made from the notebook beside nbconvert.

nbconvert's TagRemovePreprocessor removes them from the page; the automatic teaser, long
outputs' text files and the post's card read the notebook before or beside it, with the
same tags (blog_build/cell_tags.py), including tags an author sets in IPYNB_CONFIG.
"""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell as code
from nbformat.v4 import new_markdown_cell as md
from nbformat.v4 import new_notebook, new_output

from blog_build import long_outputs, rendering
from blog_build.cards import card_figure
from blog_build.cell_tags import DEFAULT_REMOVAL_TAGS, RemovalTags
from blog_build.teasers import MARKER

# An author's own tag for notes to self, in conf.py: IPYNB_CONFIG = {"TagRemovePreprocessor": ...}
AUTHOR_CONFIG = {"TagRemovePreprocessor": {"remove_cell_tags": ["notes-to-self"]}}


def test_the_tags_are_the_exporters() -> None:
    from nbconvert.preprocessors import TagRemovePreprocessor

    for ipynb_config in ({}, AUTHOR_CONFIG, {"TagRemovePreprocessor": {"enabled": False}}):
        config = rendering.exporter_config({}, ipynb_config)
        nbconvert_reads = TagRemovePreprocessor(config=config)
        tags = RemovalTags.of(config)
        if not nbconvert_reads.enabled:
            assert tags == RemovalTags(frozenset(), frozenset(), frozenset())
            continue
        assert tags.cell == nbconvert_reads.remove_cell_tags
        assert tags.source == nbconvert_reads.remove_input_tags
        assert tags.outputs == nbconvert_reads.remove_all_outputs_tags
    assert RemovalTags.of(rendering.exporter_config({}, {})) == DEFAULT_REMOVAL_TAGS


def test_a_removed_opening_cell_neither_holds_the_teaser_marker_nor_shows() -> None:
    """A long note to self first: the marker must land in what the page shows, or index pages show the whole post."""
    notebook = new_notebook(
        cells=[
            md("private " * 300, metadata={"tags": ["notes-to-self"]}),
            md("The opening the reader sees."),
            code("print(1)", outputs=[new_output("stream", text="1\n")]),
            md("Further on."),
        ]
    )
    exporter = rendering.make_exporter(rendering.exporter_config({}, AUTHOR_CONFIG))
    html = rendering.notebook_to_html(exporter, nbformat.from_dict(notebook))
    assert "private" not in html
    assert MARKER in html
    assert html.index("The opening the reader sees.") < html.index(MARKER) < html.index("Further on.")


def test_removed_outputs_make_no_text_file_and_no_card() -> None:
    def tagged_notebook():
        huge = "a line of a very long log\n" * 10_000
        figure = new_output("display_data", data={"image/png": ""}, metadata={"filenames": {"image/png": "hidden.png"}})
        return new_notebook(
            cells=[
                code("log()", outputs=[new_output("stream", text=huge)], metadata={"tags": ["notes-to-self"]}),
                code("plot()", outputs=[figure], metadata={"tags": ["notes-to-self"]}),
            ]
        )

    removal = RemovalTags.of(rendering.exporter_config({}, AUTHOR_CONFIG))
    assert long_outputs.fold_long_outputs(tagged_notebook(), 40, "/posts/a/", removal=removal) == []
    assert card_figure(tagged_notebook(), removal) is None
    # With the site's own tags only, the same cells are shown, so they make both.
    assert long_outputs.fold_long_outputs(tagged_notebook(), 40, "/posts/a/")
    assert card_figure(tagged_notebook()) == "hidden.png"
