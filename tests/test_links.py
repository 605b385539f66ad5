"""blog_build/links.py: the link walk over link-holding elements gives what lxml's own gives."""

from __future__ import annotations

import copy

import pytest
from lxml import html

from blog_build.links import LinkCandidates, make_links_absolute

# Every place lxml's iterlinks finds a link, among elements that hold none.
PAGE = """<html><head><base href="https://base.example/dir/">
<meta http-equiv="refresh" content="5; url=next.html"><meta name="x" content="y">
<style>@import "print.css"; body { background: url('bg.png') }</style></head>
<body><p class="a"><span class="k">def</span> <span>f</span> <a href="post/">post</a> <a href="#top">top</a></p>
<img src="fig.png" srcset="fig-2x.png 2x"><div style="background-image: url(tile.png)">styled</div>
<object codebase="applets/" classid="clock.class" data="clock.dat" archive="a.jar b.jar"></object>
<param name="p" value="ref.dat" valuetype="ref"><form action="send"><button formaction="other">go</button></form>
<svg><use xlink:href="icons.svg#i"></use></svg><blockquote cite="source.html">q</blockquote>
<video poster="p.png" src="v.mp4"></video><a href="mailto:me@example.org">mail</a></body></html>"""


def marked(link: str) -> str:
    return f"REWRITTEN({link})"


@pytest.mark.parametrize("resolve_base_href", [True, False])
def test_rewrite_links_changes_what_lxml_changes(resolve_base_href: bool) -> None:
    theirs, ours = html.document_fromstring(PAGE), html.document_fromstring(PAGE)
    theirs.rewrite_links(marked, resolve_base_href=resolve_base_href)
    LinkCandidates(ours).rewrite_links(marked, resolve_base_href=resolve_base_href)
    assert html.tostring(ours) == html.tostring(theirs)
    assert html.tostring(ours).count(b"REWRITTEN(") >= 15


def test_make_links_absolute_gives_what_lxml_gives_on_a_fragment() -> None:
    fragment = html.fragment_fromstring(PAGE.split("<body>")[1].split("</body>")[0], "body")
    theirs, ours = fragment, copy.deepcopy(fragment)
    theirs.make_links_absolute("https://blog.example.org/posts/a/")
    make_links_absolute(ours, "https://blog.example.org/posts/a/")
    assert html.tostring(ours) == html.tostring(theirs)
    assert b'href="https://blog.example.org/posts/a/post/"' in html.tostring(ours)
