"""The case world (organisations, routing rules) from the cases tests."""

from __future__ import annotations

from gridgov.cases.tests.conftest import cw, submit

__all__ = ["cw", "submit"]
