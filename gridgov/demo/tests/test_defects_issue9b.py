"""Issue 9 defect 9: the demo's food-safety reports are about food, so 市场监管 never closes a fire case."""

from __future__ import annotations

from gridgov.demo.case_texts import SUBCATEGORY_NOT, reports_for, result_for


def test_defect_09_no_fire_or_lift_report_is_dealt_as_food_safety():
    texts = reports_for("food-safety", "normal") + reports_for("food-safety", "urgent")
    assert texts
    for text in texts:
        assert not any(word in text for word in SUBCATEGORY_NOT["food-safety"]), text
    # The expired-extinguisher reports stay with 治安消防, whose answers are not 市场监管's.
    safety = reports_for("safety", "normal") + reports_for("safety", "urgent")
    extinguisher = [t for t in safety if "灭火器" in t]
    assert extinguisher
    for text in extinguisher:
        assert "市场监管" not in result_for("safety", text, lambda options: options[0])
