"""The notebook pipeline: each notebook read once, models kept by content, output/ exactly what sources make."""

from __future__ import annotations

import base64
import collections
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from blog_build.images import ImageStore
from blog_build.pipeline import Pipeline, Settings

from conftest import ROOT, copy_site, nikola, tree_digest

# `nikola build` in-process with an audit hook that logs every opening of a notebook in posts/
# for reading, with who opened it: the nearest caller among our code, Nikola and doit.
COUNT_READS = """
import os, sys
log = os.open(os.environ["READ_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
site = os.getcwd()
ours = (os.path.join(site, "blog_build") + os.sep, os.path.join(site, "plugins") + os.sep)
busy = [False]

def who(frame):
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(ours):
            return "ours"
        for part in ("doit", "nikola"):
            if os.sep + part + os.sep in name:
                return part
        frame = frame.f_back
    return "other"

def hook(event, args):
    if event != "open" or busy[0] or not isinstance(args[0], str) or not args[0].endswith(".ipynb"):
        return
    mode, flags = args[1], args[2] or 0
    if (mode and any(c in mode for c in "wax+")) or (mode is None and flags & (os.O_WRONLY | os.O_RDWR)):
        return
    path = os.path.relpath(os.path.abspath(args[0]), site)
    if not path.startswith("posts" + os.sep):
        return
    busy[0] = True
    try:
        os.write(log, f"{who(sys._getframe(1))} {path}\\n".encode())
    finally:
        busy[0] = False

sys.addaudithook(hook)
from nikola.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def counted_build(site: Path, log: Path) -> collections.Counter:
    """(who, notebook) -> how many times it was opened for reading in one `nikola build`."""
    log.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", COUNT_READS, "build"],
        cwd=site,
        env={**os.environ, "READ_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = log.read_text().splitlines() if log.exists() else []
    return collections.Counter(tuple(line.split(" ", 1)) for line in lines)


def test_each_notebook_is_read_once_by_our_code_in_a_full_build_and_never_in_a_no_op(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    notebooks = sorted(str(path.relative_to(site)) for path in (site / "posts").glob("*.ipynb"))
    log = tmp_path / "reads.log"

    full = counted_build(site, log)
    assert {name: full[("ours", name)] for name in notebooks} == dict.fromkeys(notebooks, 1), full
    no_op = counted_build(site, log)
    assert not any(count for (who, _), count in no_op.items() if who == "ours"), no_op
    edited = site / "posts" / "fibonacci.ipynb"
    notebook = json.loads(edited.read_text(encoding="utf-8"))
    notebook["cells"][0]["source"] = ["An edited first paragraph.\n\n", *notebook["cells"][0]["source"]]
    edited.write_text(json.dumps(notebook), encoding="utf-8")
    edit = counted_build(site, log)
    assert {name: edit[("ours", name)] for name in notebooks} == {
        name: int(name == "posts/fibonacci.ipynb") for name in notebooks
    }, edit
    doit_reads = sum(count for (who, _), count in full.items() if who == "doit")
    assert doit_reads <= len(notebooks), "doit hashes each file once per build (blog_build/file_checks.py)"
    for label, counts in (("full", full), ("no-op", no_op), ("one edit", edit)):
        by_reader = collections.Counter()
        for (who, _name), count in counts.items():
            by_reader[who] += count
        print(f"reads of {len(notebooks)} notebooks, {label} build: {dict(sorted(by_reader.items()))}")


def pipeline(tmp_path: Path, libraries: set[str] = frozenset()) -> Pipeline:
    return Pipeline(Settings(cache=tmp_path / "cache", libraries=set(libraries)))


def write_notebook(path: Path, text: str, ids: bool = True) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": text}]
    if ids:
        cells[0]["id"] = "intro"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_a_model_is_made_once_per_content_and_kept_between_builds(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "post.ipynb"
    write_notebook(source, "Hello.")
    first = pipeline(tmp_path)
    model = first.model(source)
    assert model.metadata == {} and model.images == [] and not first._checked, "kept only for posts that may run"
    first.save()

    reads = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or original(self))
    again = pipeline(tmp_path)
    assert again.model(source).key == model.key and reads == [], "unchanged file: not even opened"
    assert again.page(again.model(source))["cells"][0]["source"] == "Hello."

    os.utime(source, ns=(1, 1))  # touched, same bytes: read once, not parsed
    touched = pipeline(tmp_path)
    assert touched.model(source).key == model.key and reads == [source] and not touched._checked
    write_notebook(source, "Changed.")
    assert pipeline(tmp_path).model(source).key != model.key
    assert pipeline(tmp_path, {"plotly"}).model(source).key != pipeline(tmp_path).model(source).key, (
        "other libraries installed: outputs are prepared differently"
    )
    (tmp_path / "cache" / "notebook_models.json").write_text("not json")
    assert not any(pipeline(tmp_path).store.sections.values()), "an unreadable store counts as empty"


REHEARSAL = """
import sys
from pathlib import Path
from nbformat import validator
from blog_build.pipeline import rehearse
before = "html5lib" in sys.modules, bool(validator.validators)
rehearse(Path(sys.argv[1]), set())
print(before, ("html5lib" in sys.modules, bool(validator.validators)))
"""


def test_a_rehearsal_pays_what_the_first_model_pays_and_keeps_nothing(tmp_path: Path) -> None:
    """The preview (plugins/auto/post_pages.py) makes a model nobody keeps beside its first build,
    so the author's first edit finds the schema's validator and the safety checks' parser loaded."""
    source = tmp_path / "post.ipynb"
    write_notebook(source, "A [link](https://example.org) and <b>HTML</b>, as posts have.")
    notebook = json.loads(source.read_text())
    figure = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(figure, "PNG")
    output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": base64.b64encode(figure.getvalue()).decode()},
    }
    notebook["cells"].append(
        {
            "cell_type": "code",
            "id": "plot",
            "metadata": {},
            "execution_count": 1,
            "source": "plot()",
            "outputs": [output],
        }
    )
    source.write_text(json.dumps(notebook))
    # run in the notebook's folder: a cache, images or pages written anywhere but a temporary folder land here
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", REHEARSAL, str(source)], capture_output=True, text=True, cwd=tmp_path, env=environment
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["(False,", "False)", "(True,", "True)"]
    assert [path.name for path in tmp_path.rglob("*")] == ["post.ipynb"], "nothing written beside it"


