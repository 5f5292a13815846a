"""GeoReport v2 documents in XML (mandatory) and JSON, and its error format.

XML is built with ElementTree, so every text is escaped; lists become a parent element with
one child per item, named as the spec names them (services → service, formats → format …).
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

from gridgov.core.text import strip_unwritable

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json"
FORMATS = ("xml", "json")

# Element name of one item of a list-valued field.
_ITEM = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    # ElementTree writes a control character as it is, and then no XML parser reads the document:
    # a row stored before the boundary refused them must not break the whole feed.
    return strip_unwritable(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        name = _ITEM.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, name), item)
    else:
        element.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """`data` as `<root>`; a list puts each entry in an `<item>` element."""
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(ET.SubElement(element, item or "item"), entry)
    else:
        _fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, default=_text).encode()
        return HttpResponse(body, status=status, content_type=JSON_TYPE)
    return HttpResponse(to_xml(root, item, data), status=status, content_type=XML_TYPE)


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """`[{code, description}]` / `<errors><error><code>…` with the HTTP status as the code."""
    items = [{"code": status, "description": text} for text in descriptions]
    return respond(fmt if fmt in FORMATS else "xml", items, root="errors", item="error", status=status)
