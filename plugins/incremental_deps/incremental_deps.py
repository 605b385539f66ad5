"""What Nikola's tasks show on a page but do not depend on, so an incremental build equals a clean one.

Found by tests/test_incremental.py, which compares incremental builds after random edits
with clean builds of the same sources:

- a post page shows the titles of the previous and next posts, but Nikola's page task
  depends only on their links (nikola.py, generic_page_renderer): after a title change the
  neighbours kept the old one. Each post now depends on its neighbours' titles and links,
  added with Post.add_dependency_uptodate once the posts are scanned (the `scanned` signal);
- an Atom feed (index.atom, a tag's .atom) shows each entry's title, dates, author, tags
  and description, but its task depends only on the compiled fragments and the feed's
  settings (nikola.py, generic_atom_renderer); RSS feeds depend on post metadata. Nikola
  sends every classification page's settings to the `generate_classification_page` signal
  before it makes the feed's task, whose up-to-date check includes them: the entries'
  metadata is added there.
"""

from __future__ import annotations

import blinker
from nikola.plugin_categories import SignalHandler
from nikola.utils import config_changed

from plugins import versions


def neighbour(post, lang: str) -> list[str] | None:
    return None if post is None else [post.title(lang), post.permalink(lang)]


def feed_entry(post, lang: str) -> list:
    """What an Atom entry shows of a post."""
    return [
        post.title(lang),
        post.permalink(lang),
        post.date.isoformat(),
        post.updated.isoformat() if post.updated else "",
        post.author(lang),
        sorted(post.tags_for_language(lang)),
        post.meta("category", lang),
        post.description(lang),
    ]


class IncrementalDependencies(SignalHandler):
    name = "incremental_deps"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        blinker.signal("scanned").connect(self.depend_on_neighbours)
        blinker.signal("generate_classification_page").connect(self.depend_on_feed_entries)

    def depend_on_neighbours(self, site) -> None:
        for post in site.timeline:
            for lang in site.config["TRANSLATIONS"]:
                shown = {"previous": neighbour(post.prev_post, lang), "next": neighbour(post.next_post, lang)}
                post.add_dependency_uptodate(
                    config_changed(shown, f"incremental_deps:neighbours:{post.source_path}:{lang}"),
                    add="page",
                    lang=lang,
                )

    def depend_on_feed_entries(self, data: dict) -> None:
        lang = data["lang"]
        data["kw"]["incremental_deps:feed_entries"] = [feed_entry(post, lang) for post in data["posts"]]
