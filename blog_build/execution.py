"""Executing notebook posts, with outputs cached by what can change them.

A post's outputs depend on its code cells, the kernel that runs them and the packages
installed; not on its markdown. The cache key hashes exactly those, so editing prose
never starts a kernel, and a build whose executable posts are unchanged starts none.
Executed notebooks are never written over the source in posts/: their outputs go to the
cache, and the notebook model of the executed post is made from them (pipeline.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path

from blog_build.images import text_of
from blog_build.metadata import SourceError

CACHE_FORMAT = 2
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


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


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


class OutputsCache:
    """The outputs of every code cell of an executed notebook, by outputs_key, one JSON file each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / "outputs" / f"{key}.json"

    def get(self, key: str) -> list[dict] | None:
        try:
            return json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or unreadable: run again

    def put(self, key: str, outputs: list[dict]) -> None:
        write_atomically(self.path(key), json.dumps(outputs))


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


def run_notebook(notebook: dict, source: str, kernel: str, timeout: int) -> list[dict]:
    """Run every code cell of (a copy of) `notebook`; its outputs, or ExecutionError naming the post and cell."""
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    node = nbformat.from_dict(copy.deepcopy(notebook))
    current = {"index": 0}

    def remember(cell, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        node,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(Path(source).parent)}},
        on_cell_start=remember,
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
        with tempfile.TemporaryFile(mode="w+") as kernel_log:
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
    finally:
        quiet.setLevel(level)
    return code_outputs(json.loads(json.dumps(node)))
