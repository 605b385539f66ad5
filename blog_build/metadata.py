"""Post metadata: `.meta` files, Markdown comment blocks and a notebook's `nikola` entry, checked.

Nikola reads metadata leniently: a misspelt key is kept and never used, `.. execute: maybe`
surfaces later as an unhandled exception, and in a `.meta` file everything after the first
blank line is dropped without a word (`nikola new_post` leaves the cursor there). Here every
key is known or named, every value we read is checked, and each problem is one line naming
the file (and the line).
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field

META_LINE = re.compile(r"^\.\.\s+([A-Za-z_][\w-]*):(.*)$")
DATE_EXAMPLE = "2026-11-25 14:30:00 UTC"
TRUE_WORDS = {"true", "yes", "1", "on"}
FALSE_WORDS = {"false", "no", "0", "off"}

# Keys Nikola 8.3 reads from a post (its documentation's list), and the ones this site adds.
NIKOLA_KEYS = {
    "title", "slug", "date", "updated", "tags", "category", "link", "description", "type", "author",
    "status", "hidetitle", "nocomments", "noannotations", "previewimage", "enclosure", "template",
    "pretty_url", "has_math", "url_type", "filters", "hyphenate", "data", "guid", "password", "section",
}  # fmt: skip
SITE_KEYS = {"execute", "search", "series", "series_order", "reviewed"}
KNOWN_KEYS = NIKOLA_KEYS | SITE_KEYS
BOOLEAN_KEYS = {"execute", "search", "hidetitle", "nocomments", "noannotations", "pretty_url", "has_math", "hyphenate"}
CHOICES = {"status": ("published", "featured", "draft", "private"), "type": ("text", "micro")}


class SourceError(ValueError):
    """A problem that stops the build; the message is one line naming the file."""


@dataclass
class Checked:
    """Metadata that passed its checks, and the warnings found on the way."""

    values: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def parse_meta(text: str, path: os.PathLike | str) -> dict[str, str]:
    """`.. key: value` lines, blank lines allowed between them (a `.meta` file or a Markdown comment block)."""
    meta = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = META_LINE.match(line.strip())
        if match is None:
            raise SourceError(f"{path}:{number}: expected '.. key: value', found {line.strip()!r}")
        meta[match.group(1).lower()] = match.group(2).strip()
    return meta


def lines_after_blank(text: str) -> list[int]:
    """Numbers of the metadata lines that come after a blank line (Nikola's own reader stops there)."""
    stripped = text.strip("\n")
    head, _, tail = stripped.partition("\n\n")
    if not tail:
        return []
    first = head.count("\n") + 3
    return [first + i for i, line in enumerate(tail.split("\n")) if line.strip()]


def read_meta_file(path: os.PathLike | str) -> str:
    """The text of a `.meta` file or Markdown source, or a SourceError naming it."""
    try:
        with open(path, encoding="utf-8-sig") as stream:
            return stream.read()
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def parse_date(value: str) -> datetime.datetime:
    """A date as Nikola reads one (nikola.utils.to_datetime: dateutil, with `UTC+hh:mm` offsets).

    A time zone name dateutil does not know ("2024-01-02 UYTC") is refused: dateutil only
    warns, drops it, and says a later version will raise.
    """
    import warnings

    import dateutil.parser

    with warnings.catch_warnings():
        warnings.simplefilter("error", dateutil.parser.UnknownTimezoneWarning)
        try:
            return dateutil.parser.parse(re.sub(r" UTC([+-][0-9][0-9]:[0-9][0-9])", r"\1", value))
        except dateutil.parser.UnknownTimezoneWarning as warning:
            raise ValueError(str(warning)) from None


def boolean(value: object) -> bool | None:
    """True/False for the words (or JSON booleans) a post may use; None for anything else."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def as_text(key: str, value: object, path: os.PathLike | str) -> str:
    """A notebook metadata value as the text Nikola expects (lists of tags are joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if key == "tags" and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    raise SourceError(f"{path}: metadata.nikola.{key} must be text, not {type(value).__name__}")


def check_value(key: str, value: str, path: os.PathLike | str) -> None:
    """Raise SourceError if `value` is not one that `key` accepts."""
    control = re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value)
    if control:
        # XML cannot hold them (the feeds failed with a traceback), nor can a URL (tag pages)
        character = f"U+{ord(control.group()):04X}"
        raise SourceError(f"{path}: {key} {value!r} holds the control character {character}; remove it")
    if key == "updated" and not value.strip():
        raise SourceError(f"{path}: updated is empty; give the date of the update, like {DATE_EXAMPLE!r}, or remove it")
    if key in ("date", "updated") and value:
        try:
            parse_date(value)
        except (ValueError, OverflowError):
            raise SourceError(f"{path}: {key} {value!r} is not a date; write it like {DATE_EXAMPLE!r}") from None
    elif key in BOOLEAN_KEYS and value and boolean(value) is None:
        raise SourceError(f"{path}: {key}: {value!r} is neither true nor false (write true or false)")
    elif key in CHOICES and value and value.lower() not in CHOICES[key]:
        raise SourceError(f"{path}: {key}: {value!r} is not one of {', '.join(CHOICES[key])}")
    elif key == "tags":
        tags = [tag.strip() for tag in value.split(",")]
        if value.strip() and not all(tags):
            raise SourceError(f"{path}: tags {value!r} has an empty tag (a stray comma?)")
        wordless = [tag for tag in tags if tag and not re.search(r"\w", tag)]
        if wordless:  # its page's name would be empty: the tags' own index page
            raise SourceError(f"{path}: tag {wordless[0]!r} has no letter or digit to name its page")
        lowered = [tag.lower() for tag in tags if tag]
        repeated = sorted({tag for tag in lowered if lowered.count(tag) > 1})
        if repeated:
            raise SourceError(f"{path}: tags {value!r} names {', '.join(repeated)} twice")
    elif key == "series_order" and value and not re.fullmatch(r"\d{1,6}", value.strip()):
        raise SourceError(f"{path}: series_order {value!r} is not a whole number (the part's place in its series)")
    elif key == "slug" and value and (re.search(r"[\s/\\?#]", value) or value in (".", "..")):
        raise SourceError(f"{path}: slug {value!r} must be one word of a URL (letters, digits, '-'), like my-post")


def check_keys(meta: dict[str, str], path: os.PathLike | str) -> list[str]:
    """Stop on a misspelt key (suggesting the right one); warn about other unknown keys."""
    warnings = []
    for key in meta:
        if key in KNOWN_KEYS:
            continue
        import difflib

        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.75)
        if close:
            raise SourceError(f"{path}: unknown key {key!r}; did you mean {close[0]!r}?")
        warnings.append(f"{path}: key {key!r} is not one Nikola or this site reads; it has no effect")
    return warnings


