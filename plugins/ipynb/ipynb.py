"""Jupyter notebooks as posts: Nikola's side of blog_build's notebook pipeline.

Takes the place of Nikola's ipynb compiler (same plugin name, so the site's copy wins).
It renders the notebook model (blog_build/notebook.py) that the scanner made, or makes
one itself when Nikola asks about a notebook the scanner has not seen, so it needs no
other plugin: it never opens the notebook a post was written in to render it. Rendering
is blog_build/rendering.py; this adapter adds what depends on the post (its URL, title,
links) and tells Nikola what each render reads and writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from pathlib import Path

from nikola import shortcodes
from nikola.plugin_categories import PageCompiler
from nikola.utils import LocaleBorg, get_logger, makedirs

from blog_build import (
    ansi_colours,
    cell_tags,
    libraries,
    long_outputs,
    maps,
    pipeline,
    references,
    rendering,
    text_notebooks,
)
from blog_build.notebook import checked_notebook, content_key, make_model, point_images, render_ready
from blog_build.store import write_if_changed
from plugins import versions


def site_pipeline(site) -> pipeline.Pipeline:
    """The build's pipeline: the scanner's, or one made from the site's settings."""
    if pipeline.current is None:
        pipeline.current = pipeline.Pipeline(pipeline.Settings.from_config(site.config, libraries.available()))
    return pipeline.current


