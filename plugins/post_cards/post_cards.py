"""A link-preview card for each post (blog_build/cards.py draws it), named as the post's og:image.

Once the posts are scanned (the `scanned` signal, before any task is made) each post
without a `previewimage` of its own gets `card.png` beside its page as one, so every page
task sees the same metadata from the first build on. One task draws the cards: its
up-to-date check is the digest of what every card shows, and it redraws only the cards
whose digest changed (CACHE_FOLDER/cards.json), so a no-op build draws nothing and an edit
redraws one.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path

import blinker
from nikola.plugin_categories import Task
from nikola.utils import config_changed

from blog_build import cards, pipeline
from plugins import versions

CARD_NAME = "card.png"


def card_path(post, lang: str) -> str:
    """Where a post's card goes, relative to output/: beside its page."""
    page = post.destination_path(lang, sep="/")
    if posixpath.basename(page) == "index.html":
        return posixpath.join(posixpath.dirname(page), CARD_NAME)
    return posixpath.splitext(page)[0] + "." + CARD_NAME


class PostCards(Task):
    name = "post_cards"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        self.cards: dict[str, tuple[object, str]] = {}  # output path -> (post, the card's key)
        blinker.signal("scanned").connect(self.name_cards)

    def name_cards(self, site) -> None:
        lang = site.config["DEFAULT_LANG"]
        blog = site.config["BLOG_TITLE"](lang)
        notebooks = pipeline.current
        for post in site.timeline:
            if not post.is_post or post.meta[lang].get("previewimage"):
                continue
            model = notebooks.rendered_models.get(post.source_path) if notebooks else None
            target = card_path(post, lang)
            key = cards.card_key(post.title(lang), blog, self.date(post), model.key if model else "")
            self.cards[target] = (post, key)
            post.meta[lang]["previewimage"] = "/" + target

    @staticmethod
    def date(post) -> str:
        return f"{post.date.day} {post.date:%B %Y}"

    def gen_tasks(self):
        self.site.scan_posts()
        yield self.group_task()
        if not self.cards:
            return
        output = self.site.config["OUTPUT_FOLDER"]
        yield {
            "basename": self.name,
            "name": os.path.join(output, "cards"),
            "targets": sorted(os.path.join(output, target) for target in self.cards),
            "actions": [(self.draw_cards, [output])],
            "uptodate": [config_changed({target: key for target, (_, key) in self.cards.items()}, self.name)],
            "clean": True,
        }

    def draw_cards(self, output: str) -> None:
        record_path = Path(self.site.config["CACHE_FOLDER"], "cards.json")
        try:
            drawn = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            drawn = {}
        lang = self.site.config["DEFAULT_LANG"]
        blog = self.site.config["BLOG_TITLE"](lang)
        notebooks = pipeline.current
        for target, (post, key) in sorted(self.cards.items()):
            path = Path(output, target)
            if drawn.get(target) == key and path.exists():
                continue
            figure = None
            model = notebooks.rendered_models.get(post.source_path) if notebooks else None
            if model is not None:
                name = cards.card_figure(notebooks.page(model))
                image = notebooks.images.folder / posixpath.basename(name) if name else None
                figure = image.read_bytes() if image and image.exists() else None
            cards.write_card(path, cards.draw_card(post.title(lang), blog, self.date(post), figure))
            drawn[target] = key
        drawn = {target: key for target, key in drawn.items() if target in self.cards}
        record_path.parent.mkdir(parents=True, exist_ok=True)
        record_path.write_text(json.dumps(drawn, indent=1, sort_keys=True), encoding="utf-8")
