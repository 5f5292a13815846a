from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.audit.models import AuditEntry
from gridgov.triage import selectors
from gridgov.triage.models import Correction
from gridgov.triage.services import record_correction, suggest

TEXT = "楼上装修天天电钻响，说了也不听"


def test_confirmation_and_correction_are_stored_with_the_suggestion(world):
    suggested = suggest(TEXT)
    kept = record_correction(
        text=TEXT,
        suggested=suggested,
        category=suggested.category,
        urgency=suggested.urgency,
        by=world.alice,
        case_id=7,
    )
    changed = record_correction(
        text=TEXT, suggested=suggested, category="order", urgency="urgent", by=world.carol
    )
    assert kept.changed is False
    assert changed.changed is True
    stored = Correction.objects.get(pk=changed.pk)
    assert (stored.suggested_category, stored.suggested_urgency) == (suggested.category, suggested.urgency)
    assert stored.suggested_confidence == suggested.confidence
    assert stored.matched == list(suggested.matched)
    assert (stored.category, stored.urgency, stored.by, stored.case_id) == (
        "order",
        "urgent",
        world.carol,
        None,
    )
    assert Correction.objects.get(pk=kept.pk).case_id == 7
    audit = AuditEntry.objects.get(target_type="triage.correction", target_id=str(changed.pk))
    assert audit.changes["category"] == [suggested.category, "order"]
    assert audit.actor == world.carol


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"category": "坏 分类"}, "category", "无效"),
        ({"category": ""}, "category", "无效"),
        ({"urgency": "very"}, "urgency", "紧急程度"),
        ({"text": "  "}, "text", "原文不能为空"),
    ],
)
def test_bad_corrections_are_refused(world, values, field, message):
    arguments = {
        "text": TEXT,
        "suggested": suggest(TEXT),
        "category": "dispute",
        "urgency": "normal",
    } | values
    with pytest.raises(ValidationError) as raised:
        record_correction(by=world.alice, **arguments)
    assert message in raised.value.message_dict[field][0]
    assert not Correction.objects.exists()


def test_a_category_added_by_administrators_is_accepted_as_a_label(world):
    correction = record_correction(
        text=TEXT, suggested=suggest(TEXT), category="epidemic", urgency="urgent", by=world.carol
    )
    assert Correction.objects.get(pk=correction.pk).category == "epidemic"


def test_only_administrators_read_the_training_data(world):
    suggested = suggest(TEXT)
    record_correction(text=TEXT, suggested=suggested, category="order", urgency="normal", by=world.alice)
    record_correction(
        text=TEXT, suggested=suggested, category=suggested.category, urgency="normal", by=world.alice
    )
    assert selectors.correction_list(world.alice).count() == 0
    assert selectors.correction_list(world.admin).count() == 2
    assert selectors.correction_list(world.admin, changed_only=True).count() == 1
    agreement = selectors.correction_agreement(world.admin)
    assert agreement == [
        {"category": suggested.category, "name": "邻里纠纷", "total": 2, "kept": 1, "rate": 0.5}
    ]
    assert selectors.correction_agreement(world.carol) == []
