"""blog_build/mathml.py (the mathml filter's logic) on its own: which text becomes MathML and which is left alone."""

from __future__ import annotations

import random

from lxml import html

from blog_build.mathml import render_math

PAGE = (
    "<html><body><p>Inline $a^2$ and <b>bold</b> then $b_1$ as tail text.</p>"
    "<pre>$x$</pre><p><code>$y$</code></p><p>A price of $5 and $10.</p>"
    "<div>\\(c\\) and \\[d\\]</div><script>var q = '$q$';</script></body></html>"
)


def test_maths_in_text_and_tails_becomes_mathml_and_code_stays_as_it_is() -> None:
    rendered, problems = render_math(PAGE)
    assert problems == []
    doc = html.fromstring(rendered)
    maths = doc.xpath("//*[local-name()='math']")
    assert [m.get("display") for m in maths] == ["inline", "inline", "inline", "block"]
    assert doc.xpath("string(//p[1])").startswith("Inline ") and "as tail text." in doc.xpath("string(//p[1])")
    assert doc.findtext(".//pre") == "$x$" and doc.findtext(".//code") == "$y$"
    assert doc.xpath("string(//p[3])") == "A price of $5 and $10."
    assert "'$q$'" in doc.findtext(".//script")


def test_a_page_without_delimiters_is_returned_untouched() -> None:
    page = "<html><body><p>No maths here.</p></body></html>"
    assert render_math(page) == (page, [])


def test_maths_in_a_comment_stays_there_and_maths_around_it_and_deep_in_elements_is_converted() -> None:
    """A markdown cell's `<!-- a note on $x$ -->` once stopped the build (lxml: a comment has no children)."""
    page = (
        "<html><body>$top$<!-- a note on $x^2$ --> then $y$<div><span><em>deep $z$</em> tail $w$</span></div>"
        "<pre><span>$kept$</span></pre><code>$c$</code> after $v$</body></html>"
    )
    rendered, problems = render_math(page)
    assert problems == []
    doc = html.fromstring(rendered)
    assert "<!-- a note on $x^2$ -->" in rendered
    assert [m.xpath("string()") for m in doc.xpath("//*[local-name()='math']")] == ["top", "y", "z", "w", "v"]
    assert doc.xpath("string(//pre)") == "$kept$" and doc.xpath("string(//code)") == "$c$"


# What pages hold around maths: comments, processing instructions, CDATA, raw text, foreign content, bad LaTeX.
PIECES = (
    "<!--", "-->", "$x$", "$$a$$", "$", "\\(", "\\)", "\\[", "\\]", "<pre>", "</pre>", "<code>", "</code>",
    "<![CDATA[", "]]>", "<?pi $x$ ?>", "<svg>", "</svg>", "<math>", "</math>", "&amp;", "text ", "<p>", "</p>",
    "<b>", "</b>", "<table>", "<td>", "<textarea>", "$\\frac{1}{0}$", "$\\unknowncmd{$", "<template>",
    "</template>", "<!DOCTYPE html>", "<title>", "<body>", "<select><option>$q$",
)  # fmt: skip


def test_no_mix_of_markup_around_maths_stops_the_filter() -> None:
    """Random mixes of PIECES (a walk over elements failed on 15% of them: a comment or instruction holding maths)."""
    chance = random.Random(5)
    for _ in range(2000):
        page = "<html><body>" + "".join(chance.choice(PIECES) for _ in range(chance.randint(1, 14))) + "</body></html>"
        rendered, _problems = render_math(page)
        assert html.fromstring(rendered) is not None, page
