"""plugins/build_speed on its own: the faster link rewriting and file check give what lxml and doit give."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
from doit.dependency import MD5Checker
from lxml import html

from blog_build.file_checks import OnceMD5Checker
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


def test_file_state_is_doits_and_follows_changes(tmp_path: Path) -> None:
    path = tmp_path / "base.tmpl"
    path.write_text("first", encoding="utf-8")
    checker = OnceMD5Checker()
    state = checker.get_state(str(path), None)
    assert state == MD5Checker().get_state(str(path), None)
    assert checker.get_state(str(path), state) is None  # unchanged since recorded: nothing to save
    path.write_text("other", encoding="utf-8")  # same size, new content
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    changed = checker.get_state(str(path), state)
    assert changed == MD5Checker().get_state(str(path), None) and changed[2] != state[2]
    assert checker.check_modified(str(path), os.stat(path), state)
