"""`nikola build` of a site where nothing changed since the last complete build: done at once.

A no-op build of 2,000 posts spent 3.3 s making every post, generating 6,300 tasks and
having doit check each of them, to run none. blog_build/build_stamp.py writes down, at the
end of a complete build, what the build read and wrote (the sources as they were when it
started); the next `nikola build` compares them before Nikola scans anything and, if none
changed, hands doit only the empty task groups it was asked for. It logs again what the last
build logged while it made its tasks (the scan's findings, Nikola's warnings about a post),
so the author sees the same lines in every build.

Only a plain `nikola build` (any number of processes) takes that path: not one naming tasks,
not `-a` (run everything), `--strict`, `--invariant` nor NOTEBOOK_REEXECUTE=1. A build that
goes the whole way forgets the record first, as does every other command that loads the
tasks unless it only shows them (`nikola forget` and `nikola clean` change what doit knows),
and a new record is written only by the task that runs after every other task succeeded, so a
failed, stopped or partial build is never taken for a complete one. A message logged with
`extra={"once": True}` is about that build alone and is not said again.

Nikola offers no hook between loading its plugins and generating the tasks, so the plugin
gives Nikola's task loader (`site.doit.task_loader`, a NikolaTaskLoader) a subclass with
this mixin. It is made from the loader's own class: run as `python -m nikola`, Nikola's
module is `__main__`, and its NikolaTaskLoader is another class than `nikola.__main__`'s.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path

from doit.globals import Globals
from doit.task import Task
from nikola.plugin_categories import LateTask
from nikola.utils import LOGGER, CustomEncoder, get_theme_path

from blog_build import build_stamp, libraries, output_tree, pipeline, search_index
from plugins import versions

STAMP = "build_stamp.json"  # in the cache folder
# Written by the search indexer, which the build starts and which may run on after it: its
# state and the files it wrote.
AFTER_THE_BUILD = (search_index.STATE, output_tree.MANIFESTS)
# doit commands that load the tasks only to show them: the record stays.
READING_COMMANDS = frozenset({"list", "info", "help", "dumpdb", "tabcompletion"})
# doit's options that change what it finds up to date.
DOIT_OPTIONS = ("dep_file", "backend", "check_file_uptodate", "codec_cls")


class LogRecorder(logging.Handler):
    """What the build logs at WARNING and above while it makes its tasks."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.logged: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not getattr(record, "once", False):
            self.logged.append((record.name, record.levelno, record.getMessage()))


class StampedLoading:
    """Mixed into Nikola's task loader: when nothing changed since the last complete build, doit gets no work."""

    keeper: BuildStamp  # the plugin, which keeps the record

    def setup(self, opt_values) -> None:
        self.options = opt_values
        super().setup(opt_values)

    def load_tasks(self, cmd, pos_args):
        keeper = self.keeper
        if cmd.name not in ("build", "run"):
            if cmd.name not in READING_COMMANDS:
                build_stamp.forget(keeper.path)
            return super().load_tasks(cmd, pos_args)
        whole = pos_args or self.options.get("always") or self.options.get("strict") or keeper.site.invariant
        whole = whole or keeper.execution.reexecute  # NOTEBOOK_REEXECUTE=1
        if not whole and keeper.unchanged(self.options):
            # up to date, so doit neither runs them nor saves anything for them: an empty
            # build_stamp run would overwrite the mark the record's task saved
            return [Task(name, None, uptodate=[True]) for name in self.load_doit_config()["default_tasks"]]
        keeper.begin(self.options)
        recorder = LogRecorder()
        logging.root.addHandler(recorder)
        try:
            tasks = super().load_tasks(cmd, pos_args)
        finally:
            logging.root.removeHandler(recorder)
        keeper.tasks_loaded(tasks, recorder.logged)
        return tasks


