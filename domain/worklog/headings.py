"""Lines of a pasted day that are not activities: headings, header fields and greetings.

"Kegiatan hari ini:", "Laporan kegiatan Rabu, 25 November 2026", "Nama: Budi", "Selamat pagi
Pak," and "Terima kasih 🙏" are read as headings.  A heading may name the day the list is for.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from domain.worklog.problems import ParseProblem
from domain.worklog.text import has_substance, squash
from domain.worklog.workdates import parse_date

# Words a heading, greeting or closing line is made of, besides a date.  A line with any other
# word ("Kegiatan posyandu:") is not a day heading: it may name an activity.
_HEADING_WORDS: Final = frozenset(
    """
    laporan lapor melaporkan lap lapkin lkh kegiatan keg kgt aktivitas aktifitas pekerjaan
    kerja kinerja harian hari hr ini tanggal tgl saya sy catatan daftar rincian uraian rekap
    progres progress agenda jadwal yang yg sudah sdh telah dikerjakan dilakukan dilaksanakan
    pada untuk utk berikut adalah izin ijin mohon pak bu bapak ibu assalamualaikum
    assalamu'alaikum wr wb selamat pagi siang sore malam terima kasih makasih trims tks
    thanks thank you today todays today's daily report activities activity tasks task work log
    my done what i did list dear sir madam good morning afternoon evening
    lurah camat sekcam seklur kasi kasubag kabag kepala kepling atasan
    """.split()
)
# "Nama: Budi", "Hari/Tanggal: Rabu, 25 November 2026": fields of a report's header.
_HEADER_FIELD_RE: Final = re.compile(
    r"^(?P<key>nama|name|nip|jabatan|position|unit(?:\s+kerja)?|instansi|opd|bagian|seksi"
    r"|bidang|subbag|kelurahan|kecamatan|hari\s*[/,]\s*(?:tanggal|tgl)|hari|tanggal|tgl|date|day)"
    r"\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_DATE_KEYS: Final = frozenset({"hari", "tanggal", "tgl", "date", "day"})
_WORD_RE: Final = re.compile(r"[^\W\d_][\w'’-]*|\S+")
_EDGE_PUNCTUATION: Final = ":;,.!-–—()[]"
#: Dates are at most a few words ("Senin, 24 November 2026"); longer suffixes are not tried.
_MAX_DATE_WORDS: Final = 5


def _split_date(text: str, today: date) -> tuple[str, date | ParseProblem | None]:
    """The text before a date phrase that ends the line, and that date (None: no date)."""
    words = text.split()
    for size in range(min(len(words), _MAX_DATE_WORDS), 0, -1):
        parsed = parse_date(" ".join(words[-size:]), today)
        if not (isinstance(parsed, ParseProblem) and parsed.code == "date_unreadable"):
            return " ".join(words[:-size]), parsed
    return text, None


def _only_heading_words(text: str) -> bool:
    words = [word.strip(_EDGE_PUNCTUATION).lower() for word in _WORD_RE.findall(text)]
    return all(word in _HEADING_WORDS or not has_substance(word) for word in words if word)


def read_heading(text: str, today: date) -> tuple[bool, date | ParseProblem | None]:
    """Whether a line (with no duration) is a day heading, and the day it names if any.

    A named day that does not exist ("31/02") comes back as its ParseProblem, so the person
    is asked instead of the list landing on another day.
    """
    line = squash(text).strip(_EDGE_PUNCTUATION + " ")
    if not line:
        return True, None  # a ruler such as "-----"
    field = _HEADER_FIELD_RE.match(line)
    if field is not None:
        key = squash(field["key"].lower()).split("/")[0].split(",")[0].strip()
        value = field["value"].strip(_EDGE_PUNCTUATION + " ")
        if key in _DATE_KEYS and value:
            return True, _split_date(value, today)[1]
        return True, None
    rest, named = _split_date(line, today)
    return _only_heading_words(rest), named


def ends_with_colon(text: str) -> bool:
    """A section heading such as "Pagi:" or "Rapat koordinasi:" ends with a colon."""
    return text.rstrip().endswith(":")
