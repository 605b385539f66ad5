"""Nikola's post scanner, run only once every source has passed blog_build's checks.

Takes the place of Nikola's own scanner (same plugin name, so the site's copy wins). Before
Nikola reads any source, blog_build.sources checks them all (notebooks through their
model, read once), and posts marked `.. execute: true` are executed (or taken from the
execution cache): all of it before any task runs, so a build that stops here, with one
line per problem, leaves output/ exactly as it was. Warnings (an output shown as a
placeholder, a referenced file that is missing, what the check before publishing finds:
blog_build/notebook_checks.py) are printed and the build goes on; secrets found are also
recorded for `nikola deploy`, which refuses to publish them.
Posts come out with a text() that index pages and feeds can call cheaply (teasers.py), and
knowing which other posts their notebook links to by source (`[see](welcome.ipynb)`): those
links lead to the other post's page, and the post's pages depend on that page's URL.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import posixpath
from pathlib import Path

from nikola import utils
from nikola.plugins.misc import scan_posts as nikola_scan_posts
from nikola.post import Post
from nikola.utils import LOGGER

from blog_build import libraries, pipeline, references
from blog_build.sources import Scan, scan_sources
from blog_build.store import write_if_changed
from plugins import versions
from plugins.scan_posts.kept_posts import KeptPosts
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
    # Set by the preview (plugins/auto), which scans again for every edit: posts whose files
    # and settings are unchanged are given back as made (kept_posts.py) instead of made anew.
    kept_posts: KeptPosts | None = None

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
        for name, why in notebooks.executed:
            LOGGER.info(f"{name}: executed ({why})")
        if problems:
            for problem in problems:
                LOGGER.error(problem)
            LOGGER.error("Nothing was built; output/ is unchanged. Fix the file(s) above and build again.")
            raise SystemExit(1)
        posts = self.posts(scan, notebooks)
        for post in posts:
            if type(post) is Post:
                post.__class__ = TeaserPost  # same data, a cheaper text() (teasers.py)
        self.link_posts(posts, notebooks)
        self.note_absent_files(posts, notebooks)
        return posts

    def note_absent_files(self, posts: list[Post], notebooks: pipeline.Pipeline) -> None:
        """Tell each notebook post which files it shows that are not beside it (the compiler shows a note).

        Whether a file is there is no part of the notebook's model, so the post's page depends on
        a small file in the cache naming them, rewritten only when that changes: a file that
        appears (or goes) re-renders the page.
        """
        folder = Path(self.site.config["CACHE_FOLDER"], "absent_files")
        for post in posts:
            model = notebooks.rendered_models.get(post.source_path)
            if model is None:
                continue
            gone = references.absent(model.references, Path(post.source_path).parent)
            record = folder / f"{hashlib.sha256(post.source_path.encode()).hexdigest()[:20]}.json"
            if gone or record.exists():
                post.absent_files = set(gone)
                folder.mkdir(parents=True, exist_ok=True)
                post.add_dependency(str(write_if_changed(record, json.dumps(gone))), add="fragment")

    def link_posts(self, posts: list[Post], notebooks: pipeline.Pipeline) -> None:
        """Tell each notebook post which posts its notebook links to by their source (teasers.py).

        The links are the model's references (markdown and HTML outputs). The post's page,
        and the index pages and feeds that show it (Nikola copies a post's page dependencies
        into theirs), depend on a small file in the cache holding those posts' URLs, rewritten
        only when one changes: a renamed slug re-renders the pages that link to it.
        """
        by_source = {posixpath.normpath(post.source_path): post for post in posts}
        lang = self.site.config["DEFAULT_LANG"]
        folder = Path(self.site.config["CACHE_FOLDER"], "post_links")
        for post in posts:
            model = notebooks.rendered_models.get(post.source_path)
            if model is None or not isinstance(post, TeaserPost):
                continue
            own = posixpath.normpath(post.source_path)
            linked = {
                target: by_source[target]
                for _cell, path in model.references
                if (target := posixpath.normpath(posixpath.join(posixpath.dirname(own), path))) in by_source
                and target != own
            }
            if not linked:
                continue
            post.linked_posts = linked
            name = hashlib.sha256(post.source_path.encode()).hexdigest()[:20]
            urls = json.dumps({source: linked[source].permalink(lang) for source in sorted(linked)})
            folder.mkdir(parents=True, exist_ok=True)
            post.add_dependency(str(write_if_changed(folder / f"{name}.json", urls)), add="page")

    def posts(self, scan: Scan, notebooks: pipeline.Pipeline) -> list[Post]:
        """Nikola's Post for each checked source, made as Nikola's scan() makes them (one language).

        Nikola's scan() picks a source's compiler by its extension, so a text notebook
        (`.md`) would be rendered as Markdown, and a text notebook's paired `.ipynb` would
        be a second post with the same slug; blog_build.sources has told them apart.
        """
        config = self.site.config
        if len(config["TRANSLATIONS"]) > 1:
            LOGGER.error("scan_posts (plugins/scan_posts) makes posts in one language; TRANSLATIONS names more")
            raise SystemExit(1)
        timeline = []
        for name, source in scan.sources.items():
            wildcard, destination, template, use_in_feeds = source.place
            compiler, extractors = self.site.get_compiler(name), self.site.metadata_extractors_by
            if source.is_notebook and compiler.name != "ipynb":
                compiler, extractors = self.site.compilers["ipynb"], self.notebook_extractors()
            make = functools.partial(
                Post,
                name,
                config,
                os.path.relpath(os.path.dirname(name), os.path.dirname(wildcard)),
                use_in_feeds,
                self.site.MESSAGES,
                template,
                compiler,
                destination_base=utils.TranslatableSetting("destination", destination, config["TRANSLATIONS"]),
                metadata_extractors_by=extractors,
            )
            if self.kept_posts is None:
                timeline.append(make())
            else:
                # the model's key too: a post run at build time depends on its executed model
                model = notebooks.rendered_models.get(name)
                settings = (source.place, compiler.name, model.key if model else None)
                timeline.append(self.kept_posts.post(name, settings, make))
        return timeline

    def notebook_extractors(self) -> dict:
        """Nikola's metadata extractors without those that read front matter (YAML, TOML).

        A text notebook's front matter is read by blog_build, into the metadata the compiler
        gives; Nikola's YAML reader would read Jupyter's entries as the post's.
        """
        every = self.site.metadata_extractors_by
        kept = {**every, "priority": {}}
        for priority, extractors in every["priority"].items():
            kept["priority"][priority] = [one for one in extractors if one.name not in ("yaml", "toml")]
        return kept
