"""What the theme adds to every page through Nikola's template hooks.

Hooks instead of copied templates: the parent theme's templates stay untouched.
- extra_head: applies a saved light/dark choice before the page is painted (no flash),
  and describes a post as a schema.org BlogPosting in JSON-LD for search engines;
- menu_alt: the light/dark toggle (assets/js/theme.js makes it work).
"""

from __future__ import annotations

import json

from nikola.plugin_categories import ConfigPlugin

APPLY_SAVED_THEME = (
    "<script>try{var t=localStorage.getItem('theme');"
    "if(t==='dark'||t==='light')document.documentElement.dataset.theme=t}catch(e){}</script>"
)
TOGGLE = (
    '<li class="theme-toggle"><button type="button" id="theme-toggle" aria-pressed="false">Dark theme</button></li>'
)


def blog_posting(post, site_url: str, author: str, lang: str) -> dict:
    """schema.org BlogPosting for one post."""
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title(lang),
        "description": post.description(lang),
        "datePublished": post.date.isoformat(),
        "dateModified": (post.updated or post.date).isoformat(),
        "author": {"@type": "Person", "name": post.author(lang) or author},
        "url": post.permalink(lang, absolute=True),
        "mainEntityOfPage": post.permalink(lang, absolute=True),
        "keywords": ", ".join(post.tags_for_language(lang)),
        "inLanguage": lang,
    }
    image = post.previewimage
    if image:
        data["image"] = site_url.rstrip("/") + image
    return data


def json_ld(data: dict) -> str:
    # "</" must not appear inside a script element.
    return '<script type="application/ld+json">' + json.dumps(data).replace("</", "<\\/") + "</script>"


class ReaderExtras(ConfigPlugin):
    name = "reader_extras"

    def set_site(self, site) -> None:
        super().set_site(site)
        site.template_hooks["extra_head"].append(self.head, True)
        site.template_hooks["menu_alt"].append(TOGGLE)

    def head(self, site, context) -> str:
        parts = [APPLY_SAVED_THEME]
        post = context.get("post") if context else None
        if post is not None and post.is_post:
            lang = context.get("lang", site.config["DEFAULT_LANG"])
            author = site.config["BLOG_AUTHOR"](lang)
            parts.append(json_ld(blog_posting(post, site.config["SITE_URL"], author, lang)))
        return "\n".join(parts)
