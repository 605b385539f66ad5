"""The check before publishing: what a notebook would give away or get wrong on the web.

- secrets in sources or outputs (API keys and tokens of well-known shapes, private keys,
  `.netrc` lines, passwords in connection strings): these stop `nikola deploy`;
- personal paths (/home/NAME, /Users/NAME, C:\\Users\\NAME) in outputs and tracebacks;
- cells run out of order, or code cells never run while others were;
- outputs larger than OUTPUT_LIMIT bytes.

Each finding names the file, the cell (and output) and the line, and says how to fix it or
accept it: a cell tagged `reviewed-secret`, `reviewed-path` or `reviewed-size`, or the
post's `.. reviewed: order`, records that someone looked and it is meant to be so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

OUTPUT_LIMIT = 500_000  # bytes of one output's text or data

# (what it is, substrings one of which every match holds, the pattern): the substring test
# is cheap and rules most texts out (400 generated posts: 0.20 s -> 0.08 s).
PRIVATE_KEY = r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
SECRETS = [
    ("an AWS access key", ("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", ("gh", "github_pat_"), re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})\b")),
    ("a Slack token", ("xox",), re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("a Google API key", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("an OpenAI-style API key", ("sk-",), re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b")),
    ("a private key", ("PRIVATE KEY",), re.compile(PRIVATE_KEY)),
    ("a .netrc password line", ("password",), re.compile(r"\bmachine\s+\S+\s+(?:login\s+\S+\s+)?password\s+\S+")),
    ("a password in a connection string", ("://",), re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s/@'\"]{3,}@[\w.-]+")),
]  # fmt: skip
PERSONAL_PATH = re.compile(r"(?:/home/|/Users/|[A-Za-z]:\\\\?Users\\\\?)([A-Za-z0-9._-]+)")
GENERIC_USERS = {"runner", "jovyan", "user", "username", "name", "me", "you", "shared", "public", "Public", "Default"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json", "application/javascript")


def text_of(value: object) -> str:
    return "".join(value) if isinstance(value, list) else value if isinstance(value, str) else ""


def output_texts(output: dict) -> Iterator[str]:
    """The text a reader can see (or copy) in one output; never image data."""
    if output.get("output_type") == "stream":
        yield text_of(output.get("text"))
    elif output.get("output_type") == "error":
        yield ANSI.sub("", "\n".join(output.get("traceback") or []))
        yield f"{output.get('ename', '')}: {output.get('evalue', '')}"
    for mime in TEXT_TYPES:
        if mime in output.get("data", {}):
            yield text_of(output["data"][mime]) if mime != "application/json" else str(output["data"][mime])


def first_secret(text: str) -> tuple[str, re.Match] | None:
    for name, needles, pattern in SECRETS:
        if any(needle in text for needle in needles) and (match := pattern.search(text)):
            return name, match
    return None


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def tags_of(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def check_notebook(notebook: dict, source: str) -> list[dict]:
    """The findings for one notebook: {"kind", "blocks", "message"} (see `accepted` for the post's own say)."""
    findings: list[dict] = []

    def found(kind: str, where: str, what: str, fix: str) -> None:
        findings.append({"kind": kind, "blocks": kind == "secret", "message": f"{source}: {where}: {what}; {fix}"})

    for number, cell in enumerate(notebook.get("cells", []), 1):
        tags = tags_of(cell)
        texts = [("", text_of(cell.get("source")))]
        texts += [
            (f", output {index}", text)
            for index, output in enumerate(cell.get("outputs", []), 1)
            for text in output_texts(output)
        ]
        if "reviewed-secret" not in tags:
            for part, text in texts:
                if found_secret := first_secret(text):
                    name, match = found_secret
                    found(
                        "secret",
                        f"cell {number}{part}, line {line_of(text, match.start())}",
                        f"looks like {name} ({match.group(0)[:8]}...)",
                        "remove it (and revoke it: it may be in your history), or tag the cell "
                        "reviewed-secret if it is not a real one",
                    )
        if "reviewed-path" not in tags:
            for part, text in texts[1:]:
                for match in PERSONAL_PATH.finditer(text):
                    if match.group(1) not in GENERIC_USERS:
                        found(
                            "path",
                            f"cell {number}{part}, line {line_of(text, match.start())}",
                            f"shows a personal path ({match.group(0)})",
                            "print paths relative to the notebook (pathlib.Path.cwd() / ...), or tag the "
                            "cell reviewed-path",
                        )
                        break
        if "reviewed-size" not in tags:
            for index, output in enumerate(cell.get("outputs", []), 1):
                size = len(str(output))
                if size > OUTPUT_LIMIT:
                    found(
                        "size",
                        f"cell {number}, output {index}",
                        f"is {size / 1e6:.1f} MB",
                        "show less (a summary, head(), a smaller figure), or tag the cell reviewed-size",
                    )
    return findings + order_findings(notebook, source)


def accepted(findings: list[dict], reviewed: str) -> list[dict]:
    """The findings the post's `.. reviewed: order` (a comma-separated list of kinds) does not accept."""
    kinds = {word.strip() for word in reviewed.split(",")}
    return [finding for finding in findings if finding["kind"] not in kinds]


def order_findings(notebook: dict, source: str) -> list[dict]:
    """Cells run out of order, or left unrun while others ran (a reader cannot re-run it as shown)."""
    code = [
        (number, cell)
        for number, cell in enumerate(notebook.get("cells", []), 1)
        if cell.get("cell_type") == "code" and text_of(cell.get("source")).strip()
    ]
    counts = [(number, cell.get("execution_count")) for number, cell in code]
    ran = [(number, count) for number, count in counts if isinstance(count, int)]
    fix = "restart the kernel and run all cells, then save; or add `.. reviewed: order` to the post"
    findings = []
    if ran:
        unrun = [number for number, count in counts if not isinstance(count, int)]
        if unrun:
            cells = ", ".join(map(str, unrun[:5])) + (" ..." if len(unrun) > 5 else "")
            message = f"{source}: cells {cells}: never run, while other cells were; {fix}"
            findings.append({"kind": "order", "blocks": False, "message": message})
        values = [count for _, count in ran]
        if values != list(range(1, len(values) + 1)):
            number = next((m for (_, a), (m, b) in zip(ran, ran[1:], strict=False) if b != a + 1), ran[0][0])
            shown = ", ".join(map(str, values[:8])) + (" ..." if len(values) > 8 else "")
            message = f"{source}: cell {number}: execution counts are not 1, 2, 3... in order ({shown}); {fix}"
            findings.append({"kind": "order", "blocks": False, "message": message})
    return findings
