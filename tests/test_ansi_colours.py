"""Colours in tracebacks and logs reduced to the theme's palette (blog_build/ansi_colours.py)."""

from __future__ import annotations

import nbformat
from test_long_outputs import FIXTURES

from blog_build.ansi_colours import basic_colour, in_palette, readable_colours


def test_extended_colours_become_the_basic_colour_of_their_hue() -> None:
    assert basic_colour(0, 135, 0) == 2  # IPython's keyword green
    assert basic_colour(215, 95, 95) == 1  # its exception red
    assert basic_colour(128, 128, 128) == 7 and basic_colour(20, 20, 20) == 0
    assert basic_colour(0, 95, 215) == 4 and basic_colour(255, 215, 0) == 3


def test_only_extended_colour_codes_change() -> None:
    assert in_palette("\x1b[38;5;28;01mraise\x1b[39;00m") == "\x1b[32;01mraise\x1b[39;00m"
    assert in_palette("\x1b[48;2;200;30;30mred\x1b[0m") == "\x1b[41mred\x1b[0m"
    assert in_palette("\x1b[1;38;5;4mblue\x1b[m") == "\x1b[1;38;5;4mblue\x1b[m", "0-15 have classes already"
    assert in_palette("\x1b[92mbright\x1b[0m plain") == "\x1b[92mbright\x1b[0m plain"


def test_a_traceback_renders_with_classes_only() -> None:
    """nbconvert's ansi2html writes inline colours for the codes IPython 8 uses; after readable_colours, none."""
    from nbconvert.filters import ansi2html

    notebook = nbformat.read(FIXTURES / "figures.ipynb", as_version=4)
    error = notebook.cells[4].outputs[0]
    assert "style=" in ansi2html("\n".join(error.traceback)), "the fixture holds what the theme cannot colour"
    readable_colours(notebook)
    html = ansi2html("\n".join(error.traceback))
    assert "style=" not in html
    assert '<span class="ansi-green-intense-fg ansi-bold">raise</span>' in html
