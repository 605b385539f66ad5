"""The real site, built with `nikola build`, read back as a reader and a feed reader would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree, html

from blog_build import metadata as scan_posts
from blog_build import text_notebooks

from conftest import ROOT, copy_site, nikola

POST_NAMES = sorted(path.stem for path in (ROOT / "posts").glob("*.ipynb"))
# Text notebooks (posts/*.md with a notebook header): their titles, from their front matter.
TEXT_POST_TITLES = {
    text_notebooks.front_matter(path.read_text(encoding="utf-8"), str(path))["title"]
    for path in (ROOT / "posts").glob("*.md")
}
ATOM = "{http://www.w3.org/2005/Atom}"


def post_meta(name: str) -> dict[str, str]:
    path = ROOT / "posts" / f"{name}.meta"
    return scan_posts.parse_meta(path.read_text(encoding="utf-8"), path)


def page(site: Path, relative: str) -> html.HtmlElement:
    path = site / "output" / relative
    assert path.is_file(), f"{relative} was not built"
    return html.fromstring(path.read_bytes())


def text_after_teaser(name: str) -> str:
    """A sentence from the first markdown cell after the post's TEASER_END marker."""
    notebook = json.loads((ROOT / "posts" / f"{name}.ipynb").read_text(encoding="utf-8"))
    markdown = "".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    after = markdown.split("<!-- TEASER_END -->", 1)[1]
    return next(line for line in after.splitlines() if len(line) > 40 and not line.startswith(("#", "`", "-")))[:40]


def test_the_four_seed_posts_are_there() -> None:
    titles = {post_meta(name)["title"] for name in POST_NAMES}
    assert titles == {
        "Welcome!",
        "The Fibonacci sequence",
        "Jupyter notebooks and conda environments as kernels",
        "Verifying PyPI and conda packages",
    }


@pytest.mark.parametrize("name", POST_NAMES)
def test_post_page_shows_its_metadata(built_site: Path, name: str) -> None:
    meta = post_meta(name)
    doc = page(built_site, f"posts/{meta['slug']}/index.html")
    assert doc.findtext(".//h1[@class='p-name entry-title']/a").strip() == meta["title"]
    assert doc.xpath("string(//meta[@name='description']/@content)") == meta["description"]
    published = doc.xpath("string(//time[contains(@class, 'dt-published')]/@datetime)")
    assert published.startswith(meta["date"][:10])
    tags = {a.text_content().strip() for a in doc.xpath("//a[@rel='tag']")}
    assert tags == {tag.strip() for tag in meta["tags"].split(",")}


@pytest.mark.parametrize("name", POST_NAMES)
def test_post_has_highlighted_code_and_its_outputs(built_site: Path, name: str) -> None:
    doc = page(built_site, f"posts/{post_meta(name)['slug']}/index.html")
    notebook = doc.xpath("//div[@class='nb-body']")
    assert len(notebook) == 1, "notebook content is wrapped once in div.nb-body"
    code = notebook[0].xpath(".//div[contains(@class, 'input_area')]//pre")
    assert code, "code cells are rendered"
    assert notebook[0].xpath(".//div[contains(@class, 'input_area')]//pre/span[@class]"), (
        "code is highlighted by Pygments"
    )
    assert notebook[0].xpath(".//div[contains(@class, 'output_text')]/pre"), "text outputs are rendered"


def test_post_head_describes_it_for_search_engines_and_link_previews(built_site: Path) -> None:
    doc = page(built_site, "posts/fibonacci/index.html")
    assert doc.xpath("string(//meta[@property='og:title']/@content)") == "The Fibonacci sequence"
    assert doc.xpath("string(//meta[@name='twitter:card']/@content)") == "summary_large_image"
    card = "https://blog.example.org/posts/fibonacci/card.jpg"
    assert doc.xpath("string(//meta[@property='og:image']/@content)") == card, "its link-preview card"
    assert (built_site / "output/posts/fibonacci/card.jpg").is_file()
    (ld,) = doc.xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(ld)
    assert data["@type"] == "BlogPosting" and data["headline"] == "The Fibonacci sequence"
    assert data["url"] == "https://blog.example.org/posts/fibonacci/" and data["datePublished"].startswith("2015-06-22")


