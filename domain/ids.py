"""Numbers read back from button data and typed answers, which people (or modified clients) can
garble: ``"²"`` passes ``str.isdigit`` but not ``int``, and 30 digits pass both but overflow the
database's integers."""

from __future__ import annotations

# Every table's id is an INTEGER on PostgreSQL (32 bits); Telegram ids, the only BIGINTs, never
# travel in button data.
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """A non-negative whole number in ASCII digits that an id column can hold, else None."""
    if not text or len(text) > len(str(MAX_ID)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None
