"""`nikola auto` (make serve), with its code loaded only when the command runs.

Nikola imports every command plugin's module when it starts; its auto plugin imports
aiohttp at the top, 0.25 s that `nikola build`, `check` and every other command paid for
nothing. This stand-in (same plugin name, so the site's copy wins) has the same name,
description and options, and hands the run to preview_server.PreviewAuto: Nikola's
CommandAuto, rebuilding only for real changes and showing a failed build on the page.
"""

from __future__ import annotations

from nikola.plugin_categories import Command

from plugins import versions


def preview_command() -> type:
    """The command class (imported here: it imports Nikola's auto plugin and aiohttp)."""
    from plugins.auto.preview_server import PreviewAuto

    return PreviewAuto


class LazyAuto(Command):
    name = "auto"
    doc_purpose = (
        "builds and serves a site; automatically detects site changes, rebuilds, and optionally refreshes a browser"
    )

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)

    def get_options(self) -> list:
        """Nikola's own options for `nikola auto` (read when the command line is parsed)."""
        self.cmd_options = preview_command().cmd_options
        return super().get_options()

    def _execute(self, options: dict, args: list) -> int:
        command = preview_command()()
        command.set_site(self.site)
        return command._execute(options, args)
