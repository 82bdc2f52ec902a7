"""Reading what employees type about their daily work: durations, quantities, dates, activities.

People type on a phone, mostly in Indonesian, sometimes in English, with the abbreviations of
office chat (``jm``, ``mnt``, ``dgn``, ``utk``, ``sdh``).  Every reader returns either a value
or a :class:`ParseProblem` (a code plus parameters); it never guesses.  Where a text has two
sensible readings the answer is a problem code asking for a clearer form, not a pick.  Turning
codes into sentences is the job of the per-language text catalogues.  Descriptions are kept as
typed (abbreviations are not expanded): they are the employee's own record.

Durations (:func:`parse_duration`; ``durations.py``, ``timeranges.py``)
    ``30m``, ``30 menit``, ``30 mnt``, ``45 mnit``, ``15 menit2``, ``90 mins``, ``1j``,
    ``2 jam``, ``2 jm``, ``1,5 jam``, ``1.5h``, ``1.5 h``, ``1,5 hrs``, ``1 jam 30 menit``,
    ``1j30m``, ``1:30``, ``2 hours``, halves and quarters (``1/2 jam``, ``1 1/2 jam``, ``½ jam``,
    ``3/4 jam``, ``setengah jam``, ``stgh jam``, ``1 setengah jam``, ``1 jam setengah``,
    ``sejam``, ``sejam setengah``, ``seperempat jam``).  Before a duration, ``selama``,
    ``durasi:``, ``±``, ``kurang lebih`` mark it and are cut out with it (not ``sekitar``:
    in ``warga sekitar`` it means "nearby").

    Time ranges give end minus start and keep the range itself (:class:`TimeRange`):
    ``08.00-10.30``, ``08:00 - 10:30``, ``08.00 s/d 10.30 WIB``, ``08.00 WIB - 10.30 WIB``,
    ``pkl 08.00 sd 10.00``, ``jam 8-10``, ``jam 9 sampai jam 11``, ``dari pukul 13.00 s.d.
    15.00``, ``mulai jam 8 hingga 10``, and parts of the day: ``jam 1-3 siang`` is 13.00-15.00,
    ``jam 7 pagi - 3 sore`` 07.00-15.00 (``siang`` moves 1-6 o'clock to the afternoon, ``sore``
    and ``malam`` anything before noon; a part written only after the end also applies to the
    start when the start stays before the end).

    ``h:mm`` with a colon is hours and minutes.  ``h.mm`` with a dot and two digits below 60
    after it (``1.30``, ``1.30 jam``) is ambiguous in Indonesia, where the dot is how clock
    times are written (``08.30``) and people also write ``1.30 jam`` for "an hour and a half",
    while English readers see 1.3 hours: it is reported as ``duration_ambiguous``.  A comma is
    always the decimal mark (``1,30 jam`` = 78 minutes), as is a dot with one digit (``1.5 jam``).
    A number without a unit (``90``) is ``duration_unit_missing``: minutes or hours?

    Not read, so asked about: numbers written as words (``dua jam``), ``11/2 jam`` (5.5 hours
    or a slip for 1½?), ranges across midnight (``22.00-02.00``: the end must follow the
    start), open ends (``09.00 s.d. selesai``), ``2 jam lebih``, and metres (``50 m`` after a
    space is not minutes).

Quantities (:func:`parse_quantity`; ``quantities.py``)
    A number before one of :data:`COUNT_NOUNS` is the quantity: ``15 berkas``, ``40 data``,
    ``3 set``, ``12 KK``, ``35 balita``, ``2 kali``, with abbreviations (``bks``, ``lbr``,
    ``srt``, ``org``, ``pddk``), English words (``files``, ``sheets``) and plurals
    (``berkas-berkas``, ``berkas2``) mapped to one unit so reports add up.  Thousands are
    grouped with a dot, as Indonesians write them: ``1.250 lembar`` is 1250 (a quantity is
    never a fraction, so ``1.250`` cannot mean 1¼).  Two counted things in one line (``15
    berkas dan 3 surat``) give no quantity: which one measures the work is the person's call.

Quick logs (:func:`parse_quick_log`; ``quicklog.py``)
    ``Verifikasi 15 berkas KTP 1,5 jam`` → description ``Verifikasi 15 berkas KTP``,
    quantity 15 ``berkas``, 90 minutes.  A duration counts only at the end of the text or when
    clearly marked (``selama 2 jam``, ``± 2 jam``, ``(2 jam)``, ``pukul 08.00-10.30``, a range
    written with minutes such as ``08.00-10.30``, or with a part of the day).  If the text
    holds more than one duration-looking phrase, or none that counts, ``minutes`` is None and
    the bot asks: in ``Rapat 2 jam dgn camat`` the "2 jam" might describe something else.

A day in one message (:func:`parse_day`; ``daylist.py``, ``headings.py``, ``day.py``)
    A message is cut into lines (and at ``;`` when at least two parts carry a duration of their
    own).  A line may open with a list marker: ``1.``, ``1)``, ``(1)``, ``1️⃣``, ``a.``, ``a)``,
    ``-``, ``–``, ``•``, ``*``, ``>`` or an emoji; ``1.5 jam`` and ``08.00-10.00`` do not.
    Headings are not activities: a line without a duration that ends with ``:``, a report
    header field (``Nama: ...``, ``Hari/Tanggal: ...``), or a line made only of heading and
    greeting words and a date (``Kegiatan hari ini``, ``Laporan kegiatan Senin 23/11``,
    ``Selamat pagi Pak``, ``Terima kasih 🙏``).  A date in a heading is the day the list is for.

    A line continues the activity above it, instead of starting one, only while that activity
    has no duration yet, and when the line
    - says only how long (``2 jam``, ``(08.00-10.00)``), even numbered or after a blank line; or,
      having no list marker and no blank line before it,
    - starts with a joining word (``dengan``, ``dgn``, ``dan``, ``untuk``, ``utk``, ``yang``...)
      or ``(``, or follows a line that ends unfinished (a joining word, ``di``, ``ke``, ``,``,
      ``&``, ``-``); these signs win over heading words (``Rapat dengan\\nLurah``); or
    - is no heading and sits under an item with a list marker, or starts with a small letter in
      a message that starts with a capital (phones capitalise each new line, so a small letter
      is a wrap; people who never capitalise give no such sign).

    The message is a list when at least two activities carry their own duration; or, if there
    is no colon heading that is not a day heading (``Rapat koordinasi:`` over bullets is one
    activity and its points), when at least two lines carry list markers, or a day heading
    stands over them.  Anything else is one activity, read exactly as :func:`parse_quick_log`
    reads the whole text, so ``Rapat koordinasi\\n2 jam`` stays one activity, and three
    unnumbered lines without durations are one activity until numbered.

    Each line gets its number, its text and its reading or problems; the day gets its total,
    pairs of lines whose time ranges overlap, pairs that repeat the same activity (the same
    description, unless both have different time ranges), and whether the total passes 24
    hours.  A line with a problem does not stop the others being read.  Nested lists are read
    flat.
"""

