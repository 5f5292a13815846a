from __future__ import annotations

import pytest

from gridgov.triage import engine


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Each test's rules roll back with its transaction; the in-process cache must not outlive them.
    # Likewise a model a test trained: its row rolls back, the next test must not keep using it.
    engine.invalidate()
    engine.invalidate_model()
    yield
    engine.invalidate()
    engine.invalidate_model()
