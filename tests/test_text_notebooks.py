"""Text notebooks as posts: Jupytext/MyST Markdown and percent-format scripts (blog_build/text_notebooks.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html

from blog_build import text_notebooks
from blog_build.metadata import SourceError

from conftest import nikola

MYST = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
title: Tides in MyST
date: 2026-03-04
tags: [ocean, data]
---

# Tides

High water twice a day.

```{code-cell} ipython3
:tags: [hide-input]
print(6 * 7)
```
"""

JUPYTEXT_MARKDOWN = """---
jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
  kernelspec:
    name: python3
    display_name: Python 3
title: Plain Jupytext Markdown
date: 2026-03-05 10:00:00 UTC
---

Some prose.

```python
print("from a markdown notebook")
```
"""

PERCENT = """# %% [markdown]
# A script as a notebook: the cell below prints.

# %%
print(sum(range(10)))
"""

PERCENT_META = ".. title: A percent script\n.. slug: percent-script\n.. date: 2026-03-06 08:00:00 UTC\n"


def test_myst_markdown_reads_as_a_notebook_with_its_front_matter() -> None:
    notebook = text_notebooks.read(MYST, "posts/tides.md")
    assert [cell["cell_type"] for cell in notebook["cells"]] == ["markdown", "code"]
    assert notebook["cells"][1]["metadata"] == {"tags": ["hide-input"]}
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    front = notebook["metadata"]["nikola"]
    assert front == {
        "title": "Tides in MyST",
        "date": "2026-03-04",
        "tags": ["ocean", "data"],
        "execute": True,
        "slug": "tides",
    }
    assert all("id" not in cell for cell in notebook["cells"]), "ids come from the model, stable between builds"


def test_jupytext_markdown_front_matter_is_not_shown_as_a_cell() -> None:
    notebook = text_notebooks.read(JUPYTEXT_MARKDOWN, "posts/plain.md")
    assert [cell["cell_type"] for cell in notebook["cells"]] == ["markdown", "code"]
    assert notebook["metadata"]["nikola"]["title"] == "Plain Jupytext Markdown"


def test_which_files_are_text_notebooks() -> None:
    assert text_notebooks.is_text_notebook(Path("a.md"), MYST)
    assert text_notebooks.is_text_notebook(Path("a.md"), JUPYTEXT_MARKDOWN)
    assert text_notebooks.is_text_notebook(Path("a.md"), "# Title\n\n```{code-cell} python\nx = 1\n```\n")
    assert not text_notebooks.is_text_notebook(Path("a.md"), "<!--\n.. title: A page\n-->\n\n# Markdown\n")
    assert not text_notebooks.is_text_notebook(Path("a.md"), "---\ntitle: YAML but no notebook\n---\ntext\n")


@pytest.mark.parametrize(
    ("source", "text", "message"),
    [
        ("posts/x.py", "print('no cells')\n", "posts/x.py: a .py post must be a notebook in Jupytext's percent format"),
        ("posts/x.md", "---\njupytext: {\ntitle: [\n---\n", "posts/x.md: the front matter is not valid YAML (line"),
        ("posts/x.md", "---\n- jupytext\n- kernelspec\n---\n", "posts/x.md: the front matter must be 'key: value'"),
    ],
)
def test_a_bad_text_notebook_is_one_line_naming_it(source: str, text: str, message: str) -> None:
    with pytest.raises(SourceError) as raised:
        text_notebooks.read(text, source)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def post(site: Path, slug: str) -> html.HtmlElement:
    return html.fromstring((site / f"output/posts/{slug}/index.html").read_bytes())


def test_text_notebooks_are_executed_and_published(small_site: Path) -> None:
    """Each kind builds into a post whose outputs come from running it; front matter or .meta give the metadata."""
    posts = small_site / "posts"
    (posts / "tides.md").write_text(MYST, encoding="utf-8")
    (posts / "plain.md").write_text(JUPYTEXT_MARKDOWN, encoding="utf-8")
    (posts / "percent.py").write_text(PERCENT, encoding="utf-8")
    (posts / "percent.meta").write_text(PERCENT_META, encoding="utf-8")
    result = nikola(small_site, "build")
    for name in ("tides.md", "plain.md", "percent.py"):
        assert f"posts/{name}: executed" in result.stderr
    tides = post(small_site, "tides")
    assert tides.xpath("string(//h1[contains(@class, 'entry-title')])").strip() == "Tides in MyST"
    assert {a.text for a in tides.xpath("//a[@rel='tag']")} == {"ocean", "data"}
    assert "42" in tides.xpath("string(//div[contains(@class, 'output_text')])")
    assert tides.xpath("//details[contains(@class, 'nb-hidden-input')]") or tides.xpath(
        "//*[contains(@class, 'hide-input') or contains(., 'Show code')]"
    ), "the cell's hide-input tag from the MyST options is honoured"
    assert "jupytext" not in tides.xpath("string(//div[@class='nb-body'])"), "the front matter is not on the page"
    download = tides.xpath("//p[@class='nb-tools']/a[@download]")[0]
    assert download.text == "Download notebook (.md, for Jupytext)"
    assert (small_site / "output/posts/tides" / download.get("href")).read_text(encoding="utf-8") == MYST
    assert "from a markdown notebook" in post(small_site, "plain").text_content()
    percent = post(small_site, "percent-script")
    assert "45" in percent.xpath("string(//div[contains(@class, 'output_text')])")
    assert "posts/tides/" in (small_site / "output/sitemap.xml").read_text()
    # Unchanged, nothing runs again; editing the prose runs nothing either.
    assert "executed" not in nikola(small_site, "build").stderr
    (posts / "tides.md").write_text(MYST.replace("twice a day", "twice a lunar day"), encoding="utf-8")
    again = nikola(small_site, "build")
    assert "executed" not in again.stderr
    assert "twice a lunar day" in post(small_site, "tides").text_content()


