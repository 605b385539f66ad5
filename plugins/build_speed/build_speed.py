"""Nikola's link rewriting, walking only the elements that can hold a link.

Nikola makes every page's links relative by handing the parsed page to lxml's
`rewrite_links`. The site's `rewrite_links` is wrapped so that Nikola's own code gets a
stand-in for the page (links.LinkCandidates) whose link walk skips the hundreds of
code-highlighting <span>s of a notebook post; pages come out the same.
"""

from __future__ import annotations

from nikola.plugin_categories import ConfigPlugin

from plugins.build_speed.links import LinkCandidates


class BuildSpeed(ConfigPlugin):
    """Wraps the site's rewrite_links so that it sees link candidates only."""

    name = "build_speed"

    def set_site(self, site) -> None:
        rewrite = site.rewrite_links

        def rewrite_candidates(doc, src: str, lang: str, url_type: str | None = None) -> None:
            rewrite(LinkCandidates(doc), src, lang, url_type)

        site.rewrite_links = rewrite_candidates
        super().set_site(site)