def test_notebook_tools_bar(built_site: Path) -> None:
    doc = page(built_site, "posts/fibonacci/index.html")
    (bar,) = doc.xpath("//p[@class='nb-tools']")
    download = bar.xpath("string(a[@download]/@href)")
    assert (built_site / "output/posts/fibonacci" / download).is_file(), "the notebook can be downloaded"
    assert re.search(r"\d+ min read", bar.text_content())
    assert not doc.xpath("//script[contains(@src, 'mathjax')]")


def test_binder_and_colab_links_when_the_repository_is_named() -> None:
    import nbformat

    from blog_build import rendering as ipynb

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("word " * 440)])
    bar = ipynb.tools_bar(
        notebook, "/posts/x/index.ipynb", "posts/x.ipynb", {"github": "Cadair/blog", "branch": "main"}
    )
    assert 'href="https://mybinder.org/v2/gh/Cadair/blog/main?labpath=posts/x.ipynb"' in bar
    assert 'href="https://colab.research.google.com/github/Cadair/blog/blob/main/posts/x.ipynb"' in bar
    assert "2 min read" in bar
    assert "Binder" not in ipynb.tools_bar(notebook, "/x.ipynb", "posts/x.ipynb", {"github": ""})


def test_fibonacci_has_a_table_and_a_figure(built_site: Path) -> None:
    doc = page(built_site, "posts/fibonacci/index.html")
    table = doc.xpath("//div[contains(@class, 'output_html')]//table[contains(@class, 'dataframe')]")
    assert table and "Numba" in table[0].text_content()
    images = doc.xpath("//div[contains(@class, 'output_png')]//img")
    assert images, "the matplotlib figure is rendered"
    assert images[0].get("src").startswith("data:image/png") or images[0].get("src").endswith(".png")
    assert images[0].get("alt", "").startswith("Horizontal bar chart")


def test_ipython_syntax_is_highlighted_without_error_tokens(built_site: Path) -> None:
    doc = page(built_site, "posts/welcome/index.html")
    shell_line = doc.xpath("//div[contains(@class, 'input_area')]//pre")[0]
    assert "cat welcome.meta" in shell_line.text_content()
    assert not shell_line.xpath(".//span[@class='err']"), "`!cat` is read as IPython, not as a Python syntax error"


def test_welcome_post_shows_its_own_meta_file(built_site: Path) -> None:
    doc = page(built_site, "posts/welcome/index.html")
    outputs = " ".join(pre.text_content() for pre in doc.xpath("//div[contains(@class, 'output_text')]/pre"))
    assert ".. slug: welcome" in outputs and ".. date: 2015-04-01" in outputs


@pytest.mark.parametrize("slug,title", [("about/index.html", "About"), ("404.html", "Page not found")])
def test_markdown_pages(built_site: Path, slug: str, title: str) -> None:
    doc = page(built_site, slug)
    assert doc.findtext(".//title").startswith(title)
    assert doc.xpath("string(//meta[@name='description']/@content)")


def test_index_page_shows_teasers_only(built_site: Path) -> None:
    doc = page(built_site, "index.html")
    body = doc.text_content()
    for name in POST_NAMES:
        meta = post_meta(name)
        assert meta["title"] in body
        assert text_after_teaser(name) not in body, f"{name}: the index shows text after TEASER_END"
    assert len(doc.xpath("//p[@class='more']/a")) == len(POST_NAMES) + len(TEXT_POST_TITLES)


def test_rss_lists_every_post_as_a_teaser(built_site: Path) -> None:
    rss = etree.parse(str(built_site / "output" / "rss.xml"))
    items = {item.findtext("title"): item.findtext("description") for item in rss.iter("item")}
    assert set(items) == {post_meta(name)["title"] for name in POST_NAMES} | TEXT_POST_TITLES
    for name in POST_NAMES:
        description = items[post_meta(name)["title"]]
        assert text_after_teaser(name) not in description
        assert "Read more" in description