def test_cells_without_ids_get_the_same_ids_on_every_read(tmp_path: Path) -> None:
    source = tmp_path / "post.ipynb"
    write_notebook(source, "No ids here.", ids=False)
    one = pipeline(tmp_path / "one").model(source)
    two = pipeline(tmp_path / "two").model(source)
    assert one.notebook["cells"][0]["id"] == two.notebook["cells"][0]["id"]


def test_models_and_images_no_source_uses_are_forgotten(tmp_path: Path) -> None:
    kept, dropped = tmp_path / "kept.ipynb", tmp_path / "dropped.ipynb"
    write_notebook(kept, "Kept.")
    write_notebook(dropped, "Dropped.")
    first = pipeline(tmp_path)
    first.model(kept), first.model(dropped)
    first.save()
    assert len(list((tmp_path / "cache" / "notebook-pages").iterdir())) == 2
    second = pipeline(tmp_path)
    second.model(kept)
    second.save()
    assert [path.stem for path in (tmp_path / "cache" / "notebook-pages").iterdir()] == [second.model(kept).key]


def test_image_store_publishes_a_copy_once(tmp_path: Path) -> None:
    from blog_build.images import ImageFile

    store = ImageStore(tmp_path / "images")
    store.keep(ImageFile("abc.png", b"data", 1, 1))
    target = store.publish("abc.png", tmp_path / "out")
    assert target.read_bytes() == b"data"
    before = target.stat().st_mtime_ns
    store.publish("abc.png", tmp_path / "out")
    assert target.stat().st_mtime_ns == before


ORPHANS = "Files from unknown origins (orphans)"


