"""After each build, name every page heavier than PAGE_SIZE_BUDGET and say what makes it big.

A notebook with a large output (an interactive chart, a big table, a base64 image) can
quietly make its post, the home page and the feeds megabytes long. The weight of a page is
its HTML plus the local images, scripts and stylesheets it loads; the report splits it
into those parts and names the largest file of each kind.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nikola.plugin_categories import LateTask
from nikola.utils import config_changed, get_logger

LOGGER = get_logger("page_size_report")
DEFAULT_BUDGET = 1_000_000  # bytes
TAG = re.compile(r"<(img|script|link)\b([^>]*)>", re.I)
SOURCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"'#?]+)""", re.I)
STYLESHEET = re.compile(r"""\brel\s*=\s*["']?stylesheet""", re.I)
DATA_URI = re.compile(r"""data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+""")
KINDS = {"img": "images", "script": "scripts", "link": "stylesheets"}


@dataclass
class PageWeight:
    page: str
    html: int
    inline_data: int
    parts: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.html + sum(size for files in self.parts.values() for size, _ in files)

    def describe(self) -> str:
        pieces = [
            f"HTML {self.html / 1e6:.2f} MB"
            + (f" ({self.inline_data / 1e6:.2f} MB inline data)" if self.inline_data else "")
        ]
        for kind, files in sorted(self.parts.items()):
            size, largest = max(files)
            pieces.append(f"{kind} {sum(s for s, _ in files) / 1e6:.2f} MB (largest {largest}, {size / 1e6:.2f} MB)")
        return ", ".join(pieces)


def weigh(output: Path, page: Path) -> PageWeight:
    """The weight of one page in `output` and of the local files it loads."""
    text = page.read_text(encoding="utf-8", errors="replace")
    weight = PageWeight(str(page.relative_to(output)), len(text.encode()), sum(map(len, DATA_URI.findall(text))))
    seen = set()
    for tag, attributes in TAG.findall(text):
        source = SOURCE.search(attributes)
        if source is None or (tag.lower() == "link" and not STYLESHEET.search(attributes)):
            continue  # a <link> to a feed, an icon or the canonical URL is not loaded with the page
        link = source.group(1)
        if "://" in link or link.startswith(("data:", "mailto:")):
            continue
        target = (output / link.lstrip("/")) if link.startswith("/") else (page.parent / link)
        target = target.resolve()
        if target in seen or not target.is_file() or not target.is_relative_to(output.resolve()):
            continue
        seen.add(target)
        weight.parts.setdefault(KINDS[tag.lower()], []).append((target.stat().st_size, target.name))
    return weight


def report(output: Path, pages: list[str], budget: int) -> list[str]:
    """One line per page over `budget`, heaviest first."""
    weights = [weigh(output, output / page) for page in pages if (output / page).is_file()]
    heavy = sorted((w for w in weights if w.total > budget), key=lambda w: -w.total)
    return [f"{w.page} is {w.total / 1e6:.2f} MB, over the {budget / 1e6:.2f} MB budget: {w.describe()}" for w in heavy]


def print_report(output: str, pages: list[str], budget: int) -> None:
    for line in report(Path(output), pages, budget):
        LOGGER.warning(line)


class PageSizeReport(LateTask):
    """Warn about pages over the budget after every build that changes them."""

    name = "page_size_report"

    def gen_tasks(self):
        self.site.scan_posts()
        output = self.site.config["OUTPUT_FOLDER"]
        budget = int(self.site.config.get("PAGE_SIZE_BUDGET", DEFAULT_BUDGET))
        lang = self.site.config["DEFAULT_LANG"]
        published = [post for post in self.site.timeline if post.use_in_feeds or not post.is_post]
        pages = sorted({post.destination_path(lang, sep="/") for post in published} | {"index.html"})
        pages += ["rss.xml"] if self.site.config["GENERATE_RSS"] else []
        yield self.group_task()
        yield {
            "basename": self.name,
            "name": output,
            "file_dep": [os.path.join(output, page) for page in pages],
            "task_dep": ["create_bundles", "copy_assets"],  # pages are weighed with their CSS and JS
            "actions": [(print_report, [output, pages, budget])],
            "uptodate": [config_changed({"budget": budget, "pages": pages}, "page_size_report")],
            "verbosity": 2,
        }
