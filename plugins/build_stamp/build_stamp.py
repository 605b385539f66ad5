"""`nikola build` of a site where nothing changed since the last complete build: done at once.

A no-op build of 2,000 posts spent 3.3 s making every post, generating 6,300 tasks and
having doit check each of them, to run none. blog_build/build_stamp.py writes down, at the
end of a complete build, every file the build read and wrote (the sources as they were when
it started); the next `nikola build` compares them before Nikola scans anything and, if
none changed, hands doit only the empty task groups it was asked for. It prints the warnings
the last build's scan printed, so the author sees the same findings in every build.

Only a plain `nikola build` (any number of processes) takes that path: not one naming tasks,
not `-a` (run everything) nor `--invariant`. A build that goes the whole way forgets the
record first, and a new one is written only by the task that runs after every other task
succeeded, so a failed, stopped or partial build is never taken for a complete one.

Nikola offers no hook between loading its plugins and generating the tasks, so the plugin
gives Nikola's task loader (`site.doit.task_loader`, a NikolaTaskLoader) a subclass with
this mixin. It is made from the loader's own class: run as `python -m nikola`, Nikola's
module is `__main__`, and its NikolaTaskLoader is another class than `nikola.__main__`'s.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from doit.task import Task
from nikola.plugin_categories import LateTask
from nikola.utils import LOGGER, CustomEncoder, get_theme_path

from blog_build import build_stamp, libraries, output_tree, pipeline, search_index
from plugins import versions

STAMP = "build_stamp.json"  # in the cache folder
# Written after the build returns, by the search indexer: its state and the files it wrote.
AFTER_THE_BUILD = (search_index.STATE, output_tree.MANIFESTS)


class StampedLoading:
    """Mixed into Nikola's task loader: when nothing changed since the last complete build, doit gets no work."""

    keeper: BuildStamp  # the plugin, which keeps the record

    def setup(self, opt_values) -> None:
        self.options = opt_values
        super().setup(opt_values)

    def load_tasks(self, cmd, pos_args):
        if cmd.name not in ("build", "run"):
            return super().load_tasks(cmd, pos_args)
        keeper = self.keeper
        whole = pos_args or self.options.get("always") or keeper.site.invariant
        whole = whole or pipeline.Settings.from_config(keeper.site.config, set()).reexecute  # NOTEBOOK_REEXECUTE=1
        if not whole and keeper.unchanged():
            return [Task(name, None) for name in self.load_doit_config()["default_tasks"]]
        keeper.begin()
        tasks = super().load_tasks(cmd, pos_args)
        keeper.tasks_loaded(tasks)
        return tasks


class BuildStamp(LateTask):
    """Writes the record after every other task of a complete build; the loader reads it."""

    name = "build_stamp"
    is_default = False  # not one of post_render's tasks: it waits for all of them

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        super().set_site(site)
        self.path = Path(site.config["CACHE_FOLDER"], STAMP)
        loader = getattr(getattr(site, "doit", None), "task_loader", None)
        if type(loader).__name__ == "NikolaTaskLoader":  # run by `nikola`, not a site made in a script
            loader.__class__ = type("StampedTaskLoader", (StampedLoading, type(loader)), {})
            loader.keeper = self
            # Nikola's default tasks are render_site and post_render (NikolaTaskLoader.load_doit_config),
            # unless conf.py's DOIT_CONFIG names others; this one comes after them.
            defaults = site._doit_config.setdefault("default_tasks", ["render_site", "post_render"])
            if self.name not in defaults:
                defaults.append(self.name)

    # --- the loader's side -------------------------------------------------------------------

    def settings(self) -> str:
        return json.dumps(
            [
                {key: value for key, value in part.items() if not str(key).startswith("__")}
                for part in (self.site.config, self.site.GLOBAL_CONTEXT)
            ],
            cls=CustomEncoder,  # Nikola's own, for its settings digests: reprs without addresses
            sort_keys=True,
        )

    def unchanged(self) -> bool:
        """Whether the last complete build's record holds; if so, say what that build's scan said."""
        stamp = build_stamp.load(self.path)
        if stamp is None:
            return False
        # As every command that loads tasks does (plugins/search_index): wait for the last
        # build's indexer; an index that failed is asked for again by a whole build.
        if search_index.settle(self.site.config["CACHE_FOLDER"]):
            return False
        cache = Path(self.site.config["CACHE_FOLDER"])
        kept_by_tasks = output_tree.recorded_by_any(cache)  # the index's files, as its indexer left them
        change = build_stamp.first_change(
            stamp, self.settings(), time.time(), self.site.config["OUTPUT_FOLDER"], present=kept_by_tasks
        )
        if change is not None:
            LOGGER.debug(f"build_stamp: building: {change}")
            return False
        for warning in stamp["warnings"]:
            LOGGER.warning(warning)
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

    def begin(self) -> None:
        """A build that goes the whole way: forget the record, and note the sources as they are now."""
        build_stamp.forget(self.path)
        self.start_settings = self.settings()
        self.start_files, self.start_folders = build_stamp.walk(self.roots())
        modules = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
        code = [self.site.configuration_filename or "conf.py", *filter(None, modules)]
        installed = [str(path) for library in libraries.LIBRARIES.values() for path in library.sources()]
        self.start_files.update(build_stamp.states([*code, *installed]))

    def tasks_loaded(self, tasks: list[Task]) -> None:
        self.depended = {path for task in tasks for path in task.file_dep}
        self.targets = {path for task in tasks for path in task.targets}

    # --- the task's side ---------------------------------------------------------------------

    def gen_tasks(self):
        yield {
            "basename": self.name,
            "actions": [self.write],
            "task_dep": ["render_site", "post_render"],
            "uptodate": [False],
        }

    def write(self) -> None:
        """The record of this build, once every task has succeeded."""
        if not hasattr(self, "start_files"):
            return  # the loader was not ours (a site driven by a script): nothing was noted
        cache = self.site.config["CACHE_FOLDER"]
        owned = set(output_tree.owned)
        inputs = dict(self.start_files)
        made_after = [os.path.join(cache, name) for name in AFTER_THE_BUILD]
        inputs.update(build_stamp.walk([cache], skip=made_after)[0])
        inputs.update(build_stamp.states(self.depended - self.targets - inputs.keys()))
        if pipeline.current is not None:  # what executed posts read, the lock file they ran with
            inputs.update(build_stamp.states(pipeline.current.files_read() - inputs.keys()))
        outputs = build_stamp.states(
            path for path in self.targets if not any(path.startswith(folder + os.sep) for folder in owned)
        )
        scheduled = [post.date.timestamp() for post in self.site.timeline if post.publish_later]
        scanner = self.site.plugin_manager.get_plugin_by_name("scan_posts", "PostScanner")
        stamp = build_stamp.record(
            settings=self.start_settings,
            inputs=inputs,
            folders=self.start_folders,
            outputs=outputs,
            owned=owned,
            due=min(scheduled, default=None),
            warnings=list(getattr(scanner.plugin_object, "warnings", [])) if scanner else [],
        )
        build_stamp.save(self.path, stamp)
