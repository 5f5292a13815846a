from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.triage import engine
from gridgov.triage.models import TriageRule
from gridgov.triage.preview import RuleChange, apply_change, preview_rule_change, reclassified

pytestmark = pytest.mark.django_db

PAST = [
    ("小区门口那个路口车太多，能不能装个减速带", "suggestion"),
    ("地下车库入口的减速带被压坏了，钢钉露出来扎了好几个车胎", "facility"),
    ("楼下垃圾桶满了好几天没人收", "sanitation"),
    ("小区里的共享充电宝柜子吞钱了", "property"),
    ("充电宝柜子又坏了，扫码不出来", "property"),
]


def test_a_proposed_rule_says_which_past_cases_it_would_reclassify():
    rules_before = TriageRule.objects.count()
    change = RuleChange("add", "property", "充电宝柜", weight=engine.RULE_DECISIVE)
    result = preview_rule_change(PAST, change)
    assert result.total == len(PAST)
    moved = {item.index: item for item in result.changed}
    assert set(moved) >= {3, 4} and 2 not in moved and 0 not in moved
    assert all(moved[i].after == "property" and moved[i].now_agrees for i in (3, 4))
    assert result.reclassified == len(moved) and result.gained >= 2 and result.lost == 0
    assert result.summary().startswith(f"这项修改会改变 {result.reclassified} 件过去事件的建议分类")
    # A preview writes nothing and leaves the rules in use as they were.
    assert TriageRule.objects.count() == rules_before
    assert engine.suggest(PAST[3][0]).category == engine.decide(PAST[3][0]).suggestion.category


def test_the_preview_is_a_pure_function_of_its_inputs():
    rules = [("sanitation", "phrase", "垃圾", 2.0), ("facility", "phrase", "坏了", 2.0)]
    after = apply_change(rules, RuleChange("update", "facility", "坏了", new_target="property", new_weight=9))
    assert after == [("sanitation", "phrase", "垃圾", 2.0), ("property", "phrase", "坏了", 9.0)]
    first = reclassified(PAST, before=rules, after=after, model=None)
    again = reclassified(PAST, before=rules, after=after, model=None)
    assert first == again
    assert [item.index for item in first.changed] == [1, 4]
    assert all(item.after == "property" for item in first.changed)
    assert first.lost == 1 and first.gained == 1  # the car park's speed bump, and the charger box
    assert apply_change(after, RuleChange("delete", "property", "坏了")) == rules[:1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (RuleChange("add", "sanitation", "垃圾"), "text"),  # already a rule
        (RuleChange("delete", "sanitation", "没有这条"), "text"),
        (RuleChange("add", "nope", "甲乙"), "target"),
        (RuleChange("add", "order", "甲乙", weight=0), "weight"),
        (RuleChange("rename", "order", "甲乙"), "action"),
    ],
)
def test_a_bad_change_is_refused_in_chinese(change, field):
    with pytest.raises(ValidationError) as raised:
        apply_change([("sanitation", "phrase", "垃圾", 2.0)], change)
    assert field in raised.value.message_dict
