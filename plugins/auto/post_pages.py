"""The page of an edited post, rendered in the preview's own process before the build catches up.

A whole `nikola build` in a new process starts Nikola, reads every post, generates and
checks every task: seconds at 400 posts before the edited post's page is written. The
preview process keeps Nikola loaded instead and scans the posts again (0.2 s at 400 posts:
the posts whose files did not change are given back as they were made,
plugins/scan_posts/kept_posts.py). It then runs, for each edited post, the same two tasks
`nikola build` runs for it (the HTML fragment, Nikola's RenderPosts; the page, Nikola's
RenderPages through `generic_page_renderer`), built the way those plugins build them, with
doit executing their actions. The page lands in output/ and the open page reloads; the full
build that follows writes the same bytes there (tests/test_preview.py checks it against a
clean build) and everything else the edit touches: index, tag and archive pages, feeds, the
search index.

Only an edit to posts' own files (the notebook or its .meta) is rendered here; anything
else (a template, conf.py, a new or deleted file the scan cannot place) waits for the build.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os

from doit.task import Stream, Task
from nikola import utils

from blog_build import libraries, pipeline
from blog_build.sources import matching_sources
from plugins.scan_posts.kept_posts import KeptPosts


class PostPages:
    """Renders edited posts' pages in this process with the tasks `nikola build` would run for them."""

    def __init__(self, site) -> None:
        self.site = site
        # every edit scans again: the scanner gives back the posts whose files did not change
        if scanner := site.plugin_manager.get_plugin_by_name("scan_posts", "PostScanner"):
            scanner.plugin_object.kept_posts = KeptPosts()

    def render(self, changed: list[str]) -> list[str]:
        """Write the pages of the posts whose own files are `changed`; the files written.

        Nothing is written (an empty list) when a changed file is not a post's notebook or
        .meta file, or when the sources do not pass the build's checks: the build then says why.
        """
        return self.render_scanned(changed) if self.scan() else []

    def render_scanned(self, changed: list[str]) -> list[str]:
        """render(), on the posts as the last scan left them."""
        site = self.site
        edited = {os.path.relpath(path) for path in changed}
        posts = [post for post in site.timeline if edited & {post.source_path, post.metadata_path}]
        placed = {path for post in posts for path in (post.source_path, post.metadata_path)}
        if not posts or edited - placed:
            return []
        written = []
        for post in posts:
            for lang in site.config["TRANSLATIONS"]:
                for task in self.tasks(post, lang):
                    if task.execute(Stream(0)) is not None:
                        return []
                    written += task.targets
        return written

    def warm_up(self) -> None:
        """Pay now, after the first build, what the first edit's render would pay once: the scan's
        first reading of the models and making of the posts, nbconvert's exporter and templates,
        the page's templates and filters. The newest notebook post's page (the newest post's, on
        a site without one) is rendered as after an edit: the same bytes the build just wrote, so
        no open page reloads."""
        if not self.scan():
            return
        timeline = self.site.timeline
        newest = next((post for post in timeline if post.compiler.name == "ipynb"), timeline[0] if timeline else None)
        try:
            if newest is not None:
                self.render_scanned([newest.source_path])
        except Exception:  # a site that cannot render says why in the edit's render and in the build
            return

    def rehearse(self) -> None:
        """Pay now what the first edit's making of a notebook's model would pay once
        (pipeline.rehearse), on a notebook of the site's post folders. It touches neither output/
        nor the cache, so it runs beside the first build (mostly beside its start-up and scan,
        which use one core)."""
        try:
            # the scan's own list of sources: hidden files (an editor's `.~NAME` copy) are not in it
            sources = matching_sources(self.site.config["post_pages"])
            notebook = next((source for source, _ in sources if source.suffix == ".ipynb"), None)
            if notebook is not None:
                pipeline.rehearse(notebook, libraries.available())
        except Exception:  # a notebook that does not read says why in the build
            return

    def scan(self) -> bool:
        """Scan every source again, as a build does, quietly (the build that follows prints what it finds)."""
        logger = utils.LOGGER
        level = logger.level
        logger.setLevel(logging.CRITICAL + 1)
        try:
            # Nikola prints "done!" to stderr itself; the loggers keep the terminal's stream.
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                self.site.scan_posts(really=True)
        except (Exception, SystemExit):  # the scanner stops a build with bad input by SystemExit
            return False
        finally:
            logger.setLevel(level)
        return True

    def tasks(self, post, lang: str) -> list[Task]:
        """The post's fragment task (as Nikola's RenderPosts makes it) and page task (as RenderPages does)."""
        site = self.site
        fragment = post.translated_base_path(lang)
        compile_task = {
            "name": fragment,
            "actions": [(post.compile, (lang,))],
            "targets": [fragment, *post.compiler.get_extra_targets(post, lang, fragment)],
        }
        named = [name.strip() for name in post.meta("filters", lang).split(",") if name.strip()]
        post_filters = [site.filters.get(name, name) for name in named]
        dicts = [utils.apply_filters(compile_task, {os.path.splitext(fragment)[-1]: post_filters})]
        context = {"pagekind": ["post_page"]} if post.is_post else {"pagekind": ["story_page", "page_page"]}
        dicts += site.generic_page_renderer(lang, post, site.config["FILTERS"], context)
        return [Task(f"preview:{task['name']}", task["actions"], targets=task["targets"]) for task in dicts]
