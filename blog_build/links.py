"""lxml's link rewriting, visiting only the elements that can hold a link.

lxml's `rewrite_links` and `make_links_absolute` run their per-element checks, in
Python, on every element of a page. A notebook post has hundreds of elements, nearly all
of them Pygments' <span class="..."> in highlighted code, and Nikola rewrites the links
of every page it writes and of every post text it puts on a page or in a feed. Here a
cheap pass picks the elements lxml's `iterlinks` could report on (those with a link or
style attribute, and <meta>, <param> and <style>), and lxml's own code does the rest on
them alone, so what comes out is what lxml gives.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlMixin, defs

LINK_ATTRIBUTES = frozenset(defs.link_attrs | {"style"})
LINK_ELEMENTS = frozenset({"meta", "param", "style"})


class LinkCandidates:
    """Stands in for an element in lxml's link methods, which then walk its candidates alone."""

    iterlinks = HtmlMixin.iterlinks
    rewrite_links = HtmlMixin.rewrite_links
    make_links_absolute = HtmlMixin.make_links_absolute
    resolve_base_href = HtmlMixin.resolve_base_href

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    def iter(self, *_tags: object) -> list[etree._Element]:
        return [
            element
            for element in self.element.iter(etree.Element)
            if not LINK_ATTRIBUTES.isdisjoint(element.keys()) or element.tag.rpartition("}")[2] in LINK_ELEMENTS
        ]

    def xpath(self, *args: object, **kwargs: object) -> object:
        return self.element.xpath(*args, **kwargs)


def make_links_absolute(element: etree._Element, base_url: str) -> None:
    """`element.make_links_absolute(base_url)`, faster."""
    LinkCandidates(element).make_links_absolute(base_url)