from __future__ import annotations

from domain.worklog.corrections import Correction, parse_correction
from domain.worklog.day import DayLine, DayReading, day_flags, parse_day
from domain.worklog.durations import MAX_MINUTES_PER_ENTRY, parse_duration
from domain.worklog.problems import WORKLOG_PROBLEM_CODES, ParseProblem
from domain.worklog.quantities import (
    COMMON_UNITS,
    COUNT_NOUNS,
    MAX_QUANTITY,
    UNIT_MAX_LENGTH,
    normalize_unit,
    parse_quantity,
)
from domain.worklog.quicklog import QuickLog, parse_quick_log
from domain.worklog.text import DESCRIPTION_MAX_LENGTH, validate_description
from domain.worklog.timeranges import MINUTES_PER_DAY, TimeRange
from domain.worklog.workdates import DEFAULT_DATE_WINDOW_DAYS, is_late, parse_date, parse_work_date

__all__ = [
    "COMMON_UNITS",
    "COUNT_NOUNS",
    "DEFAULT_DATE_WINDOW_DAYS",
    "DESCRIPTION_MAX_LENGTH",
    "MAX_MINUTES_PER_ENTRY",
    "MAX_QUANTITY",
    "MINUTES_PER_DAY",
    "UNIT_MAX_LENGTH",
    "WORKLOG_PROBLEM_CODES",
    "Correction",
    "DayLine",
    "DayReading",
    "ParseProblem",
    "QuickLog",
    "TimeRange",
    "day_flags",
    "is_late",
    "normalize_unit",
    "parse_correction",
    "parse_date",
    "parse_day",
    "parse_duration",
    "parse_quantity",
    "parse_quick_log",
    "parse_work_date",
    "validate_description",
]
