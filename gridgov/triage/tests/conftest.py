from __future__ import annotations

import pytest

from gridgov.triage import engine


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Each test's rules roll back with its transaction; the in-process cache must not outlive them.
    engine.invalidate()
    yield
    engine.invalidate()
