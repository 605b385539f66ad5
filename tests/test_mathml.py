"""blog_build/mathml.py (the mathml filter's logic) on its own: which text becomes MathML and which is left alone."""

from __future__ import annotations

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