def test_a_paired_ipynb_gives_its_outputs_and_is_no_post_of_its_own(small_site: Path) -> None:
    """Jupytext pairing: the text holds the cells, the .ipynb the outputs saved when it was run in Jupyter."""
    posts = small_site / "posts"
    (posts / "tides.md").write_text(MYST, encoding="utf-8")
    paired = text_notebooks.read(MYST, "posts/tides.md")
    paired["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "saved in Jupyter\n"}]
    paired["cells"][1]["execution_count"] = 1
    for number, cell in enumerate(paired["cells"]):
        cell["id"] = f"cell-{number}"
    del paired["metadata"]["nikola"]
    paired.update(nbformat=4, nbformat_minor=5)
    (posts / "tides.ipynb").write_text(json.dumps(paired), encoding="utf-8")
    result = nikola(small_site, "build")
    assert "tides.md: executed" not in result.stderr, "a paired notebook's saved outputs are shown, not run again"
    assert "saved in Jupyter" in post(small_site, "tides").text_content()
    assert len([path for path in (small_site / "output/posts").glob("tides*/index.html")]) == 1, (
        "the .ipynb is not a second post"
    )
    # New outputs saved in the pair re-render the post.
    paired["cells"][1]["outputs"][0]["text"] = "run again in Jupyter\n"
    (posts / "tides.ipynb").write_text(json.dumps(paired), encoding="utf-8")
    nikola(small_site, "build")
    assert "run again in Jupyter" in post(small_site, "tides").text_content()


def test_a_percent_script_without_cells_stops_the_build_naming_it(small_site: Path) -> None:
    (small_site / "posts/helper.py").write_text("def helper():\n    return 1\n", encoding="utf-8")
    result = nikola(small_site, "build", check=False)
    assert result.returncode == 1
    assert "posts/helper.py: a .py post must be a notebook in Jupytext's percent format" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_post_writes_a_text_notebook_that_builds(small_site: Path) -> None:
    for name in ("first-text.md", "second-text.py"):
        nikola(small_site, "new_post", "-f", "ipynb", "-t", f"Made as {name}", f"posts/{name}")
        assert (small_site / "posts" / name).with_suffix(".meta").exists()
    one_file = nikola(small_site, "new_post", "-1", "-f", "ipynb", "-t", "All in one", "posts/one-file.md")
    assert one_file.returncode == 0
    assert "title: All in one" in (small_site / "posts/one-file.md").read_text(encoding="utf-8")
    nikola(small_site, "build")
    for slug in ("first-text", "second-text", "one-file"):
        assert "Write your post here." in post(small_site, slug).text_content()


def test_a_markdown_post_is_still_markdown(small_site: Path) -> None:
    """A .md post without a notebook header goes to Nikola's Markdown compiler, as before."""
    (small_site / "posts/notes.md").write_text(
        "<!--\n.. title: Plain notes\n.. slug: plain-notes\n.. date: 2026-01-01 00:00:00 UTC\n-->\n\n"
        "Some *Markdown* with ```python\nx = 1\n``` in it.\n",
        encoding="utf-8",
    )
    nikola(small_site, "build")
    page = post(small_site, "plain-notes")
    assert page.xpath("//em[text()='Markdown']")
    assert not page.xpath("//div[@class='nb-body']")


def test_the_blogs_own_text_notebook(built_site: Path) -> None:
    """posts/golden-ratio.md, MyST Markdown with no outputs saved, is run and shown whole."""
    page = post(built_site, "golden-ratio")
    assert "F(2)/F(1) = 1.000000" in page.text_content()
    assert page.xpath("//p[@class='nb-tools']/a[@download]/@href") == ["index.md"]


def test_no_source_is_given_to_nikolas_yaml_reader(small_site: Path) -> None:
    """Nikola would read a text notebook's front matter with its YAML extractor, which needs ruamel.yaml."""
    (small_site / "posts/tides.md").write_text(MYST, encoding="utf-8")
    script = (
        "import sys; sys.path.insert(0, '.'); import conf\n"
        "from nikola.nikola import Nikola\n"
        "site = Nikola(**{k: v for k, v in vars(conf).items() if k.isupper()}); site.init_plugins()\n"
        "site.scan_posts()\n"
        "post = next(p for p in site.timeline if p.source_path.endswith('tides.md'))\n"
        "print(post.compiler.name, post.title(), post.meta('tags'))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=small_site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[-2] == "ipynb Tides in MyST ocean, data"
