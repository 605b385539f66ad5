"""Posts made once per source in a process that scans again and again (`nikola auto`).

The preview scans every source again for each edit (plugins/auto/post_pages.py), and making
Nikola's Post objects is half of that scan: each parses two dates with dateutil, sorts its
tags with natsort and reads its .meta file, 0.3 ms a post. A post whose source, .meta file,
place and model are unchanged since it was made is given back instead: the same object, its
attributes put back as its constructor left them (fresh copies of its containers), so what
the site and the `scanned` handlers added on the last scan (neighbours, dependencies, the
teaser's answers) is gone, as on a new Post. A scheduled post is made anew every time, as
whether it is published yet depends on the clock. A `nikola build` scans once and keeps nothing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from nikola.post import Post
from nikola.utils import Functionary

# The containers a Post holds of the site (its configuration and what is made from it): shared
# by every post and changed by none, so kept as they are, not copied.
SITE_WIDE = frozenset({"config", "translations", "types_to_hide_title", "messages", "metadata_extractors_by"})


def copied(value: object) -> object:
    """A copy of the containers in `value` (dicts, lists, sets), down to what they hold; the rest as it is."""
    if isinstance(value, Functionary):
        functionary = Functionary(value.default_factory, value.default_lang)
        functionary.update((key, copied(item)) for key, item in value.items())
        return functionary
    if isinstance(value, defaultdict):
        return defaultdict(value.default_factory, {key: copied(item) for key, item in value.items()})
    if type(value) is dict:
        return {key: copied(item) for key, item in value.items()}
    if type(value) is list:
        return [copied(item) for item in value]
    if type(value) is set:
        return set(value)
    return value


def attributes_copied(attributes: dict[str, object]) -> dict[str, object]:
    return {name: value if name in SITE_WIDE else copied(value) for name, value in attributes.items()}


def file_stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


@dataclass
class KeptPost:
    key: Hashable
    post: Post
    made_as: dict[str, object]  # the post's attributes as its constructor left them

    def restored(self) -> Post:
        attributes = self.post.__dict__
        attributes.clear()
        attributes.update(attributes_copied(self.made_as))
        return self.post


class KeptPosts:
    """The posts of the last scan, by source, each given back while its files and settings stay the same."""

    def __init__(self) -> None:
        self.kept: dict[str, KeptPost] = {}

    def post(self, name: str, settings: Hashable, make: Callable[[], Post]) -> Post:
        """The post made from source `name` with `settings` (what else it is made from), made by `make` if need be."""
        key = (settings, file_stamp(name), file_stamp(os.path.splitext(name)[0] + ".meta"))
        kept = self.kept.get(name)
        if kept is not None and kept.key == key:
            return kept.restored()
        post = make()
        if post.publish_later:
            self.kept.pop(name, None)
        else:
            self.kept[name] = KeptPost(key, post, attributes_copied(vars(post)))
        return post
