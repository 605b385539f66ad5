"""Property-based: valid notebooks and .meta files mutated at random never crash the build.

Each mutation (a key dropped, a value of the wrong type, damaged base64, the file cut
short, random bytes) must end in one of two ways: the post builds (any warning names the
file), or the build stops with one line naming the file and output/ is byte-identical to
before. Never a traceback. The fast test runs the whole notebook pipeline in-process on
many mutations (model, metadata, rendering with nbconvert); the slow one runs real
`nikola build`s on fewer.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import shutil
import warnings as python_warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from blog_build import rendering
from blog_build.images import ImageStore
from blog_build.metadata import SourceError, check_metadata, parse_meta
from blog_build.notebook import checked_notebook, content_key, make_model, point_images, render_ready

from conftest import copy_site, nikola, tree_digest

# Locally each run tries new mutations; in CI (CI=true) the same ones every run, so that a
# submission is judged on its own changes (a new failing example found locally is fixed and kept).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def png() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), (10, 120, 200)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


WIDGET = "application/vnd.jupyter.widget-view+json"
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "markdown",
            "id": "intro",
            "metadata": {},
            "source": ["# Fuzz\n", "Some $x^2$ maths and ![pasted](attachment:p.png).\n"],
            "attachments": {"p.png": {"image/png": png()}},
        },
        {
            "cell_type": "code",
            "id": "plot",
            "execution_count": 1,
            "metadata": {"tags": ["hide-input"], "alt": "A blue rectangle"},
            "source": ["import numpy\n", "plot()"],
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["working\n", "done\n"]},
                {"output_type": "display_data", "metadata": {}, "data": {"image/png": png(), "text/plain": ["<F>"]}},
                {
                    "output_type": "execute_result",
                    "execution_count": 1,
                    "metadata": {},
                    "data": {"text/html": ["<table><tr><td>1</td></tr></table>"], "text/plain": ["1"]},
                },
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {WIDGET: {"model_id": "m1"}, "text/plain": "W"},
                },
            ],
        },
        {
            "cell_type": "code",
            "id": "oops",
            "execution_count": 2,
            "metadata": {},
            "source": "1 / 0",
            "outputs": [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "no", "traceback": ["x"]}],
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "widgets": {
            "application/vnd.jupyter.widget-state+json": {
                "version_major": 2,
                "version_minor": 0,
                "state": {
                    "m1": {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls", "state": {}}
                },
            }
        },
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
META = ".. title: Fuzz\n.. slug: fuzz\n.. date: 2024-02-03 04:05:06 UTC\n.. tags: a, b\n.. description: d\n"
WRONG_VALUES = st.one_of(
    st.none(), st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=2), st.just({}), st.booleans()
)


def paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def parent_of(document: object, path: tuple) -> object:
    for part in path[:-1]:
        document = document[part]
    return document


@st.composite
def mutated_notebook(draw) -> bytes:
    """The notebook's bytes after one to three random mutations."""
    notebook = copy.deepcopy(NOTEBOOK)
    text: bytes | None = None
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["drop", "retype", "base64", "truncate", "bytes"]))
        if kind in ("drop", "retype"):
            path = draw(st.sampled_from(paths(notebook)))
            parent = parent_of(notebook, path)
            if kind == "drop":
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(WRONG_VALUES)
        elif kind == "base64":
            images = [p for p in paths(notebook) if p and p[-1] == "image/png"]
            if images:
                path = draw(st.sampled_from(images))
                value = parent_of(notebook, path)[path[-1]]
                if isinstance(value, str) and value:
                    at = draw(st.integers(0, len(value) - 1))
                    parent_of(notebook, path)[path[-1]] = (
                        value[:at] + draw(st.sampled_from(["!", "", "A", "=="])) + value[at + 1 :]
                    )
        else:
            text = json.dumps(notebook).encode()
            if kind == "truncate":
                text = text[: draw(st.integers(0, len(text) - 1))]
            else:
                at = draw(st.integers(0, len(text)))
                text = text[:at] + draw(st.binary(min_size=1, max_size=6)) + text[at:]
            break
    return text if text is not None else json.dumps(notebook).encode()


@st.composite
def mutated_meta(draw) -> bytes:
    lines = META.splitlines()
    kind = draw(st.sampled_from(["keep", "drop", "blank", "garbage", "value", "bytes"]))
    if kind == "drop":
        lines.pop(draw(st.integers(0, len(lines) - 1)))
    elif kind == "blank":
        lines.insert(draw(st.integers(0, len(lines))), "")
    elif kind == "garbage":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=12)))
    elif kind == "value":
        key = draw(st.sampled_from(["date", "tags", "execute", "search", "status", "slug", "updated", "tilte"]))
        lines.append(f".. {key}: {draw(st.text(max_size=10))}")
    data = "\n".join(lines).encode()
    if kind == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


