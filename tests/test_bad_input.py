"""Bad sources: one line naming the file (and cell), and output/ never half-written.

A problem that makes the post dishonest to publish (not a notebook, a malformed cell, wrong
metadata) stops the build before anything in output/ changes; an output that cannot be
shown (damaged image data, a malformed output, broken widget state or attachment) is a
warning naming file and cell, with a visible placeholder on the page.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest

from blog_build import metadata as scan_posts
from blog_build.metadata import SourceError, check_value
from blog_build.notebook import checked_notebook

from conftest import ROOT, nikola, tree_digest

GOOD_META = (
    ".. title: Fine\n.. slug: fine\n.. date: 2024-01-02 03:04:05 UTC\n.. tags: x\n.. description: d\n.. type: text\n"
)
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
WELCOME_META = (ROOT / "posts" / "welcome.meta").read_text(encoding="utf-8")


def meta_case(meta: str | bytes, words: str) -> tuple[dict, str, str]:
    """A post whose notebook is fine and whose .meta file is `meta`: the error names the .meta file."""
    return {"posts/fine.ipynb": NOTEBOOK, "posts/fine.meta": meta}, "posts/fine.meta", words


# name: (files to write, the file the error must name, words the error must contain)
CASES = {
    "broken notebook JSON": (
        {"posts/broken.ipynb": '{"cells": [,], "nbformat": 4}', "posts/broken.meta": GOOD_META},
        "posts/broken.ipynb",
        "not valid notebook JSON (line 1, column 12",
    ),
    "unparseable date": (
        {
            "posts/late.ipynb": NOTEBOOK,
            "posts/late.meta": GOOD_META.replace("2024-01-02 03:04:05 UTC", "next tuesday-ish"),
        },
        "posts/late.meta",
        "date 'next tuesday-ish' is not a date",
    ),
    "notebook without any metadata": (
        {"posts/bare.ipynb": NOTEBOOK},
        "posts/bare.ipynb",
        "no metadata; add bare.meta",
    ),
    "meta file without its notebook": (
        {"posts/lonely.meta": GOOD_META},
        "posts/lonely.meta",
        "no post beside it",
    ),
    "malformed meta line": (
        {"posts/odd.ipynb": NOTEBOOK, "posts/odd.meta": GOOD_META + "title = Oops\n"},
        "posts/odd.meta:7",
        "expected '.. key: value'",
    ),
    # The good build remembered these as checked; a change must still be caught.
    "a checked notebook broken since": (
        {"posts/welcome.ipynb": '{"cells": [,], "nbformat": 4}'},
        "posts/welcome.ipynb",
        "not valid notebook JSON",
    ),
    "a checked post's date broken since": (
        {"posts/welcome.meta": re.sub(r"\.\. date: .*", ".. date: 2026-13-45", WELCOME_META)},
        "posts/welcome.meta",
        "date '2026-13-45' is not a date",
    ),
    "meta without a slug": (
        {"posts/noslug.ipynb": NOTEBOOK, "posts/noslug.meta": GOOD_META.replace(".. slug: fine\n", "")},
        "posts/noslug.meta",
        "missing slug",
    ),
    "execute neither true nor false": meta_case(
        GOOD_META + ".. execute: maybe\n", "execute: 'maybe' is neither true nor false"
    ),
    "search neither true nor false": meta_case(
        GOOD_META + ".. search: sometimes\n", "search: 'sometimes' is neither true nor false"
    ),
    "misspelt key": meta_case(GOOD_META + ".. exceute: true\n", "unknown key 'exceute'; did you mean 'execute'?"),
    "misspelt key inside the notebook": (
        {"posts/fine.ipynb": NOTEBOOK.replace('"metadata": {}', '"metadata": {"nikola": {"tittle": "x"}}')},
        "posts/fine.ipynb",
        "unknown key 'tittle'; did you mean 'title'?",
    ),
    "an empty updated date (found by the property test)": meta_case(
        GOOD_META + ".. updated: \n", "updated is empty; give the date of the update"
    ),
    "an empty tag": meta_case(GOOD_META.replace(".. tags: x", ".. tags: a,,b"), "has an empty tag"),
    "a tag twice": meta_case(GOOD_META.replace(".. tags: x", ".. tags: numpy, NumPy"), "names numpy twice"),
    "an unknown status": meta_case(
        GOOD_META + ".. status: secret\n", "status: 'secret' is not one of published, featured, draft, private"
    ),
    "a date with a time zone nobody knows": meta_case(
        GOOD_META.replace("03:04:05 UTC", "03:04:05 UYTC"), "date '2024-01-02 03:04:05 UYTC' is not a date"
    ),
    "an updated date that is not one": meta_case(GOOD_META + ".. updated: soon\n", "updated 'soon' is not a date"),
    "a slug with a space": meta_case(
        GOOD_META.replace(".. slug: fine", ".. slug: my post"), "slug 'my post' must be one word of a URL"
    ),
    "two posts with one slug": (
        {"posts/fine.ipynb": NOTEBOOK, "posts/fine.meta": GOOD_META.replace(".. slug: fine", ".. slug: welcome")},
        "posts/welcome.ipynb",
        "slug 'welcome' is already used by posts/fine.ipynb",
    ),
    "a notebook that is not UTF-8": (
        {"posts/fine.ipynb": NOTEBOOK.encode("utf-16"), "posts/fine.meta": GOOD_META},
        "posts/fine.ipynb",
        "not UTF-8 text",
    ),
    "a .meta file that is not UTF-8": meta_case(
        GOOD_META.encode("latin-1") + b".. author: J\xf6rg\n", "not UTF-8 text"
    ),
    "a truncated notebook": (
        {"posts/fine.ipynb": (ROOT / "posts/welcome.ipynb").read_text()[:300], "posts/fine.meta": GOOD_META},
        "posts/fine.ipynb",
        "not valid notebook JSON",
    ),
    "a cell without its source": (
        {
            "posts/fine.ipynb": NOTEBOOK.replace('"cells": []', '"cells": [{"cell_type": "markdown", "metadata": {}}]'),
            "posts/fine.meta": GOOD_META,
        },
        "posts/fine.ipynb",
        "cell 1 is malformed",
    ),
    "notebook metadata of the wrong type": (
        {"posts/fine.ipynb": NOTEBOOK.replace('"metadata": {}', '"metadata": {"nikola": {"title": {"en": "x"}}}')},
        "posts/fine.ipynb",
        "metadata.nikola.title must be text, not dict",
    ),
    "a Markdown post's metadata after a blank line": (
        {"posts/fine.md": "Text.\n", "posts/fine.meta": GOOD_META + "\n.. category: late\n"},
        "posts/fine.meta:8",
        "metadata after a blank line is ignored by Nikola",
    ),
}


def write_files(site: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = site / relative
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import copy_site

    site = copy_site(tmp_path_factory.mktemp("good"), posts=("welcome",))
    nikola(site, "build")
    return site


@pytest.mark.parametrize("case", CASES)
def test_bad_source_stops_the_build_cleanly(good_build: Path, tmp_path: Path, case: str) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(good_build, site)
    before = tree_digest(site / "output")
    files, named_file, problem = CASES[case]
    write_files(site, files)

    result = nikola(site, "build", check=False)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    matching = [line for line in errors if named_file in line and problem in line]
    assert len(matching) == 1, f"no single error line naming {named_file} with {problem!r}:\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    assert tree_digest(site / "output") == before, "output/ changed after a failed build"


def test_every_problem_is_reported_at_once(small_site: Path) -> None:
    (small_site / "posts/one.ipynb").write_text("not json")
    (small_site / "posts/one.meta").write_text(GOOD_META)
    (small_site / "posts/two.meta").write_text(GOOD_META)
    result = nikola(small_site, "build", check=False)
    assert result.returncode != 0
    assert "posts/one.ipynb" in result.stderr and "posts/two.meta" in result.stderr
    output = small_site / "output"
    assert not output.exists() or tree_digest(output) == {}, "nothing is written when the first build fails"


def test_parse_meta_reads_keys_and_values() -> None:
    meta = scan_posts.parse_meta(".. title: A: B\n\n.. Tags: x, y\n.. link:\n", "f.meta")
    assert meta == {"title": "A: B", "tags": "x, y", "link": ""}


@pytest.mark.parametrize(
    "meta,message",
    [
        ({"slug": "s", "date": "2020-01-01"}, "missing title"),
        ({"title": "t", "slug": "s"}, "missing date"),
        ({"title": "t", "slug": "s", "date": "2020-13-45"}, "is not a date"),
    ],
)
def test_check_metadata_rejects(meta: dict, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        scan_posts.check_metadata(meta, Path("posts/x.meta"), needs_date=True)


def test_pages_need_a_date_and_are_told_why(small_site: Path) -> None:
    (small_site / "pages/undated.md").write_text("<!--\n.. title: Undated\n.. slug: undated\n-->\n\nText.\n")
    result = nikola(small_site, "build", check=False)
    assert result.returncode != 0
    assert "pages/undated.md: missing date (pages need one too" in result.stderr


@pytest.mark.parametrize(
    "content,message",
    [
        ("[1, 2]", "not a Jupyter notebook"),
        ('{"cells": [], "nbformat": 3}', "nbformat 3 is not supported"),
        (
            '{"cells": [{"cell_type": "code", "id": "a"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
            "cell 1 is malformed",
        ),
    ],
)
def test_notebook_metadata_rejects(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        checked_notebook(content.encode(), "x.ipynb", [])


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def tiff() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="TIFF")
    return base64.b64encode(buffer.getvalue()).decode()


def damaged_png() -> str:
    data = bytearray(png((64, 64)))
    data[len(data) // 2] ^= 0xFF  # one byte of the compressed pixels flipped: still base64, still "a PNG"
    return base64.b64encode(bytes(data)).decode()


def notebook_with(
    outputs: list[dict] | None = None, cells: list[dict] | None = None, metadata: dict | None = None
) -> str:
    code = {"cell_type": "code", "id": "c1", "metadata": {}, "source": "plot()", "execution_count": 1}
    cells = cells or [{"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "Intro."}, code]
    code["outputs"] = outputs or []
    return json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5})


def image_output(mime: str, data: object) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {mime: data, "text/plain": "<Figure>"}}


GOOD_PNG = base64.b64encode(png()).decode()
# name: (notebook, words the warning must hold after "posts/fine.ipynb: ")
WARNING_CASES = {
    "base64 with wrong padding": (notebook_with([image_output("image/png", GOOD_PNG[:-3])]), "cell 2, output 1"),
    "data that is no image": (
        notebook_with([image_output("image/png", base64.b64encode(b"just some words").decode())]),
        "cell 2, output 1: image/png its data is not an image",
    ),
    "a PNG damaged inside": (notebook_with([image_output("image/png", damaged_png())]), "the image is damaged"),
    "a TIFF saved as PNG": (notebook_with([image_output("image/png", tiff())]), "it is a TIFF image, not PNG"),
    "an SVG that is not SVG": (
        notebook_with([image_output("image/svg+xml", "<html><body>no</body></html>")]),
        "it is XML whose root is <html>",
    ),
    "a GIF that is not whole": (
        notebook_with([image_output("image/gif", base64.b64encode(b"GIF89a\x10\x00").decode())]),
        "cell 2, output 1: image/gif",
    ),
    "an output without its keys": (notebook_with([{"output_type": "stream"}]), "cell 2, output 1 is malformed"),
    "an output of the wrong type": (
        notebook_with([{"output_type": "display_data", "metadata": {}, "data": ["not", "a", "bundle"]}]),
        "cell 2, output 1 is malformed",
    ),
    "widget state that is not": (
        notebook_with(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": "x"}}}),
        "the saved widget state (metadata.widgets) is malformed",
    ),
    "an attachment that is damaged": (
        notebook_with(
            cells=[
                {
                    "cell_type": "markdown",
                    "id": "m1",
                    "metadata": {},
                    "source": "Look: ![diagram](attachment:d.png)",
                    "attachments": {"d.png": {"image/png": "!!not base64!!"}},
                }
            ]
        ),
        "cell 1: attachment 'd.png': its base64 data is damaged",
    ),
    "an attachment that is not there": (
        notebook_with(
            cells=[{"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "![x](attachment:gone.png)"}]
        ),
        "cell 1 shows attachment 'gone.png', which the notebook does not hold",
    ),
}


@pytest.mark.parametrize("case", WARNING_CASES)
def test_an_output_that_cannot_be_shown_is_named_and_replaced(good_build: Path, tmp_path: Path, case: str) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(good_build, site)
    notebook, words = WARNING_CASES[case]
    write_files(site, {"posts/fine.ipynb": notebook, "posts/fine.meta": GOOD_META})

    result = nikola(site, "build", check=False)

    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line and "posts/fine.ipynb" in line]
    assert len(warnings) == 1 and words in warnings[0], f"no single warning with {words!r}:\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    page = (site / "output/posts/fine/index.html").read_text(encoding="utf-8")
    if "widget" not in case:
        assert 'class="nb-unavailable"' in page, "the reader sees where the output was"


def test_a_damaged_image_is_never_written(tmp_path: Path) -> None:
    from blog_build.images import ImageStore
    from blog_build.notebook import make_model

    store = ImageStore(tmp_path / "images")
    warnings: list[str] = []
    notebook = checked_notebook(notebook_with([image_output("image/png", damaged_png())]).encode(), "x.ipynb", warnings)
    model = make_model(notebook, "x.ipynb", "k", set(), store, warnings)
    assert model.images == [] and not (tmp_path / "images").exists()
    good = checked_notebook(notebook_with([image_output("image/png", GOOD_PNG)]).encode(), "y.ipynb", [])
    kept = make_model(good, "y.ipynb", "k2", set(), store)
    assert len(kept.images) == 1 and (tmp_path / "images" / kept.images[0]).read_bytes() == png()


def test_an_image_of_another_type_than_it_claims_is_kept_when_browsers_show_it(tmp_path: Path) -> None:
    from blog_build.images import ImageStore
    from blog_build.notebook import make_model

    warnings: list[str] = []
    notebook = checked_notebook(notebook_with([image_output("image/jpeg", GOOD_PNG)]).encode(), "x.ipynb", warnings)
    model = make_model(notebook, "x.ipynb", "k", set(), ImageStore(tmp_path / "images"), warnings)
    assert model.warnings == [] and model.images[0].endswith(".png")


def test_an_unknown_key_is_a_warning_and_a_misspelt_one_an_error() -> None:
    checked = scan_posts.check_metadata({"title": "t", "slug": "s", "mood": "calm"}, "x.meta", needs_date=False)
    assert checked.warnings == ["x.meta: key 'mood' is not one Nikola or this site reads; it has no effect"]
    with pytest.raises(SourceError, match="did you mean 'description'"):
        scan_posts.check_metadata({"title": "t", "slug": "s", "descripton": "d"}, "x.meta", needs_date=False)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0\x1f0", "posts/x.meta: tags '0\\x1f0' holds the control character U+001F; remove it"),
        ("python, ~", "posts/x.meta: tag '~' has no letter or digit to name its page"),
    ],
)
def test_tags_that_no_feed_or_page_can_hold_are_one_line(value: str, message: str) -> None:
    """Found by the fuzz test: the Atom feed failed with a traceback, or two tag pages had one name."""
    with pytest.raises(SourceError) as raised:
        check_value("tags", value, "posts/x.meta")
    assert str(raised.value) == message
