"""The check before publishing: each pattern on its own, our posts trip nothing, and the build, the
command and the deploy act on it. Fake secrets are put together at run time, so that no
scanner takes this file for a leak."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from blog_build.notebook_checks import OUTPUT_LIMIT, accepted, check_notebook

from conftest import ROOT, nikola

FAKE = {
    "an AWS access key": "AKIA" + "Q" * 16,
    "a GitHub token": "ghp_" + "a1B2" * 9,
    "a Slack token": "xoxb-" + "1234567890-abcdef",
    "a Google API key": "AIza" + "S" * 35,
    "an OpenAI-style API key": "sk-" + "x9" * 20,
    "a private key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
    "a .netrc password line": "machine ftp.example.org login stuart " + "password hunter2",
    "a password in a connection string": "postgresql://stuart:" + "s3cret@db.example.org/blog",
}


def code(source: str, outputs: list | None = None, count: int | None = 1, tags: list[str] | None = None) -> dict:
    return {
        "cell_type": "code",
        "source": source,
        "outputs": outputs or [],
        "execution_count": count,
        "metadata": {"tags": tags or []},
    }


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def kinds(notebook: dict) -> list[str]:
    return [finding["kind"] for finding in check_notebook(notebook, "posts/x.ipynb")]


@pytest.mark.parametrize("name", FAKE)
def test_each_kind_of_secret_is_found_in_code_and_in_outputs(name: str) -> None:
    in_source = check_notebook({"cells": [code(f"key = '{FAKE[name]}'")]}, "posts/x.ipynb")
    assert [f["kind"] for f in in_source] == ["secret"] and f"looks like {name}" in in_source[0]["message"]
    assert in_source[0]["message"].startswith("posts/x.ipynb: cell 1, line 1: ") and in_source[0]["blocks"]
    assert FAKE[name] not in in_source[0]["message"], "the finding does not repeat the whole secret"
    in_output = check_notebook({"cells": [code("print(key)", [stream(f"\n\n{FAKE[name]}\n")])]}, "posts/x.ipynb")
    assert "cell 1, output 1, line 3" in in_output[0]["message"]
    tagged = {"cells": [code(f"key = '{FAKE[name]}'", tags=["reviewed-secret"])]}
    assert kinds(tagged) == [], "a cell tagged reviewed-secret is accepted"


def test_personal_paths_in_outputs_and_tracebacks() -> None:
    traceback = {
        "output_type": "error",
        "ename": "FileNotFoundError",
        "evalue": "no such file",
        "traceback": ["\x1b[0;31mFile \x1b[0m/home/stuart/data/run.py:3"],
    }
    notebook = {
        "cells": [
            code("open('data.csv')", [traceback], count=1),
            code("print(p)", [stream("C:\\Users\\Stuart\\blog\\x.csv")], count=2),
            code("print(q)", [stream("/home/jovyan/work and /Users/shared")], count=3),
            code("# /home/stuart in a comment is the author's own business", count=4),
        ]
    }
    found = check_notebook(notebook, "posts/x.ipynb")
    assert [f["kind"] for f in found] == ["path", "path"], "generic users (jovyan, shared) and sources pass"
    assert "cell 1, output 1" in found[0]["message"] and "/home/stuart" in found[0]["message"]
    assert "C:\\Users\\Stuart" in found[1]["message"]
    notebook["cells"][0]["metadata"]["tags"] = ["reviewed-path"]
    assert kinds(notebook) == ["path"]


def test_cells_out_of_order_or_never_run() -> None:
    in_order = {"cells": [code("a = 1", count=1), {"cell_type": "markdown", "source": "x"}, code("a", count=2)]}
    assert kinds(in_order) == []
    shuffled = {"cells": [code("a = 1", count=3), code("b = 2", count=1), code("a + b", count=2)]}
    found = check_notebook(shuffled, "posts/x.ipynb")
    assert [f["kind"] for f in found] == ["order"] and "cell 2: execution counts are not 1, 2, 3" in found[0]["message"]
    half_run = {"cells": [code("a = 1", count=1), code("b = 2", count=None), code("", count=None)]}
    found = check_notebook(half_run, "posts/x.ipynb")
    assert [f["message"].split(": ")[1] for f in found] == ["cells 2"], "an empty cell does not count"
    never_run = {"cells": [code("a = 1", count=None), code("b = 2", count=None)]}
    assert kinds(never_run) == [], "a notebook shown without outputs is a choice"
    assert accepted(check_notebook(shuffled, "x"), "order") == []


def test_huge_outputs() -> None:
    big = {"output_type": "display_data", "data": {"text/html": "x" * (OUTPUT_LIMIT + 1)}, "metadata": {}}
    assert kinds({"cells": [code("show()", [big])]}) == ["size"]
    assert kinds({"cells": [code("show()", [big], tags=["reviewed-size"])]}) == []


def test_our_own_posts_trip_nothing() -> None:
    for source in sorted((ROOT / "posts").glob("*.ipynb")):
        assert check_notebook(json.loads(source.read_bytes()), str(source)) == []


def test_the_build_warns_check_notebooks_fails_and_deploy_refuses(small_site: Path) -> None:
    notebook = json.loads((small_site / "posts/welcome.ipynb").read_text())
    notebook["cells"].append(code(f"aws_key = '{FAKE['an AWS access key']}'", count=None))
    (small_site / "posts/welcome.ipynb").write_text(json.dumps(notebook))
    meta = small_site / "posts/welcome.meta"
    meta.write_text(meta.read_text().replace(".. execute: true\n", ""))  # shown as saved
    built = nikola(small_site, "build")
    assert "looks like an AWS access key" in built.stderr, "the build warns and goes on"
    checked = nikola(small_site, "check_notebooks", check=False)
    assert checked.returncode == 1 and "1 of them secrets" in checked.stderr
    env = {**os.environ, "FTP_HOST": "127.0.0.1", "FTP_PORT": "9", "FTP_USER": "u", "FTP_PASSWORD": "p"}
    deploy = subprocess.run(
        [sys.executable, "-m", "plugins.ftp_deploy", "--dry-run"],
        cwd=small_site,
        env=env,
        capture_output=True,
        text=True,
    )
    refused = [line for line in deploy.stderr.splitlines() if "not deploying a secret" in line]
    assert deploy.returncode == 1 and len(refused) == 1 and "posts/welcome.ipynb: cell" in refused[0]
    assert "Traceback" not in deploy.stderr

    notebook["cells"][-1]["metadata"]["tags"] = ["reviewed-secret"]
    (small_site / "posts/welcome.ipynb").write_text(json.dumps(notebook))
    meta.write_text(meta.read_text() + ".. reviewed: order\n")  # the new cell was never run
    nikola(small_site, "build")
    assert nikola(small_site, "check_notebooks").returncode == 0
