"""Series as a Nikola taxonomy (the documented way to group posts), and the box each part shows.

A taxonomy gives the pages: /series/ lists every series, /series/NAME/ its parts in
reading order. The "Part n of m" box goes into each part's page through the `page_header`
template hook, above the post, so no template is copied. A part's page shows the other
parts' titles and links, which Nikola's page task does not depend on; as plugins/
incremental_deps does for neighbours, each part's box is written to a small file in the
cache folder (rewritten only when it changes) that the part's page depends on.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import blinker
from nikola import utils
from nikola.plugin_categories import Taxonomy

from blog_build import series
from blog_build.store import write_if_changed
from plugins import versions


def part_of(post, lang: str) -> series.Part | None:
    name = (post.meta("series", lang) or "").strip()
    if not name:
        return None
    order = (post.meta("series_order", lang) or "").strip()
    return series.Part(
        key=post.source_path,
        series=name,
        order=int(order) if order else None,
        date=post.date.isoformat(),
        title=post.title(lang),
        link=post.permalink(lang),
    )


class Series(Taxonomy):
    name = "series"

    classification_name = "series"
    overview_page_variable_name = "series"
    overview_page_items_variable_name = "items"
    more_than_one_classifications_per_post = False
    has_hierarchy = False
    template_for_single_list = "tag.tmpl"
    template_for_classification_overview = "tags.tmpl"
    always_disable_atom = True
    always_disable_rss = True
    apply_to_posts = True
    apply_to_pages = False
    minimum_post_count_per_classification_in_overview = 1
    omit_empty_classifications = True
    path_handler_docstrings = {
        "series_index": "Link to the list of series.\n\nlink://series_index => /series/index.html",
        "series": "Link to a series' page.\n\nlink://series/Linear Algebra => /series/linear-algebra/",
        "series_atom": False,
        "series_rss": False,
    }

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        self.boxes: dict[tuple[str, str], str] = {}  # (source path, lang) -> the box's HTML
        blinker.signal("scanned").connect(self.make_boxes)
        site.template_hooks["page_header"].append(self.page_header, True)

    # --- the taxonomy -----------------------------------------------------------------------
    def classify(self, post, lang: str) -> list[str]:
        part = part_of(post, lang)
        return [part.series] if part else []

    def get_classification_friendly_name(self, classification: str, lang: str, only_last_component=False) -> str:
        return classification

    def get_overview_path(self, lang: str, dest_type="page"):
        return ["series"], "always"

    def get_path(self, classification: str, lang: str, dest_type="page"):
        return ["series", utils.slugify(classification, lang)], "auto"

    def provide_overview_context_and_uptodate(self, lang: str):
        context = {
            "title": "Series",
            "description": "Posts that belong together, read in order",
            "permalink": self.site.link("series_index", None, lang),
            "pagekind": ["list", "tags_page"],
        }
        return context, dict(context)

    def provide_context_and_uptodate(self, classification: str, lang: str, node=None):
        context = {
            "title": f"Series: {classification}",
            "tag": classification,
            "kind": "series",
            "description": None,
            "pagekind": ["list", "tag_page"],
            # A series has no feeds of its own: the templates must not link any.
            "generate_rss": False,
            "generate_atom": False,
        }
        return context, dict(context)

    def sort_posts(self, posts: list, classification: str, lang: str) -> None:
        order = {part.key: index for index, part in enumerate(self._parts(posts, lang)[classification])}
        posts.sort(key=lambda post: order[post.source_path])

    def _parts(self, posts, lang: str) -> dict[str, list[series.Part]]:
        return series.group([part for post in posts if (part := part_of(post, lang))])

    # --- the box on each part -------------------------------------------------------------
    def make_boxes(self, site) -> None:
        folder = Path(site.config["CACHE_FOLDER"], "series")
        folder.mkdir(parents=True, exist_ok=True)
        published = [post for post in site.timeline if post.is_post and post.use_in_feeds]
        by_source = {post.source_path: post for post in published}
        for lang in site.config["TRANSLATIONS"]:
            for name, parts in self._parts(published, lang).items():
                link = site.link("series", name, lang)
                for part in parts:
                    html = series.box(parts, part.key, link)
                    self.boxes[(part.key, lang)] = html
                    file = hashlib.sha256(f"{part.key}|{lang}".encode()).hexdigest()[:20]
                    path = write_if_changed(folder / f"{file}.json", json.dumps(html))
                    by_source[part.key].add_dependency(str(path), add="page", lang=lang)

    def page_header(self, site, context) -> str:
        post = context.get("post") if context else None
        if post is None or not post.is_post:
            return ""
        return self.boxes.get((post.source_path, context.get("lang", site.config["DEFAULT_LANG"])), "")
