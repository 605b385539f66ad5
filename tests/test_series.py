"""Series: `.. series: NAME` posts show "Part n of m" with links to the others, and /series/NAME/ lists them."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import html

from blog_build.series import Part, group

from conftest import nikola


def series_post(site: Path, slug: str, title: str, date: str, extra: str = "") -> Path:
    shutil.copy(site / "posts/welcome.ipynb", site / f"posts/{slug}.ipynb")
    meta = site / f"posts/{slug}.meta"
    meta.write_text(f".. title: {title}\n.. slug: {slug}\n.. date: {date}\n.. type: text\n{extra}")
    return meta


def box_of(site: Path, slug: str) -> tuple[str, list[str]]:
    page = html.fromstring((site / "output/posts" / slug / "index.html").read_bytes())
    (box,) = page.xpath('//nav[@class="series-box"]')
    return box.xpath("string(p)"), [" ".join(item.text_content().split()) for item in box.xpath(".//li")]


def test_parts_follow_series_order_then_date() -> None:
    parts = [
        Part("c", "S", None, "2020-01-03", "C", "/c/"),
        Part("b", "S", 2, "2020-01-01", "B", "/b/"),
        Part("a", "S", 1, "2020-01-02", "A", "/a/"),
        Part("d", "S", None, "2020-01-02", "D", "/d/"),
    ]
    assert [part.key for part in group(parts)["S"]] == ["a", "b", "d", "c"]


def test_a_series_links_its_parts_and_has_its_own_page(small_site: Path) -> None:
    series_post(small_site, "basics-one", "Kernels", "2020-02-01 10:00:00 UTC", ".. series: Notebook basics\n")
    two = series_post(
        small_site, "basics-two", "Cells", "2020-01-01 10:00:00 UTC", ".. series: Notebook basics\n.. series_order: 2\n"
    )
    series_post(
        small_site, "basics-zero", "Installing", "2020-03-01 10:00:00 UTC",
        ".. series: Notebook basics\n.. series_order: 1\n",
    )  # fmt: skip
    nikola(small_site, "build")
    heading, items = box_of(small_site, "basics-two")
    assert heading == "Part 2 of 3 in the series Notebook basics"
    assert items == ["Installing", "Cells", "Kernels"]
    assert box_of(small_site, "basics-one")[0] == "Part 3 of 3 in the series Notebook basics"
    welcome = html.fromstring((small_site / "output/posts/welcome/index.html").read_bytes())
    assert not welcome.xpath('//nav[@class="series-box"]'), "a post outside any series has no box"

    listing = html.fromstring((small_site / "output/series/notebook-basics/index.html").read_bytes())
    assert [a.text_content() for a in listing.xpath("//a[@class='listtitle']")] == ["Installing", "Cells", "Kernels"]
    overview = html.fromstring((small_site / "output/series/index.html").read_bytes())
    assert "Notebook basics" in overview.text_content()

    # Renaming one part changes the box on the others in an incremental build.
    two.write_text(two.read_text().replace("title: Cells", "title: Cells and outputs"))
    nikola(small_site, "build")
    assert box_of(small_site, "basics-one")[1] == ["Installing", "Cells and outputs", "Kernels"]


def test_a_series_order_that_is_not_a_number_is_one_clear_error(small_site: Path) -> None:
    series_post(small_site, "bad", "Bad", "2020-02-01 10:00:00 UTC", ".. series: S\n.. series_order: second\n")
    result = nikola(small_site, "build", check=False)
    assert result.returncode != 0 and "series_order 'second' is not a whole number" in result.stderr
