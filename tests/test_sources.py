"""Both ways of giving a notebook post its metadata, and `nikola new_post -f ipynb`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import html

from conftest import nikola

STDOUT_42 = [{"output_type": "stream", "name": "stdout", "text": "42\n"}]


def write_notebook(
    path: Path, markdown: str, code: str, nikola_metadata: dict | None = None, outputs: list[dict] = STDOUT_42
) -> None:
    """A two-cell notebook post: one markdown cell, one code cell with `outputs`."""
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if nikola_metadata is not None:
        metadata["nikola"] = nikola_metadata
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": markdown},
            {
                "cell_type": "code",
                "id": "answer",
                "execution_count": 1,
                "metadata": {},
                "source": code,
                "outputs": outputs,
            },
        ],
        "metadata": metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def test_two_file_post(small_site: Path) -> None:
    write_notebook(small_site / "posts/two-file.ipynb", "Kept beside a meta file.", "print(6 * 7)")
    (small_site / "posts/two-file.meta").write_text(
        ".. title: Two files\n.. slug: two-file\n.. date: 2024-02-03 04:05:06 UTC\n"
        ".. tags: alpha, beta\n.. description: Metadata in a .meta file\n.. type: text\n"
    )
    nikola(small_site, "build")
    doc = html.fromstring((small_site / "output/posts/two-file/index.html").read_bytes())
    assert doc.xpath("string(//h1[contains(@class, 'entry-title')]/a)") == "Two files"
    assert {a.text for a in doc.xpath("//a[@rel='tag']")} == {"alpha", "beta"}
    assert doc.xpath("string(//meta[@name='description']/@content)") == "Metadata in a .meta file"
    assert "42" in doc.xpath("string(//div[contains(@class, 'output_text')])")


def test_metadata_inside_the_notebook(small_site: Path) -> None:
    write_notebook(
        small_site / "posts/one-file.ipynb",
        "All in one file.",
        "print(6 * 7)",
        {
            "title": "One file",
            "slug": "one-file",
            "date": "2024-03-04 05:06:07 UTC",
            "tags": "gamma",
            "description": "Metadata inside the notebook",
        },
    )
    nikola(small_site, "build")
    doc = html.fromstring((small_site / "output/posts/one-file/index.html").read_bytes())
    assert doc.xpath("string(//h1[contains(@class, 'entry-title')]/a)") == "One file"
    assert [a.text for a in doc.xpath("//a[@rel='tag']")] == ["gamma"]
    assert doc.xpath("string(//time/@datetime)").startswith("2024-03-04T05:06:07")


def test_new_post_creates_a_notebook_that_builds(small_site: Path) -> None:
    nikola(small_site, "new_post", "-f", "ipynb", "-t", "Fresh from new_post", "--tags=testing")
    notebook = small_site / "posts/fresh-from-new_post.ipynb"
    meta = small_site / "posts/fresh-from-new_post.meta"
    assert notebook.is_file() and meta.is_file()
    content = json.loads(notebook.read_text())
    assert content["nbformat"] == 4 and content["metadata"]["kernelspec"]["name"] == "python3"
    assert ".. title: Fresh from new_post" in meta.read_text()
    nikola(small_site, "build")
    doc = html.fromstring((small_site / "output/posts/fresh-from-new_post/index.html").read_bytes())
    assert doc.xpath("string(//h1[contains(@class, 'entry-title')]/a)") == "Fresh from new_post"


@pytest.mark.parametrize(
    "setting",
    ["NOTEBOOK_PROMPTS = True", 'IPYNB_CONFIG = {"TemplateExporter": {"exclude_input_prompt": False}}'],
)
def test_prompts_are_off_by_default_and_a_settings_change_rebuilds_notebook_posts(
    small_site: Path, setting: str
) -> None:
    nikola(small_site, "build")
    page = small_site / "output/posts/welcome/index.html"
    assert 'class="prompt' not in page.read_text()
    with (small_site / "conf.py").open("a") as conf:
        conf.write(f"\n{setting}\n")
    nikola(small_site, "build")
    doc = html.fromstring(page.read_bytes())
    prompts = [prompt.text_content().strip() for prompt in doc.xpath("//div[contains(@class, 'input_prompt')]")]
    assert prompts, "the post was rendered again with the new settings"
    assert all(re.fullmatch(r"In\xa0\[\d+\]:", prompt) for prompt in prompts), prompts
    assert len(prompts) == len(doc.xpath("//div[contains(@class, 'code_cell')]")), "code cells only, no empty boxes"


def test_maths_in_a_markdown_page_becomes_mathml(small_site: Path) -> None:
    (small_site / "pages/maths.md").write_text(
        "<!--\n.. title: Maths\n.. slug: maths\n.. date: 2024-01-01\n-->\n\n"
        "Inline $a_1^2 + b_1^2$, a price of $5 and $10, and a display:\n\n$$\\frac{1}{n}\\sum_i x_i$$\n\n"
        "`$not_maths$` in code stays.\n"
    )
    nikola(small_site, "build")
    doc = html.fromstring((small_site / "output/maths/index.html").read_bytes())
    formulas = doc.xpath("//math")
    assert [f.get("display") for f in formulas] == ["inline", "block"]
    assert formulas[0].xpath(".//msubsup"), "a_1^2 is a MathML sub- and superscript"
    text = doc.text_content()
    assert "$5 and $10" in text and "$not_maths$" in text


def test_files_a_notebook_refers_to_are_copied_and_missing_ones_named(small_site: Path) -> None:
    posts = small_site / "posts"
    (posts / "diagram.png").write_bytes(b"\x89PNG diagram")
    (posts / "images").mkdir()
    (posts / "images" / "plot.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    html_output = '<img src="images/plot.svg" alt="plot"> <a href="https://example.org/x.png">x</a>'
    write_notebook(
        posts / "refs.ipynb",
        "![A diagram](diagram.png) ![Gone](missing.png)",
        "show()",
        outputs=[{"output_type": "display_data", "metadata": {}, "data": {"text/html": html_output}}],
    )
    (posts / "refs.meta").write_text(".. title: Refs\n.. slug: refs\n.. date: 2024-01-01 00:00:00 UTC\n")
    result = nikola(small_site, "build")
    out = small_site / "output/posts/refs"
    assert (out / "diagram.png").read_bytes() == b"\x89PNG diagram"
    assert (out / "images/plot.svg").exists()
    assert "posts/refs.ipynb: cell 1 refers to missing.png, which is not beside the notebook" in result.stderr
    assert "x.png" not in result.stderr, "links to other sites are not files to copy"
    check = nikola(small_site, "check", "-f", check=False)
    assert "refs/diagram.png" not in check.stdout + check.stderr, "the copied files are known to Nikola, not orphans"
    (posts / "missing.png").write_bytes(b"\x89PNG found")
    nikola(small_site, "build")
    assert (out / "missing.png").read_bytes() == b"\x89PNG found", "a file added later is copied, notebook unchanged"


def test_a_heading_that_repeats_the_title_is_dropped(small_site: Path) -> None:
    write_notebook(small_site / "posts/titled.ipynb", "# Titled post\n\nFirst paragraph.", "print(1)")
    (small_site / "posts/titled.meta").write_text(".. title: Titled post\n.. slug: titled\n.. date: 2024-01-01\n")
    write_notebook(small_site / "posts/other.ipynb", "# A different heading\n\nText.", "print(1)")
    (small_site / "posts/other.meta").write_text(".. title: Other post\n.. slug: other\n.. date: 2024-01-02\n")
    nikola(small_site, "build")
    titled = html.fromstring((small_site / "output/posts/titled/index.html").read_bytes())
    headings = [h.text_content().replace("¶", "").strip() for h in titled.xpath("//h1|//h2|//h3")]
    assert headings.count("Titled post") == 1, headings
    assert "First paragraph." in titled.text_content()
    other = html.fromstring((small_site / "output/posts/other/index.html").read_bytes())
    assert "A different heading" in other.text_content()


def test_pages_over_the_size_budget_are_named(small_site: Path) -> None:
    big_table = "<table>" + "<tr><td>0.123456789</td></tr>" * 45_000 + "</table>"
    table_output = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/html": big_table},
    }
    write_notebook(
        small_site / "posts/big.ipynb", "Short teaser.\n\n<!-- TEASER_END -->", "table", outputs=[table_output]
    )
    (small_site / "posts/big.meta").write_text(".. title: Big\n.. slug: big\n.. date: 2024-01-01 00:00:00 UTC\n")
    result = nikola(small_site, "build")
    warnings = [line for line in result.stderr.splitlines() if "WARNING: page_size_report" in line]
    assert len(warnings) == 1, result.stderr
    assert "posts/big/index.html is 1." in warnings[0] and "over the 1.00 MB budget: HTML 1." in warnings[0]
    assert "stylesheets" in warnings[0] and "all-nocdn.css" in warnings[0]


def test_the_authors_own_css_is_in_every_page_stylesheet(small_site: Path) -> None:
    css = small_site / "files/assets/css/custom.css"
    css.parent.mkdir(parents=True)
    css.write_text(".custom-marker { color: rebeccapurple; }\n")
    nikola(small_site, "build")
    doc = html.fromstring((small_site / "output/index.html").read_bytes())
    sheets = [href for href in doc.xpath("//link[@rel='stylesheet']/@href") if "all" in href]
    assert sheets, "the page links the bundled stylesheet"
    bundled = (small_site / "output/assets/css" / Path(sheets[0].split("?")[0]).name).read_text()
    assert bundled.rstrip().endswith(".custom-marker { color: rebeccapurple; }"), "the author's rules come last"
