"""Nikola's `nikola auto`, made to rebuild only for real changes and to show a failed build on the page.

Imported only when `nikola auto` runs (it imports aiohttp). Nikola's CommandAuto does the
serving, the watching and the first build; this subclass changes what it does with events
(blog_build/preview.py decides):

- reads are not changes (watchdog reports them; Nikola 8.3 rebuilt for its own build's
  reads, for ever), nor are editors' temporary files, nor a save of the same bytes;
- writes are collected until they pause, so one save is one rebuild and no build reads a
  notebook Jupyter is still writing;
- a reload is sent for each output file whose content changed, at once (Nikola queued them
  0.35 s apart, so the page being read could wait seconds behind the rest of the site), and
  the page's script (preview.js, a livereload.js plugin) reloads only for its own file;
- a failed build is one line per problem in the terminal and an overlay on every open page
  (Nikola sent the whole log to `alert()`), until the next build succeeds;
- a page served while its file was being rewritten (half a file) is reloaded once the
  writing is over, even when the file ends as it was (`RememberingStaticResource`);
- the watches ask the kernel for writes only (`preview.WritesObserver`), so a build's reads
  cannot overflow the kernel's event queue and lose an edit.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import warnings
from pathlib import Path

from aiohttp import WSMsgType, web
from nikola.plugins.command.auto import CommandAuto, IndexHtmlStaticResource
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from blog_build import preview
from plugins.auto.post_pages import PostPages

PAGE_SCRIPT = Path(__file__).with_name("preview.js")
# Served for a missing page until a build has written output/404.html.
NOTHING_HERE = "<!DOCTYPE html><html><head><title>Not found</title></head><body><p>Nothing here yet.</p></body></html>"


class RememberingStaticResource(IndexHtmlStaticResource):
    """Nikola's file server for output/, remembering a digest of each page it served, by file.

    Nikola writes a page in place (truncate, then write, then its filters rewrite it), so a page
    that reloads at that moment can be served half a file; when the writing ends with the bytes
    the page had before, no content change is seen and the page would stay broken. The preview
    compares what it served with the file once the writing is over (`reload_stale_pages`).
    """

    def __init__(self, served: dict[Path, str], *args) -> None:
        super().__init__(*args)
        self.served = served

    @staticmethod
    def served_digest(served_text: str) -> str:
        return hashlib.sha256(served_text.encode("utf-8")).hexdigest()

    def page_digest(self, text: str) -> str:
        """The digest of what serving a page file holding `text` sends."""
        return self.served_digest(self.transform_html(text))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """A missing page is the site's own 404 page with the preview's scripts, so it reloads
        when the page appears (Nikola's server answered aiohttp's bare "404: Not Found", and a
        page open on a post being renamed or restored never recovered)."""
        try:
            return await super()._handle(request)
        except web.HTTPNotFound:
            not_found = self._directory / "404.html"
            text = not_found.read_text(encoding="utf-8") if not_found.is_file() else NOTHING_HERE
            return web.Response(status=404, text=self.transform_html(text), content_type="text/html")

    async def handle_file(self, request: web.Request, filename: str, from_index=None) -> web.StreamResponse:
        response = await super().handle_file(request, filename, from_index)
        path = self._directory.joinpath(filename)
        if isinstance(response, web.Response) and response.content_type == "text/html" and path.is_file():
            self.served[path] = self.served_digest(response.text)
        return response


class PreviewAuto(CommandAuto):
    """CommandAuto with blog_build.preview's event handling and the build error on the page."""

    def _execute(self, options: dict, args: list) -> int | None:
        self.root = os.getcwd()
        self.source_hashes = preview.ContentHashes()
        self.source_changes = preview.ChangeBatch(self.source_hashes)
        # Output files are written whole in milliseconds: a short pause is enough.
        self.output_changes = preview.ChangeBatch(preview.ContentHashes(), quiet_seconds=0.03)
        self.build_errors: list[str] = []
        self.status_sockets: set[web.WebSocketResponse] = set()
        self.served_pages: dict[Path, str] = {}
        self.post_pages = PostPages(self.site)
        # The site this process holds is the one conf.py, the plugins and the theme made when
        # it started; once any of them changes, only a new process (the build) renders right.
        post_pages = self.site.config["post_pages"]
        self.source_folders = {os.path.abspath(os.path.dirname(pattern)) for pattern, *_ in post_pages}
        self.site_is_current = True
        logging.getLogger("aiohttp.server").addFilter(preview.is_not_a_dropped_connection)
        # A folder made and then renamed inside output/ (the search indexer's new parts, swapped
        # in after each build) keeps its inotify watch; watchdog, asked to watch it under its new
        # name, sets the same callback again and warns, a few lines per build the author can do
        # nothing about.
        warnings.filterwarnings("ignore", "Callback with id .* already exists for watch", RuntimeWarning)
        return super()._execute(options, args)

    @property
    def wd_observer(self) -> BaseObserver:
        return self._watcher

    @wd_observer.setter
    def wd_observer(self, observer: BaseObserver) -> None:
        """Nikola's _execute makes watchdog's Observer here and schedules its watches on it: ours
        asks for writes only (`nikola auto --poll`'s PollingObserver, which sees no reads, stays)."""
        self._watcher = preview.WritesObserver() if type(observer) is Observer else observer

    async def set_up_server(self, host: str, port: int, base_path: str, out_folder: str) -> None:
        """Nikola's server and routes, plus preview.js (before livereload.js in every page) and the status socket.

        Written out rather than extended: Nikola's registers its catch-all static resource
        before returning, and routes added after it would never be reached.
        """
        self.snippet = '<script src="/preview.js"></script>\n' + self.snippet
        webapp = web.Application()
        webapp.router.add_get("/livereload.js", self.serve_livereload_js)
        webapp.router.add_get("/robots.txt", self.serve_robots_txt)
        webapp.router.add_route("*", "/livereload", self.websocket_handler)
        webapp.router.add_get("/preview.js", self.serve_page_script)
        webapp.router.add_get("/preview-status", self.status_socket)
        self.pages = RememberingStaticResource(self.served_pages, True, self.snippet, base_path, out_folder)
        webapp.router.register_resource(self.pages)
        webapp.on_shutdown.append(self.remove_websockets)
        webapp.on_shutdown.append(self.close_status_sockets)
        self.web_runner = web.AppRunner(webapp)
        await self.web_runner.setup()
        await web.TCPSite(self.web_runner, host, port).start()

    async def run_initial_rebuild(self) -> None:
        """Remember every source as it is, then build (a save of the same bytes later is no change)."""
        config = self.site.config
        skip = [Path(config["OUTPUT_FOLDER"]), Path(config["CACHE_FOLDER"]), Path("node_modules")]
        self.source_hashes.seed([Path(self.root)], skip=skip)
        loop = asyncio.get_running_loop()
        rehearsal = loop.run_in_executor(None, self.post_pages.rehearse)  # beside the build: it writes nothing
        await super().run_initial_rebuild()
        # In the background, so the watcher starts at once; the first in-process render waits for it.
        self.warmed_up = asyncio.gather(rehearsal, loop.run_in_executor(None, self.post_pages.warm_up))

    async def queue_rebuild(self, event) -> None:
        for path in self.written_paths(event):
            self.source_changes.add(path)

    async def run_rebuild_queue(self) -> None:
        """Rebuild once the writes pause, if any file's content changed; also for a change during the first build."""
        # The watcher starts after the first build: anything saved while it ran has no event.
        if changed := self.source_hashes.changed_since_seen():
            await self._rebuild_site(os.path.relpath(changed[0], self.root))
        while True:
            changed = await self.source_changes.changed_paths()
            await self.render_in_process(changed)
            await self._rebuild_site(os.path.relpath(changed[0], self.root))

    async def render_in_process(self, changed: list[str]) -> None:
        """The edited posts' pages first, from the site held here (post_pages.py), if it is still current."""
        self.site_is_current &= all(os.path.dirname(path) in self.source_folders for path in changed)
        if not self.site_is_current:
            return
        if self.warmed_up is not None:
            await self.warmed_up
        written = await asyncio.get_running_loop().run_in_executor(None, self.post_pages.render, changed)
        if written:
            self.logger.info(f"Rendered in this process: {', '.join(written)}")
            await self.reload_stale_pages()
            # The sources passed the build's checks: an error shown from an earlier save is gone.
            if self.build_errors:
                self.build_errors = []
                await self.send_status()

    async def _rebuild_site(self, event_path: str | None = None) -> None:
        """`nikola build` as Nikola runs it; a failure is one line per problem, here and on the pages."""
        self.is_rebuilding = True
        self.logger.info(f"REBUILDING SITE (from {event_path})" if event_path else "REBUILDING SITE")
        build = await asyncio.create_subprocess_exec(*self.nikola_cmd, stderr=subprocess.PIPE)
        log = (await build.stderr.read()).decode("utf-8", errors="replace")
        exit_code = await build.wait()
        if exit_code != 0:
            self.build_errors = preview.build_errors(log)
            for line in self.build_errors:
                self.logger.error(f"Build failed: {line}")
        else:
            self.build_errors = []
            self.logger.info("Rebuild successful\n" + log)
        await self.send_status()
        await self.reload_stale_pages()
        self.is_rebuilding = False

    async def reload_stale_pages(self) -> None:
        """Reload each open page whose file, now written, is not what was served (it was served mid-write)."""
        output = os.path.abspath(self.site.config["OUTPUT_FOLDER"])
        for path, served in list(self.served_pages.items()):
            try:
                now = self.pages.page_digest(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            if now != served:
                self.served_pages.pop(path, None)
                await self._send_reload_command(os.path.relpath(path, output).replace(os.sep, "/"))

    async def reload_page(self, event) -> None:
        for path in self.written_paths(event):
            self.output_changes.add(path)

    async def run_reload_queue(self) -> None:
        """A reload for every output file whose content changed, as soon as the writes pause."""
        output = os.path.abspath(self.site.config["OUTPUT_FOLDER"])
        while True:
            for path in await self.output_changes.changed_paths():
                await self._send_reload_command(os.path.relpath(path, output).replace(os.sep, "/"))

    def written_paths(self, event) -> list[str]:
        """The paths an event may have changed: none for a read, a folder, or a temporary file."""
        if event.is_directory or not preview.is_change(event.event_type):
            return []
        paths = [event.src_path, getattr(event, "dest_path", "")]
        return [path for path in paths if path and not preview.is_ignored(path, self.root)]

    async def serve_page_script(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE_SCRIPT, headers={"Cache-Control": "no-store"})

    async def status_socket(self, request: web.Request) -> web.WebSocketResponse:
        """Tells a page the build's errors now and after every build (an empty list: it built)."""
        socket = web.WebSocketResponse()
        try:
            await socket.prepare(request)
        except ConnectionError:  # the page reloaded or closed while it connected
            return socket
        self.status_sockets.add(socket)
        try:
            await socket.send_json({"errors": self.build_errors})
            async for message in socket:
                if message.type == WSMsgType.ERROR:
                    break
        except ConnectionError:  # the page went away between connecting and hearing the status
            pass
        finally:
            self.status_sockets.discard(socket)
        return socket

    async def send_status(self) -> None:
        for socket in list(self.status_sockets):
            try:
                await socket.send_json({"errors": self.build_errors})
            except ConnectionError:
                self.status_sockets.discard(socket)

    async def close_status_sockets(self, _app: web.Application) -> None:
        for socket in list(self.status_sockets):
            await socket.close()
        self.status_sockets.clear()
