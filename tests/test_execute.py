"""Posts marked `.. execute: true` run at build time in a real kernel, with a cache."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lxml import html

from blog_build.execution import environment_digest, outputs_key
from blog_build.metadata import SourceError, check_value
from blog_build.notebook import code_digest, kernel_name
from blog_build.search_index import settle

from conftest import NIKOLA, tree_digest

META = ".. title: {title}\n.. slug: {slug}\n.. date: 2024-05-06 07:08:09 UTC\n.. tags: t\n.. description: d\n"


@pytest.fixture
def kernel_env(tmp_path: Path) -> dict:
    """Environment with a 'counting' kernel: the real ipykernel, logging each start to a file."""
    starts = tmp_path / "kernel-starts.log"
    launcher = tmp_path / "counting_kernel.py"
    launcher.write_text(
        textwrap.dedent(f"""
            import runpy, sys
            with open({str(starts)!r}, "a") as log:
                log.write("start\\n")
            sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
            runpy.run_module("ipykernel_launcher", run_name="__main__")
        """)
    )
    spec = tmp_path / "jupyter" / "kernels" / "counting"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
                "display_name": "Counting Python",
                "language": "python",
            }
        )
    )
    return {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter"), "STARTS": str(starts)}


def kernel_starts(env: dict) -> int:
    path = Path(env["STARTS"])
    return len(path.read_text().splitlines()) if path.exists() else 0


def write_post(site: Path, name: str, cells: list[tuple[str, str, list[str]]], kernel: str = "counting") -> Path:
    """A notebook post with `.. execute: true`; cells are (type, source, tags)."""
    notebook = {
        "cells": [
            {"cell_type": kind, "id": f"c{number}", "metadata": {"tags": tags}, "source": source}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {})
            for number, (kind, source, tags) in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": kernel, "display_name": kernel, "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = site / "posts" / f"{name}.ipynb"
    path.write_text(json.dumps(notebook, indent=1))
    (site / "posts" / f"{name}.meta").write_text(META.format(title=name, slug=name) + ".. execute: true\n")
    return path


def build(site: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([*NIKOLA, "build", *args], cwd=site, env=env, capture_output=True, text=True, timeout=600)
    settle(site / "cache")  # the search index is written just after the build returns, as conftest's nikola() waits
    return result


def page_text(site: Path, slug: str) -> str:
    return html.fromstring((site / "output/posts" / slug / "index.html").read_bytes()).text_content()


def test_outputs_are_fresh_cached_and_only_code_edits_rerun(small_site: Path, kernel_env: dict) -> None:
    source = write_post(small_site, "sums", [("markdown", "Adding up.", []), ("code", "print(6 * 7)", [])])
    original = source.read_bytes()

    first = build(small_site, kernel_env)
    assert first.returncode == 0, first.stderr
    assert "42" in page_text(small_site, "sums") and kernel_starts(kernel_env) == 1
    assert source.read_bytes() == original, "the build never writes to the source notebook"

    build(small_site, kernel_env)
    assert kernel_starts(kernel_env) == 1, "an unchanged post starts no kernel"

    notebook = json.loads(original)
    notebook["cells"][0]["source"] = "Adding up, reworded."
    source.write_text(json.dumps(notebook))
    assert build(small_site, kernel_env).returncode == 0
    assert "Adding up, reworded." in page_text(small_site, "sums")
    assert kernel_starts(kernel_env) == 1, "a markdown edit starts no kernel"

    notebook["cells"][1]["source"] = "print(6 * 8)"
    source.write_text(json.dumps(notebook))
    assert build(small_site, kernel_env).returncode == 0
    assert "48" in page_text(small_site, "sums") and kernel_starts(kernel_env) == 2
    outputs = small_site / "cache/executed/outputs"
    kept = [json.loads(path.read_text()) for path in outputs.glob("*.json")]
    assert not any("42" in json.dumps(saved) for saved in kept), "the outputs of the old code are dropped"
    assert any("48" in json.dumps(saved) for saved in kept)


def test_execute_after_a_blank_line_in_the_meta_file_is_honoured(small_site: Path, kernel_env: dict) -> None:
    write_post(small_site, "late", [("code", "print(7 * 6)", [])])
    meta = small_site / "posts/late.meta"
    meta.write_text(meta.read_text().replace(".. execute: true", "\n.. execute: true"))  # where new_post leaves it
    result = build(small_site, kernel_env)
    assert result.returncode == 0, result.stderr
    assert "42" in page_text(small_site, "late") and kernel_starts(kernel_env) == 1


def test_forced_re_execution_ignores_the_cache(small_site: Path, kernel_env: dict) -> None:
    write_post(small_site, "sums", [("code", "print(1 + 1)", [])])
    build(small_site, kernel_env)
    result = build(small_site, {**kernel_env, "NOTEBOOK_REEXECUTE": "1"})
    assert result.returncode == 0 and kernel_starts(kernel_env) == 2


def test_parallel_build_executes_posts_concurrently(small_site: Path, kernel_env: dict) -> None:
    for name in ("one", "two"):
        write_post(small_site, name, [("code", f"print('{name} done')", [])])
    result = build(small_site, kernel_env, "-n", "2")
    assert result.returncode == 0, result.stderr
    assert "one done" in page_text(small_site, "one") and "two done" in page_text(small_site, "two")
    assert kernel_starts(kernel_env) == 2


def test_a_raising_cell_stops_that_post_with_its_traceback(small_site: Path, kernel_env: dict) -> None:
    write_post(small_site, "boom", [("markdown", "Dividing.", []), ("code", "x = 1\n1 / 0", [])])
    result = build(small_site, kernel_env)
    assert result.returncode != 0
    assert "posts/boom.ipynb: cell 2 ('x = 1') raised ZeroDivisionError: division by zero" in result.stderr
    assert "----> 2 1 / 0" in result.stderr, "the notebook's traceback is shown"
    assert 'File "/' not in result.stderr, "no Python traceback of the build itself"
    assert not (small_site / "output/posts/boom/index.html").exists(), "no page is written for the failed post"


def test_a_missing_package_says_where_to_add_it(small_site: Path, kernel_env: dict) -> None:
    write_post(small_site, "needs", [("code", "import surely_not_installed_anywhere", [])])
    result = build(small_site, kernel_env)
    assert result.returncode != 0
    assert "raised ModuleNotFoundError: No module named 'surely_not_installed_anywhere'" in result.stderr
    assert "add it to requirements/site.in, run `make lock`" in result.stderr


def test_raises_exception_tag_shows_the_error_as_output(small_site: Path, kernel_env: dict) -> None:
    write_post(small_site, "expected", [("code", "1 / 0", ["raises-exception"]), ("code", "print('after')", [])])
    result = build(small_site, kernel_env)
    assert result.returncode == 0, result.stderr
    text = page_text(small_site, "expected")
    assert "ZeroDivisionError" in text and "after" in text


def test_a_hung_cell_times_out(small_site: Path, kernel_env: dict) -> None:
    with (small_site / "conf.py").open("a") as conf:
        conf.write("\nEXECUTE_TIMEOUT = 2\n")
    write_post(small_site, "slow", [("code", "import time\ntime.sleep(60)", [])])
    result = build(small_site, kernel_env)
    assert result.returncode != 0
    assert "posts/slow.ipynb: cell 1 ('import time') did not finish within 2 s" in result.stderr


def test_a_missing_kernel_is_named_in_one_line_and_output_is_left_alone(small_site: Path, kernel_env: dict) -> None:
    assert build(small_site, kernel_env).returncode == 0
    before = tree_digest(small_site / "output")
    write_post(small_site, "nokernel", [("code", "print(1)", [])], kernel="julia-9.9")
    result = build(small_site, kernel_env)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert any("posts/nokernel.ipynb: kernel 'julia-9.9' is not installed" in line for line in errors), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 4, result.stderr
    assert tree_digest(small_site / "output") == before, "a post that cannot run changes nothing in output/"


def test_execute_flag_words(small_site: Path) -> None:
    from blog_build.pipeline import Pipeline, Settings

    pipeline = Pipeline(Settings(cache=small_site / "cache", libraries=set(), execute_default=True))
    assert (
        pipeline.executes({}) and pipeline.executes({"execute": "yes"}) and not pipeline.executes({"execute": "False"})
    )
    pipeline.settings.execute_default = False
    assert not pipeline.executes({}) and pipeline.executes({"execute": "on"})
    with pytest.raises(SourceError, match="neither true nor false"):
        check_value("execute", "sometimes", "posts/x.meta")


def cache_key(notebook: dict, lock_files: list[Path]) -> str:
    return outputs_key(code_digest(notebook), kernel_name(notebook), environment_digest(lock_files))


def test_cache_key_ignores_markdown_but_not_code_kernel_or_lock(tmp_path: Path) -> None:
    import nbformat

    lock = tmp_path / "site.lock"
    lock.write_text("nikola==1\n")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("prose"), nbformat.v4.new_code_cell("print(1)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    key = cache_key(notebook, [lock])
    notebook.cells[0].source = "other prose"
    assert cache_key(notebook, [lock]) == key
    notebook.cells[1].source = "print(2)"
    assert cache_key(notebook, [lock]) != key
    notebook.cells[1].source = "print(1)"
    notebook.metadata.kernelspec.name = "other"
    assert cache_key(notebook, [lock]) != key
    notebook.metadata.kernelspec.name = "python3"
    lock.write_text("nikola==2\n")
    assert cache_key(notebook, [lock]) != key


READS_TIDES = "with open('data/tides.csv') as tides:\n    print('high water', max(int(line) for line in tides))"


def test_a_changed_data_file_reruns_exactly_the_posts_that_read_it(small_site: Path, kernel_env: dict) -> None:
    """The cache knows the files a post's code opened; change one and only the posts that read it run again."""
    data = small_site / "posts/data"
    data.mkdir()
    (data / "tides.csv").write_text("3\n7\n5\n")
    (data / "unread.csv").write_text("1\n")
    write_post(small_site, "reads-tides", [("code", READS_TIDES, [])])
    write_post(small_site, "reads-nothing", [("code", "print('nothing read')", [])])
    first = build(small_site, kernel_env)
    assert first.returncode == 0, first.stderr
    assert "posts/reads-tides.ipynb: executed (not run before)" in first.stderr
    assert "high water 7" in page_text(small_site, "reads-tides") and kernel_starts(kernel_env) == 2

    (data / "unread.csv").write_text("2\n")
    assert build(small_site, kernel_env).returncode == 0
    assert kernel_starts(kernel_env) == 2, "a file no post read changes nothing"
    os.utime(data / "tides.csv")
    assert build(small_site, kernel_env).returncode == 0
    assert kernel_starts(kernel_env) == 2, "a file touched but not changed changes nothing"

    (data / "tides.csv").write_text("3\n9\n5\n")
    again = build(small_site, kernel_env)
    assert again.returncode == 0, again.stderr
    assert "posts/reads-tides.ipynb: executed (posts/data/tides.csv changed)" in again.stderr
    assert "reads-nothing.ipynb: executed" not in again.stderr
    assert kernel_starts(kernel_env) == 3, "exactly the post that read the file ran"
    assert "high water 9" in page_text(small_site, "reads-tides")
    assert build(small_site, kernel_env).returncode == 0 and kernel_starts(kernel_env) == 3


