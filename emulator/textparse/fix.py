"""tdlib's ``fix_formatted_text``, applied to every text a bot sends: control characters become
spaces, ``\\r`` disappears, whitespace-only entities go, the text is trimmed, touching or nested
bold/italic/... runs are merged and split the way Telegram stores them, and the automatic
entities are added. Offsets turn from code points into UTF-16 code units at the very end."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from emulator.textparse.detect import detect_entities, remove_intersecting
from emulator.textparse.entities import (
    BLOCKQUOTE,
    CONTINUOUS,
    HIDDEN_DATA,
    PRE,
    SPLITTABLE,
    SPLITTABLE_SET,
    EmptyTextError,
    Entity,
    FormattedText,
)

__all__ = ["finalize"]


def _entities_valid(entities: list[Entity]) -> bool:
    """Port of tdlib's ``are_entities_valid``: already in the canonical nested form?"""
    end_pos = dict.fromkeys(SPLITTABLE, -1)
    stack: list[Entity] = []
    for entity in entities:
        while stack and entity.offset >= stack[-1].end:
            stack.pop()
        if stack:
            nested = {e.type for e in stack}
            if entity.end > stack[-1].end or entity.type in nested:
                return False
            if stack[-1].type in PRE:
                return False
            if entity.type in PRE and nested - BLOCKQUOTE:
                return False
            if (entity.type in CONTINUOUS or entity.type in BLOCKQUOTE) and nested & CONTINUOUS:
                return False
            if nested & SPLITTABLE_SET:
                return False
        if entity.type in SPLITTABLE_SET:
            if end_pos[entity.type] >= entity.offset:
                return False
            end_pos[entity.type] = entity.end
        stack.append(entity)
    return True


