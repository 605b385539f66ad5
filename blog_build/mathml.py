"""LaTeX in HTML as MathML, so pages need no script and no CDN: the logic of plugins/mathml.

Notebook markdown (rendered by nbconvert) keeps `$...$` and `$$...$$` as text, and Markdown
pages keep `\\(...\\)` and `\\[...\\]` (pymdownx.arithmatex in generic mode). `render_math`
replaces them in a page with MathML from latex2mathml, which browsers display natively;
`replace_text` does it in an element (a feed item's text, plugins/scan_posts/teasers.py).
Code, preformatted text and scripts are left alone.
"""

from __future__ import annotations

import re

from lxml import etree, html

SKIP = {"pre", "code", "script", "style", "textarea", "math", "kbd", "samp"}
# Display maths first; inline `$` follows pandoc's rule (no space inside the dollars, no
# digit right after the closing one) so that "costs $5 and $10" stays prose.
MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|\\\((?P<i1>.+?)\\\)"
    r"|(?<![\\$\w])\$(?=[^\s$])(?P<i2>[^$\n]+?)(?<=[^\s\\])\$(?!\d)",
    re.S,
)
MARKERS = ("$", "\\(", "\\[")


def to_mathml(latex: str, display: bool) -> html.HtmlElement:
    from latex2mathml.converter import convert

    return html.fragment_fromstring(convert(latex.strip(), display="block" if display else "inline"))


def split_math(text: str, problems: list[str]) -> list[str | html.HtmlElement]:
    """Text and MathML elements, in order; LaTeX that does not convert stays as text."""
    pieces: list[str | html.HtmlElement] = []
    position = 0
    for match in MATH.finditer(text):
        latex = next(group for group in match.groups() if group is not None)
        try:
            element = to_mathml(latex, display=match.group("d1") is not None or match.group("d2") is not None)
        except Exception as error:  # latex2mathml raises many kinds of error for unsupported LaTeX
            problems.append(f"{match.group(0)!r}: {error}")
            continue
        pieces.append(text[position : match.start()])
        pieces.append(element)
        position = match.end()
    pieces.append(text[position:])
    return pieces


# The text with maths markers in it that is not inside an element of SKIP: an element's own text or
# the tail after a child (XPath's text nodes are both), found by lxml instead of a walk over every
# element in Python, which also took a comment's text for an element's (`<!-- $x$ -->` stopped the
# build: a comment takes no child).
SKIPPED = " or ".join(f"self::{tag}" for tag in sorted(SKIP))
WITH_MARKERS = " or ".join(f"contains(., '{marker}')" for marker in MARKERS)
MATH_TEXT = etree.XPath(f"descendant::text()[({WITH_MARKERS}) and not(ancestor::*[{SKIPPED}])]")


def replace_text(element: html.HtmlElement, problems: list[str]) -> None:
    """Convert maths in `element`'s own text and in the text within it (the tails of its children), recursively."""
    if element.tag in SKIP:
        return
    for text in MATH_TEXT(element):
        owner = text.getparent()
        if text.is_tail:  # the text after `owner`, a child (a tail of `element` itself is no descendant)
            pieces = split_math(owner.tail, problems)
            owner.tail = pieces[0]
            anchor = owner
            for piece in pieces[1:]:
                anchor = attach_after(anchor, piece)
        else:
            pieces = split_math(owner.text, problems)
            owner.text = pieces[0]
            anchor = None
            for piece in pieces[1:]:
                if anchor is None and isinstance(piece, str):
                    owner.text += piece
                elif anchor is None:
                    owner.insert(0, piece)
                    anchor = piece
                else:
                    anchor = attach_after(anchor, piece)


def attach_after(anchor: html.HtmlElement, piece: str | html.HtmlElement) -> html.HtmlElement:
    """Put `piece` right after `anchor`; text becomes anchor's tail. Returns the new anchor."""
    if isinstance(piece, str):
        anchor.tail = (anchor.tail or "") + piece
        return anchor
    piece.tail = None
    anchor.addnext(piece)
    return piece


def render_math(page: str) -> tuple[str, list[str]]:
    """The page with its maths as MathML, and a list of LaTeX that could not be converted."""
    if not any(marker in page for marker in MARKERS):
        return page, []
    document = html.document_fromstring(page)
    problems: list[str] = []
    body = document.find("body")
    replace_text(body if body is not None else document, problems)
    doctype = document.getroottree().docinfo.doctype or "<!DOCTYPE html>"
    return html.tostring(document, encoding="unicode", doctype=doctype), problems
