"""Rich text from staff editors, cleaned by nh3 (ammonia) against an allow-list before storage."""

from __future__ import annotations

import nh3

TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "img",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"}, "th": {"colspan"}}
# Images come only from the notice's own uploads: a remote image would tell a third party
# who read the notice and when.
IMAGE_PREFIX = "/bulletin/files/"


def _attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.startswith(IMAGE_PREFIX) and "//" not in value else None
    return value


def clean_html(html: str) -> str:
    """Sanitised HTML: allowed tags and attributes only, links http(s)/mailto/tel or site-relative."""
    return nh3.clean(
        html or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute,
        strip_comments=True,
    )


def plain_text(html: str) -> str:
    """The text of sanitised HTML (for robots, summaries, search)."""
    return " ".join(nh3.clean(html or "", tags=set()).split())
