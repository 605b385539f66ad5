"""Nikola's post scanner, run only once every source has passed blog_build's checks.

Takes the place of Nikola's own scanner (same plugin name, so the site's copy wins). Before
Nikola reads any source, blog_build.sources checks them all (notebooks through their
model, read once), and posts marked `.. execute: true` are executed (or taken from the
execution cache): all of it before any task runs, so a build that stops here, with one
line per problem, leaves output/ exactly as it was. Warnings (an output shown as a
placeholder, a referenced file that is missing, what the check before publishing finds:
blog_build/notebook_checks.py) are printed and the build goes on; secrets found are also
recorded for `nikola deploy`, which refuses to publish them.
Posts come out with a text() that index pages and feeds can call cheaply (teasers.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from nikola.plugins.misc import scan_posts as nikola_scan_posts
from nikola.post import Post
from nikola.utils import LOGGER

from blog_build import libraries, pipeline, references
from blog_build.sources import scan_sources
from blog_build.store import write_if_changed
from plugins import versions
from plugins.scan_posts.teasers import TeaserPost

PUBLISH_CHECK = "publish_check.json"  # read by plugins/ftp_deploy (as data)


def record_findings(cache: Path, findings: list[dict]) -> None:
    """CACHE_FOLDER/publish_check.json: the secrets found, which `nikola deploy` refuses to publish."""
    secrets = [finding["message"] for finding in findings if finding["blocks"]]
    cache.mkdir(parents=True, exist_ok=True)
    write_if_changed(cache / PUBLISH_CHECK, json.dumps({"format": 1, "secrets": secrets}, indent=1))


class ScanPosts(nikola_scan_posts.ScanPosts):
    """Check and prepare every source, then scan as Nikola does."""

    name = "scan_posts"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)

    def scan(self):
        """Stop with one line per bad source; otherwise scan as Nikola does."""
        notebooks = pipeline.current = pipeline.Pipeline(
            pipeline.Settings.from_config(self.site.config, libraries.available())
        )
        scan = scan_sources(self.site.config["post_pages"], notebooks)
        problems, warnings = scan.problems, scan.warnings
        posts = [(source.path, source.metadata) for source in scan.notebooks()]
        for source in scan.notebooks():
            notebooks.metadata[str(source.path)] = source.metadata
        if not problems:
            problems = notebooks.render_all(posts, every_post=True)
            for name, model in notebooks.rendered_models.items():
                warnings += references.missing(model.references, Path(name).parent, name)
            findings = notebooks.publish_findings()
            warnings += [finding["message"] for finding in findings]
            record_findings(Path(self.site.config["CACHE_FOLDER"]), findings)
        notebooks.save()
        for warning in warnings:
            LOGGER.warning(warning)
        for name in notebooks.executed:
            LOGGER.info(f"{name}: executed")
        if problems:
            for problem in problems:
                LOGGER.error(problem)
            LOGGER.error("Nothing was built; output/ is unchanged. Fix the file(s) above and build again.")
            raise SystemExit(1)
        posts = super().scan()
        for post in posts:
            if type(post) is Post:
                post.__class__ = TeaserPost  # same data, a cheaper text() (teasers.py)
        return posts
