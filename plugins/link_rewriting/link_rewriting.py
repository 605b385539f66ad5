"""Nikola's link rewriting, visiting only the elements that can hold a link.

Nikola makes every page's links relative by handing the parsed page to lxml's
`rewrite_links`, whose per-element checks run in Python on every element; a notebook post
is mostly Pygments' <span>s. The site's `rewrite_links` is wrapped so that Nikola's own
code gets a stand-in for the page (blog_build/links.py's LinkCandidates) whose link walk
skips them; pages come out the same (tests/test_site_build.py compares every page).
"""

from __future__ import annotations

from nikola.plugin_categories import ConfigPlugin

from blog_build.links import LinkCandidates
from plugins import versions


class LinkRewriting(ConfigPlugin):
    name = "link_rewriting"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        rewrite = site.rewrite_links

        def rewrite_candidates(doc, src: str, lang: str, url_type: str | None = None) -> None:
            rewrite(LinkCandidates(doc), src, lang, url_type)

        site.rewrite_links = rewrite_candidates
        super().set_site(site)
