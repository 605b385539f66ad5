"""lxml's link rewriting, visiting only the elements that can hold a link.

lxml's `rewrite_links` and `make_links_absolute` run their per-element checks, in
Python, on every element of a page. A notebook post has hundreds of elements, nearly all
of them Pygments' <span class="..."> in highlighted code, and Nikola rewrites the links
of every page it writes and of every post text it puts on a page or in a feed. Here a
cheap pass picks the elements lxml's `iterlinks` could report on (those with a link or
style attribute, and <meta>, <param> and <style>), and lxml's own code does the rest on
them alone, so what comes out is what lxml gives.

It also says where a notebook's link to another post's notebook should go: to that post's
page, not to a raw copy of the notebook (post_link).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from urllib.parse import unquote, urlsplit

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


def rewrite_links(element: etree._Element, replace: Callable[[str], str | None]) -> None:
    """`element.rewrite_links(replace, resolve_base_href=False)`, faster: `replace` gives each new link."""
    LinkCandidates(element).rewrite_links(replace, resolve_base_href=False)


def post_link(link: str, source_path: str, posts: Mapping[str, str]) -> str:
    """`link` as a notebook post wrote it, or the page of the post whose source it names.

    `posts` maps sources (as Nikola names them, `posts/welcome.ipynb`) to their pages' URLs;
    a relative link is read from the folder of `source_path`, as the notebook's author (and
    Jupyter) read it: `welcome.ipynb` and `../posts/welcome.ipynb#part-2` from
    `posts/intro.ipynb` both name `posts/welcome.ipynb`. A fragment is kept, a query dropped
    (it meant something to the raw file, not to the page).
    """
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return link
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source_path), unquote(parts.path)))
    page = posts.get(target)
    if page is None:
        return link
    return page + (f"#{parts.fragment}" if parts.fragment else "")
