"""What Nikola's tasks show on a page but do not depend on, so an incremental build equals a clean one.

Found by tests/test_incremental.py, which compares incremental builds after random edits
with clean builds of the same sources:

- a post page shows the titles of the previous and next posts, but Nikola's page task
  depends only on their links (nikola.py, generic_page_renderer): after a title change the
  neighbours kept the old one. Once the posts are scanned (the `scanned` signal), each
  post's neighbours (titles and links) are written to a small file in the cache folder,
  rewritten only when they change, and the post's page depends on it (Post.add_dependency).
  A file, not an up-to-date check: Nikola copies a post's page dependencies into every index
  page, tag page and feed that lists it, and doit digests an up-to-date check where it only
  stats a file (a `config_changed` per post made a no-op build of 400 posts 0.4 s slower);
- an Atom feed (index.atom, a tag's .atom) shows each entry's title, dates, author, tags
  and description, but its task depends only on the compiled fragments and the feed's
  settings (nikola.py, generic_atom_renderer); RSS feeds depend on post metadata. Nikola
  sends every classification page's settings to the `generate_classification_page` signal
  before it makes the feed's task, whose up-to-date check includes them: the entries'
  metadata is added there, as one digest per feed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import blinker
from nikola.plugin_categories import SignalHandler

from blog_build.store import write_if_changed
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
        self.entries: dict[tuple[str, str], str] = {}
        blinker.signal("scanned").connect(self.depend_on_neighbours)
        blinker.signal("generate_classification_page").connect(self.depend_on_feed_entries)

    def depend_on_neighbours(self, site) -> None:
        folder = Path(site.config["CACHE_FOLDER"], "neighbours")
        folder.mkdir(parents=True, exist_ok=True)
        for post in site.timeline:
            for lang in site.config["TRANSLATIONS"]:
                shown = [neighbour(post.prev_post, lang), neighbour(post.next_post, lang)]
                name = hashlib.sha256(f"{post.source_path}|{lang}".encode()).hexdigest()[:20]
                path = write_if_changed(folder / f"{name}.json", json.dumps(shown))
                post.add_dependency(str(path), add="page", lang=lang)

    def depend_on_feed_entries(self, data: dict) -> None:
        lang = data["lang"]
        entries = "|".join(self.entry_digest(post, lang) for post in data["posts"])
        data["kw"]["incremental_deps:feed_entries"] = hashlib.sha256(entries.encode()).hexdigest()

    def entry_digest(self, post, lang: str) -> str:
        """A digest of what an Atom entry shows of `post`, worked out once per post (feeds list the same posts)."""
        key = (post.source_path, lang)
        if key not in self.entries:
            text = json.dumps(feed_entry(post, lang), default=str)
            self.entries[key] = hashlib.sha256(text.encode()).hexdigest()
        return self.entries[key]
