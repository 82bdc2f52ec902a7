"""Cutting a message into the activities of a day (the rule is in the package docs)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final

from domain.worklog.headings import ends_with_colon, read_heading
from domain.worklog.problems import ParseProblem
from domain.worklog.quicklog import is_duration_only, mentions_duration
from domain.worklog.text import clean_description

# "1.", "1)", "(1)", "1️⃣", "a.", "a)": numbers and letters that open a list item.  "1.5 jam"
# and "08.00-10.00" are not items: a digit follows the dot.
_NUMBERED_RE: Final = re.compile(
    r"^(?:\(?[0-9]{1,2}\s*[.)](?![0-9])|\([0-9]{1,2}\)|[0-9]{1,2}\ufe0f?\u20e3"
    r"|[a-zA-Z][.)](?=\s)|[a-zA-Z]\))\s*"
)
_BULLETS: Final = frozenset("-–—•●○◦▪▫■□►▶➢➤→⇒✓✔✅☑*·>+~=")
# Symbol (emoji), modifier, joiner and variation selector: the parts of emoji used as bullets.
_BULLET_CATEGORIES: Final = frozenset({"So", "Sk", "Mn", "Cf"})
_MAX_BULLET_CHARS: Final = 8
# Words that cannot start an activity, only continue one: "Rapat koordinasi\ndengan camat".
_CONNECTORS: Final = frozenset(
    """
    dengan dgn dan serta untuk utk yang yg tentang ttg terkait mengenai kepada kpd sebanyak
    sejumlah beserta bersama and with for
    """.split()
)
# Words and marks that leave a line unfinished: "Rapat koordinasi dengan\ncamat".
_OPEN_ENDINGS: Final = _CONNECTORS | {"di", "ke", "dari", "pada", "oleh", "&", ",", "/", "+", "-"}
_FIRST_WORD_RE: Final = re.compile(r"^[^\W\d_]+")
_LAST_WORD_RE: Final = re.compile(r"(?:[^\W\d_]+|[,&/+\-])$")


@dataclass(frozen=True, slots=True)
class Piece:
    """The text of one activity in a message.

    ``text`` is what the person typed, its lines joined by line breaks; ``body`` is what is
    read: list markers removed and wrapped lines joined by spaces.
    """

    text: str
    body: str


@dataclass(frozen=True, slots=True)
class DaySplit:
    """A message cut into activities, with the lines that were headings, not activities."""

    pieces: tuple[Piece, ...]
    headings: tuple[str, ...]
    named_dates: tuple[date | ParseProblem, ...]


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # 1-based line of the message
    text: str
    body: str
    marked: bool
    after_blank: bool


def _split_marker(line: str) -> tuple[bool, str]:
    """Whether a line opens with a list marker, and the line without it."""
    numbered = _NUMBERED_RE.match(line)
    if numbered is not None:
        return True, line[numbered.end() :]
    taken = 0
    for ch in line[:_MAX_BULLET_CHARS]:
        if ch in _BULLETS or unicodedata.category(ch) in _BULLET_CATEGORIES:
            taken += 1
        else:
            break
    if 0 < taken < len(line):  # a line of bullets alone ("-----") is a ruler, not an item
        return True, line[taken:].lstrip()
    return False, line


def _segments(line: str) -> list[str]:
    """A line cut at ";" when at least two of its parts carry their own duration."""
    if ";" not in line:
        return [line]  # one part: nothing to look for (most messages)
    parts = [part.strip() for part in line.split(";")]
    if sum(1 for part in parts if mentions_duration(part)) >= 2:
        return [part for part in parts if part]
    return [line]


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    after_blank = False
    for number, physical in enumerate(clean_description(text).split("\n"), start=1):
        if not physical:
            after_blank = True
            continue
        for segment in _segments(physical):
            marked, body = _split_marker(segment)
            lines.append(_Line(number, segment, body, marked, after_blank))
            after_blank = False
    return lines


def _word(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    return found[0].lower() if found else ""


@dataclass
class _Open:
    """A piece being built; ``timed`` once one of its lines carries a duration."""

    lines: list[_Line]
    timed: bool

    def add(self, line: _Line, timed: bool) -> None:
        self.lines.append(line)
        self.timed = self.timed or timed


def _joins(line: _Line, piece: _Open) -> bool:
    """Sure signs that a line goes on with the piece above: these win over heading words."""
    if piece.timed:
        return False
    if is_duration_only(line.body):  # even "2. 30 menit": a duration alone is no activity
        return True
    if line.marked or line.after_blank:
        return False
    return (
        _word(_FIRST_WORD_RE, line.body) in _CONNECTORS
        or line.body.startswith("(")
        or _word(_LAST_WORD_RE, piece.lines[-1].body) in _OPEN_ENDINGS
    )


def _wraps(line: _Line, piece: _Open, capitalised: bool) -> bool:
    """Weaker signs: the line sits under a list item, or starts small in a capitalised message."""
    if piece.timed or line.marked or line.after_blank:
        return False
    return piece.lines[0].marked or (capitalised and line.body[:1].islower())


def _is_list(pieces: list[_Open], day_headings: int, sections: int) -> bool:
    timed = sum(1 for piece in pieces if piece.timed)
    marked = sum(1 for piece in pieces if piece.lines[0].marked)
    if timed >= 2:
        return True
    # A line such as "Rapat koordinasi:" over bullets without durations introduces the
    # points of one activity, not a day.
    return sections == 0 and (marked >= 2 or (day_headings > 0 and len(pieces) > 0))


class _Builder:
    """Takes the lines of a message one by one into pieces and headings."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.pieces: list[_Open] = []
        self.headings: list[str] = []
        self.named: list[date | ParseProblem] = []
        self.day_headings = self.sections = 0
        self.capitalised = False
        self.current: _Open | None = None

    def take(self, line: _Line) -> None:
        timed = mentions_duration(line.body)
        piece = self.current
        if piece is not None and _joins(line, piece):
            piece.add(line, timed)
        elif self._heading(line, timed):
            self.current = None
        elif piece is not None and _wraps(line, piece, self.capitalised):
            piece.add(line, timed)
        else:
            self._start(line, timed)

    def _heading(self, line: _Line, timed: bool) -> bool:
        if line.marked or timed:
            return False
        is_day_heading, named_date = read_heading(line.body, self.today)
        if not (is_day_heading or ends_with_colon(line.body)):
            return False
        self.headings.append(line.text)
        self.day_headings += is_day_heading
        self.sections += not is_day_heading
        if is_day_heading and named_date is not None:
            self.named.append(named_date)
        return True

    def _start(self, line: _Line, timed: bool) -> None:
        if not self.pieces:
            self.capitalised = line.body[:1].isupper()
        self.current = _Open([line], timed)
        self.pieces.append(self.current)


def _typed(lines: list[_Line]) -> str:
    """The lines of a piece as typed: parts of one line joined by "; ", lines by line breaks."""
    typed = lines[0].text
    for before, line in itertools.pairwise(lines):
        typed += ("; " if line.number == before.number else "\n") + line.text
    return typed


def split_day(text: str, today: date) -> DaySplit:
    """Cut a message into activities; one piece (the whole text) unless it reads as a list."""
    lines = _lines(text)
    builder = _Builder(today)
    for line in lines if len(lines) > 1 else ():
        builder.take(line)
    if not _is_list(builder.pieces, builder.day_headings, builder.sections):
        return DaySplit((Piece(text, text),), (), ())
    pieces = tuple(
        Piece(_typed(piece.lines), " ".join(line.body for line in piece.lines))
        for piece in builder.pieces
    )
    return DaySplit(pieces, tuple(builder.headings), tuple(builder.named))
