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

And one thing it depends on at too high a price: each page task's up-to-date check holds
the site's whole global context (nikola.py, generic_renderer), which Nikola turned into JSON
again for every post's page, 7% of a no-op build. The `render_post` signal, sent with the
settings Nikola adds to the page's, puts in its place an object that stands for the global
context by its digest, worked out once, when the first check asks (every task has been
made by then, as when Nikola reads it), so a page is rebuilt when the global context
changes, as before.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import blinker
from nikola.plugin_categories import SignalHandler
from nikola.utils import CustomEncoder

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


class GlobalContextDigest:
    """The site's global context in a page's up-to-date check: read as it, written as its digest.

    Nikola reads some entries of it after the signal (the translated settings), and its
    JSON encoder writes an object it does not know as its repr(), up to any "0x" (which a
    hexadecimal digest cannot hold): that is where the digest is worked out.
    """

    def __init__(self, site) -> None:
        self.site = site
        self.digest: str | None = None

    def __getitem__(self, key: str) -> object:
        return self.site.GLOBAL_CONTEXT[key]

    def __repr__(self) -> str:
        if self.digest is None:
            text = json.dumps(self.site.GLOBAL_CONTEXT, cls=CustomEncoder, sort_keys=True)
            self.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return f"global context {self.digest}"


class IncrementalDependencies(SignalHandler):
    name = "incremental_deps"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        self.entries: dict[tuple[str, str], str] = {}
        blinker.signal("scanned").connect(self.depend_on_neighbours)
        blinker.signal("generate_classification_page").connect(self.depend_on_feed_entries)
        self.global_context = GlobalContextDigest(site)
        blinker.signal("render_post").connect(self.digest_global_context)

    def depend_on_neighbours(self, site) -> None:
        folder = Path(site.config["CACHE_FOLDER"], "neighbours")
        folder.mkdir(parents=True, exist_ok=True)
        for post in site.timeline:
            for lang in site.config["TRANSLATIONS"]:
                shown = [neighbour(post.prev_post, lang), neighbour(post.next_post, lang)]
                name = hashlib.sha256(f"{post.source_path}|{lang}".encode()).hexdigest()[:20]
                path = write_if_changed(folder / f"{name}.json", json.dumps(shown))
                post.add_dependency(str(path), add="page", lang=lang)

    def digest_global_context(self, data: dict) -> None:
        # merged into the page's settings after Nikola's own "global" (nikola.py, generic_renderer)
        data["deps_dict"]["global"] = self.global_context

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