def test_output_holds_exactly_what_the_sources_make(small_site: Path) -> None:
    posts = small_site / "posts"
    write_notebook(posts / "short.ipynb", "A short post.")
    meta = ".. title: Short\n.. slug: short\n.. date: 2024-01-02 03:04:05 UTC\n.. tags: gone\n"
    (posts / "short.meta").write_text(meta)
    nikola(small_site, "build")
    output = small_site / "output"
    assert (output / "posts/short/index.html").exists() and (output / "categories/gone/index.html").exists()

    (posts / "short.meta").write_text(meta.replace("slug: short", "slug: renamed"))
    nikola(small_site, "build")
    assert not (output / "posts/short").exists(), "a renamed slug leaves nothing at the old address"
    assert (output / "posts/renamed/index.html").exists()

    (posts / "short.meta").unlink()
    (posts / "short.ipynb").unlink()
    result = nikola(small_site, "build")
    assert not (output / "posts/renamed").exists(), "a deleted post leaves output/"
    assert not (output / "categories/gone").exists(), "and so does the tag only it had"
    assert "posts/renamed/index.html" in result.stderr, "what was removed is named"
    assert "renamed" not in (output / "sitemap.xml").read_text() + (output / "rss.xml").read_text()

    for part in json.loads((output / "pagefind/parts.json").read_text())["parts"]:
        index = json.loads((output / "pagefind" / part / "pagefind-entry.json").read_text())
        fragments = list((output / "pagefind" / part / "fragment").iterdir())
        pages = sum(language["page_count"] for language in index["languages"].values())
        assert len(fragments) == pages, "no fragment of an older search index is left"
    check = nikola(small_site, "check", "-f", check=False)
    assert ORPHANS not in check.stdout + check.stderr and check.returncode == 0, check.stdout + check.stderr


def test_a_failed_build_leaves_output_as_the_last_good_build_left_it(small_site: Path) -> None:
    nikola(small_site, "build")
    before = tree_digest(small_site / "output")
    notebook = small_site / "posts" / "welcome.ipynb"
    notebook.write_text(notebook.read_text()[:-40])
    (small_site / "posts" / "welcome.meta").write_text("")
    assert nikola(small_site, "build", check=False).returncode != 0
    assert tree_digest(small_site / "output") == before


@pytest.mark.parametrize("missing", ["scan_posts", "output_targets", "interactive_outputs", "search_index"])
def test_a_plugin_that_needs_another_says_so_or_works_without_it(small_site: Path, missing: str) -> None:
    with (small_site / "conf.py").open("a") as conf:
        conf.write(f"\nDISABLED_PLUGINS = [{missing!r}]\n")
    result = nikola(small_site, "build", check=False)
    if missing == "output_targets":
        assert result.returncode != 0
        assert "prune_output needs the output_targets plugin" in result.stderr
        assert "Traceback" not in result.stderr
    else:
        assert result.returncode == 0, result.stderr


# Shapes found by running public notebooks through the pipeline (jupytext's Wolfram notebook,
# IPython 2's examples, Colab and ipywidgets 5 widget state, Python 2 and Swift notebooks).
def model_of(tmp_path: Path, notebook: dict):
    from blog_build.notebook import checked_notebook, content_key, make_model

    data = json.dumps(notebook).encode()
    warnings: list[str] = []
    checked = checked_notebook(data, "x.ipynb", warnings)
    return make_model(checked, "x.ipynb", content_key(data, set(), "x"), {"widgets"}, ImageStore(tmp_path), warnings)


