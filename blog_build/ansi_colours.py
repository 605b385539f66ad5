"""Colours in tracebacks and logs in the theme's own palette, readable on a light and a dark page.

nbconvert's ansi2html turns the eight basic ANSI colours into classes (`ansi-red-fg`), which
the theme colours for both schemes with enough contrast; but 256-colour and 24-bit codes
(IPython 8 highlights the failing line of a traceback with them, `ESC[38;5;28m`) become
inline `style="color: rgb(0,135,0)"`, chosen for one background: on the dark page that
failed axe-core's color-contrast. Here each such code is replaced, before nbconvert sees the text, by the
basic colour nearest in hue, so that every colour on the page comes from the palette.
"""

from __future__ import annotations

import re

SGR = re.compile(r"\x1b\[([0-9;]*)m")  # a Select Graphic Rendition escape: colours, bold...
BLACK, WHITE = 0, 7


def basic_colour(red: int, green: int, blue: int) -> int:
    """The nearest of the eight basic ANSI colours (0 black ... 7 white) to an RGB colour, by hue."""
    top = max(red, green, blue)
    if top < 64:
        return BLACK
    on = [value >= top * 0.6 for value in (red, green, blue)]
    return on[0] + 2 * on[1] + 4 * on[2]  # ANSI's order: red is 1, green 2, blue 4; all three is white


def palette_rgb(index: int) -> tuple[int, int, int]:
    """The RGB colour of xterm's 256-colour palette entry `index` (16 and over)."""
    if index >= 232:
        grey = 8 + 10 * (index - 232)
        return grey, grey, grey
    index -= 16
    levels = [0 if value == 0 else 55 + 40 * value for value in (index // 36, index // 6 % 6, index % 6)]
    return levels[0], levels[1], levels[2]


def basic_parameters(parameters: str) -> str:
    """An SGR escape's parameters with every 256-colour or 24-bit colour made a basic one."""
    values = parameters.split(";")
    out: list[str] = []
    position = 0
    while position < len(values):
        value = values[position]
        number = int(value) if value.isdigit() else None
        if number in (38, 48) and position + 1 < len(values):
            base = 30 if number == 38 else 40
            kind = values[position + 1]
            if kind == "5" and position + 2 < len(values) and values[position + 2].isdigit():
                index = int(values[position + 2])
                # 0-15 are the basic colours and their bright forms, which have classes already.
                out += (
                    [str(base + basic_colour(*palette_rgb(min(index, 255))))]
                    if index >= 16
                    else values[position : position + 3]
                )
                position += 3
                continue
            rgb = values[position + 2 : position + 5]
            if kind == "2" and len(rgb) == 3 and all(part.isdigit() for part in rgb):
                out.append(str(base + basic_colour(*(min(int(part), 255) for part in rgb))))
                position += 5
                continue
        out.append(value)
        position += 1
    return ";".join(out)


def in_palette(text: str) -> str:
    """The text with its ANSI colour codes reduced to the eight basic colours (bold and the rest kept)."""
    if "\x1b[" not in text:
        return text
    return SGR.sub(lambda match: f"\x1b[{basic_parameters(match.group(1))}m", text)


def readable_colours(notebook) -> None:
    """Every stream, traceback and plain-text output of the notebook in the basic colours (in place)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = in_palette(output.get("text", ""))
            elif output.get("output_type") == "error":
                output["traceback"] = [in_palette(line) for line in output.get("traceback", [])]
            elif isinstance(output.get("data", {}).get("text/plain"), str):
                output["data"]["text/plain"] = in_palette(output["data"]["text/plain"])
