"""Public complaints (pengaduan, aspirasi, permintaan informasi): the rules that are neither
Telegram nor SQL. Sources: SP4N-LAPOR! practice, UU 25/2009, UU 27/2022 (/work/shared/domain.md).

Statuses and the actions that move between them::

    baru ──verify──▶ terverifikasi ──process──▶ diproses ──resolve──▶ selesai ──confirm──▶ ditutup
     │  ╲                │  (resolve, close also from terverifikasi)   │  ╲──expire──▶ ditutup
     │   forward──▶ dialihkan (the new unit verifies, forwards again or rejects)
     └──reject──▶ ditolak                                  reopen ◀──┘ → dibuka kembali
                                        close (no fix) ──▶ ditutup tanpa penyelesaian

"selesai" means the unit says it is solved and waits for the citizen, who confirms or reopens
within a number of working days; a closed complaint keeps its *outcome* (resolved, closed
without resolution, rejected) apart from its status, so the two never blur in statistics.

Privacy (``Privacy``): *biasa* shows the reporter's name to staff; *rahasia* keeps the report
out of anything public and shows the identity only to the unit handling it; *anonim* never
shows the reporter's identity to staff (the bot relays messages both ways).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Final

from domain.calendar import WorkCalendar
from domain.tabular import DEFAULT_MAX_ROWS, Column, TableLayout, read_table


class Kind(StrEnum):
    PENGADUAN = "pengaduan"  # a complaint about a service
    ASPIRASI = "aspirasi"  # a suggestion
    INFORMASI = "informasi"  # a request for information


class Privacy(StrEnum):
    BIASA = "biasa"
    RAHASIA = "rahasia"
    ANONIM = "anonim"


class Status(StrEnum):
    BARU = "baru"
    TERVERIFIKASI = "terverifikasi"
    DIPROSES = "diproses"
    SELESAI = "selesai"
    DITUTUP = "ditutup"
    DITOLAK = "ditolak"
    DIALIHKAN = "dialihkan"
    DIBUKA_KEMBALI = "dibuka_kembali"


class Outcome(StrEnum):
    RESOLVED = "selesai"
    UNRESOLVED = "tanpa_penyelesaian"
    REJECTED = "ditolak"


class Move(StrEnum):
    """What someone does to a complaint (staff, the citizen, or the scheduler)."""

    VERIFY = "verify"
    FORWARD = "forward"  # "bukan wewenang": to the unit that has authority
    REJECT = "reject"
    ASSIGN = "assign"
    PROCESS = "process"
    RESOLVE = "resolve"
    CLOSE = "close"  # closed without resolution
    CONFIRM = "confirm"  # the citizen says it is solved
    REOPEN = "reopen"  # the citizen says it is not
    EXPIRE = "expire"  # no answer from the citizen in time (the scheduler's job)


STAFF_MOVES: Final = (
    Move.VERIFY,
    Move.PROCESS,
    Move.ASSIGN,
    Move.RESOLVE,
    Move.FORWARD,
    Move.REJECT,
    Move.CLOSE,
)
CITIZEN_MOVES: Final = (Move.CONFIRM, Move.REOPEN)
#: Moves that need a sentence from whoever makes them (a reason or a resolution note).
NEEDS_NOTE: Final = frozenset({Move.FORWARD, Move.REJECT, Move.RESOLVE, Move.CLOSE, Move.REOPEN})

FINAL: Final = frozenset({Status.DITUTUP, Status.DITOLAK})
_UNVERIFIED: Final = frozenset({Status.BARU, Status.DIALIHKAN})
_IN_WORK: Final = frozenset({Status.TERVERIFIKASI, Status.DIPROSES, Status.DIBUKA_KEMBALI})

# move -> (statuses it may start from, status it leads to; None: the status stays)
TRANSITIONS: Final[Mapping[Move, tuple[frozenset[Status], Status | None]]] = MappingProxyType(
    {
        Move.VERIFY: (_UNVERIFIED, Status.TERVERIFIKASI),
        Move.FORWARD: (_UNVERIFIED | {Status.TERVERIFIKASI}, Status.DIALIHKAN),
        Move.REJECT: (_UNVERIFIED | {Status.TERVERIFIKASI}, Status.DITOLAK),
        Move.ASSIGN: (_UNVERIFIED | _IN_WORK, None),
        Move.PROCESS: (frozenset({Status.TERVERIFIKASI, Status.DIBUKA_KEMBALI}), Status.DIPROSES),
        Move.RESOLVE: (_IN_WORK, Status.SELESAI),
        Move.CLOSE: (_IN_WORK, Status.DITUTUP),
        Move.CONFIRM: (frozenset({Status.SELESAI}), Status.DITUTUP),
        Move.REOPEN: (frozenset({Status.SELESAI}), Status.DIBUKA_KEMBALI),
        Move.EXPIRE: (frozenset({Status.SELESAI}), Status.DITUTUP),
    }
)
OUTCOMES: Final[Mapping[Move, Outcome]] = MappingProxyType(
    {
        Move.REJECT: Outcome.REJECTED,
        Move.CLOSE: Outcome.UNRESOLVED,
        Move.CONFIRM: Outcome.RESOLVED,
        Move.EXPIRE: Outcome.RESOLVED,
    }
)


class InvalidMove(Exception):
    """The move does not apply to a complaint in this status (a stale button, a double tap)."""

    def __init__(self, move: Move, status: Status) -> None:
        super().__init__(f"{move} is not possible when the complaint is {status}")
        self.move, self.status = move, status


def next_status(status: Status, move: Move) -> Status:
    starts, target = TRANSITIONS[move]
    if status not in starts:
        raise InvalidMove(move, status)
    return status if target is None else target


def possible_moves(status: Status, moves: Iterable[Move] = STAFF_MOVES) -> list[Move]:
    return [move for move in moves if status in TRANSITIONS[move][0]]


def is_final(status: Status) -> bool:
    return status in FINAL


# --- Deadlines -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """Working days allowed (configurable: LAPOR! practice, not law)."""

    verify_days: int = 3  # from submission (or forwarding) to verification
    follow_up_days: int = 5  # from verification (or reopening) to an answer
    reopen_days: int = 10  # after "selesai": the citizen may reopen; then it closes


def due_dates(
    move: Move | None, today: date, calendar: WorkCalendar, deadlines: Deadlines
) -> dict[str, date | None]:
    """The due dates a move sets (``None`` for submission), as complaint fields."""
    add = calendar.add_working_days
    if move is None or move is Move.FORWARD:
        changes: dict[str, date | None] = {"verification_due": add(today, deadlines.verify_days)}
        if move is Move.FORWARD:
            changes["follow_up_due"] = None
        return changes
    if move in (Move.VERIFY, Move.REOPEN):
        return {"follow_up_due": add(today, deadlines.follow_up_days), "reopen_until": None}
    if move is Move.RESOLVE:
        return {"reopen_until": add(today, deadlines.reopen_days)}
    return {}


def can_reopen(today: date, reopen_until: date | None) -> bool:
    return reopen_until is not None and today <= reopen_until


# --- Tracking numbers ----------------------------------------------------------------------

TRACKING_PREFIX: Final = "BLW"
_TRACKING_RE: Final = re.compile(
    r"#?\s*(?:(?P<prefix>[A-Za-z]{2,5})[\s\-./]*)?(?P<period>\d{4})[\s\-./]+(?P<seq>\d{1,6})"
    r"|#?\s*(?P<prefix2>[A-Za-z]{2,5})[\s\-./]*(?P<period2>\d{4})(?P<seq2>\d{4,6})"
)


def period_of(day: date) -> str:
    """``2611`` for November 2026: the month part of a tracking number."""
    return f"{day:%y%m}"


def format_tracking_number(period: str, sequence: int, prefix: str = TRACKING_PREFIX) -> str:
    """``BLW-2611-0042``: short, unique (sequence per month), typeable on a phone."""
    return f"{prefix}-{period}-{sequence:04d}"


# A tracking number inside a sentence ("status aduan BLW-2611-0042 bagaimana?"): only with its
# prefix, so a date or a phone number in the text is never taken for one.
_TRACKING_IN_TEXT: Final = re.compile(r"#?\b[A-Za-z]{2,5}[\s\-./]*\d{4}[\s\-./]*\d{1,6}\b")


def find_tracking_number(text: str, prefix: str = TRACKING_PREFIX) -> str | None:
    """The first tracking number written anywhere in ``text``, canonical, or None."""
    for match in _TRACKING_IN_TEXT.finditer(text):
        number = parse_tracking_number(match.group(), prefix)
        if number is not None:
            return number
    return None


def parse_tracking_number(text: str, prefix: str = TRACKING_PREFIX) -> str | None:
    """The canonical number from what a person typed (``blw 2611 42``, ``#BLW-2611-0042``,
    ``2611-42``, ``BLW26110042``), or None."""
    match = _TRACKING_RE.fullmatch(text.strip())
    if match is None:
        return None
    typed_prefix = match["prefix"] or match["prefix2"]
    if typed_prefix is not None and typed_prefix.upper() != prefix:
        return None
    period = match["period"] or match["period2"]
    month = int(period[2:])
    if not 1 <= month <= 12:
        return None
    sequence = int(match["seq"] or match["seq2"])
    if sequence < 1:
        return None
    return format_tracking_number(period, sequence, prefix)


# --- What citizens type ----------------------------------------------------------------------

STORY_MIN: Final = 30
# A ticket is one Telegram message (4096 characters): the story plus up to ~1400 of header.
STORY_MAX: Final = 2500
STORY_MIN_WORDS: Final = 5
ADDRESS_MIN: Final = 5
ADDRESS_MAX: Final = 300
NOTE_MAX: Final = 1000
MAX_ATTACHMENTS: Final = 5


@dataclass(frozen=True)
class Problem:
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


def clean_text(text: str) -> str:
    """Spaces collapsed within lines, blank lines limited to one, ends trimmed."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    cleaned: list[str] = []
    for line in lines:
        if line or (cleaned and cleaned[-1]):
            cleaned.append(line)
    return "\n".join(cleaned).strip()