def v4(cells: list[dict], metadata: dict | None = None) -> dict:
    return {"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


def markdown(text: str, **extra) -> dict:
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": text, **extra}


def test_output_metadata_that_is_not_an_object_renders(tmp_path: Path) -> None:
    from blog_build import rendering
    from blog_build.notebook import render_ready

    output = {"output_type": "execute_result", "execution_count": 1, "data": {"text/html": "<b>x</b>"},
              "metadata": {"text/html": [], "text/plain": None}}  # fmt: skip
    cell = {"cell_type": "code", "id": "c", "metadata": {}, "source": "x", "execution_count": 1, "outputs": [output]}
    model = model_of(tmp_path, v4([cell]))
    html = rendering.notebook_to_html(
        rendering.make_exporter(rendering.exporter_config({}, {})), render_ready(model.notebook)
    )
    assert "<b>x</b>" in html


def test_a_version_3_notebook_is_converted_with_stable_ids(tmp_path: Path) -> None:
    code = {"cell_type": "code", "collapsed": False, "input": ["print 'hi'"], "language": "python", "metadata": {}}
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["Hello from 2014"]}, {**code, "outputs": []}]
    old = {"metadata": {"name": "old"}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": cells}]}
    one, two = model_of(tmp_path, old), model_of(tmp_path, old)
    assert [cell["source"] for cell in one.notebook["cells"]] == ["Hello from 2014", "print 'hi'"]
    assert [c["id"] for c in one.notebook["cells"]] == [c["id"] for c in two.notebook["cells"]]


def test_widget_state_saved_by_colab_or_ipywidgets_5_is_read(tmp_path: Path) -> None:
    model = {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls", "state": {}}
    assert model_of(tmp_path, v4([markdown("No state.")], {"widgets": None})).warnings == []
    for widgets in ({"m1": model}, {"state": {"m1": model}, "version": "1.2.0"}):
        found = model_of(tmp_path, v4([markdown("Widgets.")], {"widgets": widgets}))
        assert found.warnings == [], widgets
        assert found.notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"] == {
            "m1": model
        }


def test_only_real_attachment_links_are_rewritten(tmp_path: Path) -> None:
    text = "![attachment:a.png](data/a.png) and `![x](attachment:code.png)` and ![y](attachment:gone.png)"
    found = model_of(tmp_path, v4([markdown(text)]))
    source = found.notebook["cells"][0]["source"]
    assert source.startswith("![attachment:a.png](data/a.png) and `![x](attachment:code.png)` and ")
    assert "could not be shown" in source and len(found.warnings) == 1 and "gone.png" in found.warnings[0]


def test_old_and_other_languages_are_highlighted() -> None:
    from blog_build.rendering import notebook_lexer

    assert notebook_lexer({"language_info": {"name": "python", "pygments_lexer": "ipython2"}}) == "python2"
    assert notebook_lexer({"kernelspec": {"language": "swift", "name": "swift"}}) == "swift"
    assert notebook_lexer({"language_info": {"name": "python"}}) == "ipython"
    assert notebook_lexer({}) == "ipython"


def test_an_image_checked_before_is_not_checked_again(tmp_path: Path, monkeypatch) -> None:
    import base64
    import io

    from PIL import Image

    from blog_build import images

    buffer = io.BytesIO()
    Image.new("RGB", (5, 3)).save(buffer, format="PNG")
    payload = base64.b64encode(buffer.getvalue()).decode()
    sizes: dict = {}
    first = ImageStore(tmp_path, sizes).checked("image/png", payload)
    assert (first.width, first.height) == (5, 3) and sizes == {first.name: [5, 3]}
    monkeypatch.setattr(images, "checked_size", lambda *_: pytest.fail("checked again"))
    again = ImageStore(tmp_path, sizes).checked("image/png", payload)
    assert (again.name, again.width, again.height) == (first.name, 5, 3)


@pytest.mark.parametrize(
    "opening,dropped",
    [("# My title", True), ("## My title", True), ("### my  Title ##", True), ("## My title, continued", False)],
)
def test_an_opening_heading_of_any_level_that_repeats_the_title_is_dropped(opening: str, dropped: bool) -> None:
    import nbformat

    from blog_build.rendering import drop_repeated_title

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{opening}\n\nFirst paragraph.")])
    drop_repeated_title(notebook, "My title")
    assert (notebook.cells[0].source == "First paragraph.") is dropped


def test_pasted_images_get_what_output_figures_get(tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    png = {"image/png": base64.b64encode(buffer.getvalue()).decode()}
    text = (
        '![image.png](attachment:image.png)\n\n![A sketch of the tide](attachment:sketch.png "Tides")\n\n'
        '<img src="attachment:sketch.png" width="20">'
    )
    cell = markdown(text, attachments={"image.png": png, "sketch.png": png})
    found = model_of(tmp_path, v4([cell]))
    source = found.notebook["cells"][0]["source"]
    name = found.images[0]
    assert found.warnings == [] and "attachment:" not in source
    first, second, third = source.split("\n\n")
    assert first == (
        f'<img src="attachment-file:{name}" loading="lazy" decoding="async" width="40" height="30"'
        ' alt="Image pasted into markdown cell 1">'
    )
    assert 'title="Tides" alt="A sketch of the tide">' in second
    # the author's own <img> keeps its width and gains lazy loading and an alt, not a second size
    assert third == (
        f'<img loading="lazy" decoding="async" alt="Image pasted into markdown cell 1"'
        f' src="attachment-file:{name}" width="20">'
    )


def small_png(width: int = 8, height: int = 6) -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_inline_base64_images_become_files_with_size_and_alt(tmp_path: Path) -> None:
    snapshot = f'<div class="widget"><img src="data:image/png;base64,{small_png()}"></div>'
    output = {"output_type": "display_data", "metadata": {}, "data": {"text/html": snapshot, "text/plain": "w"}}
    code = {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "source": "w", "outputs": [output]}
    pasted = markdown(f"Drawn: <img alt='A teal box' src='data:image/png;base64,{small_png(4, 4)}'>")
    damaged = markdown('<img src="data:image/png;base64,AAAA">')
    bare = markdown(f"<img src=data:image/png;base64,{small_png(3, 3)} width=3>")  # ipywidgets 5 snapshots
    found = model_of(tmp_path, v4([code, pasted, damaged, bare]))
    html = found.notebook["cells"][0]["outputs"][0]["data"]["text/html"]
    assert "data:" not in html and len(found.images) == 3
    snapshot = found.notebook["cells"][3]["source"]
    assert snapshot.startswith('<img loading="lazy" decoding="async" alt="Image in markdown cell 4" src=nb-image-file:')
    assert 'width="8" height="6" alt="Image in code cell 1" src="nb-image-file:' in html
    assert "alt='A teal box'" in found.notebook["cells"][1]["source"]
    assert "could not be shown" in found.notebook["cells"][2]["source"]
    assert len(found.warnings) == 1 and found.warnings[0].startswith(f"{found.source}: cell 3: an inline image/png ")


def test_ipywidgets_6_state_is_read_as_ipywidgets_7_state(tmp_path: Path) -> None:
    old = "jupyter-js-widgets"
    models = {
        "s1": {"model_name": "IntSliderModel", "model_module": old, "model_module_version": "~2.0.30",
               "state": {"_model_module_version": "~2.0.30", "layout": "IPY_MODEL_l1", "value": 7}},
        "l1": {"model_name": "LayoutModel", "model_module": old, "model_module_version": "~2.0.30", "state": {}},
        "p1": {"model_name": "ProgressModel", "model_module": old, "model_module_version": "~2.0.30",
               "state": {"value": 7.5, "max": 10}},
        "o1": {"model_name": "OutputModel", "model_module": old, "model_module_version": "~2.0.30", "state": {}},
    }  # fmt: skip
    mime = "application/vnd.jupyter.widget-state+json"
    state = {"version_major": 1, "version_minor": 0, "state": models}
    found = model_of(tmp_path, v4([markdown("Widgets.")], {"widgets": {mime: state}}))
    saved = found.notebook["metadata"]["widgets"][mime]
    assert found.warnings == [] and saved["version_major"] == 2
    assert saved["state"]["s1"]["model_module"] == "@jupyter-widgets/controls"
    assert saved["state"]["s1"]["state"] == {"layout": "IPY_MODEL_l1", "value": 7}
    assert saved["state"]["l1"]["model_module"] == "@jupyter-widgets/base"
    assert saved["state"]["p1"]["model_name"] == "FloatProgressModel"
    assert saved["state"]["o1"]["model_module"] == "@jupyter-widgets/output"


def test_html_in_saved_widget_state_is_cleaned_with_one_warning(tmp_path: Path) -> None:
    controls8, controls7 = ("@jupyter-widgets/controls", "2.0.0"), ("@jupyter-widgets/controls", "1.5.0")

    def model(name: str, module: tuple[str, str], **state: object) -> dict:
        return {"model_name": name, "model_module": module[0], "model_module_version": module[1], "state": state}

    html = "<b>Bold</b><img src=x onerror=alert(1)>"
    models = {
        "h1": model("HTMLModel", controls8, value=html),
        "h2": model("HTMLMathModel", controls8, value="$x$ <a href='javascript:alert(2)'>link</a>"),
        "s1": model("IntSliderModel", controls8, description=html, description_allow_html=True),
        "s2": model("IntSliderModel", controls8, description=html),  # shown as text: left as it is
        "s3": model("IntSliderModel", controls7, description=html),  # ipywidgets 7 shows every description as HTML
        "b1": model("ButtonModel", controls8, description="<i>Go</i>", description_allow_html=True),
        "o1": model("OutputModel", ("@jupyter-widgets/output", "1.0.0"), outputs=[
            {"output_type": "display_data", "data": {"text/html": ["<p onclick=alert(3)>Out</p>"]}, "metadata": {}}
        ]),
        "h3": model("HTMLModel", controls8, value='<img alt="Far" src="https://example.com/a.png">'),
        "c1": model("ComboboxModel", controls7, options=['a"><img src=x onerror=alert(4)>', "b & c"]),
        "c2": model("ComboboxModel", controls8, options=['say "hi"']),  # ipywidgets 8 sets each value as text
    }  # fmt: skip
    mime = "application/vnd.jupyter.widget-state+json"
    state = {"version_major": 2, "version_minor": 0, "state": models}
    found = model_of(tmp_path, v4([markdown("Widgets.")], {"widgets": {mime: state}}))
    saved = {key: value["state"] for key, value in found.notebook["metadata"]["widgets"][mime]["state"].items()}
    assert saved["h1"]["value"] == '<b>Bold</b><img src="x">'
    assert saved["h2"]["value"] == "$x$ <a>link</a>"
    assert saved["s1"]["description"] == saved["s3"]["description"] == '<b>Bold</b><img src="x">'
    assert saved["s2"]["description"] == html and saved["b1"]["description"] == "<i>Go</i>"
    assert saved["o1"]["outputs"][0]["data"]["text/html"] == "<p>Out</p>"
    assert "example.com" in saved["h3"]["value"] and "<img" not in saved["h3"]["value"]
    assert saved["c1"]["options"] == ["a&quot;><img src=x onerror=alert(4)>", "b & c"]
    assert saved["c2"]["options"] == ['say "hi"']
    assert found.warnings == [
        f"{found.source}: the saved widgets' HTML (metadata.widgets): scripts removed and images or frames from"
        " other sites shown as links (https://example.com/a.png); the site runs no script a notebook brings and"
        " loads nothing from elsewhere"
    ]


def test_ipywidgets_5_state_without_values_is_named_for_what_it_is(tmp_path: Path) -> None:
    widgets = {"state": {"m1": {"views": []}, "m2": {"views": [{"cell_index": 3}]}}, "version": "1.1.2"}
    found = model_of(tmp_path, v4([markdown("Widgets.")], {"widgets": widgets}))
    assert "widgets" not in found.notebook["metadata"]
    assert len(found.warnings) == 1 and "ipywidgets 5's, which keeps no widget values" in found.warnings[0]


def test_html_images_without_an_alt_are_named_after_their_cell(tmp_path: Path) -> None:
    header = markdown('<a href="https://bokeh.org"><img src="logo.png"></a> <img alt="" src="rule.png"> `<img src=c>`')
    found = model_of(tmp_path, v4([header]))
    source = found.notebook["cells"][0]["source"]
    assert '<img alt="Image in markdown cell 1" src="logo.png">' in source
    assert '<img alt="" src="rule.png">' in source and "`<img src=c>`" in source


def test_a_cell_with_html_and_a_pasted_image_is_cleaned_and_shown(tmp_path: Path) -> None:
    text = '<img alt="Logo" src="logo.png"> Look: ![sketch](attachment:s.png)'
    found = model_of(tmp_path, v4([markdown(text, attachments={"s.png": {"image/png": small_png()}})]))
    source = found.notebook["cells"][0]["source"]
    assert found.warnings == [] and source.startswith(
        '<img alt="Logo" src="logo.png"> Look: <img src="attachment-file:'
    )