def _split_entities(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    """Port of tdlib's ``split_entities``: merge touching bold/italic/... runs and cut them at
    the borders of other entities, dropping the parts inside code and pre."""
    begin = dict.fromkeys(SPLITTABLE, 0)
    end = dict.fromkeys(SPLITTABLE, 0)
    result: list[Entity] = []
    index = 0

    def flush(offset: int) -> None:
        for kind in SPLITTABLE:
            if end[kind] != 0 and begin[kind] < offset:
                if end[kind] <= offset:
                    result.append(Entity(kind, begin[kind], end[kind] - begin[kind]))
                    begin[kind] = end[kind] = 0
                else:
                    result.append(Entity(kind, begin[kind], offset - begin[kind]))
                    begin[kind] = offset

    def add_entities(end_offset: int) -> None:
        nonlocal index
        while index < len(splittable):
            entity = splittable[index]
            if entity.offset >= end_offset:
                break
            kind = entity.type
            if entity.offset <= end[kind] and end[kind] != 0:
                end[kind] = max(end[kind], entity.end)
            else:
                flush(entity.offset)
                begin[kind] = entity.offset
                end[kind] = entity.end
            index += 1
        flush(end_offset)

    stack: list[Entity] = []

    def add_offset(offset: int) -> None:
        while stack and offset >= stack[-1].end:
            kept = len(result)
            add_entities(stack[-1].end)
            if stack[-1].type in PRE:
                del result[kept:]
            stack.pop()
        add_entities(offset)

    for other in others:
        add_offset(other.offset)
        stack.append(other)
    add_offset(1 << 62)
    result.sort(key=Entity.sort_key)
    return result


def _straddles(entity: Entity, quote: Entity) -> bool:
    overlaps = quote.offset < entity.end and entity.offset < quote.end
    inside = quote.offset <= entity.offset and entity.end <= quote.end
    return overlaps and not inside


def _fix_entities(entities: list[Entity]) -> list[Entity]:
    if len(entities) <= 1:
        return entities
    entities.sort(key=Entity.sort_key)
    if _entities_valid(entities):
        return entities
    splittable = [e for e in entities if e.type in SPLITTABLE_SET]
    quotes = remove_intersecting([e for e in entities if e.type in BLOCKQUOTE])
    continuous = remove_intersecting(
        [e for e in entities if e.type not in SPLITTABLE_SET and e.type not in BLOCKQUOTE]
    )
    if quotes:
        # Continuous entities may sit inside a blockquote but not straddle its border.
        continuous = [e for e in continuous if not any(_straddles(e, q) for q in quotes)]
    others = sorted(continuous + quotes, key=Entity.sort_key)
    if not splittable:
        return others
    return sorted(_split_entities(splittable, others) + others, key=Entity.sort_key)


# Characters Telegram deletes from every text: \r, line/paragraph separators, bidi embeddings
# and three combining marks used to draw lines through text.
_DELETED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
_CLEAN_NEEDED_RE = re.compile("[\x00-\x09\x0b-\x1f\u2028-\u202e\u0333\u033f\u030a]")


def _clean(text: str, entities: list[Entity]) -> str:
    """Control characters become spaces, characters in ``_DELETED`` vanish."""
    if not _CLEAN_NEEDED_RE.search(text):
        return text
    out: list[str] = []
    # new_index[i] is the position in the cleaned text of original code point i.
    new_index: list[int] = []
    for ch in text:
        new_index.append(len(out))
        if ch in _DELETED:
            continue
        out.append(" " if ch < " " and ch != "\n" else ch)
    new_index.append(len(out))
    for entity in entities:
        start = new_index[min(entity.offset, len(text))]
        stop = new_index[min(entity.end, len(text))]
        entity.offset, entity.length = start, stop - start
    return "".join(out)


def _to_utf16(text: str, entities: list[Entity]) -> list[dict[str, Any]]:
    if text.isascii() or all(ch <= "\uffff" for ch in text):
        positions: list[int] | None = None
    else:
        positions = [0]
        for ch in text:
            positions.append(positions[-1] + (2 if ch > "\uffff" else 1))
    result: list[dict[str, Any]] = []
    for entity in entities:
        if positions is None:
            offset, length = entity.offset, entity.length
        else:
            offset = positions[entity.offset]
            length = positions[entity.end] - offset
        item: dict[str, Any] = {"offset": offset, "length": length, "type": entity.type}
        item.update(entity.extra)
        result.append(item)
    return result


def finalize(
    text: str,
    entities: list[Entity],
    *,
    detect: bool = True,
    resolve_user: Callable[[int], dict[str, Any]] | None = None,
) -> FormattedText:
    """Apply Telegram's clean-up to parsed text (offsets in code points) and return Bot API
    entities (UTF-16). Raises :class:`EmptyTextError` when only whitespace is left."""
    entities = [e for e in entities if e.length > 0 and e.offset >= 0]
    text = _clean(text, entities)
    size = len(text)
    for entity in entities:
        if entity.end > size:
            entity.length = max(0, size - entity.offset)
    entities = _fix_entities([e for e in entities if e.length > 0])

    # Whitespace-only entities go (unless they carry hidden data such as a URL); others lose
    # their leading whitespace.
    kept: list[Entity] = []
    for entity in entities:
        if entity.type not in HIDDEN_DATA:
            start = entity.offset
            while start < entity.end and text[start] in " \n":
                start += 1
            if start == entity.end:
                continue
            entity.length = entity.end - start
            entity.offset = start
        kept.append(entity)
    entities = kept

    last = size - 1
    while last >= 0 and text[last] in " \n":
        last -= 1
    if last < 0:
        raise EmptyTextError
    text = text[: last + 1]
    entities = [e for e in entities if e.offset <= last]
    for entity in entities:
        if entity.end > last + 1:
            entity.length = last + 1 - entity.offset
    entities.sort(key=Entity.sort_key)
    first_entity = entities[0].offset if entities else len(text)
    lead = 0
    while lead < first_entity and text[lead] in " \n":
        lead += 1
    if lead:
        text = text[lead:]
        for entity in entities:
            entity.offset -= lead

    if detect:
        found = detect_entities(text)
        if found:
            blockers = [e for e in entities if e.type not in SPLITTABLE_SET | BLOCKQUOTE]
            found = [
                f for f in found if not any(b.offset < f.end and f.offset < b.end for b in blockers)
            ]
            if found:
                entities = _fix_entities(entities + found)

    if resolve_user is not None:
        for entity in entities:
            if entity.type == "text_mention":
                entity.extra["user"] = resolve_user(int(entity.extra["user"]["id"]))
    return FormattedText(text, _to_utf16(text, entities))