# Mutations that once broke the pipeline, kept as examples every run tries.
FOUND = [
    json.dumps({**NOTEBOOK, "metadata": {**NOTEBOOK["metadata"], "widgets": None}}).encode(),
    json.dumps({**NOTEBOOK, "cells": [{**NOTEBOOK["cells"][0], "cell_type": None}, *NOTEBOOK["cells"][1:]]}).encode(),
]
EMPTY_DATA = json.dumps(
    {**NOTEBOOK, "cells": [NOTEBOOK["cells"][0], {**NOTEBOOK["cells"][1], "outputs": [
        {"output_type": "display_data", "metadata": {}, "data": {}},
        {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {}},
    ]}]}
).encode()  # fmt: skip
UNKNOWN_ZONE = META.replace("06 UTC", "06 UYTC").encode()
EMPTY_UPDATED = (META.rstrip("\n") + "\n.. updated: ").encode()


def one_line_naming(message: str, *names: str) -> bool:
    return "\n" not in message and any(message.startswith(f"{name}") for name in names)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notebook=mutated_notebook(), meta=mutated_meta())
@example(notebook=FOUND[0], meta=META.encode())
@example(notebook=FOUND[1], meta=META.encode())
@example(notebook=json.dumps(NOTEBOOK).encode(), meta=UNKNOWN_ZONE)
@example(notebook=json.dumps(NOTEBOOK).encode(), meta=EMPTY_UPDATED)
@example(notebook=EMPTY_DATA, meta=META.encode())
def test_the_pipeline_names_the_file_or_builds_the_post(tmp_path: Path, notebook: bytes, meta: bytes) -> None:
    store = ImageStore(tmp_path / "images")
    source, meta_file = "posts/fuzz.ipynb", "posts/fuzz.meta"
    warnings: list[str] = []
    try:
        checked = checked_notebook(notebook, source, warnings)
        model = make_model(checked, source, content_key(notebook, set(), source), {"widgets"}, store, warnings)
        text = meta.decode("utf-8")
        values = check_metadata({**model.metadata, **parse_meta(text, meta_file)}, meta_file, True)
    except SourceError as error:
        assert one_line_naming(str(error), source, meta_file), str(error)
        return
    except UnicodeDecodeError:
        return  # read_meta_file turns this into a SourceError naming the file (tested in test_bad_input)
    assert all(
        one_line_naming(warning, source, meta_file) for warning in [*warnings, *model.warnings, *values.warnings]
    )
    page = json.loads(json.dumps(model.notebook))
    point_images(page, "/posts/fuzz/")
    with python_warnings.catch_warnings():
        # what nbconvert or its templates warn of names no notebook (a template's line): the model must leave
        # nothing for them to warn of (an output with no data once gave "mimetype(s) dict_keys([])")
        python_warnings.simplefilter("error", UserWarning)
        html = rendering.notebook_to_html(exporter(), render_ready(page))
    assert '<div class="nb-body">' in html


_exporter = []


def exporter():
    if not _exporter:
        _exporter.append(rendering.make_exporter(rendering.exporter_config({}, {})))
    return _exporter[0]


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("fuzz"), posts=("fibonacci",))
    (site / "posts/fuzz.ipynb").write_text(json.dumps(NOTEBOOK))
    (site / "posts/fuzz.meta").write_text(META)
    nikola(site, "build")
    return site


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notebook=mutated_notebook(), meta=mutated_meta())
def test_nikola_build_on_a_mutated_post_names_the_file_or_builds(
    fuzz_site: Path, tmp_path_factory: pytest.TempPathFactory, notebook: bytes, meta: bytes
) -> None:
    site = tmp_path_factory.mktemp("mutated") / "site"
    shutil.copytree(fuzz_site, site, symlinks=True)
    before = tree_digest(site / "output")
    (site / "posts/fuzz.ipynb").write_bytes(notebook)
    (site / "posts/fuzz.meta").write_bytes(meta)

    result = nikola(site, "build", check=False)

    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    assert "unhandled exception" not in result.stderr, result.stderr[-3000:]
    if result.returncode == 0:
        ours = [line for line in result.stderr.splitlines() if "WARNING: Nikola: posts/" in line]
        assert all("posts/fuzz." in line for line in ours), result.stderr
        # Python's warnings name the library's line, never the post: none may reach the author
        assert "Warning: " not in result.stderr, result.stderr
        return
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line and "Nothing was built" not in line]
    assert len(errors) == 1 and ("posts/fuzz.ipynb" in errors[0] or "posts/fuzz.meta" in errors[0]), result.stderr
    assert tree_digest(site / "output") == before, "a failed build changed output/"
