"""A transaction whose statements go to PostgreSQL without waiting for each other's answers.

A new case writes five rows in one transaction; sent one by one that is seven round trips (BEGIN,
five statements, COMMIT), and the worker's thread waits for every one while holding the
transaction open. In psycopg's pipeline mode a statement is sent at once and its answer read only
when something needs it (a RETURNING the caller reads) or at the commit, so the rows nobody reads
back cost no wait of their own. The answers, and the errors among them (a unique index refusing
a row), arrive at those points, still inside the block: the transaction or savepoint is rolled
back as usual and the error reaches the caller.

For blocks that insert and read: psycopg learns an UPDATE's or DELETE's row count only with its
answer, which the ORM reads at once, so those still cost their round trip (correct, only not
faster). SQLite has no pipeline: there the block is a plain `transaction.atomic()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextlib.contextmanager
def atomic_pipelined(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """`transaction.atomic()` whose statements, and commit, are pipelined on PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using):
            yield
        return
    connection.ensure_connection()
    if connection.in_atomic_block:
        # A savepoint in someone's transaction: its answers must all be in before the savepoint
        # is released, so a refused row rolls back to it and not the caller's whole transaction.
        # The answers read at the pipeline's end come from psycopg itself: Django's wrapper turns
        # its errors into Django's (IntegrityError …), as for any statement.
        with (
            transaction.atomic(using=using),
            connection.wrap_database_errors,
            connection.connection.pipeline(),
        ):
            yield
    else:
        # The outermost block: the COMMIT joins the last statements' round trip. psycopg syncs
        # the pipeline when committing, and a failed commit is rolled back by atomic() itself.
        with (
            connection.wrap_database_errors,
            connection.connection.pipeline(),
            transaction.atomic(using=using),
        ):
            yield
