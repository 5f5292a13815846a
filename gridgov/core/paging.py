"""Pagination for every JSON list: 50 a page by default, at most 200."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from ninja.pagination import PageNumberPagination, paginate

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def paged(func: Callable[..., Any]) -> Callable[..., Any]:
    """`@paginate` for a list endpoint, with the endpoint's annotations resolved first.

    Under `from __future__ import annotations` every annotation is a string, and ninja looks
    strings up in the globals of the wrapper that `paginate` returns (ninja's own module), where
    a filter schema such as `ResidentFilter` does not exist; resolving them here, in the
    endpoint's own module, keeps the postponed-annotation rule of the house working.
    """
    func.__annotations__ = typing.get_type_hints(func, include_extras=True)
    return paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)(func)
