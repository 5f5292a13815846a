"""Pagination for every JSON list: 20 a page by default, at most 200, pages 1 to 100000.

Twenty, as the site's own lists (the workbench, notices, the forum) show a page: a phone's queue
fills a screen or two with it, and a client wanting more asks for `page_size` (up to 200)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from gridgov.core.bounds import MAX_PAGE

PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


class BoundedPages(PageNumberPagination):
    """ninja's page numbers with an upper bound: an unbounded `page` reaches the database as
    OFFSET (page-1)*size, and page 10**20 does not fit in the 64-bit integer it is bound to."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="页码（从1开始）")
        # A larger page size is cut to MAX_PAGE_SIZE rather than refused, as ninja does.
        page_size: int | None = Field(None, ge=1, description=f"每页条数（最多{MAX_PAGE_SIZE}）")


def paged(func: Callable[..., Any]) -> Callable[..., Any]:
    """`@paginate` for a list endpoint, with the endpoint's annotations resolved first.

    Under `from __future__ import annotations` every annotation is a string, and ninja looks
    strings up in the globals of the wrapper that `paginate` returns (ninja's own module), where
    a filter schema such as `ResidentFilter` does not exist; resolving them here, in the
    endpoint's own module, keeps the postponed-annotation rule of the house working.
    """
    func.__annotations__ = typing.get_type_hints(func, include_extras=True)
    return paginate(BoundedPages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)(func)