def test_the_build_says_why_a_post_ran_and_the_post_says_what_it_ran_with(small_site: Path, kernel_env: dict) -> None:
    source = write_post(small_site, "why", [("code", "import json\nprint(json.dumps([6 * 7]))", [])])
    assert "posts/why.ipynb: executed (not run before)" in build(small_site, kernel_env).stderr
    notebook = json.loads(source.read_text())
    notebook["cells"][0]["source"] = "import json\nprint(json.dumps([6 * 8]))"
    source.write_text(json.dumps(notebook))
    assert "posts/why.ipynb: executed (its code changed)" in build(small_site, kernel_env).stderr
    assert (
        "posts/why.ipynb: executed (NOTEBOOK_REEXECUTE is set)"
        in build(small_site, {**kernel_env, "NOTEBOOK_REEXECUTE": "1"}).stderr
    )
    for path in (small_site / "cache/executed/outputs").glob("*.json"):
        path.unlink()
    assert "posts/why.ipynb: executed (its cached outputs were missing)" in build(small_site, kernel_env).stderr
    line = html.fromstring((small_site / "output/posts/why/index.html").read_bytes()).xpath(
        "string(//p[@class='nb-provenance'])"
    )
    assert re.fullmatch(
        r"The outputs above are from a run on \d{4}-\d\d-\d\d \d\d:\d\d UTC with Python 3\.11\.\d+\.", line
    )