def test_atom_lists_every_post(built_site: Path) -> None:
    atom = etree.parse(str(built_site / "output" / "index.atom"))
    titles = {entry.findtext(f"{ATOM}title") for entry in atom.iter(f"{ATOM}entry")}
    assert titles == {post_meta(name)["title"] for name in POST_NAMES} | TEXT_POST_TITLES


def test_tag_pages_archive_and_sitemap(built_site: Path) -> None:
    tags = {tag.strip() for name in POST_NAMES for tag in post_meta(name)["tags"].split(",")}
    for tag in tags:
        doc = page(built_site, f"categories/{tag}/index.html")
        assert any(post_meta(name)["title"] in doc.text_content() for name in POST_NAMES)
    archive = page(built_site, "archive.html").text_content()
    assert all(post_meta(name)["title"] in archive for name in POST_NAMES)
    sitemap = etree.parse(str(built_site / "output" / "sitemap.xml"))
    locations = {loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert {f"https://blog.example.org/posts/{post_meta(name)['slug']}/" for name in POST_NAMES} <= locations


def test_footer_names_author_licence_and_nikola(built_site: Path) -> None:
    footer = page(built_site, "index.html").xpath("//footer")[0]
    assert "Stuart Mumford" in footer.text_content()
    assert footer.xpath(".//a[@rel='license' and contains(@href, 'creativecommons.org/licenses/by/4.0')]")
    assert "Powered by Nikola" in " ".join(footer.text_content().split())


def test_no_broken_internal_links(built_site: Path) -> None:
    result = nikola(built_site, "check", "-l", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_file_in_output_is_one_a_task_made(built_site: Path) -> None:
    result = nikola(built_site, "check", "-f", check=False)
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stdout + result.stderr


def test_notebook_styles_do_not_leak(built_site: Path) -> None:
    for name in POST_NAMES:
        doc = page(built_site, f"posts/{post_meta(name)['slug']}/index.html")
        stylesheets = doc.xpath("//link[@rel='stylesheet']/@href")
        assert not [href for href in stylesheets if "ipython" in href], "Nikola's global ipython.min.css is not loaded"
    css = (ROOT / "themes/notebook-blog/assets/css/notebook.css").read_text()
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", rules) for s in block.split(",")]
    assert selectors and all(s.startswith(".nb-body ") for s in selectors), [
        s for s in selectors if not s.startswith(".nb-body ")
    ]


# The built site's Nikola, in a script run from the site's folder.
SITE_IN_PROCESS = """
import sys
sys.path.insert(0, ".")
import conf
from nikola.nikola import Nikola

site = Nikola(**{key: value for key, value in vars(conf).items() if key.isupper()})
site.init_plugins()
"""

COMPARE_TEXTS = (
    SITE_IN_PROCESS
    + """
import itertools, pathlib, tempfile
import lxml.html
from nikola.post import Post
from nikola.utils import html_tostring_fragment
from blog_build.mathml import replace_text
from plugins.scan_posts.teasers import TOOLS, TeaserPost


def nikolas_feed_item(post, arguments):
    # Nikola's text of the post without its tool line, its maths then made MathML as in pages.
    file_name, real_lang = post._translated_file_path("en")
    data = pathlib.Path(file_name).read_text(encoding="utf-8-sig")
    with tempfile.TemporaryDirectory() as folder:
        without_tools = pathlib.Path(folder, "post.html")
        without_tools.write_text(TOOLS.sub("", data.strip(), count=1), encoding="utf-8")
        post._translated_file_path = lambda lang: (str(without_tools), real_lang)
        try:
            text = Post.text(post, *arguments)
        finally:
            del post._translated_file_path
    if arguments[2] or not text:  # plain text: the LaTeX as written
        return text
    document = lxml.html.fragment_fromstring(text, "body")
    replace_text(document, [])
    return html_tostring_fragment(document)


site.scan_posts()
compared = feed_items_changed = 0
for post in site.timeline:
    assert type(post) is TeaserPost, type(post)
    for teaser_only, strip_html, read_more, feed in itertools.product([True, False], repeat=4):
        arguments = ("en", teaser_only, strip_html, read_more, feed)
        ours, nikolas = post.text(*arguments), Post.text(post, *arguments)
        if feed:
            expected = nikolas_feed_item(post, arguments)
            feed_items_changed += expected != nikolas
            nikolas = expected
        assert ours == nikolas, (post.source_path, arguments, ours[-300:], nikolas[-300:])
        compared += 1
assert feed_items_changed, "no feed item lost a tool line or gained MathML: the comparison tests nothing"
print(compared)
"""
)


def test_cheaper_post_text_gives_what_nikola_gives(built_site: Path) -> None:
    """plugins/scan_posts/teasers.py must not change a byte of index pages, nor of feeds but what it means to.

    A feed item is Nikola's text of the post without the tool line, with its maths as MathML.
    """
    result = subprocess.run([sys.executable, "-c", COMPARE_TEXTS], cwd=built_site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    sources = [*(built_site / "posts").glob("*.ipynb"), *(built_site / "posts").glob("*.md")]
    assert int(result.stdout.split()[-1]) == 16 * len(sources) + 16 * len(list((built_site / "pages").glob("*.md")))


COMPARE_SCANS = (
    SITE_IN_PROCESS
    + """
from nikola.plugins.misc.scan_posts import ScanPosts as NikolasScanPosts

ours = site.plugin_manager.get_plugin_by_name("scan_posts", "PostScanner").plugin_object
assert type(ours) is not NikolasScanPosts, "plugins/scan_posts is not active"
mine, stock = ours.scan(), NikolasScanPosts.scan(ours)


def described(post):
    return (
        post.source_path, post.folder_relative, post.compiler.name, post.template_name, post.use_in_feeds,
        post.is_two_file, post.destination_path("en"), post.permalink(), post.date, dict(post.meta["en"]),
    )


assert [described(post) for post in mine] == [described(post) for post in stock]
print(len(mine))
"""
)


def test_our_scanner_makes_the_posts_nikolas_makes(tmp_path: Path) -> None:
    """plugins/scan_posts builds Nikola's Post objects itself, as Nikola does for every source but a text notebook.

    (Nikola cannot scan a text notebook at all: it reads its front matter as the post's
    YAML metadata, and stops for want of ruamel.yaml; tests/test_text_notebooks.py.)
    """
    site = copy_site(tmp_path / "site", posts=tuple(POST_NAMES))
    (site / "posts/notes.md").write_text(
        "<!--\n.. title: Notes\n.. slug: notes\n.. date: 2026-01-01 00:00:00 UTC\n-->\n\nA Markdown post.\n"
    )
    result = subprocess.run([sys.executable, "-c", COMPARE_SCANS], cwd=site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) == len(POST_NAMES) + 1 + len(list((site / "pages").glob("*.md")))


COMPARE_KEPT_POSTS = (
    SITE_IN_PROCESS
    + """
import pathlib
from plugins.scan_posts.kept_posts import SITE_WIDE, KeptPosts

ours = site.plugin_manager.get_plugin_by_name("scan_posts", "PostScanner").plugin_object
ours.kept_posts = KeptPosts()
site.scan_posts(really=True)  # the site then sets neighbours, the handlers add dependencies
before = {post.source_path: post for post in site.timeline}
meta = pathlib.Path("posts/welcome.meta")
meta.write_text(meta.read_text().replace(".. title: ", ".. title: Renamed: ", 1))
kept = ours.scan()
ours.kept_posts = None
made = ours.scan()


def state(post):
    \"\"\"A post's attributes; dependencies as what they give, the site's objects by identity.\"\"\"
    described = {}
    for name, value in vars(post).items():
        if name in SITE_WIDE:
            described[name] = id(value)
        elif name.startswith(("_dependency", "_depfile")):
            described[name] = {lang: [(when, item() if callable(item) else item) for when, item in items]
                               for lang, items in value.items()}
        elif name != "current_time":
            described[name] = (type(value), value)
    return type(post), described


assert [post.source_path for post in kept] == [post.source_path for post in made]
for old, new in zip(kept, made):
    (kind, described), (new_kind, new_described) = state(old), state(new)
    assert kind is new_kind, old.source_path
    names = described.keys() | new_described.keys()
    differing = {name: (described.get(name), new_described.get(name)) for name in names}
    differing = {name: pair for name, pair in differing.items() if pair[0] != pair[1]}
    assert not differing, (old.source_path, differing)
reused = [post for post in kept if before[post.source_path] is post]
assert len(reused) == len(kept) - 1, "every post but the edited one is the one made before"
assert next(post for post in kept if post.source_path == "posts/welcome.ipynb").title().startswith("Renamed: ")
print(len(kept))
"""
)


def test_posts_kept_by_the_preview_are_the_posts_a_new_scan_makes(tmp_path: Path) -> None:
    """The preview's scanner gives back an unchanged post (plugins/scan_posts/kept_posts.py) as if made anew.

    After a scan by the site (which sets each post's neighbours, and whose handlers add
    dependencies to it) and an edit of one post's .meta file, a scan that keeps posts gives
    every post the attributes a scan that makes them all anew gives, the edited one remade.
    """
    site = copy_site(tmp_path / "site", posts=tuple(POST_NAMES))
    result = subprocess.run([sys.executable, "-c", COMPARE_KEPT_POSTS], cwd=site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) == len(POST_NAMES) + len(list((site / "pages").glob("*.md")))


COMPARE_LINKS = (
    SITE_IN_PROCESS
    + """
import copy, pathlib
import lxml.html

assert getattr(site.rewrite_links, "__func__", None) is not Nikola.rewrite_links, "plugins/link_rewriting is not active"
compared = 0
for page in sorted(pathlib.Path("output").rglob("*.html")):
    ours = lxml.html.document_fromstring(page.read_text(encoding="utf-8"))
    nikolas = copy.deepcopy(ours)
    src = "/" + page.relative_to("output").as_posix()
    site.rewrite_links(ours, src, "en")
    Nikola.rewrite_links(site, nikolas, src, "en")
    assert lxml.html.tostring(ours) == lxml.html.tostring(nikolas), page
    compared += 1
print(compared)
"""
)


def test_cheaper_link_rewriting_gives_what_nikola_gives(built_site: Path) -> None:
    """plugins/link_rewriting must not change a link on any page."""
    result = subprocess.run([sys.executable, "-c", COMPARE_LINKS], cwd=built_site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) == len(list((built_site / "output").rglob("*.html")))


def test_a_parallel_build_writes_a_complete_sitemap(small_site: Path) -> None:
    """Nikola's own sitemap tasks lose every page when they run in different processes."""
    nikola(small_site, "build", "-n", "2")
    locations = etree.parse(str(small_site / "output" / "sitemap.xml")).getroot()
    urls = {element.text for element in locations.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert "https://blog.example.org/posts/welcome/" in urls and "https://blog.example.org/about/" in urls
    index = (small_site / "output" / "sitemapindex.xml").read_text(encoding="utf-8")
    assert "https://blog.example.org/sitemap.xml" in index and "https://blog.example.org/rss.xml" in index


DOIT_CHECKER = (
    SITE_IN_PROCESS
    + """
from nikola.__main__ import NikolaTaskLoader
from blog_build.file_checks import OnceMD5Checker

print(NikolaTaskLoader(site).load_doit_config()["check_file_uptodate"] is OnceMD5Checker)
"""
)


def test_doit_is_given_the_hash_once_checker(built_site: Path) -> None:
    """plugins/file_hashes hands doit its checker through Nikola's DOIT_CONFIG (site._doit_config)."""
    result = subprocess.run([sys.executable, "-c", DOIT_CHECKER], cwd=built_site, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split()[-1] == "True", result.stderr[-3000:]
