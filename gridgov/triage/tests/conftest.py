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


HELD_OUT_ROWS = [
    {"text": "楼道里的声控灯坏了一个月了", "category": "facility", "subcategory": None, "urgency": "normal"},
    {
        "text": "隔壁屋里冒出好大的黑烟，好像没人在家",
        "category": "safety",
        "subcategory": None,
        "urgency": "urgent",
    },
    {"text": "请问社区几点上班", "category": "inquiry", "subcategory": None, "urgency": "normal"},
    {
        "text": "楼下烧烤摊的油烟熏得窗户都不敢开",
        "category": "order",
        "subcategory": None,
        "urgency": "normal",
    },
]


@pytest.fixture
def held_out_file(tmp_path, monkeypatch):
    """A small stand-in held-out file (the real one is written blind and dropped in later), so the
    held-out paths of training and evaluation are tested whether or not one is present."""
    import json

    from gridgov.triage import learning

    path = tmp_path / "eval_holdout_test.jsonl"
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in HELD_OUT_ROWS), encoding="utf-8"
    )
    monkeypatch.setattr(learning, "holdout_files", lambda: [path])
    return path
