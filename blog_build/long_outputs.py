"""Long text outputs folded, huge ones moved to a file beside the post, progress bars at their final state.

Runs on the compiler's copy of a post's render-ready notebook, just before nbconvert, so
the model (and the cache) keep the outputs as saved and a change of NOTEBOOK_OUTPUT_LINES
needs no new model. What it does to a notebook:

- stream outputs are merged and carriage returns applied by nbconvert's own
  CoalesceStreamsPreprocessor (which the exporter runs too: it is idempotent), then
  backspaces are applied, which nbconvert leaves in the text (Keras' and other old
  progress bars erase with them): a bar shows its final state, as Jupyter shows it;
- a stream, or a text/plain output that is what the page shows, longer than `lines`
  lines keeps its first `lines` lines, and the rest goes under `output[FOLD_KEY]` for
  the template to put behind "Show all N lines";
- one over HUGE_BYTES keeps only its first lines on the page and is written whole to a
  text file beside the post, which the page links to ("All N lines (X KB)"): a folded
  text is still downloaded with the page, and 2.6 MB of a 50,000-line print is not
  something to send to every reader;
- the first cell with a folded output ends the teaser (unless a marker comes before it),
  so index pages and feeds never carry the folded text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from blog_build.cell_tags import DEFAULT_REMOVAL_TAGS, RemovalTags
from blog_build.interactive_outputs import DISPLAY_PRIORITY, TEASER_KEY, TEASER_MARKER

FOLD_KEY = "nb_fold"
# Text outputs over this many bytes go to a file: a tenth of PAGE_SIZE_BUDGET (1 MB), about
# 2,000 lines of an ordinary log (the corpus' long prints run at 36-110 bytes a line), so a
# page keeps room for its figures and a few long outputs.
HUGE_BYTES = 100_000
# What a huge output keeps on the page besides its first lines: a single 300 KB line is huge too.
HEAD_CHARACTERS = 10_000


@dataclass(frozen=True)
class TextFile:
    """A huge output's whole text, to be written beside the post as `name`."""

    name: str
    text: str


def apply_backspaces(text: str) -> str:
    """The text as a terminal leaves it after its backspaces (a backspace at a line's start erases nothing).

    One pass, the text kept so far as a stack: a backspace pops its last character unless
    that ends a line (erasing pair by pair until none is left took a pass per backspace).
    """
    pieces = text.split("\x08")
    kept = list(pieces[0])
    for piece in pieces[1:]:
        if kept and kept[-1] != "\n":
            kept.pop()
        kept += piece
    return "".join(kept)


def collapse_progress(notebook) -> None:
    """Streams merged, carriage returns and backspaces applied (in place): progress bars in their final state."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    coalesce = CoalesceStreamsPreprocessor()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.get("outputs"):
            continue
        coalesce.preprocess_cell(cell, {}, index)
        for output in cell.outputs:
            if output.output_type == "stream" and "\x08" in output.text:
                output.text = apply_backspaces(output.text)


def shown_text(output) -> str | None:
    """The text the page shows for this output, if it is a text one: a stream, or text/plain with nothing richer."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data") or {}
    shown = next((mime for mime in DISPLAY_PRIORITY if mime in data), None)
    text = data.get("text/plain") if shown == "text/plain" else None
    return text if isinstance(text, str) else None


def set_shown_text(output, text: str) -> None:
    if output.get("output_type") == "stream":
        output["text"] = text
    else:
        output["data"]["text/plain"] = text


def count_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def split_lines(text: str, lines: int) -> tuple[str, str]:
    """The first `lines` lines (with their line ends) and the rest."""
    end = -1
    for _ in range(lines):
        end = text.find("\n", end + 1)
        if end == -1:
            return text, ""
    return text[: end + 1], text[end + 1 :]


def file_text(text: str) -> str:
    """A huge output as a plain text file: without ANSI colour codes, with a BOM if it is not ASCII.

    Static hosts often serve .txt without a charset, and browsers then read UTF-8 as
    windows-1252; a byte-order mark makes every browser read it as UTF-8.
    """
    from nbconvert.filters import strip_ansi

    plain = strip_ansi(text)
    return plain if plain.isascii() else "\ufeff" + plain


def file_size(text: str) -> str:
    """A file's size for a reader: "2,613 KB" (kilobytes of 1,000 bytes, at least 1)."""
    return f"{max(1, round(len(text.encode('utf-8')) / 1000)):,} KB"


def fold_long_outputs(
    notebook,
    lines: int,
    url: str | None = "",
    huge_bytes: int = HUGE_BYTES,
    removal: RemovalTags = DEFAULT_REMOVAL_TAGS,
) -> list[TextFile]:
    """Fold the notebook's long text outputs (in place); return the text files its huge ones need.

    `lines` is NOTEBOOK_OUTPUT_LINES (0 folds nothing); `url` is that of the post's folder,
    which the links to the files start with; with `url` None no file is made and huge
    outputs are folded like long ones. Progress bars are collapsed first, whatever `lines`.
    Outputs that `removal`'s tags take off the page make no file.
    """
    collapse_progress(notebook)
    files: dict[str, TextFile] = {}
    if lines <= 0:
        return []
    marked = False
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and TEASER_MARKER.search("".join(cell.source)):
            marked = True
        if cell.get("metadata", {}).get(TEASER_KEY):
            marked = True
        if cell.cell_type != "code" or not removal.shows_outputs(cell):
            continue
        for output in cell.get("outputs", []):
            text = shown_text(output)
            if not text:
                continue
            total, size = count_lines(text), len(text.encode("utf-8"))
            huge = url is not None and size > huge_bytes
            if total <= lines and not huge:
                continue
            head, rest = split_lines(text, lines)
            fold = {"lines": f"{total:,}"}
            if huge:
                written = file_text(text)
                name = hashlib.sha256(written.encode("utf-8")).hexdigest()[:16] + ".txt"
                files[name] = TextFile(name, written)
                if len(head) > HEAD_CHARACTERS:
                    head = head[:HEAD_CHARACTERS] + "…\n"
                fold.update(href=url + name, size=file_size(written))
            else:
                fold["rest"] = rest
            set_shown_text(output, head)
            output[FOLD_KEY] = fold
            if not marked:
                cell.setdefault("metadata", {})[TEASER_KEY] = True
                marked = True
    return list(files.values())