class CompileIPynb(PageCompiler):
    """Compile notebook models to HTML with a per-process exporter."""

    name = "ipynb"
    friendly_name = "Jupyter Notebook"
    demote_headers = True
    supports_metadata = True
    _exporter = None
    _removal_tags = None

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        # Nikola re-renders a post when its compiler's config_dependencies change; stock
        # Nikola leaves IPYNB_CONFIG out, so changing how notebooks render changed nothing.
        template = Path(rendering.TEMPLATES, "notebook_blog.html.j2").read_text(encoding="utf-8")
        options = [rendering.SITE_DEFAULTS, site.config["IPYNB_CONFIG"], site.config.get("NOTEBOOK_REPOSITORY", {})]
        options += [template, site.config.get("NOTEBOOK_PROMPTS", False), self.output_lines()]
        # Pages name library files by content hash: a new library version re-renders them.
        options.append(libraries.pinned_versions(libraries.available()))
        # As a digest: Nikola hashes config_dependencies again for every task showing a post
        # (the RSS feed's task: 400 times), and the settings with the template are 5 KB.
        settings_json = json.dumps(options, sort_keys=True, default=str)
        self.config_dependencies = [hashlib.sha256(settings_json.encode("utf-8")).hexdigest()]

    def output_lines(self) -> int:
        """NOTEBOOK_OUTPUT_LINES: text outputs longer than this are folded (0: never); a bad value stops the build."""
        lines = self.site.config.get("NOTEBOOK_OUTPUT_LINES", 40)
        if isinstance(lines, bool) or not isinstance(lines, int) or lines < 0:
            get_logger(self.name).error(
                f"conf.py: NOTEBOOK_OUTPUT_LINES must be a whole number of lines (0 folds no output), not {lines!r}"
            )
            raise SystemExit(1)
        return lines

    def rendered_model(self, post):
        """The model `post` is rendered from (its executed notebook's, for a post run at build time)."""
        source = post.source_path
        found = site_pipeline(self.site).rendered_models.get(source)
        if found is not None:
            return found
        return site_pipeline(self.site).rendered(Path(source), self.read_metadata(post))

    def register_extra_dependencies(self, post) -> None:
        """A post run at build time depends on its executed notebook's model (new outputs re-render it).

        So does a text notebook, whose model is also made from its paired `.ipynb` when it has
        one. Any other post's model is made from the source alone, which the post depends on already.
        """
        super().register_extra_dependencies(post)
        model = self.rendered_model(post)
        source = Path(post.source_path)
        if model is not site_pipeline(self.site).model(source) or text_notebooks.is_candidate(source):
            post.add_dependency(str(site_pipeline(self.site).pages / f"{model.key}.json"), "fragment")

    def exporter(self):
        """The process's exporter, built on first use (after doit has forked its workers)."""
        if self._exporter is None:
            self._exporter = rendering.make_exporter(self.exporter_config())
        return self._exporter

    def exporter_config(self):
        from nikola.plugins.compile.ipynb import get_default_jupyter_config

        return rendering.exporter_config(
            get_default_jupyter_config(),
            self.site.config["IPYNB_CONFIG"],
            self.site.config.get("NOTEBOOK_PROMPTS", False),
        )

    def removal_tags(self) -> cell_tags.RemovalTags:
        """The tags that take cells off the page, for what reads a notebook beside nbconvert."""
        if self._removal_tags is None:
            self._removal_tags = cell_tags.RemovalTags.of(self.exporter_config())
        return self._removal_tags

    def compile(self, source: str, dest: str, is_two_file=False, post=None, lang=None) -> None:
        """Render the post's notebook model into `dest`, with its images and referenced files beside it."""
        if post is None:
            with open(source, encoding="utf-8-sig") as stream:
                html, _deps = self.compile_string(stream.read(), source, is_two_file, None, lang)
        else:
            html, shortcode_deps = self.render_post(post, lang)
        makedirs(os.path.dirname(dest))
        with open(dest, "w", encoding="utf-8") as stream:
            stream.write(html)
        if post is not None:
            post._depfile[dest] += shortcode_deps

    def render_post(self, post, lang: str | None) -> tuple[str, list]:
        model = self.rendered_model(post)
        notebook = render_ready(site_pipeline(self.site).page(model))  # a copy of its own, changed below
        codes = self.extract_shortcodes(notebook)
        folder, url = self.image_location(post, lang)
        point_images(notebook, url)
        for name in model.images:
            site_pipeline(self.site).images.publish(name, folder)
        rendering.drop_repeated_title(notebook, post.title(lang))
        references.show_absent(notebook, getattr(post, "absent_files", set()))  # set by plugins/scan_posts
        for map_file in maps.map_files(notebook, url):
            makedirs(str(folder))
            write_if_changed(folder / map_file.name, map_file.text)
        for text_file in self.text_outputs(notebook, url):
            makedirs(str(folder))
            write_if_changed(folder / text_file.name, text_file.text)
        references.copy_referenced_files(files_referred_to(post, model), Path(post.source_path).parent, folder)
        repository = self.site.config.get("NOTEBOOK_REPOSITORY", {})
        header = rendering.tools_bar(notebook, post.source_link(lang), post.source_path, repository)
        html = rendering.notebook_to_html(self.exporter(), notebook, header, page_scripts(model))
        return self.site.apply_shortcodes_uuid(html, codes, filename=post.source_path, extra_context={"post": post})

    def extract_shortcodes(self, page: dict) -> dict:
        """Nikola's shortcodes in markdown cells set aside (in place), as Nikola does for a whole source."""
        codes: dict = {}
        for cell in page["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                if "{{%" in text:
                    cell["source"], found = shortcodes.extract_shortcodes(text)
                    codes.update(found)
        return codes

    def compile_string(self, data: str, source_path=None, is_two_file=True, post=None, lang=None) -> tuple:
        """Render notebook JSON to HTML; returns (html, shortcode dependencies) as Nikola expects."""
        label = str(source_path or "<notebook>")
        encoded = data.encode("utf-8")
        available = libraries.available()
        checked = checked_notebook(encoded, label, [])
        model = make_model(
            checked, label, content_key(encoded, available, label), available, site_pipeline(self.site).images
        )
        notebook = render_ready(model.notebook)
        self.text_outputs(notebook, None)  # no post folder: huge outputs are folded in the page
        maps.map_files(notebook, None)  # and maps are a note
        codes = self.extract_shortcodes(notebook)
        html = rendering.notebook_to_html(self.exporter(), notebook, "", page_scripts(model))
        return self.site.apply_shortcodes_uuid(html, codes, filename=source_path, extra_context={"post": post})

    def image_location(self, post, lang: str | None) -> tuple[Path, str]:
        """The post's output folder and its URL from the site root: images live beside the page."""
        folder = posixpath.dirname(post.destination_path(lang or LocaleBorg().current_lang))
        return Path(self.site.config["OUTPUT_FOLDER"], folder), f"/{folder}/" if folder else "/"

    def get_extra_targets(self, post, lang: str, dest: str) -> list[str]:
        """The image and referenced files compile() writes, so doit knows them (and `nikola check -f` too)."""
        model = self.rendered_model(post)
        folder, _url = self.image_location(post, lang)
        paths = [folder / name for name in model.images]
        paths += references.targets(files_referred_to(post, model), Path(post.source_path).parent, folder)
        paths += [folder / name for name in self.long_output_files(model)]
        paths += [folder / name for name in self.map_file_names(model)]
        return [str(path) for path in paths]

    def long_output_files(self, model) -> list[str]:
        """The names of the text files that compile() writes for the model's huge outputs.

        Only a page whose cached notebook holds more than long_outputs.HUGE_BYTES can have
        one (JSON never makes text shorter), so most posts are known by the file's size alone,
        and a build that renders nothing parses no page for this.
        """
        notes = site_pipeline(self.site)
        if model.notebook is None:
            page = notes.pages / f"{model.key}.json"
            if not page.exists() or page.stat().st_size <= long_outputs.HUGE_BYTES:
                return []
        notebook = render_ready(notes.page(model))
        return [text_file.name for text_file in self.text_outputs(notebook, "")]

    def map_file_names(self, model) -> list[str]:
        """The names of the map pages compile() writes beside the post: only a model needing Leaflet has any."""
        if maps.LIBRARY not in model.libraries:
            return []
        notebook = render_ready(site_pipeline(self.site).page(model))
        return [map_file.name for map_file in maps.map_files(notebook, "")]

    def text_outputs(self, notebook, url: str | None) -> list[long_outputs.TextFile]:
        """Text outputs readied for the page (in place): colours in the palette, long ones folded; files to write."""
        ansi_colours.readable_colours(notebook)
        return long_outputs.fold_long_outputs(notebook, self.output_lines(), url, removal=self.removal_tags())

    def read_metadata(self, post, lang: str | None = None) -> dict:
        """The post's checked metadata: the notebook's `nikola` entry, and every line of its `.meta` file.

        Nikola's own `.meta` reader stops at the first blank line and wins over this; keys
        after a blank line reach Nikola from here.
        """
        source = post.translated_source_path(lang or LocaleBorg().current_lang)
        known = site_pipeline(self.site).metadata.get(source)
        if known is not None:
            return known
        return site_pipeline(self.site).model(Path(source)).metadata

    def create_post(self, path: str, **kw) -> None:
        """Write a new notebook post; its metadata goes inside only for one-file posts.

        A path ending in `.md` or `.py` (`nikola new_post -f ipynb posts/NAME.md`) gets a
        text notebook: MyST Markdown or Jupytext's percent format, its metadata in NAME.meta.
        """
        import nbformat

        content = kw.pop("content", None) or "Write your post here."
        onefile = kw.pop("onefile", False)
        for unused in ("jupyter_kernel", "is_page"):
            kw.pop(unused, None)
        if text_notebooks.is_candidate(Path(path)):
            makedirs(os.path.dirname(path))
            inside = {**self.default_metadata, **kw} if onefile else None
            Path(path).write_text(text_notebooks.new_text_notebook(Path(path), content, inside), encoding="utf-8")
            return
        notebook = (
            nbformat.reads(content, nbformat.NO_CONVERT) if content.startswith("{") else rendering.new_notebook(content)
        )
        if onefile:
            notebook.metadata["nikola"] = {**self.default_metadata, **kw}
        makedirs(os.path.dirname(path))
        with open(path, "w", encoding="utf-8") as stream:
            nbformat.write(notebook, stream, version=4)


def page_scripts(model) -> str:
    """The script elements of the libraries the post's page draws with (a map's page loads Leaflet, not the post)."""
    return libraries.script_tags(set(model.libraries) - {maps.LIBRARY})


def files_referred_to(post, model) -> list[tuple[int, str]]:
    """The model's references but those to another post's source: a link to that post's page, not a copy."""
    linked = getattr(post, "linked_posts", {})  # by normalised source path (plugins/scan_posts)
    if not linked:
        return model.references
    own = posixpath.dirname(posixpath.normpath(post.source_path))
    return [
        (cell, path) for cell, path in model.references if posixpath.normpath(posixpath.join(own, path)) not in linked
    ]
