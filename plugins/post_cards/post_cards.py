"""A link-preview card for each post (blog_build/cards.py draws it), named as the post's og:image.

Once the posts are scanned (the `scanned` signal, before any task is made) each post
without a `previewimage` of its own gets `card.jpg` (or `card.png`) beside its page as one, so every page
task sees the same metadata from the first build on. One task per 40 cards draws them: its
up-to-date check is the digest of what its cards show, and it redraws only the cards whose
file was drawn for something else (the key is kept in the file), so a no-op build draws
nothing and an edit redraws one.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path

import blinker
from nikola.plugin_categories import Task
from nikola.utils import config_changed

from blog_build import cards, cell_tags, pipeline
from blog_build.pipeline import remove_unused
from plugins import versions

CARD_NAME = "card"  # card.jpg over a figure, card.png for a title alone (blog_build/cards.py says why)
CHUNK = 40  # cards per task


def card_path(post, lang: str, extension: str) -> str:
    """Where a post's card goes, relative to output/: beside its page."""
    page = post.destination_path(lang, sep="/")
    if posixpath.basename(page) == "index.html":
        return posixpath.join(posixpath.dirname(page), CARD_NAME + extension)
    return f"{posixpath.splitext(page)[0]}.{CARD_NAME}{extension}"


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
        # The tags that hide a figure choose the card's figure too (removal_tags): conf.py's own,
        # if it sets any, are part of what a card shows.
        tags = site.config["IPYNB_CONFIG"].get("TagRemovePreprocessor")
        hiding = "|" + json.dumps(tags, sort_keys=True) if tags else ""
        for post in site.timeline:
            if not post.is_post or post.meta[lang].get("previewimage"):
                continue
            model = notebooks.rendered_models.get(post.source_path) if notebooks else None
            target = card_path(post, lang, ".jpg" if model is not None and model.images else ".png")
            key = cards.card_key(post.title(lang), blog, self.date(post), model.key + hiding if model else "")
            self.cards[target] = (post, key)
            post.meta[lang]["previewimage"] = "/" + target

    def removal_tags(self) -> cell_tags.RemovalTags:
        """The tags that take a cell's outputs off the page, as the notebook compiler renders them."""
        compiler = self.site.compilers.get("ipynb")
        return compiler.removal_tags() if compiler is not None else cell_tags.DEFAULT_REMOVAL_TAGS

    @staticmethod
    def date(post) -> str:
        return f"{post.date.day} {post.date:%B %Y}"

    def gen_tasks(self):
        self.site.scan_posts()
        yield self.group_task()
        output = self.site.config["OUTPUT_FOLDER"]
        targets = sorted(self.cards)
        # Forget drawn cards no post shows any more (an old title), before any chunk runs.
        keep = {key + posixpath.splitext(target)[1] for target, (_, key) in self.cards.items()}
        remove_unused(self.drawn_folder(), keep)
        # In chunks, so that a full build draws them on every core; each chunk's up-to-date
        # check is the digest of what its cards show.
        for start in range(0, len(targets), CHUNK):
            chunk = targets[start : start + CHUNK]
            yield {
                "basename": self.name,
                "name": os.path.join(output, f"cards-{start // CHUNK}"),
                "targets": [os.path.join(output, target) for target in chunk],
                "actions": [(self.draw_cards, [output, chunk])],
                "uptodate": [config_changed({target: self.cards[target][1] for target in chunk}, self.name)],
                "clean": True,
            }

    def draw_cards(self, output: str, chunk: list[str]) -> None:
        """Put in place each card of `chunk` whose file was not drawn for what it shows now.

        Cards are drawn into CACHE_FOLDER/cards/KEY (a full build after `rm -rf output`, or
        in CI with cache/ restored, copies them rather than drawing 400 again).
        """
        lang = self.site.config["DEFAULT_LANG"]
        blog = self.site.config["BLOG_TITLE"](lang)
        notebooks = pipeline.current
        drawn = self.drawn_folder()
        for target in chunk:
            post, key = self.cards[target]
            path = Path(output, target)
            if cards.drawn_key(path) == key:
                continue
            cached = drawn / (key + posixpath.splitext(target)[1])
            if cached.exists():
                cards.write_card(path, cached.read_bytes())
                continue
            figure = None
            model = notebooks.rendered_models.get(post.source_path) if notebooks else None
            if model is not None:
                name = cards.card_figure(notebooks.page(model), self.removal_tags())
                image = notebooks.images.folder / posixpath.basename(name) if name else None
                figure = image.read_bytes() if image and image.exists() else None
            kind = "JPEG" if target.endswith(".jpg") else "PNG"
            card = cards.draw_card(post.title(lang), blog, self.date(post), figure, key, kind)
            cards.write_card(cached, card)
            cards.write_card(path, card)

    def drawn_folder(self) -> Path:
        return Path(self.site.config["CACHE_FOLDER"], "cards")
