"""Write CACHE_FOLDER/unpublished.json: the drafts and future posts, with the output files each owns.

Nikola renders drafts and future-dated posts into output/ (their authors look at them
there) and leaves them out of every index, feed, tag page and the sitemap. The deploy
(plugins/ftp_deploy, which imports nothing of the build) reads this list to leave their
files out too, unless DEPLOY_DRAFTS / DEPLOY_FUTURE say otherwise, so that what goes
online is what the site publishes. Nikola's own `nikola deploy` deletes such posts' pages
from output/ instead, which misses their images and a dry run cannot show.
"""

from __future__ import annotations

import json
import os

from nikola.plugin_categories import Task
from nikola.utils import config_changed

from blog_build.publication import unpublished_record
from plugins import versions


class UnpublishedPosts(Task):
    name = "unpublished_posts"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)

    def gen_tasks(self):
        self.site.scan_posts()
        unpublished, published = [], []
        for post in self.site.timeline:
            status = "draft" if post.is_draft else "future" if post.publish_later else None
            paths = [
                path.replace(os.sep, "/")
                for lang in post.translated_to
                for path in (post.destination_path(lang), post.destination_path(lang, post.source_ext(True)))
            ]
            if status is None:
                published.extend(paths)
            else:
                unpublished.append(
                    {"source": post.source_path, "status": status, "date": post.date.isoformat(), "paths": paths}
                )
        record = unpublished_record(unpublished, published)
        target = os.path.join(self.site.config["CACHE_FOLDER"], "unpublished.json")
        yield self.group_task()
        yield {
            "basename": self.name,
            "name": target,
            "targets": [target],
            "actions": [(write_record, [target, record])],
            "uptodate": [config_changed(record, self.name)],
            "clean": True,
        }


def write_record(target: str, record: dict) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = target + ".new"
    with open(temporary, "w", encoding="utf-8") as stream:
        json.dump(record, stream, indent=1)
    os.replace(temporary, target)