def validate_story(text: str) -> str | Problem:
    story = clean_text(text)
    if len(story) < STORY_MIN or len(story.split()) < STORY_MIN_WORDS:
        return Problem("story_too_short", {"minimum": STORY_MIN, "length": len(story)})
    if len(story) > STORY_MAX:
        return Problem("story_too_long", {"limit": STORY_MAX, "length": len(story)})
    return story


def validate_address(text: str) -> str | Problem:
    address = " ".join(text.split())
    if len(address) < ADDRESS_MIN:
        return Problem("address_too_short", {"minimum": ADDRESS_MIN})
    if len(address) > ADDRESS_MAX:
        return Problem("address_too_long", {"limit": ADDRESS_MAX, "length": len(address)})
    return address


def validate_note(text: str) -> str | Problem:
    note = clean_text(text)
    if len(note) < 3:
        return Problem("note_too_short", {})
    if len(note) > NOTE_MAX:
        return Problem("note_too_long", {"limit": NOTE_MAX, "length": len(note)})
    return note


_DECIMAL = r"-?\d{1,3}\.\d+"
_PLAIN_COORDINATES: Final = re.compile(rf"({_DECIMAL})\s*[,;\s]\s*({_DECIMAL})")
_MAP_LINK_COORDINATES: Final = re.compile(rf"(?:[?&](?:q|query|ll)=|@)({_DECIMAL}),\s*({_DECIMAL})")


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """A location typed or pasted as text: ``3.7781, 98.6832`` or a Google Maps link."""
    stripped = text.strip()
    match = _PLAIN_COORDINATES.fullmatch(stripped) or _MAP_LINK_COORDINATES.search(stripped)
    if match is None:
        return None
    latitude, longitude = float(match[1]), float(match[2])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


