"""Which output files belong to posts the site does not publish yet (drafts, future posts).

The build writes this record and the deploy reads it (as data: the deploy imports nothing
of the build).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable


def unpublished_record(unpublished: list[dict], published_paths: Iterable[str]) -> dict:
    """The record for `unpublished` posts ({"source", "status", "date", "paths"}), given every published path.

    A post whose page is `FOLDER/index.html` (pretty URLs) owns FOLDER and everything in
    it, its images included, unless a published page lives there too; otherwise it owns
    only its own paths.
    """
    published = set(published_paths)
    published_folders = {folder for path in published for folder in _ancestors(path)}
    posts = []
    for post in unpublished:
        folders = sorted(
            {
                posixpath.dirname(path)
                for path in post["paths"]
                if posixpath.basename(path) == "index.html"
                and posixpath.dirname(path)
                and posixpath.dirname(path) not in published_folders
            }
        )
        posts.append(
            {
                "source": post["source"],
                "status": post["status"],
                "date": post["date"],
                "files": sorted(set(post["paths"])),
                "folders": folders,
            }
        )
    return {"format": 1, "posts": sorted(posts, key=lambda post: post["source"])}


def _ancestors(path: str) -> Iterable[str]:
    folder = posixpath.dirname(path)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)
