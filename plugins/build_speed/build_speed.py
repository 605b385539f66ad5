"""Work Nikola does on every build, done cheaper.

- Nikola makes every page's links relative by handing the parsed page to lxml's
  `rewrite_links`. The site's `rewrite_links` is wrapped so that Nikola's own code gets a
  stand-in for the page (blog_build/links.py's LinkCandidates) whose link walk skips the hundreds of
  code-highlighting <span>s of a notebook post; pages come out the same.
- Python's cyclic garbage collector runs after every 700 new objects, and a build makes
  millions that live to the end (posts, tasks, templates): a no-op build spent 0.16 s in
  330 collections. It now runs after every 50,000 (0.04 s; a full build's total is the
  same either way, its peak memory 7 MB higher).
- When the process ends, Python's last garbage collection walks every object the build
  made, about 0.25 s of a 2.5 s no-op build; those objects are frozen first, so it skips
  them (the operating system frees their memory either way; atexit handlers and module
  clean-up still run).
- doit hashes a file for every task that depends on it; every page depends on the theme's
  templates and a post's source on several tasks. blog_build/file_checks.py's checker,
  which hashes each file once per build, is given to doit (DOIT_CONFIG's
  `check_file_uptodate`, which doit reads after the plugins are loaded; conf.py cannot name
  a class of the project's own without importing project code).
"""

from __future__ import annotations

import atexit
import gc

from nikola.plugin_categories import ConfigPlugin

from blog_build.file_checks import OnceMD5Checker
from blog_build.links import LinkCandidates
from plugins import versions


class BuildSpeed(ConfigPlugin):
    """Wraps the site's rewrite_links so that it sees link candidates only; skips the last collection."""

    name = "build_speed"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        rewrite = site.rewrite_links

        def rewrite_candidates(doc, src: str, lang: str, url_type: str | None = None) -> None:
            rewrite(LinkCandidates(doc), src, lang, url_type)

        site.rewrite_links = rewrite_candidates
        # Nikola keeps conf.py's DOIT_CONFIG as site._doit_config and hands it to doit when a
        # command runs, after init_plugins (nikola/__main__.py, NikolaTaskLoader.load_doit_config).
        site._doit_config.setdefault("check_file_uptodate", OnceMD5Checker)
        gc.set_threshold(50_000, 20, 100)
        atexit.register(gc.freeze)
        super().set_site(site)
