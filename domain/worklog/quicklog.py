"""One activity typed as free text: description, quantity, duration and time of day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from domain.worklog.durations import (
    DURATION_MARKER_RE,
    MAX_MINUTES_PER_ENTRY,
    UNIT_STRICT_RE,
    check_minutes,
    unit_match_minutes,
)
from domain.worklog.problems import ParseProblem
from domain.worklog.quantities import MAX_QUANTITY, find_quantity
from domain.worklog.text import (
    DASHES,
    DESCRIPTION_MAX_LENGTH,
    clean_description,
    has_substance,
    validate_description,
)
from domain.worklog.timeranges import (
    RANGE_MARKER_RE,
    RANGE_RE,
    TimeRange,
    is_clock_range,
    read_time_range,
)


@dataclass(frozen=True, slots=True)
class QuickLog:
    """One activity typed as free text.  ``minutes`` None means no duration was found;
    ``time_range`` is set when the duration was written as clock times ("08.00-10.30")."""

    description: str
    quantity: int | None
    unit: str | None
    minutes: int | None
    time_range: TimeRange | None = None


_OPEN_PAREN_RE: Final = re.compile(r"\(\s*$")
_CLOSE_PAREN_RE: Final = re.compile(r"^\s*\)")
# Left behind when a duration is cut out: "Rapat koordinasi - 2 jam", "Lembur, 3 jam".
_SEPARATOR_CHARS: Final = f" \n,;:/|-{DASHES}"


@dataclass(frozen=True, slots=True)
class _Mention:
    """A duration found in free text."""

    start: int  # span to remove, markers and brackets included
    end: int
    counts: bool  # at the end, or clearly marked, so it may be taken as the duration
    minutes: int | ParseProblem
    time_range: TimeRange | None = None


def _mentions(text: str) -> list[_Mention]:
    found: list[tuple[re.Match[str], bool]] = []  # (match, is_range)
    for match in RANGE_RE.finditer(text):
        found.append((match, True))
    for match in UNIT_STRICT_RE.finditer(text):
        if not any(m.start() < match.end() and match.start() < m.end() for m, _ in found):
            found.append((match, False))

    mentions: list[_Mention] = []
    for match, is_range in sorted(found, key=lambda pair: pair[0].start()):
        start, end = match.span()
        before = text[:start]
        marker = DURATION_MARKER_RE.search(before)
        if marker is None and is_range:
            marker = RANGE_MARKER_RE.search(before)
        if marker is not None:
            start = marker.start()
        opening = _OPEN_PAREN_RE.search(text[:start])
        closing = _CLOSE_PAREN_RE.match(text[end:])
        bracketed = opening is not None and closing is not None
        if opening is not None and closing is not None:
            start, end = opening.start(), end + closing.end()
        if is_range:
            time_range = read_time_range(match)
            if time_range is None:
                continue  # "23.11-24.11" and the like: not clock times, so not a duration
            if not (is_clock_range(match) or marker or bracketed):
                continue  # "8-10" alone could be house numbers or dates
            mentions.append(_Mention(start, end, True, time_range.minutes, time_range))
        else:
            value = unit_match_minutes(match, match.group(0))
            at_end = not has_substance(text[end:])
            counts = at_end or marker is not None or bracketed
            mentions.append(_Mention(start, end, counts, value))
    return mentions


def _remove_span(text: str, start: int, end: int) -> str:
    left = text[:start].rstrip(_SEPARATOR_CHARS)
    right = text[end:].strip()
    if not right:
        return left
    if not left:
        return right.lstrip(_SEPARATOR_CHARS)
    joiner = "" if right[0] in ",.;:!?)" else " "
    return f"{left}{joiner}{right}"


def mentions_duration(text: str) -> bool:
    """Whether the text carries a duration of its own that a reader would take (or ask about)."""
    return any(mention.counts for mention in _mentions(clean_description(text)))


def is_duration_only(text: str) -> bool:
    """Whether the text says how long and nothing else ("2 jam", "(08.00-10.00)")."""
    cleaned = clean_description(text)
    remainder, found = cleaned, False
    for mention in reversed(_mentions(cleaned)):
        remainder, found = _remove_span(remainder, mention.start, mention.end), True
    return found and not has_substance(remainder)


def read_activity(
    text: str,
    *,
    max_minutes: int = MAX_MINUTES_PER_ENTRY,
    max_quantity: int = MAX_QUANTITY,
    max_length: int = DESCRIPTION_MAX_LENGTH,
) -> tuple[QuickLog | None, tuple[ParseProblem, ...]]:
    """Everything read from one activity, with every problem found (description, duration,
    quantity, in that order).  The reading is None only when the description is unusable; a
    duration or quantity with a problem is left out of the reading (None)."""
    cleaned = clean_description(text)
    mentions = _mentions(cleaned)
    chosen = mentions[0] if len(mentions) == 1 and mentions[0].counts else None
    remainder = _remove_span(cleaned, chosen.start, chosen.end) if chosen else cleaned

    description = validate_description(remainder, max_length=max_length)
    if isinstance(description, ParseProblem):
        return None, (description,)

    problems: list[ParseProblem] = []
    minutes: int | None = None
    time_range: TimeRange | None = None
    if chosen is not None:
        checked = (
            chosen.minutes
            if isinstance(chosen.minutes, ParseProblem)
            else check_minutes(chosen.minutes, max_minutes)
        )
        if isinstance(checked, ParseProblem):
            problems.append(checked)
        else:
            minutes, time_range = checked, chosen.time_range

    quantity = find_quantity(description, max_quantity=max_quantity)
    if isinstance(quantity, ParseProblem):
        problems.append(quantity)
        quantity = None
    count, unit = quantity if quantity is not None else (None, None)
    reading = QuickLog(description, count, unit, minutes, time_range)
    return reading, tuple(problems)


def parse_quick_log(
    text: str,
    *,
    max_minutes: int = MAX_MINUTES_PER_ENTRY,
    max_quantity: int = MAX_QUANTITY,
    max_length: int = DESCRIPTION_MAX_LENGTH,
) -> QuickLog | ParseProblem:
    """Split a free-text activity into description, quantity and duration (see package docs).

    The first problem is reported, in this order: description, duration, quantity.
    """
    reading, problems = read_activity(
        text, max_minutes=max_minutes, max_quantity=max_quantity, max_length=max_length
    )
    if problems or reading is None:
        return problems[0]
    return reading