# --- Duplicates --------------------------------------------------------------------------------

DUPLICATE_WINDOW: Final = timedelta(hours=24)
DUPLICATE_THRESHOLD: Final = 0.85
_WORD: Final = re.compile(r"\w+")


@dataclass(frozen=True)
class Earlier:
    """A complaint the same person filed before, as duplicate detection needs it."""

    complaint_id: int
    tracking_number: str
    story: str
    created_at: datetime


def _comparable(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def similarity(a: str, b: str) -> float:
    """0..1; case, punctuation and spacing do not count."""
    left, right = _comparable(a), _comparable(b)
    if not left or not right:
        return 0.0
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    if matcher.quick_ratio() < DUPLICATE_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


def find_duplicate(story: str, earlier: Iterable[Earlier], now: datetime) -> Earlier | None:
    """The most similar complaint of the last day whose text is nearly the same, if any."""
    best: tuple[float, Earlier] | None = None
    for candidate in earlier:
        if now - candidate.created_at > DUPLICATE_WINDOW:
            continue
        score = similarity(story, candidate.story)
        if score >= DUPLICATE_THRESHOLD and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


# --- Privacy -------------------------------------------------------------------------------------


def identity_shown(privacy: Privacy, *, handling_unit: bool = True) -> bool:
    """May staff of a unit see who the reporter is? Anonymous: never. Rahasia: only the unit
    that handles it now (a ticket left behind in a former unit's desk loses the name)."""
    if privacy is Privacy.ANONIM:
        return False
    return handling_unit or privacy is Privacy.BIASA


def contact_allowed(privacy: Privacy) -> bool:
    """A phone number would undo anonymity, so anonymous reporters are not asked for one."""
    return privacy is not Privacy.ANONIM


def report_is_public(privacy: Privacy) -> bool:
    """Whether the report may appear in public summaries (rahasia: never)."""
    return privacy is not Privacy.RAHASIA


# --- Categories --------------------------------------------------------------------------------

_CODE_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,29}")
CATEGORY_LIMITS: Final[Mapping[str, int]] = MappingProxyType({"name": 120, "name_en": 120})