def test_a_post_shows_the_versions_of_the_packages_it_imported(small_site: Path, kernel_env: dict) -> None:
    write_post(small_site, "imports", [("code", "import lxml.etree\nprint(lxml.etree.LXML_VERSION[0])", [])])
    assert build(small_site, kernel_env).returncode == 0
    from importlib.metadata import version

    line = html.fromstring((small_site / "output/posts/imports/index.html").read_bytes()).xpath(
        "string(//p[@class='nb-provenance'])"
    )
    assert line.endswith(f" and lxml {version('lxml')}.") and "ipykernel" not in line


def test_recorded_inputs_keep_only_the_sites_own_files(tmp_path: Path) -> None:
    from blog_build.execution import recorded_inputs

    site = tmp_path / "site"
    for name in ("posts/data/a.csv", "posts/__pycache__/h.pyc", ".venv/lib/x.py", "cache/x.json", "posts/.hidden"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("x")
    paths = ["posts/data/a.csv", "posts/__pycache__/h.pyc", ".venv/lib/x.py", "cache/x.json", "posts/.hidden"]
    log = "".join(f"open {site / name}\n" for name in paths) + f"open {tmp_path}/elsewhere.txt\nimport numpy\n"
    inputs, modules = recorded_inputs(log, site)
    assert list(inputs) == ["posts/data/a.csv"] and modules == ["numpy"]
