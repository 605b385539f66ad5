"""Executing notebook posts, with outputs cached by what can change them.

A post's outputs depend on its code cells, the kernel that runs them, the packages
installed and the files its code reads; not on its markdown. The cache key hashes the
first three, so editing prose never starts a kernel, and a build whose executable posts
are unchanged starts none. The files are known only once the code has run: a Python
kernel gets an audit hook (PEP 578) before the first cell that records every file opened
for reading and every module imported, and the cache entry keeps the SHA-256 of each file
read inside the site's folder, so a changed data file re-runs exactly the posts that read it
(`stale_inputs`). The entry also keeps when it ran, with which Python and which versions of
the packages its code imported: the post shows that as its provenance line.
Executed notebooks are never written over the source in posts/: their outputs go to the
cache, and the notebook model of the executed post is made from them (pipeline.py).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from blog_build.images import text_of
from blog_build.metadata import SourceError

CACHE_FORMAT = 3
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# Folders of the site whose files are never a post's inputs: the build's own, and installed packages.
NOT_INPUTS = {".venv", "cache", "output", "node_modules", ".git", ".doit.db"}
# Modules the kernel itself brings; a post importing them says nothing about its results.
KERNEL_MODULES = {
    "IPython", "ipykernel", "jupyter_client", "jupyter_core", "traitlets", "zmq", "tornado", "comm",
    "debugpy", "matplotlib_inline", "prompt_toolkit", "pygments", "jedi", "parso", "psutil", "nest_asyncio",
    # what IPython loads to run `!shell` lines and show tracebacks
    "pexpect", "ptyprocess", "stack_data", "executing", "asttokens", "pure_eval", "wcwidth", "decorator",
}  # fmt: skip
# Run silently in a Python kernel before the first cell (nbclient's on_notebook_start hook).
# It writes one line per file opened for reading ("open PATH") and per top-level module
# imported ("import NAME") to the log, once each; the hook's own work is not recorded.
RECORDER = """
def __blog_record(log_path):
    import os, sys
    seen, busy = set(), [False]
    log = open(log_path, "a", encoding="utf-8")
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT

    def hook(event, args):
        if busy[0] or event not in ("open", "import"):
            return
        busy[0] = True
        try:
            if event == "import":
                line = "import " + str(args[0]).partition(".")[0]
            else:
                path, mode, flags = args
                if isinstance(path, int) or path is None:
                    return
                if mode is not None and any(letter in str(mode) for letter in "wax+"):
                    return
                if mode is None and isinstance(flags, int) and flags & writing:
                    return
                line = "open " + os.path.realpath(os.fsdecode(path))
            if line not in seen:
                seen.add(line)
                log.write(line + "\\n")
                log.flush()
        except Exception:
            pass
        finally:
            busy[0] = False

    sys.addaudithook(hook)


__blog_record(%r)
del __blog_record
"""


class ExecutionError(SourceError):
    """A post could not be executed; the message names the post and the cell and says why."""


def environment_digest(environment_files: list[Path]) -> str:
    """Hash of the build environment's lock files: a change there re-executes every post."""
    digest = hashlib.sha256()
    for path in environment_files:
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()


