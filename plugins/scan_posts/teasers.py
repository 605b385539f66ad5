"""Nikola's Post, with a text() that does each piece of work once.

Index pages, feeds and tag feeds ask every post for its teaser, again and again, and
Nikola's Post.text() answers each call by parsing the whole compiled post with lxml, then
cutting the teaser off, then formatting the "Read more" link with the post's reading time
and paragraph counts: four more parses of the whole post, whether the link shows them or
not (ours does not). On a blog of notebook posts that was a fifth of a full build. Here:

- a teaser is cut from the compiled HTML first, and only the teaser is parsed;
- the whole text (for the post's own page) is parsed once, not twice;
- links are made absolute by visiting only the elements that can hold one
  (blog_build/links.py);
- the reading time and paragraph counts are worked out only if the link's template names them;
- every answer is kept for the life of the process, keyed by the compiled file's
  modification time, so a post rendered again gives a fresh answer.

The HTML that comes out is the same as Nikola's (tests/test_site_build.py compares them),
but for what a feed item gets (Nikola asks with `feed_read_more_link`): no tool line
(`p.nb-tools`, "Download notebook · N min read", which means nothing in a feed reader), and
maths as MathML, as the mathml filter makes it in pages: that filter rewrites .html files,
and a feed's items are escaped text inside XML, which it never sees. A plain-text item
(FEED_PLAIN) keeps the LaTeX as written, the readable form of maths in plain text.
"""

from __future__ import annotations

import os
import re
import string

import lxml.html
from nikola.post import TEASER_REGEXP, Post, hyphenate
from nikola.utils import LocaleBorg, demote_headers, html_tostring_fragment

from blog_build.links import make_links_absolute, post_link, rewrite_links
from blog_build.mathml import MARKERS, replace_text

# Fields of a "Read more" link template that cost a parse of the whole post.
COSTLY_FIELDS = {
    "min_remaining_read": lambda post, lang: (
        post.messages[lang]["%d min remaining to read"] % post.remaining_reading_time
    ),
    "reading_time": lambda post, lang: post.reading_time,
    "remaining_reading_time": lambda post, lang: post.remaining_reading_time,
    "paragraph_count": lambda post, lang: post.paragraph_count,
    "remaining_paragraph_count": lambda post, lang: post.remaining_paragraph_count,
}


# The tool line blog_build.rendering.tools_bar puts at the head of a notebook post (one line).
TOOLS = re.compile(r'\A<p class="nb-tools">.*?</p>')


def template_fields(template: str) -> set[str]:
    """The names a str.format template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class TeaserPost(Post):
    """A Post whose text() parses teasers alone and remembers its answers.

    `linked_posts` (set by the scanner) holds the posts whose source this post links to, by
    source path: those links lead to the post's page instead (blog_build.links.post_link).
    """

    linked_posts: dict[str, Post] = {}  # never changed: the scanner gives each post its own

    def text(
        self,
        lang=None,
        teaser_only=False,
        strip_html=False,
        show_read_more_link=True,
        feed_read_more_link=False,
        feed_links_append_query=None,
    ) -> str:
        """What Post.text() returns (see there), a feed item as the module says; worked out once per compiled file."""
        lang = lang or LocaleBorg().current_lang
        file_name, real_lang = self._translated_file_path(lang)
        arguments = (lang, teaser_only, strip_html, show_read_more_link, feed_read_more_link, feed_links_append_query)
        if not os.path.isfile(file_name) or self.compiler.extension() == ".php":
            return super().text(*arguments)  # Post.text() compiles a missing file first
        key = (file_name, os.stat(file_name).st_mtime_ns, *arguments)
        answers = self.__dict__.setdefault("_text_answers", {})
        if key not in answers:
            with open(file_name, encoding="utf-8-sig") as stream:
                data = stream.read().strip()
            if feed_read_more_link:
                data = TOOLS.sub("", data, count=1)
            answer = self._teaser(data, real_lang, *arguments) if teaser_only else None
            if answer is None and not strip_html:  # also a post without a teaser marker
                answer = self._whole(data, real_lang, lang, feed_read_more_link)
            elif answer is None and feed_read_more_link:  # a whole plain-text feed item
                answer = plain_text(self._whole(data, real_lang, lang, feed=False))
            answers[key] = super().text(*arguments) if answer is None else answer
        return answers[key]

    def _whole(self, data: str, real_lang: str, lang: str, feed: bool) -> str:
        """The whole post as Post.text() gives it, from one parse instead of two."""
        if not data:
            return ""
        document = lxml.html.fragment_fromstring(data, "body")
        self._link_posts(document, lang)
        make_links_absolute(document, self.permalink(lang=lang))
        if self.hyphenate:
            hyphenate(document, real_lang)
        if self.demote_headers:
            demote_headers(document, self.demote_headers)
        if feed:
            feed_maths(document)
        return html_tostring_fragment(document)

    def _teaser(
        self, data, real_lang, lang, _teaser_only, strip_html, show_read_more_link, feed_read_more_link, query
    ) -> str | None:
        """The teaser, from a parse of the teaser alone; None when the post has no teaser marker."""
        regexp = self.config.get("TEASER_REGEXP", TEASER_REGEXP)
        marker = regexp.search(data)
        if marker is None:
            return None
        teaser = data[: marker.start()]
        if show_read_more_link and not strip_html:
            # Inside whatever the teaser leaves open, as Nikola places it.
            teaser += self._read_more_link(lang, marker, feed_read_more_link, query)
        document = lxml.html.fromstring(teaser)  # as Nikola parses a teaser: several elements get a <div>
        self._link_posts(document, lang)
        make_links_absolute(document, self.permalink(lang=lang))
        if self.hyphenate:
            hyphenate(document, real_lang)
        if strip_html:
            return document.text_content().strip()
        if self.demote_headers:
            demote_headers(document, self.demote_headers)
        if feed_read_more_link:
            feed_maths(document)
        return html_tostring_fragment(document)

    def _link_posts(self, document: lxml.html.HtmlElement, lang: str) -> None:
        """Links to another post's source (its notebook) lead to that post's page."""
        if self.linked_posts:
            pages = {source: post.permalink(lang) for source, post in self.linked_posts.items()}
            rewrite_links(document, lambda link: post_link(link, self.source_path, pages))

    def _read_more_link(self, lang: str, marker, feed: bool, query) -> str:
        template = (self.config["FEED_READ_MORE_LINK"] if feed else self.config["INDEX_READ_MORE_LINK"])(lang)
        values = {
            "link": self.permalink(lang, query=query),
            "read_more": marker.groups()[-1] or self.messages[lang]["Read more"],
            "post_title": self.title(lang),
        }
        for name in template_fields(template) & COSTLY_FIELDS.keys():
            values[name] = COSTLY_FIELDS[name](self, lang)
        return template.format(**values)


def feed_maths(document: lxml.html.HtmlElement) -> None:
    """LaTeX in a feed item's prose as MathML, as the mathml filter makes it in pages (in place).

    LaTeX that does not convert stays as written; the page's own build names it.
    """
    if any(marker in document.text_content() for marker in MARKERS):
        replace_text(document, [])


def plain_text(html: str) -> str:
    """The text of an HTML fragment, as Post.text(strip_html=True) gives it."""
    if not html:
        return ""
    return lxml.html.fromstring(html).text_content().strip()
