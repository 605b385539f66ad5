"""Maths rendered to MathML when the site is built, so pages need no script and no CDN.

This filter, applied to every HTML page (conf.py's FILTERS), hands each page to
blog_build/mathml.py and writes it back when its maths changed.
"""

from __future__ import annotations

from pathlib import Path

from nikola.plugin_categories import ConfigPlugin
from nikola.utils import get_logger

from blog_build.mathml import render_math

LOGGER = get_logger("mathml")


def mathml_filter(path: str) -> None:
    """Nikola filter: rewrite one HTML file in place."""
    page = Path(path).read_text(encoding="utf-8")
    rendered, problems = render_math(page)
    for problem in problems:
        LOGGER.warning(f"{path}: maths left as text, {problem}")
    if rendered != page:
        Path(path).write_text(rendered, encoding="utf-8")


class MathML(ConfigPlugin):
    """Registers the "mathml" filter; conf.py applies it to .html files."""

    name = "mathml"

    def set_site(self, site) -> None:
        site.register_filter("mathml", mathml_filter)
        super().set_site(site)
