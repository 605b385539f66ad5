"""Numbered figures and equations, and references to them from markdown cells.

The convention is Quarto's, which Jupytext and plain `.ipynb` files can both carry:

- a code cell whose metadata has `label: fig-NAME` (or a `#| label: fig-NAME` line at the top
  of its code) is Figure n, its outputs in a `<figure id="fig-NAME">`; `caption` (or `fig-cap`,
  or `#| fig-cap: ...`) is its `<figcaption>`. A caption without a label gives an unnumbered figure.
- a display equation followed by its label, `$$ ... $$ {#eq-NAME}`, is Equation (n);
- `@fig-NAME` and `@eq-NAME` in a markdown cell become links reading "Figure n" and
  "Equation (n)". A reference to a label no cell has is a warning naming the file and cell.

Numbers count in the order the cells come. The model's notebook carries the result (the
cell metadata `nb_figure`, rewritten markdown), which the template turns into HTML.
"""

from __future__ import annotations

import re

from blog_build import html_safety
from blog_build.html_safety import outside_code
from blog_build.images import text_of

LABEL = r"(?:fig|eq)-[A-Za-z0-9_-]+"
# `@fig-a` or `@eq-a`, not an e-mail address or a handle (`me@fig-a.org`, `@figure`).
REFERENCE = re.compile(rf"(?<![\w@.]){'@'}({LABEL})(?![\w-])")
# A display equation with its label: `$$ ... $$ {#eq-a}` (on one line or several).
LABELLED_EQUATION = re.compile(r"\$\$(?P<latex>.+?)\$\$[ \t]*\{#(?P<label>eq-[A-Za-z0-9_-]+)\}", re.S)
CELL_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


def cell_options(source: str) -> tuple[dict[str, str], str]:
    """Quarto's `#| key: value` lines at the top of a code cell, and the code without them."""
    options: dict[str, str] = {}
    lines = source.splitlines(keepends=True)
    taken = 0
    for line in lines:
        match = CELL_OPTION.match(line)
        if not match:
            break
        options[match.group(1)] = match.group(2).strip().strip("\"'")
        taken += 1
    return options, "".join(lines[taken:])


def number(notebook: dict, source: str, warnings: list[str]) -> None:
    """Number the notebook's labelled figures and equations and resolve references to them (in place)."""
    targets: dict[str, str] = {}  # label -> what a reference to it reads
    first_seen: dict[str, int] = {}
    figures = equations = 0

    def claim(label: str, cell_number: int) -> bool:
        if label in first_seen:
            warnings.append(
                f"{source}: cell {cell_number} uses the label {label!r} of cell {first_seen[label]} again;"
                " references go to the first"
            )
            return False
        first_seen[label] = cell_number
        return True

    for cell_number, cell in enumerate(notebook["cells"], 1):
        if cell["cell_type"] == "code":
            options, code = cell_options(text_of(cell["source"]))
            if options:
                cell["source"] = code  # as Quarto shows it: the options are not part of the code
            metadata = cell.setdefault("metadata", {})
            label = str(metadata.get("label") or options.get("label") or "")
            caption = str(metadata.get("caption") or metadata.get("fig-cap") or options.get("fig-cap") or "")
            caption, found = html_safety.clean_markdown(caption)  # Markdown on the page, like a markdown cell
            if found.scripts or found.remote:
                warnings.append(f"{source}: cell {cell_number}: scripts or off-site images removed from its caption")
            if not label.startswith("fig-"):
                if label:
                    warnings.append(
                        f"{source}: cell {cell_number}: label {label!r} does not start with 'fig-', so it is not"
                        " numbered; name it 'fig-...' to refer to it as @fig-..."
                    )
                if caption:
                    metadata["nb_figure"] = {"id": "", "caption": caption}
                continue
            if not claim(label, cell_number):
                continue
            figures += 1
            targets[label] = f"Figure {figures}"
            shown = f'<span class="nb-figure-number">Figure {figures}</span>' + (f": {caption}" if caption else "")
            metadata["nb_figure"] = {"id": label, "caption": shown}
        elif cell["cell_type"] == "markdown":
            text = text_of(cell["source"])
            if "{#eq-" not in text:
                continue

            def numbered(match: re.Match, cell_number: int = cell_number) -> str:
                nonlocal equations
                label = match.group("label")
                if not claim(label, cell_number):
                    return f"$${match.group('latex')}$$"
                equations += 1
                targets[label] = f"Equation ({equations})"
                latex = " ".join(match.group("latex").split())
                return (
                    f'\n\n<div class="nb-equation" id="{label}">$${latex}$$'
                    f'<span class="nb-equation-number">({equations})</span></div>\n\n'
                )

            cell["source"] = outside_code(text, lambda part, numbered=numbered: LABELLED_EQUATION.sub(numbered, part))
    for cell_number, cell in enumerate(notebook["cells"], 1):
        if cell["cell_type"] != "markdown" or "@" not in text_of(cell["source"]):
            continue

        def linked(match: re.Match, cell_number: int = cell_number) -> str:
            label = match.group(1)
            if label not in targets:
                warnings.append(f"{source}: cell {cell_number} refers to @{label}, but no cell has that label")
                return match.group(0)
            return f"[{targets[label]}](#{label})"

        cell["source"] = outside_code(text_of(cell["source"]), lambda part, linked=linked: REFERENCE.sub(linked, part))
