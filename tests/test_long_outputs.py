"""Long outputs folded, huge ones in a file beside the post, progress bars at their final state.

The fixture posts (tests/fixtures/outputs/, written by tests/fixtures/make_output_posts.py)
hold outputs as kernels save them: streams in chunks, tqdm's carriage returns, backspaces,
a 120-line print, a 60-line repr, a 40-line print (not folded) and a 2,600-line log of 110 KB.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from blog_build import long_outputs

from conftest import copy_site, nikola

FIXTURES = Path(__file__).parent / "fixtures" / "outputs"


def fixture(name: str):
    return nbformat.read(FIXTURES / f"{name}.ipynb", as_version=4)


def stream_texts(notebook) -> list[str]:
    return [output.text for cell in notebook.cells for output in cell.get("outputs", []) if "text" in output]


def test_backspaces_erase_what_they_follow() -> None:
    assert long_outputs.apply_backspaces("left: 10\x08\x089") == "left: 9"
    assert long_outputs.apply_backspaces("ab\x08\x08c") == "c"
    assert long_outputs.apply_backspaces("one\n\x08two") == "one\ntwo", "no backspace over a line end"
    assert long_outputs.apply_backspaces("plain") == "plain"


def backspaces_by_rewriting(text: str) -> str:
    """The reference: erase a character and the backspace after it until none is left (quadratic, small inputs only)."""
    pair = re.compile(r"[^\n\x08]\x08")
    while (erased := pair.sub("", text)) != text:
        text = erased
    return text.replace("\x08", "")


def test_backspaces_applied_in_one_pass_agree_with_rewriting_on_random_text() -> None:
    generator = random.Random(20261202)
    for _ in range(3000):
        text = "".join(generator.choices("ab\n\r\x08\x08\x08", k=generator.randrange(0, 40)))
        assert long_outputs.apply_backspaces(text) == backspaces_by_rewriting(text), repr(text)


def test_two_hundred_thousand_backspaces_after_a_line_of_progress() -> None:
    # Rewriting takes one pass over the text per backspace here: hours, not the moment it takes now.
    line = "".join(random.Random(1).choices("0123456789%|# ", k=200_000))
    assert long_outputs.apply_backspaces("start\n" + line + "\x08" * 200_000 + "done") == "start\ndone"
    assert long_outputs.apply_backspaces(line + "\x08" * 150_000 + "\n" + "\x08" * 50_000) == line[:50_000] + "\n"


def test_progress_bars_show_their_final_state() -> None:
    notebook = fixture("progress-bars")
    long_outputs.collapse_progress(notebook)
    assert stream_texts(notebook) == [
        "100%|##########| 10/10 [00:02<00:00, 4.9it/s]\n",  # tqdm, three chunks merged: nbconvert's part
        "Collecting example\n  Downloading example-1.0.tar.gz\n"
        "     |################################| 100 kB 3.4 MB/s \r\nInstalling collected packages: example\n",
        "Epoch 1/1\n96/96 [==============================] - 3s - loss: 0.5000\n",
        "left: done\n",  # backspaces only: what nbconvert left undone
    ]


def test_nbconvert_alone_leaves_backspaces_in_the_text() -> None:
    """Why collapse_progress applies backspaces itself: the preprocessor the exporter runs does not."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    notebook = fixture("progress-bars")
    CoalesceStreamsPreprocessor().preprocess(notebook, {})
    assert stream_texts(notebook)[-1] == "left: 10\x08\x089\x08done\n"


def test_long_outputs_keep_their_first_lines_and_fold_the_rest() -> None:
    notebook = fixture("long-outputs")
    files = long_outputs.fold_long_outputs(notebook, 40, "/posts/long-outputs/")
    printed, repr_, forty, log = (notebook.cells[n].outputs[0] for n in (2, 3, 4, 5))
    assert printed.text == "".join(f"printed line {n}\n" for n in range(1, 41)), "both chunks merged, 40 shown"
    assert printed.nb_fold == {"lines": "120", "rest": "".join(f"printed line {n}\n" for n in range(41, 121))}
    assert repr_.data["text/plain"].count("\n") == 40 and repr_.nb_fold["lines"] == "60"
    assert "nb_fold" not in forty, "40 lines are not over 40"
    assert log.nb_fold["lines"] == "2,600" and "rest" not in log.nb_fold
    assert log.nb_fold["href"] == f"/posts/long-outputs/{files[0].name}"
    assert log.text.count("\n") == 40
    assert files[0].text == "".join(fixture("long-outputs").cells[5].outputs[0].text)
    assert log.nb_fold["size"] == "109 KB"
    # The teaser ends before the first cell with a folded output, though the author's marker comes later.
    ends = [bool(cell.metadata.get("teaser_ends_here")) for cell in notebook.cells]
    assert ends == [False, False, True, False, False, False, False]