class BuildStamp(LateTask):
    """Writes the record after every other task of a complete build; the loader reads it."""

    name = "build_stamp"
    is_default = False  # not one of post_render's tasks: it waits for all of them

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        self.path = Path(site.config["CACHE_FOLDER"], STAMP)
        self.execution = pipeline.Settings.from_config(site.config, set())
        self.waits_for = ["render_site", "post_render"]
        loader = getattr(getattr(site, "doit", None), "task_loader", None)
        if type(loader).__name__ == "NikolaTaskLoader":  # run by `nikola`, not a site made in a script
            loader.__class__ = type("StampedTaskLoader", (StampedLoading, type(loader)), {})
            loader.keeper = self
            # Nikola's default tasks are render_site and post_render (NikolaTaskLoader.load_doit_config),
            # unless conf.py's DOIT_CONFIG names others; this one comes after them.
            defaults = [*site._doit_config.get("default_tasks", ["render_site", "post_render"])]
            self.waits_for = [name for name in defaults if name != self.name]
            site._doit_config["default_tasks"] = [*self.waits_for, self.name]

    # --- the loader's side -------------------------------------------------------------------

    def settings(self, options) -> str:
        """conf.py's values and the global context, what each compiler's pages depend on, doit's options."""
        parts = [
            {key: value for key, value in part.items() if not str(key).startswith("__")}
            for part in (self.site.config, self.site.GLOBAL_CONTEXT)
        ]
        parts.append({name: compiler.config_dependencies for name, compiler in self.site.compilers.items()})
        parts.append({name: options.get(name) for name in DOIT_OPTIONS})
        # Nikola's own encoder, for its settings digests: reprs cut before any address
        return json.dumps(parts, cls=CustomEncoder, sort_keys=True)

    def unchanged(self, options) -> bool:
        """Whether the last complete build's record holds; if so, log again what that build logged."""
        cache = self.site.config["CACHE_FOLDER"]
        # As every command that loads tasks does (plugins/search_index): wait for the last
        # build's indexer; an index that failed is asked for again by a whole build.
        failed = search_index.settle(cache)
        stamp = build_stamp.load(self.path)
        # doit opens (or makes) its database before tasks are loaded; the record's task saved the
        # record's mark in it, so a database deleted, replaced or told to forget has another
        if stamp and Globals.dep_manager.get_values(self.name).get("record") != stamp.get("mark"):
            change = "doit's database is not the one the last build left"
        else:
            change = "the last search index failed" if failed else None
        kept_by_tasks = output_tree.recorded_by_any(Path(cache))  # the index's files, as its indexer left them
        output = self.site.config["OUTPUT_FOLDER"]
        change = change or build_stamp.first_change(
            stamp, self.settings(options), time.time(), output, present=kept_by_tasks
        )
        if change is not None:
            LOGGER.debug(f"build_stamp: building: {change}")
            return False
        for name, level, message in stamp["logged"]:
            logging.getLogger(name).log(level, message)
        LOGGER.info("Nothing changed since the last complete build: output/ is up to date.")
        return True

    def roots(self) -> list[str]:
        """The folders a build reads sources from: those `nikola auto` watches (its own list, in Nikola's auto)."""
        config = self.site.config
        folders = ["templates", *(get_theme_path(theme) for theme in self.site.THEMES)]
        folders += [os.path.dirname(wildcard) or "." for wildcard, *_ in config["post_pages"]]
        for setting in ("FILES_FOLDERS", "GALLERY_FOLDERS", "LISTINGS_FOLDERS", "IMAGE_FOLDERS"):
            folders += list(config[setting])
        folders += [str(place) for place in getattr(self.site, "_plugin_places", [])]
        folders += list(self.site.registered_auto_watched_folders)
        return folders

    def begin(self, options) -> None:
        """A build that goes the whole way: forget the record, and note the sources as they are now."""
        build_stamp.forget(self.path)
        self.start_settings = self.settings(options)
        self.start_files, self.start_folders = build_stamp.walk(self.roots())
        modules = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
        code = [self.site.configuration_filename or "conf.py", *filter(None, modules)]
        installed = [str(path) for library in libraries.LIBRARIES.values() for path in library.sources()]
        environment = [str(path) for path in self.execution.environment_files]  # what executed posts ran with
        self.start_files.update(build_stamp.states([*code, *installed, *environment]))

    def tasks_loaded(self, tasks: list[Task], logged: list[tuple[str, int, str]]) -> None:
        self.depended = {path for task in tasks for path in task.file_dep}
        self.targets = {path for task in tasks for path in task.targets}
        self.logged = logged

    # --- the task's side ---------------------------------------------------------------------

    def gen_tasks(self):
        yield {
            "basename": self.name,
            "actions": [self.write],
            "task_dep": self.waits_for,
            "uptodate": [False],
        }

    def write(self) -> dict | None:
        """The record of this build, once every task has succeeded; its mark, for doit to keep."""
        if not hasattr(self, "start_files"):
            return None  # the loader was not ours (a site driven by a script): nothing was noted
        cache = self.site.config["CACHE_FOLDER"]
        owned = set(output_tree.owned)
        inputs = dict(self.start_files)
        made_after = [os.path.join(cache, name) for name in AFTER_THE_BUILD]
        inputs.update(build_stamp.walk([cache], skip=made_after)[0])
        inputs.update(build_stamp.states(self.depended - self.targets - inputs.keys()))
        if pipeline.current is not None:  # what executed posts read, as it was when it was hashed
            for path, (size, mtime) in pipeline.current.inputs_read().items():
                inputs.setdefault(path, [mtime, size] if size or mtime else None)
        outputs = build_stamp.states(
            path for path in self.targets if not any(path.startswith(folder + os.sep) for folder in owned)
        )
        scheduled = [post.date.timestamp() for post in self.site.timeline if post.publish_later]
        stamp = build_stamp.record(
            settings=self.start_settings,
            inputs=inputs,
            folders=self.start_folders,
            outputs=outputs,
            owned=owned,
            due=min(scheduled, default=None),
            logged=self.logged,
            mark=uuid.uuid4().hex,  # also kept by doit, in its database
        )
        build_stamp.save(self.path, stamp)
        return {"record": stamp["mark"]}  # doit saves what an action returns as the task's values