@dataclass(frozen=True)
class CategoryRow:
    """A complaint category and the unit it is routed to (by unit code)."""

    code: str
    name: str
    name_en: str
    unit_code: str
    position: int = 0
    line: int = 0


#: Sensible defaults for Kecamatan Medan Belawan, routed to the sample roster's units
#: (``sigap complaints categories import`` without a file loads these).
DEFAULT_CATEGORIES: Final = (
    CategoryRow(
        "adminduk",
        "Administrasi Kependudukan (KTP, KK, surat)",
        "Civil registration (ID card, family card, letters)",
        "BLW-PU",
        1,
    ),
    CategoryRow("kebersihan", "Kebersihan & Sampah", "Cleanliness & waste", "BLW-PM", 2),
    CategoryRow("jalan", "Jalan & Drainase", "Roads & drainage", "BLW-PM", 3),
    CategoryRow("penerangan", "Penerangan Jalan", "Street lighting", "BLW-PM", 4),
    CategoryRow("trantib", "Keamanan & Ketertiban", "Security & public order", "BLW-TRANTIB", 5),
    CategoryRow("bansos", "Bantuan Sosial", "Social assistance", "BLW-PM", 6),
    CategoryRow("lainnya", "Lainnya", "Other", "BLW-PU", 99),
)

#: Every CategoryProblem code, for catalogue completeness checks.
CATEGORY_PROBLEM_CODES: Final = (
    "bad_code",
    "duplicate_code",
    "missing_name",
    "field_too_long",
    "unknown_unit",
    "bad_position",
)

_CATEGORY_LAYOUT: Final = TableLayout(
    (
        Column("code", "Kode", ("kode", "code", "kode kategori", "category code"), True),
        Column("name", "Nama", ("nama", "nama kategori", "kategori", "category"), True),
        Column("name_en", "Nama (EN)", ("nama en", "name", "english name", "name en"), False),
        Column("unit_code", "Kode Unit", ("kode unit", "unit code", "unit"), True),
        Column("position", "Urutan", ("urutan", "order", "position", "no"), False),
    ),
    key_field="code",
)


@dataclass(frozen=True)
class CategoryProblem:
    line: int
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


#: The columns of a categories file, in the order Sigap writes them.
CATEGORY_HEADERS: Final = tuple(column.header for column in _CATEGORY_LAYOUT.columns)


def read_categories(
    path: Path, *, max_rows: int = DEFAULT_MAX_ROWS, suffix: str | None = None
) -> list[CategoryRow]:
    """Categories from a CSV/XLSX file with the columns Kode, Nama, Nama (EN), Kode Unit,
    Urutan. Raises :class:`domain.tabular.TableFileError` for unusable files."""
    rows = []
    for record in read_table(path, _CATEGORY_LAYOUT, max_rows=max_rows, suffix=suffix):
        position_text = record.text("position")
        if not position_text:
            position = record.line  # a blank "Urutan" keeps the file's order
        else:
            position = int(position_text) if position_text.isdigit() else -1
        rows.append(
            CategoryRow(
                code=record.text("code").lower(),
                name=record.text("name"),
                name_en=record.text("name_en"),
                unit_code=record.text("unit_code").upper(),
                position=position,
                line=record.line,
            )
        )
    return rows


def validate_categories(
    rows: Iterable[CategoryRow], known_units: Iterable[str]
) -> list[CategoryProblem]:
    units = set(known_units)
    problems: list[CategoryProblem] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if not _CODE_RE.fullmatch(row.code):
            problems.append(CategoryProblem(row.line, "bad_code", {"value": row.code}))
        elif row.code in first_line:
            problems.append(
                CategoryProblem(row.line, "duplicate_code", {"first_line": first_line[row.code]})
            )
        else:
            first_line[row.code] = row.line
        if not row.name:
            problems.append(CategoryProblem(row.line, "missing_name"))
        for name, limit in CATEGORY_LIMITS.items():
            if len(getattr(row, name)) > limit:
                problems.append(
                    CategoryProblem(row.line, "field_too_long", {"field": name, "max": limit})
                )
        if row.unit_code not in units:
            problems.append(CategoryProblem(row.line, "unknown_unit", {"unit": row.unit_code}))
        if row.position < 0:
            problems.append(CategoryProblem(row.line, "bad_position"))
    return problems
