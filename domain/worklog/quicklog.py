"""One activity typed as free text: description, quantity and duration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from domain.worklog.durations import (
    MAX_MINUTES_PER_ENTRY,
    RANGE_RE,
    UNIT_STRICT_RE,
    check_minutes,
    range_minutes,
    unit_match_minutes,
)
from domain.worklog.problems import ParseProblem
from domain.worklog.quantities import (
    COUNT_RE,
    MAX_QUANTITY,
    check_quantity,
    int_from_grouped,
    normalize_unit,
)
from domain.worklog.text import (
    DASHES,
    DESCRIPTION_MAX_LENGTH,
    clean_description,
    has_substance,
    validate_description,
)


@dataclass(frozen=True, slots=True)
class QuickLog:
    """One activity typed as free text.  ``minutes`` None means no duration was found."""

    description: str
    quantity: int | None
    unit: str | None
    minutes: int | None


# Words that mark what follows as a duration; the second group only makes sense before a time
# range ("pukul 08.00-10.30"; "jam 2 jam" is not a thing).
_MARKER_ANY_RE: Final = re.compile(r"(?:^|(?<=[\s(]))(?:selama|durasi|waktu|for)\s*:?\s*$", re.I)
_MARKER_RANGE_RE: Final = re.compile(r"(?:^|(?<=[\s(]))(?:pukul|pkl\.?|jam|from)\s*:?\s*$", re.I)
_OPEN_PAREN_RE: Final = re.compile(r"\(\s*$")
_CLOSE_PAREN_RE: Final = re.compile(r"^\s*\)")
# Left behind when a duration is cut out: "Rapat koordinasi - 2 jam", "Lembur, 3 jam".
_SEPARATOR_CHARS: Final = f" \n,;:/|-{DASHES}"


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int  # span to remove, markers and brackets included
    end: int
    counts: bool  # at the end, or clearly marked, so it may be taken as the duration
    minutes: int | ParseProblem


def _duration_candidates(text: str) -> list[_Candidate]:
    found: list[tuple[re.Match[str], bool]] = []  # (match, is_range)
    for match in RANGE_RE.finditer(text):
        found.append((match, True))
    for match in UNIT_STRICT_RE.finditer(text):
        if not any(m.start() < match.end() and match.start() < m.end() for m, _ in found):
            found.append((match, False))

    candidates: list[_Candidate] = []
    for match, is_range in found:
        start, end = match.span()
        before = text[:start]
        marker = _MARKER_ANY_RE.search(before)
        if marker is None and is_range:
            marker = _MARKER_RANGE_RE.search(before)
        if marker is not None:
            start = marker.start()
        opening = _OPEN_PAREN_RE.search(text[:start])
        closing = _CLOSE_PAREN_RE.match(text[end:])
        bracketed = opening is not None and closing is not None
        if opening is not None and closing is not None:
            start, end = opening.start(), end + closing.end()
        at_end = not has_substance(text[end:])
        if is_range:
            minutes = range_minutes(match)
            if minutes is None:
                continue  # "23.11-24.11" and the like: not clock times, so not a duration
            with_minutes = match["m1"] is not None and match["m2"] is not None
            # "8-10" alone could be house numbers or dates; "08.00-10.30" cannot.
            if not (with_minutes or marker or bracketed):
                continue
            candidates.append(_Candidate(start, end, True, minutes))
        else:
            value = unit_match_minutes(match, match.group(0))
            counts = at_end or marker is not None or bracketed
            candidates.append(_Candidate(start, end, counts, value))
    return candidates


def _remove_span(text: str, start: int, end: int) -> str:
    left = text[:start].rstrip(_SEPARATOR_CHARS)
    right = text[end:].strip()
    if not right:
        return left
    if not left:
        return right.lstrip(_SEPARATOR_CHARS)
    joiner = "" if right[0] in ",.;:!?)" else " "
    return f"{left}{joiner}{right}"


def parse_quick_log(
    text: str,
    *,
    max_minutes: int = MAX_MINUTES_PER_ENTRY,
    max_quantity: int = MAX_QUANTITY,
    max_length: int = DESCRIPTION_MAX_LENGTH,
) -> QuickLog | ParseProblem:
    """Split a free-text activity into description, quantity and duration (see module docs).

    Problems are reported in this order: description, duration, quantity.
    """
    cleaned = clean_description(text)
    candidates = _duration_candidates(cleaned)
    chosen = candidates[0] if len(candidates) == 1 and candidates[0].counts else None
    remainder = _remove_span(cleaned, chosen.start, chosen.end) if chosen else cleaned

    description = validate_description(remainder, max_length=max_length)
    if isinstance(description, ParseProblem):
        return description

    minutes: int | None = None
    if chosen is not None:
        checked = (
            chosen.minutes
            if isinstance(chosen.minutes, ParseProblem)
            else check_minutes(chosen.minutes, max_minutes)
        )
        if isinstance(checked, ParseProblem):
            return checked
        minutes = checked

    quantity: int | None = None
    unit: str | None = None
    counted = list(COUNT_RE.finditer(description))
    if len(counted) == 1:  # two counted things ("15 berkas dan 3 surat"): do not pick one
        value = check_quantity(int_from_grouped(counted[0]["number"]), max_quantity)
        if isinstance(value, ParseProblem):
            return value
        quantity, unit = value, normalize_unit(counted[0]["unit"])

    return QuickLog(description=description, quantity=quantity, unit=unit, minutes=minutes)
