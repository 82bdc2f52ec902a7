"""Clean-up shared by the readers, and the check of a free-text description."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from domain.worklog.problems import ParseProblem

DESCRIPTION_MAX_LENGTH: Final = 1000

_SPACES: Final = re.compile(r"\s+")
# Unicode's control characters (category Cc: U+0000-U+001F and U+007F-U+009F, a fixed set) but
# the tab and the line break: one regular expression instead of a category looked up per
# character, which made cleaning the largest cost of reading a quick log (bench/paths.py).
_CONTROLS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Hyphen, non-breaking hyphen, figure/en/em dash, horizontal bar, minus: phones and word
# processors substitute these for "-".
DASHES: Final = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
DASH_CLASS: Final = rf"[\-{DASHES}]"
NOT_WORD: Final = r"(?!\w)"
# Not glued to a preceding number, decimal mark or dash: "8-10 jam" is not "10 jam".
START: Final = rf"(?<![\w.,:/{DASHES}\-])"


def squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def has_substance(text: str) -> bool:
    # A letter or a digit; emoji (So), punctuation and symbols alone say nothing about work.
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def clean_description(text: str) -> str:
    # Control characters are dropped (PostgreSQL rejects NUL in text; the rest are invisible
    # noise from copy-paste).  Format characters such as the zero-width joiner stay: they
    # hold emoji sequences together.  Line breaks are kept because people write lists.
    kept = _CONTROLS.sub("", text.replace("\t", " "))
    lines = [squash(line) for line in kept.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):  # at most one blank line in a row
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def validate_description(
    text: str, *, max_length: int = DESCRIPTION_MAX_LENGTH
) -> str | ParseProblem:
    """Tidy a free-text description: trim, collapse whitespace (keeping single line breaks).

    Any character is kept, HTML included: escaping is the renderer's job.  Text with no
    letter or digit (emoji or punctuation only) counts as empty.
    """
    cleaned = clean_description(text)
    if not has_substance(cleaned):
        return ParseProblem("description_empty")
    if len(cleaned) > max_length:
        return ParseProblem("description_too_long", {"length": len(cleaned), "limit": max_length})
    return cleaned