def outputs_key(code_digest: str, kernel: str, environment: str) -> str:
    """The cache key of a post's outputs: its code cells, its kernel and the environment."""
    data = json.dumps({"format": CACHE_FORMAT, "kernel": kernel, "code": code_digest, "environment": environment})
    return hashlib.sha256(data.encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # gone, or no longer a file


def stale_inputs(inputs: dict[str, str], site: Path, digest=file_digest) -> list[str]:
    """The recorded input files (relative to `site`) whose content is no longer what the run read."""
    return [name for name, recorded in sorted(inputs.items()) if digest(site / name) != recorded]


def recorded_inputs(log: str, site: Path) -> tuple[dict[str, str], list[str]]:
    """From the recorder's log: SHA-256 of each file read inside the site folder, and the modules imported."""
    root = site.resolve()
    inputs: dict[str, str] = {}
    modules: list[str] = []
    for line in log.splitlines():
        kind, _, value = line.partition(" ")
        if kind == "import":
            modules.append(value)
            continue
        path = Path(value)
        try:
            relative = path.relative_to(root)
        except ValueError:
            continue  # Python's own files, the user's home: not the post's data
        hidden = any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
        if relative.parts and relative.parts[0] not in NOT_INPUTS and not hidden and path.is_file():
            digest = file_digest(path)
            if digest is not None:
                inputs[relative.as_posix()] = digest
    return inputs, modules


def package_versions(modules: list[str]) -> dict[str, str]:
    """The installed distributions (name: version) that provide the imported top-level modules."""
    from importlib import metadata

    providers = metadata.packages_distributions()
    versions = {}
    for module in modules:
        if module in KERNEL_MODULES or module.startswith("_"):
            continue
        for distribution in providers.get(module, []):
            try:
                versions[distribution] = metadata.version(distribution)
            except metadata.PackageNotFoundError:
                continue
    return dict(sorted(versions.items(), key=lambda item: item[0].lower()))


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


class OutputsCache:
    """One run of an executed notebook by outputs_key, one JSON file each: `{"outputs": [...], "run": {...}}`.

    `outputs` holds every code cell's outputs; `run` is what the run read and used:
    `inputs` (file: SHA-256), `when` (UTC), `language` ("Python 3.11.2") and `packages` (name: version).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / "outputs" / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            entry = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or unreadable: run again
        return entry if isinstance(entry, dict) and "outputs" in entry and "run" in entry else None

    def put(self, key: str, outputs: list[dict], run: dict) -> None:
        write_atomically(self.path(key), json.dumps({"outputs": outputs, "run": run}))


def code_outputs(notebook: dict) -> list[dict]:
    return [
        {"outputs": cell["outputs"], "execution_count": cell.get("execution_count")}
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def with_outputs(notebook: dict, outputs: list[dict]) -> dict:
    """A copy of `notebook` whose code cells carry `outputs` (as `code_outputs` gives them)."""
    executed = copy.deepcopy(notebook)
    code_cells = [cell for cell in executed["cells"] if cell["cell_type"] == "code"]
    for cell, saved in zip(code_cells, outputs, strict=True):
        cell["outputs"], cell["execution_count"] = saved["outputs"], saved["execution_count"]
    return executed


def first_line(source: object) -> str:
    return next((line for line in text_of(source).splitlines() if line.strip()), "").strip()


def run_notebook(notebook: dict, source: str, kernel: str, timeout: int) -> tuple[list[dict], dict]:
    """Run every code cell of (a copy of) `notebook`: its outputs and what the run used (OutputsCache's `run`).

    Or ExecutionError naming the post and cell.
    """
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    node = nbformat.from_dict(copy.deepcopy(notebook))
    current = {"index": 0}

    def remember(cell, cell_index: int) -> None:
        current["index"] = cell_index

    scratch = Path(tempfile.mkdtemp(prefix="blog-run-"))
    record = scratch / "read.log"  # written by the kernel's recorder

    def start_recording(notebook) -> None:
        if client.km is not None and client.km.kernel_spec.language.lower() == "python":
            client.kc.execute(RECORDER % str(record), silent=True, store_history=False)

    client = NotebookClient(
        node,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(Path(source).parent)}},
        on_cell_start=remember,
        on_notebook_start=start_recording,
    )

    def where() -> str:
        return f"{source}: cell {current['index'] + 1} ({first_line(node.cells[current['index']].source)!r})"

    # jupyter_client logs a whole traceback for a kernel that is not installed before raising
    # the error explained below; the one line is enough.
    quiet = logging.getLogger("traitlets")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    # The kernel's own log goes to a file, kept only to explain a kernel that dies.
    try:
        with open(scratch / "kernel.log", "w+", encoding="utf-8") as kernel_log:
            try:
                client.execute(stderr=kernel_log)
            except DeadKernelError as error:
                kernel_log.seek(0)
                last_lines = " | ".join(kernel_log.read().strip().splitlines()[-3:])
                raise ExecutionError(f"{where()} killed the kernel ({error}): {last_lines}") from None
            except NoSuchKernel:
                raise ExecutionError(
                    f"{source}: kernel {kernel!r} is not installed where the site is built; "
                    "`jupyter kernelspec list` shows the ones that are"
                ) from None
            except CellTimeoutError:
                raise ExecutionError(
                    f"{where()} did not finish within {timeout} s (EXECUTE_TIMEOUT in conf.py)"
                ) from None
            except CellExecutionError as error:
                traceback = ANSI_ESCAPE.sub("", error.traceback).strip()
                advice = "tag the cell raises-exception if that is intended"
                if error.ename in ("ModuleNotFoundError", "ImportError"):
                    advice = (
                        "the build environment lacks the package: add it to requirements/site.in,"
                        " run `make lock`, then `make build`"
                    )
                raise ExecutionError(
                    f"{where()} raised {error.ename}: {error.evalue} ({advice})\n{traceback}"
                ) from None
        log = record.read_text(encoding="utf-8") if record.exists() else ""
    finally:
        quiet.setLevel(level)
        shutil.rmtree(scratch, ignore_errors=True)
    inputs, modules = recorded_inputs(log, Path.cwd())
    language = node.metadata.get("language_info", {})
    run = {
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "language": f"{str(language.get('name', '')).capitalize()} {language.get('version', '')}".strip(),
        "packages": package_versions(modules),
        "inputs": inputs,
    }
    return code_outputs(json.loads(json.dumps(node))), run
