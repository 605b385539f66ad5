"""Synthetic notebook posts for build benchmarks: the same posts for every site and run.

Each post has six markdown cells (prose, a list, inline and display maths), eight code
cells with text output, one HTML table output and one ~20 KB PNG figure, and a `.meta`
file. Content is fixed by the post number, so two runs build identical sites.

    .venv/bin/python benchmarks/generate_posts.py DEST_FOLDER N
"""

from __future__ import annotations

import base64
import io
import json
import random
import sys
from pathlib import Path

WORDS = (
    "array",
    "kernel",
    "notebook",
    "figure",
    "sample",
    "signal",
    "median",
    "spectrum",
    "python",
    "numpy",
    "solar",
    "flux",
    "density",
    "matrix",
    "vector",
    "cluster",
    "fit",
    "model",
    "error",
    "value",
    "series",
    "index",
    "table",
    "column",
)


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text.capitalize() + "."


def png(rng: random.Random) -> str:
    """A noisy 100x66 RGB PNG, about 20 KB, base64 as notebooks store it."""
    from PIL import Image

    image = Image.frombytes("RGB", (100, 66), rng.randbytes(100 * 66 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def markdown_cell(number: int, source: str) -> dict:
    return {"cell_type": "markdown", "id": f"m{number}", "metadata": {}, "source": source}


def code_cell(number: int, source: str, outputs: list[dict]) -> dict:
    return {
        "cell_type": "code",
        "id": f"c{number}",
        "execution_count": number,
        "metadata": {},
        "source": source,
        "outputs": outputs,
    }


def notebook(n: int) -> dict:
    rng = random.Random(n)
    cells = [markdown_cell(0, f"{sentence(rng)} {sentence(rng)}\n\n<!-- TEASER_END -->\n\n{sentence(rng)}")]
    for i in range(1, 9):
        values = [round(rng.random() * 100, 3) for _ in range(6)]
        source = f"values_{i} = {values}\nmean = sum(values_{i}) / len(values_{i})\nprint(f'mean {{mean:.3f}}')"
        cells.append(
            code_cell(i, source, [{"output_type": "stream", "name": "stdout", "text": f"mean {sum(values) / 6:.3f}\n"}])
        )
        if i <= 5:
            bullets = f"- {sentence(rng, 6)}\n- {sentence(rng, 6)}"
            text = f"## Step {i}\n\n{sentence(rng)} The value $x_{i}^2 + \\alpha$ matters.\n\n{bullets}"
            if i == 3:
                text += "\n\n$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$"
            cells.append(markdown_cell(i, text))
    rows = "".join(f"<tr><td>{r}</td><td>{rng.random():.4f}</td></tr>" for r in range(8))
    table = f"<table class='dataframe'><thead><tr><th>row</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
    cells.append(
        code_cell(
            9,
            "table",
            [
                {
                    "output_type": "execute_result",
                    "execution_count": 9,
                    "metadata": {},
                    "data": {"text/html": table, "text/plain": "table"},
                }
            ],
        )
    )
    cells.append(
        code_cell(
            10,
            "plot()",
            [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": png(rng), "text/plain": "<Figure>"},
                }
            ],
        )
    )
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_posts(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"generated-{n:04d}.ipynb"
        path.write_text(json.dumps(notebook(n), indent=1))
        day = 1 + n % 28
        path.with_suffix(".meta").write_text(
            f".. title: Generated post {n}\n.. slug: generated-{n:04d}\n"
            f".. date: 2020-{1 + n % 12:02d}-{day:02d} {n % 24:02d}:00:00 UTC\n"
            f".. tags: bench, topic-{n % 7}\n.. description: Synthetic post number {n}.\n.. type: text\n"
        )
        paths.append(path)
    return paths


if __name__ == "__main__":
    write_posts(Path(sys.argv[1]), int(sys.argv[2]))
