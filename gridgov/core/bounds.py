"""Bounds for what a client may ask for in a query: page numbers, offsets, ids and filter dates.

Python's int and date are unbounded where the databases are not: page 10**20 becomes an OFFSET
SQLite cannot bind, an id past 2**63-1 overflows a BIGINT comparison, and a date in year 1 falls
out of range when its local midnight is shifted to UTC. Each such parameter is refused with a
Chinese message before it reaches a query, on the JSON API (pydantic constraints, which also put
the limits into the OpenAPI schema) and on the pages (form validators) alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.validators import MaxValueValidator, MinValueValidator
from pydantic import Field

MAX_PAGE = 100_000
MAX_OFFSET = 10_000_000
MAX_ID = 2**63 - 1  # the largest BIGINT primary key on PostgreSQL and SQLite
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 1, 1)
DATE_RANGE_MESSAGE = f"须在{DATE_MIN:%Y-%m-%d}到{DATE_MAX:%Y-%m-%d}之间"

# For ninja schemas: `since: FilterDate | None = Field(None, description=...)`.
FilterDate = Annotated[dt.date, Field(ge=DATE_MIN, le=DATE_MAX)]
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


def date_range_validators() -> list[MinValueValidator | MaxValueValidator]:
    """Validators for a page's filter date field; the pages show each error after the field's
    label ("起始日期：须在…之间"), so the message does not repeat it."""
    return [
        MinValueValidator(DATE_MIN, message=DATE_RANGE_MESSAGE),
        MaxValueValidator(DATE_MAX, message=DATE_RANGE_MESSAGE),
    ]
