"""doit hashes each file once per build, not once per task that depends on it.

After a task runs, doit records the state (modification time, size, MD5) of every file it
depends on. Every page depends on the theme's templates, and a post's notebook on half a
dozen tasks, so a full build hashed the same files thousands of times (each notebook 13
times). blog_build/file_checks.py's checker remembers each file's hash for as long as its
modification time and size stay the same; it is given to doit as DOIT_CONFIG's
`check_file_uptodate`, which doit reads only after the plugins are loaded. (conf.py could
name it only by importing project code, which conf.py does not do.)
"""

from __future__ import annotations

from nikola.plugin_categories import ConfigPlugin

from blog_build.file_checks import OnceMD5Checker
from plugins import versions


class FileHashes(ConfigPlugin):
    """Hands doit the checker that hashes each file once per build."""

    name = "file_hashes"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        # Nikola keeps conf.py's DOIT_CONFIG as site._doit_config and hands it to doit when a
        # command runs, after init_plugins (nikola/__main__.py, NikolaTaskLoader.load_doit_config).
        site._doit_config.setdefault("check_file_uptodate", OnceMD5Checker)
        super().set_site(site)
