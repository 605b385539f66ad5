"""The way a notebook travels through a build, and what is kept of it between builds.

    posts/NAME.ipynb --read once--> NotebookModel (notebook.py) --execute?--> rendered model
        --compiler--> HTML fragment --Nikola--> pages, feeds, search --> output/

`Pipeline.model` reads a notebook once and makes its model; the model's facts (metadata,
image names, references, libraries, warnings) are kept in cache/notebook_models.json by
content hash, its render-ready notebook in cache/notebook-pages/KEY.json and its images in
cache/notebook-images/. A notebook whose size and modification time are as last seen is not
opened at all, and one whose bytes are unchanged is not parsed. `Pipeline.rendered` gives
the model a post is rendered from: for a post run at build time, the model of the executed
notebook (outputs from the execution cache, or a kernel run now). Every process of a
parallel build shares the scanner's models: doit starts its workers after the scan.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from blog_build import execution, notebook_checks, references, text_notebooks
from blog_build.images import ImageStore
from blog_build.metadata import SourceError, boolean
from blog_build.notebook import MODEL_VERSION, NotebookModel, checked_notebook, content_key, make_model
from blog_build.store import JsonStore, stamp

PARALLEL_FROM = 16  # notebooks per worker process below which making models in one process is faster


def may_execute(source: Path) -> bool:
    """Whether the `.meta` file beside `source` mentions `execute` (then its checked notebook is kept)."""
    try:
        return "execute" in source.with_suffix(".meta").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


@dataclass
class Settings:
    cache: Path  # Nikola's CACHE_FOLDER
    libraries: set[str]  # browser libraries the site can serve (installed from npm)
    execute_default: bool = False  # EXECUTE_NOTEBOOKS
    timeout: int = 120  # EXECUTE_TIMEOUT
    environment_files: list[Path] = field(default_factory=list)  # EXECUTE_ENVIRONMENT_FILES
    reexecute: bool = False  # NOTEBOOK_REEXECUTE=1: run every executed post again
    executed: Path | None = None  # EXECUTE_CACHE: where executed outputs are kept (default: cache/executed)

    @classmethod
    def from_config(cls, config: dict, libraries: set[str]) -> Settings:
        """The settings from Nikola's configuration (conf.py's EXECUTE_* and CACHE_FOLDER), with their defaults."""
        return cls(
            cache=Path(config["CACHE_FOLDER"]),
            libraries=libraries,
            execute_default=bool(config.get("EXECUTE_NOTEBOOKS", False)),
            timeout=int(config.get("EXECUTE_TIMEOUT", 120)),
            environment_files=[Path(p) for p in config.get("EXECUTE_ENVIRONMENT_FILES", ["requirements/site.lock"])],
            reexecute=os.environ.get("NOTEBOOK_REEXECUTE", "") not in ("", "0"),
            executed=Path(config.get("EXECUTE_CACHE", "cache/executed")),
        )


class Pipeline:
    """Notebook models for one build, made once per content and kept in the cache folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = JsonStore(settings.cache / "notebook_models.json", MODEL_VERSION)
        self.images = ImageStore(settings.cache / "notebook-images", self.store.section("image_sizes"))
        self.pages = settings.cache / "notebook-pages"
        self.outputs = execution.OutputsCache(settings.executed or settings.cache / "executed")
        self.models: dict[str, NotebookModel] = {}  # source path -> model of the source
        self.rendered_models: dict[str, NotebookModel] = {}  # source path -> model it is rendered from
        self.metadata: dict[str, dict[str, str]] = {}  # source path -> checked metadata (set by the scanner)
        self._checked: dict[str, dict] = {}  # notebooks parsed in this process, for execution
        self._environment: str | None = None
        self.executed: list[tuple[str, str]] = []  # (post, why) for each post whose kernel ran in this build
        self.errors: dict[str, str] = {}  # source path -> why it has no model (found by prepare)
        self.outputs_used: set[str] | None = None  # executed outputs the site's posts use (render_all)

    # --- the source's model -------------------------------------------------------------
    def prepare(self, sources: list[Path]) -> None:
        """Make the models of the notebooks not known yet side by side, one process per core.

        A first build of 400 posts spent 2 s here on one core (parsing, the schema check,
        checking every image) while the other waited. Worker processes are forked, so they
        start with everything this one has; each reads its notebooks once, writes the pages
        and images to the cache folder, and sends back the facts (and, for a post that may
        run at build time, the checked notebook, so that it need not be read again).
        """
        unknown = [source for source in sources if not self._known_by_stamp(source)]
        workers = min(os.cpu_count() or 1, len(unknown) // PARALLEL_FROM)
        if workers < 2:
            return  # model() makes them one by one
        import multiprocessing  # here: a build that makes no model (a no-op) does not import it
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for source, made in zip(unknown, pool.map(self._make, unknown, chunksize=8), strict=True):
                name = str(source)
                if isinstance(made, str):
                    self.errors[name] = made
                    continue
                facts, seen, checked, sizes = made
                self.images.sizes.update(sizes)
                self.store.changed = True
                self.store.put("models", facts["key"], facts)
                self.store.put("paths", name, seen)
                self.models[name] = NotebookModel.from_facts(facts)
                if checked is not None:
                    self._checked[name] = checked

    def _make(self, source: Path) -> tuple[dict, list, dict | None, dict] | str:
        """(In a worker.) The facts of `source`'s model, its paths entry, its checked notebook if kept; or the error."""
        try:
            model = self._read(source)
        except SourceError as error:
            return str(error)
        sizes = dict(self.images.added)
        self.images.added.clear()
        return model.facts(), self.store.section("paths")[str(source)], self._checked.get(str(source)), sizes

    def stamp_of(self, source: Path) -> list[int]:
        """Size and modification time of the files `source`'s model was last made from (framed files too)."""
        seen = self.store.section("paths").get(str(source))
        framed = seen[2] if seen and len(seen) > 2 else []
        return stamp(*text_notebooks.files_of(source), *(source.parent / path for path in framed))

    def _known_by_stamp(self, source: Path) -> bool:
        seen = self.store.section("paths").get(str(source))
        return bool(seen and seen[0] == self.stamp_of(source) and seen[1] in self.store.section("models"))

    def model(self, source: Path) -> NotebookModel:
        """The model of the notebook at `source`: remembered, or made from one read of the file."""
        name = str(source)
        if name in self.errors:
            raise SourceError(self.errors[name])
        if name in self.models:
            return self.models[name]
        self.models[name] = self._read(source)
        return self.models[name]

    def _read(self, source: Path) -> NotebookModel:
        """The model by the file's stamp, else by its content, else made from it (read once)."""
        name = str(source)
        seen = self.store.section("paths").get(name)
        if seen and seen[0] == self.stamp_of(source) and (facts := self.store.section("models").get(seen[1])):
            return NotebookModel.from_facts(facts)
        current = stamp(*text_notebooks.files_of(source))  # before reading: a file changed meanwhile is read again
        data, paired = read_source(source)
        texts = [data] if paired is None else [data, paired]
        framed_paths = references.framed_paths(texts, source.parent)
        current += stamp(*(source.parent / path for path in framed_paths))
        framed = read_framed(source, framed_paths)
        key = content_key(b"\0".join(texts), self.settings.libraries, name, framed)
        facts = self.store.section("models").get(key)
        if facts is not None and self._page_path(key).exists():
            model = NotebookModel.from_facts(facts)
        else:
            warnings: list[str] = []
            notebook = checked_notebook(data, name, warnings, paired)
            inside = notebook.get("metadata", {}).get("nikola")
            keep = (
                self.settings.execute_default
                or may_execute(source)
                or (isinstance(inside, dict) and "execute" in inside)
            )
            if keep:
                self._checked[name] = notebook  # for execution, without reading the file again
            model = make_model(notebook, name, key, self.settings.libraries, self.images, warnings, keep, framed)
            self._keep(model)
        self.store.put("paths", name, [current, key, framed_paths])
        return model

    # --- the model a post is rendered from --------------------------------------------------
    def executes(self, metadata: dict[str, str]) -> bool:
        """Whether a post with this (checked) metadata runs at build time."""
        value = metadata.get("execute", "")
        return self.settings.execute_default if value == "" else bool(boolean(value))

    def rendered(self, source: Path, metadata: dict[str, str]) -> NotebookModel:
        """The model `source` is rendered from: its own, or that of its executed notebook."""
        problems = self.render_all([(source, metadata)])
        if problems:
            raise SourceError(problems[0])
        return self.rendered_models[str(source)]

    def render_all(self, posts: list[tuple[Path, dict[str, str]]], every_post: bool = False) -> list[str]:
        """Find the rendered models of many posts; kernels that must run run side by side (one per core).

        `every_post`: these are all the site's posts, so executed outputs that none of them
        uses can go when the pipeline is saved. Returns one message per post that could not
        be executed.
        """
        waiting = []
        outputs_used = set()
        for source, metadata in posts:
            name, model = str(source), self.model(source)
            if not self.executes(metadata):
                self.rendered_models[name] = model
                continue
            key = execution.outputs_key(model.code_digest, model.kernel, self.environment())
            outputs_used.add(f"{key}.json")
            run = None if self.settings.reexecute else self.cached_run(key)
            why = self.why_run(name, model, run)
            if why is None:
                facts = self.store.section("models").get(executed_key(model, key, run))
                if facts is not None and self._page_path(facts["key"]).exists():
                    self.rendered_models[name] = NotebookModel.from_facts(facts)
                    continue
            waiting.append((source, model, key, why))
        if every_post:
            self.outputs_used = outputs_used
        problems: list[str] = []
        if not waiting:
            return problems
        from concurrent.futures import ThreadPoolExecutor

        workers = max(1, min(len(waiting), os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            for source, result in zip([item[0] for item in waiting], pool.map(self._execute, waiting), strict=True):
                if isinstance(result, SourceError):
                    problems.append(str(result))
                else:
                    self.rendered_models[str(source)] = result
        return problems

    def _execute(self, item: tuple) -> NotebookModel | SourceError:
        """The rendered model of a post run at build time: from the cached run if `why` is None, else from a run now."""
        source, model, key, why = item
        name = str(source)
        try:
            notebook = self._checked.get(name)
            if notebook is None:
                data, paired = read_source(source)
                notebook = checked_notebook(data, name, [], paired)
            entry = self.outputs.get(key) if why is None else None
            if entry is None:
                outputs, run = execution.run_notebook(notebook, name, model.kernel, self.settings.timeout)
                self.outputs.put(key, outputs, run)
                self.store.put("runs", key, [stamp(self.outputs.path(key)), run])
                last = {"code": model.code_digest, "kernel": model.kernel, "environment": self.environment()}
                self.store.put("last_runs", name, last)
                self.executed.append((name, why or "its cached outputs were missing"))
            else:
                outputs, run = entry["outputs"], entry["run"]
            executed = execution.with_outputs(notebook, outputs)
            executed["metadata"]["nb_run"] = run  # for the post's provenance line
            key = executed_key(model, key, run)
            # The run wrote the files its outputs frame; a run of its own key, so `key` covers them.
            framed = read_framed(source, references.framed_paths([json.dumps(outputs).encode()], source.parent))
            rendered = make_model(executed, name, key, self.settings.libraries, self.images, framed=framed)
        except SourceError as error:
            return error
        self._keep(rendered)
        return rendered

    def cached_run(self, key: str) -> dict | None:
        """What the cached run of `key` read and used (OutputsCache's `run`), or None if there is none."""
        path = self.outputs.path(key)
        current = stamp(path)
        known = self.store.section("runs").get(key)
        if known and known[0] == current:
            return known[1]
        entry = self.outputs.get(key)  # read whole only when the file is new to this cache
        if entry is None:
            return None
        self.store.put("runs", key, [current, entry["run"]])
        return entry["run"]

    def why_run(self, name: str, model: NotebookModel, run: dict | None) -> str | None:
        """Why the post must run now, in words for the author; None if its cached run still holds."""
        if self.settings.reexecute:
            return "NOTEBOOK_REEXECUTE is set"
        if run is not None:
            changed = execution.stale_inputs(run["inputs"], Path.cwd(), self.input_digest)
            if not changed:
                return None
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            return f"{', '.join(changed[:3])}{more} changed" if len(changed) > 1 else f"{changed[0]} changed"
        last = self.store.section("last_runs").get(name)
        if last is None:
            return "not run before"
        if last["code"] != model.code_digest:
            return "its code changed"
        if last["kernel"] != model.kernel:
            return f"its kernel changed to {model.kernel}"
        if last["environment"] != self.environment():
            return f"{', '.join(str(path) for path in self.settings.environment_files)} changed"
        return "its cached outputs were missing"

    def input_digest(self, path: Path) -> str | None:
        """SHA-256 of a file an executed post read, hashed again only when its size or time changed."""
        current = stamp(path)
        known = self.store.section("input_digests").get(str(path))
        if known and known[0] == current:
            return known[1]
        digest = execution.file_digest(path)
        self.store.put("input_digests", str(path), [current, digest])
        return digest

    def publish_findings(self) -> list[dict]:
        """What the check before publishing found in every post's rendered notebook, less what each accepts."""
        found = []
        for name, model in sorted(self.rendered_models.items()):
            reviewed = self.metadata.get(name, {}).get("reviewed", "")
            found += notebook_checks.accepted(model.findings, reviewed)
        return found

    def inputs_read(self) -> dict[str, list[int]]:
        """Each file a kept run of a post read, with the size and time it had when it was last hashed
        (plugins/build_stamp records them: a changed one runs the post again)."""
        hashed = self.store.section("input_digests")
        runs = self.store.section("runs").values()
        read = {str(Path.cwd() / path) for _stamp, run in runs for path in run["inputs"]}
        return {path: hashed[path][0] if path in hashed else stamp(Path(path)) for path in read}

    def environment(self) -> str:
        if self._environment is None:
            self._environment = execution.environment_digest(self.settings.environment_files)
        return self._environment

    # --- what the compiler reads ----------------------------------------------------------
    def page(self, model: NotebookModel) -> dict:
        """The model's render-ready notebook (from memory, or from the cache folder)."""
        if model.notebook is None:
            model.notebook = json.loads(self._page_path(model.key).read_text(encoding="utf-8"))
        return model.notebook

    def _page_path(self, key: str) -> Path:
        return self.pages / f"{key}.json"

    def _keep(self, model: NotebookModel) -> None:
        path = self._page_path(model.key)
        if not path.exists():
            execution.write_atomically(path, json.dumps(model.notebook, separators=(",", ":")))
        self.store.put("models", model.key, model.facts())

    # --- end of the scan ------------------------------------------------------------------
    def save(self) -> None:
        """Write what was learnt; forget models, pages, images and executed outputs no current source uses."""
        used = {model.key for model in (*self.models.values(), *self.rendered_models.values())}
        if self.models:
            self.store.keep_only("paths", set(self.models))
            self.store.keep_only("models", used)
            images = {name for key in used for name in self.store.section("models")[key]["images"]}
            remove_unused(self.pages, {f"{key}.json" for key in used})
            remove_unused(self.images.folder, images)
            self.store.keep_only("image_sizes", images)
        if self.outputs_used is not None:
            # Outputs of code no post has any more (an edited cell, an older lock file): they
            # would never be read again, and the folder grew with every edit.
            remove_unused(self.outputs.folder / "outputs", self.outputs_used)
            runs = {name.removesuffix(".json") for name in self.outputs_used}
            self.store.keep_only("runs", runs)
            self.store.keep_only("last_runs", set(self.models))
            read = {str(Path.cwd() / path) for run in self.store.section("runs").values() for path in run[1]["inputs"]}
            self.store.keep_only("input_digests", read)
        self.store.save()


def executed_key(model: NotebookModel, key: str, run: dict | None) -> str:
    """The key of an executed post's model: its source's model, its outputs' key and the run they came from."""
    return hashlib.sha256(f"{model.key}|{key}|{json.dumps(run, sort_keys=True)}".encode()).hexdigest()


def rehearse(source: Path, libraries: set[str]) -> None:
    """Make `source`'s model from its file as after an edit, keeping nothing: it reads only
    `source` and writes only to a temporary folder, so it can run beside a build. What the first
    model made in a process pays once (the notebook schema's validator, the HTML parser and
    Markdown renderer of the safety checks, their imports: 0.3 s of a first model, 0.007 s of
    the next) is paid then; the preview does it before the author's first edit."""
    import tempfile

    data, paired = read_source(source)
    with tempfile.TemporaryDirectory(prefix="rehearsal-") as folder:
        notebook = checked_notebook(data, str(source), [], paired)
        make_model(notebook, str(source), "", libraries, ImageStore(Path(folder)), [], False)


def read_source(source: Path) -> tuple[bytes, bytes | None]:
    """The bytes of a notebook post, and of the `.ipynb` paired with it if it is a text notebook."""
    data = source.read_bytes()
    pair = text_notebooks.pair_of(source)
    if not text_notebooks.is_candidate(source) or not pair.is_file():
        return data, None
    return data, pair.read_bytes()


def read_framed(source: Path, paths: list[str]) -> dict[str, bytes]:
    """The bytes of the files beside `source` at `paths` (references.framed_paths), by path."""
    return {path: (source.parent / path).read_bytes() for path in paths}


def remove_unused(folder: Path, keep: set[str]) -> None:
    """Delete the files of a cache folder that are not in `keep` (no current source uses them)."""
    if not folder.is_dir():
        return
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name not in keep and not entry.name.startswith("."):
            os.unlink(entry.path)


# The build process's pipeline, set up by the scanner (plugins/scan_posts) and shared with
# the compiler (plugins/ipynb) and the interactive-outputs task in every worker process.
current: Pipeline | None = None
