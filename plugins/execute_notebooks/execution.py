"""Executing notebook posts, with outputs cached by what can change them.

A post's outputs depend on its code cells, the kernel that runs them and the packages
installed; not on its markdown. The cache key hashes exactly those, so editing prose
never starts a kernel, and a build whose executable posts are unchanged starts none.
Executed notebooks are written to the cache, never over the source in posts/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

CACHE_FORMAT = 1
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
TRUE_WORDS = {"true", "yes", "1", "on"}
FALSE_WORDS = {"false", "no", "0", "off", ""}


class ExecutionError(Exception):
    """A post could not be executed; the message names the post and says why."""


def wants_execution(meta_value: object, default: bool) -> bool:
    """A post's `execute` metadata (text from .meta, or a JSON value) over the site default."""
    if meta_value is None or meta_value == "":
        return default
    if isinstance(meta_value, bool):
        return meta_value
    word = str(meta_value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ExecutionError(f"execute: {meta_value!r} is neither true nor false")


def settings(config: dict) -> dict:
    """The EXECUTE_* settings from conf.py, with their defaults."""
    return {
        "default": bool(config.get("EXECUTE_NOTEBOOKS", False)),
        "timeout": int(config.get("EXECUTE_TIMEOUT", 120)),
        "cache": Path(config.get("EXECUTE_CACHE", "cache/executed")),
        "environment": [Path(p) for p in config.get("EXECUTE_ENVIRONMENT_FILES", ["requirements/site.lock"])],
    }


def post_executes(post, config: dict) -> bool:
    """Whether Nikola's `post` is a notebook to run at build time."""
    if post.compiler.name != "ipynb":
        return False
    try:
        return wants_execution(post.meta("execute") or None, settings(config)["default"])
    except ExecutionError as error:
        raise ExecutionError(f"{post.source_path}: {error}") from None


def executed_copy(post, config: dict) -> Path:
    """Where the executed copy of Nikola's `post` is kept."""
    return executed_path(settings(config)["cache"], Path(post.source_path))


def kernel_name(notebook: nbformat.NotebookNode) -> str:
    return notebook.metadata.get("kernelspec", {}).get("name") or "python3"


def cache_key(notebook: nbformat.NotebookNode, environment_files: list[Path]) -> str:
    """Hash of the code cells' sources, the kernel name and the build environment's lock files."""
    digest = hashlib.sha256()
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    digest.update(json.dumps({"format": CACHE_FORMAT, "kernel": kernel_name(notebook), "code": code}).encode())
    for path in environment_files:
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()


def executed_path(cache_dir: Path, source: Path) -> Path:
    """Where the executed copy of `source` is kept for rendering."""
    return cache_dir / source.with_suffix(".executed.ipynb")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


def first_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.strip()), "").strip()


def run_notebook(notebook: nbformat.NotebookNode, source: Path, timeout: int) -> None:
    """Execute every code cell in place; raise ExecutionError naming the post and the cell."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    current = {"index": 0}

    def remember(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel_name(notebook),
        resources={"metadata": {"path": str(source.parent)}},
        on_cell_start=remember,
    )

    def where() -> str:
        number = current["index"] + 1
        return f"{source}: cell {number} ({first_line(notebook.cells[current['index']].source)!r})"

    # The kernel's own log goes to a file, kept only to explain a kernel that dies.
    with tempfile.TemporaryFile(mode="w+") as kernel_log:
        try:
            client.execute(stderr=kernel_log)
        except DeadKernelError as error:
            kernel_log.seek(0)
            last_lines = " | ".join(kernel_log.read().strip().splitlines()[-3:])
            raise ExecutionError(f"{where()} killed the kernel ({error}): {last_lines}") from None
        except (NoSuchKernel, CellTimeoutError, CellExecutionError) as error:
            raise explain(error, where, notebook, source, timeout) from None


def explain(error: Exception, where, notebook: nbformat.NotebookNode, source: Path, timeout: int) -> ExecutionError:
    """One message naming the post, the cell and what happened."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError

    if isinstance(error, NoSuchKernel):
        return ExecutionError(
            f"{source}: kernel {kernel_name(notebook)!r} is not installed where the site is built; "
            "`jupyter kernelspec list` shows the ones that are"
        )
    if isinstance(error, CellTimeoutError):
        return ExecutionError(f"{where()} did not finish within {timeout} s (EXECUTE_TIMEOUT in conf.py)")
    traceback = ANSI_ESCAPE.sub("", error.traceback).strip()
    return ExecutionError(
        f"{where()} raised {error.ename}: {error.evalue} (tag the cell raises-exception if that is intended)"
        f"\n{traceback}"
    )


def execute_post(
    source: Path, target: Path, cache_dir: Path, environment_files: list[Path], timeout: int, force: bool = False
) -> bool:
    """Write the executed notebook for `source` to `target`; return True if a kernel ran.

    Outputs come from the cache when the key matches, merged into the current notebook so
    that edited markdown shows without running anything.
    """
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    key = cache_key(notebook, environment_files)
    entry = cache_dir / "outputs" / f"{key}.json"
    ran = False
    if force or not entry.exists():
        run_notebook(notebook, source, timeout)
        outputs = [
            {"outputs": cell.outputs, "execution_count": cell.execution_count}
            for cell in notebook.cells
            if cell.cell_type == "code"
        ]
        write_atomically(entry, json.dumps(outputs))
        ran = True
    else:
        outputs = json.loads(entry.read_text(encoding="utf-8"))
        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        for cell, saved in zip(code_cells, outputs, strict=True):
            cell.outputs = nbformat.from_dict(saved["outputs"])
            cell.execution_count = saved["execution_count"]
    write_atomically(target, nbformat.writes(notebook))
    return ran