def check_metadata(meta: dict[str, str], path: os.PathLike | str, needs_date: bool, why_date: str = "") -> Checked:
    """Metadata with a title, a slug, a date (if `needs_date`), known keys and valid values; else SourceError.

    `why_date` is added to the message when the date is what is missing.
    """
    warnings = check_keys(meta, path)  # first: a misspelt "tittle" explains a missing title
    required = ("title", "slug") + (("date",) if needs_date else ())
    missing = [key for key in required if not meta.get(key, "").strip()]
    if missing:
        raise SourceError(f"{path}: missing {', '.join(missing)}{why_date if 'date' in missing else ''}")
    for key, value in meta.items():
        check_value(key, value, path)
    return Checked(dict(meta), warnings)


def notebook_entry(metadata: object, path: os.PathLike | str) -> dict[str, str]:
    """A notebook's `metadata.nikola` as Nikola's text values (keys lower-cased)."""
    if not isinstance(metadata, dict):
        raise SourceError(f"{path}: metadata.nikola must be an object of key/value pairs")
    return {str(key).lower(): as_text(str(key).lower(), value, path) for key, value in metadata.items()}


def markdown_block(text: str) -> str | None:
    """The body of a Markdown source's leading `<!-- ... -->` metadata block."""
    stripped = text.lstrip()
    if not stripped.startswith("<!--") or "-->" not in stripped:
        return None
    return stripped[len("<!--") : stripped.index("-->")]