def test_without_a_folder_huge_outputs_are_folded_in_the_page() -> None:
    notebook = fixture("long-outputs")
    assert long_outputs.fold_long_outputs(notebook, 40, url=None) == []
    assert notebook.cells[5].outputs[0].nb_fold["rest"].endswith("step 2600: loss=0.589740 accuracy=0.19907\n")


def test_zero_lines_folds_nothing_and_removed_outputs_make_no_file() -> None:
    notebook = fixture("long-outputs")
    assert long_outputs.fold_long_outputs(notebook, 0) == []
    assert not any("nb_fold" in output for cell in notebook.cells for output in cell.get("outputs", []))
    notebook = fixture("long-outputs")
    notebook.cells[5].metadata["tags"] = ["remove-output"]
    assert long_outputs.fold_long_outputs(notebook, 40) == []


def test_a_marker_before_the_long_output_is_left_to_end_the_teaser() -> None:
    notebook = fixture("long-outputs")
    notebook.cells[0].source += "\n\n<!-- TEASER_END -->"
    long_outputs.fold_long_outputs(notebook, 40)
    assert not any(cell.metadata.get("teaser_ends_here") for cell in notebook.cells)


def test_huge_output_files_say_they_are_utf8_and_drop_colour_codes() -> None:
    assert long_outputs.file_text("\x1b[31mred\x1b[0m\n") == "red\n"
    assert long_outputs.file_text("café\n") == "\ufeffcafé\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(tmp_path_factory.mktemp("long-outputs"), posts=("welcome",))
    for path in FIXTURES.iterdir():
        shutil.copy(path, site / "posts" / path.name)
    nikola(site, "build")
    return site


def test_the_post_page_folds_long_outputs_and_links_the_huge_one(site: Path) -> None:
    page = (site / "output" / "posts" / "long-outputs" / "index.html").read_text(encoding="utf-8")
    assert page.count('<details class="nb-fold nb-long"><summary>Show all 120 lines</summary>') == 1
    assert "<summary>Show all 60 lines</summary>" in page
    assert "printed line 120" in page and "repr item 59" in page, "the folded text stays in the page"
    assert "exactly 39" in page and "Show all 40 lines" not in page
    link = re.search(r'<a href="(?:/posts/long-outputs/)?([0-9a-f]{16}\.txt)">All 2,600 lines \(109 KB\)</a>', page)
    assert link, "the huge output links to its file"
    assert "step 0040" in page and "step 0041" not in page, "only its first lines are in the page"
    text = (site / "output" / "posts" / "long-outputs" / link.group(1)).read_text(encoding="utf-8")
    assert text.count("\n") == 2600
    bars = (site / "output" / "posts" / "progress-bars" / "index.html").read_text(encoding="utf-8")
    assert "left: done" in bars and "\x08" not in bars and " 50%|" not in bars


def test_index_pages_and_feeds_carry_no_folded_text(site: Path) -> None:
    for name in ("index.html", "rss.xml", "index.atom"):
        text = (site / "output" / name).read_text(encoding="utf-8")
        assert "short and sweet: in the teaser" in text, name
        assert "printed line 1" not in text and "step 0001" not in text and "All 2,600 lines" not in text, name


def test_the_huge_output_file_is_a_target_so_an_edit_removes_the_old_one(site: Path) -> None:
    folder = site / "output" / "posts" / "long-outputs"
    (old,) = folder.glob("*.txt")
    check = nikola(site, "check", "-f", check=False)  # every file in output/ is a task's target
    assert check.returncode == 0 and "WARNING" not in check.stderr, check.stdout + check.stderr
    path = site / "posts" / "long-outputs.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["cells"][5]["outputs"][0]["text"].append("one more line\n")
    path.write_text(json.dumps(notebook), encoding="utf-8")
    build = nikola(site, "build")
    (new,) = folder.glob("*.txt")
    assert new.name != old.name and new.read_text(encoding="utf-8").endswith("one more line\n")
    assert f"removed {old.relative_to(site)}" in build.stderr + build.stdout
    conf = site / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8").replace("NOTEBOOK_OUTPUT_LINES = 40", "NOTEBOOK_OUTPUT_LINES = 0"))
    nikola(site, "build")
    assert list(folder.glob("*.txt")) == [], "a settings change re-renders the post"
    assert "nb-long" not in (folder / "index.html").read_text(encoding="utf-8")
