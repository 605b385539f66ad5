"""Numbered figures and equations and references to them (blog_build/cross_references.py)."""

from __future__ import annotations

from pathlib import Path

from lxml import html

from blog_build import cross_references

PNG_OUTPUT = {"output_type": "display_data", "data": {"image/png": ""}, "metadata": {}}


def code(source: str, **metadata) -> dict:
    return {"cell_type": "code", "source": source, "metadata": metadata, "outputs": [PNG_OUTPUT]}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def numbered(*cells: dict) -> tuple[dict, list[str]]:
    notebook = {"cells": list(cells), "metadata": {}}
    warnings: list[str] = []
    cross_references.number(notebook, "posts/x.ipynb", warnings)
    return notebook, warnings


def test_figures_are_numbered_in_order_and_references_link_to_them() -> None:
    notebook, warnings = numbered(
        markdown("As @fig-second shows, and @fig-first before it."),
        code("plot(a)", label="fig-first", caption="The first."),
        code('#| label: fig-second\n#| fig-cap: "The second, as Quarto writes it."\nplot(b)\n'),
        markdown("See @fig-first (not `@fig-first` in code, nor me@fig-first.org)."),
    )
    assert warnings == []
    assert notebook["cells"][0]["source"] == "As [Figure 2](#fig-second) shows, and [Figure 1](#fig-first) before it."
    first, second = notebook["cells"][1]["metadata"]["nb_figure"], notebook["cells"][2]["metadata"]["nb_figure"]
    assert first == {"id": "fig-first", "caption": '<span class="nb-figure-number">Figure 1</span>: The first.'}
    assert second["id"] == "fig-second" and second["caption"].endswith(": The second, as Quarto writes it.")
    assert notebook["cells"][2]["source"] == "plot(b)\n", "Quarto's option lines are not shown as code"
    assert (
        notebook["cells"][3]["source"] == "See [Figure 1](#fig-first) (not `@fig-first` in code, nor me@fig-first.org)."
    )


def test_labelled_equations_are_numbered() -> None:
    notebook, warnings = numbered(
        markdown("Energy:\n\n$$\nE = \\tfrac12 k x^2\n$$ {#eq-spring}\n\nand $$p = m v$$ {#eq-momentum}"),
        markdown("From @eq-momentum and @eq-spring."),
    )
    assert warnings == []
    text = notebook["cells"][0]["source"]
    assert '<div class="nb-equation" id="eq-spring">$$E = \\tfrac12 k x^2$$' in text
    assert '<span class="nb-equation-number">(2)</span></div>' in text
    assert notebook["cells"][1]["source"] == "From [Equation (2)](#eq-momentum) and [Equation (1)](#eq-spring)."


def test_a_reference_to_no_label_is_a_warning_naming_the_cell() -> None:
    notebook, warnings = numbered(markdown("Thanks to @stuartmumford; see @fig-missing."), code("x", label="fig-a"))
    assert warnings == ["posts/x.ipynb: cell 1 refers to @fig-missing, but no cell has that label"]
    assert "@fig-missing" in notebook["cells"][0]["source"], "left as written"


def test_duplicate_and_unprefixed_labels_are_warnings() -> None:
    notebook, warnings = numbered(
        code("a", label="fig-a"), code("b", label="fig-a"), code("c", label="plot", caption="C")
    )
    assert warnings[0] == "posts/x.ipynb: cell 2 uses the label 'fig-a' of cell 1 again; references go to the first"
    assert warnings[1].startswith("posts/x.ipynb: cell 3: label 'plot' does not start with 'fig-'")
    assert notebook["cells"][2]["metadata"]["nb_figure"] == {"id": "", "caption": "C"}, "captioned, unnumbered"


def test_the_blog_post_shows_a_numbered_figure_and_equation(built_site: Path) -> None:
    """posts/golden-ratio.md labels a figure (MyST cell options) and an equation and refers to both."""
    page = html.fromstring((built_site / "output/posts/golden-ratio/index.html").read_bytes())
    figure = page.xpath("//figure[@id='fig-ratios']")[0]
    assert figure.xpath(".//img[@alt]"), "the cell's figure is inside the <figure>"
    caption = figure.xpath("string(figcaption)")
    assert caption.startswith("Figure 1: The quotient of neighbouring Fibonacci numbers")
    assert figure.xpath("figcaption//math"), "maths in a caption becomes MathML"
    assert page.xpath("//a[@href='#fig-ratios']/text()") == ["Figure 1"]
    equation = page.xpath("//div[@class='nb-equation'][@id='eq-golden']")[0]
    assert equation.xpath("math") and equation.xpath("string(span[@class='nb-equation-number'])") == "(1)"
    assert page.xpath("//a[@href='#eq-golden']/text()") == ["Equation (1)"]


def test_a_caption_runs_no_script() -> None:
    notebook, warnings = numbered(code("plot()", label="fig-x", caption="Tides <img src=x onerror=alert(1)>"))
    caption = notebook["cells"][0]["metadata"]["nb_figure"]["caption"]
    assert "onerror" not in caption and "Tides" in caption
    assert warnings == ["posts/x.ipynb: cell 1: scripts or off-site images removed from its caption"]
