"""GeoReport v2's two formats: the same rows as JSON (a list of objects) or as XML (a root
element with one child per row, each field an element). The XML is built with the standard
library's ElementTree, which escapes every value; characters XML 1.0 cannot carry at all
(control characters a citizen may have pasted) are dropped first."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from xml.etree import ElementTree

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json", "xml": "text/xml"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# The element of each item in a nested list (a service definition's attributes and values).
_ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

Row = Mapping[str, Any]


def respond(
    rows: Sequence[Row] | Row,
    fmt: str,
    *,
    root: str,
    item: str | None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """``rows`` (a list under ``root`` with ``item`` elements, or one object as ``root``)."""
    if fmt == "xml":
        body = to_xml(rows, root, item)
    else:
        body = json.dumps(rows, ensure_ascii=False)
    return web.Response(
        text=body,
        status=status,
        content_type=CONTENT_TYPES[fmt],
        charset="utf-8",
        headers=headers,
    )


def to_xml(rows: Sequence[Row] | Row, root: str, item: str | None) -> str:
    # Imported at the first XML answer: ElementTree and its parser are ~10 modules.
    from xml.etree import ElementTree

    top = ElementTree.Element(root)
    if isinstance(rows, Mapping):
        _fill(top, rows)
    else:
        assert item is not None
        for row in rows:
            _fill(ElementTree.SubElement(top, item), row)
    text = ElementTree.tostring(top, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + text


def _fill(element: ElementTree.Element, row: Row) -> None:
    from xml.etree import ElementTree

    for key, value in row.items():
        child = ElementTree.SubElement(element, key)
        if isinstance(value, list):
            for entry in value:
                element_of_entry = ElementTree.SubElement(child, _ITEM_TAGS.get(key, "item"))
                if isinstance(entry, Mapping):
                    _fill(element_of_entry, entry)
                else:
                    element_of_entry.text = _text(entry)
        else:
            child.text = _text(value)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
