"""Nikola's Jinja template system, minus a second of re-parsing on every build.

Every page task asks which template files it depends on. Nikola's plugin caches the
answer for the page's own template but parses each template it includes or imports
again, on every question: about 90 parses of the theme's templates per build, a second
of a no-op build. Here the answer for each template file is kept for the process.
(Same plugin name as Nikola's, so the site's copy is the one loaded.)
"""

from __future__ import annotations

from nikola.plugins.template import jinja

from plugins import versions


class JinjaTemplates(jinja.JinjaTemplates):
    name = "jinja"

    def __init__(self) -> None:
        versions.check_nikola(__file__)
        super().__init__()
        self._file_deps: dict[str, list[str]] = {}

    def get_deps(self, filename: str, context=None) -> list[str]:
        """The files `filename` includes, extends or imports, parsed once per process."""
        if filename not in self._file_deps:
            self._file_deps[filename] = super().get_deps(filename, context)
        return self._file_deps[filename]
