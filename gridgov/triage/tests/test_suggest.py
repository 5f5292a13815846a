from __future__ import annotations

import pytest

from gridgov.triage.categories import CATEGORY_CODES, CATEGORY_NAMES
from gridgov.triage.services import Suggestion, suggest, tokens

pytestmark = pytest.mark.django_db

CLEAR_CASES = [
    ("sanitation", "我们楼下垃圾桶满了好几天没人清，臭气熏天"),
    ("facility", "小区南门的路灯不亮了，晚上走路看不见"),
    ("safety", "有人在楼道里给电动车飞线充电，还堵了消防通道"),
    ("dispute", "楼上邻居家漏水把我家天花板泡了，他们不肯赔，想请社区调解"),
    ("property", "物业费涨了一倍，物业服务却越来越差"),
    ("order", "菜市场门口占道经营的小摊太多，车都过不去"),
    ("welfare", "5栋有位独居老人行动不便，没人照顾，想请社区帮帮忙"),
    ("inquiry", "请问低保怎么申请，需要什么材料"),
    ("suggestion", "建议在小区增设几个健身器材"),
]


@pytest.mark.parametrize(("category", "text"), CLEAR_CASES)
def test_clear_reports_get_their_category(category, text):
    suggestion = suggest(text)
    assert suggestion.category == category, (text, suggestion)
    assert suggestion.urgency == "normal"
    assert 0.5 <= suggestion.confidence <= 1
    assert suggestion.matched, "the dispatcher must see why"


def test_every_category_has_a_chinese_name():
    assert len(CATEGORY_CODES) == 10
    assert CATEGORY_NAMES["facility"] == "设施维修"
    assert CATEGORY_NAMES["other"] == "其他"


@pytest.mark.parametrize(
    "text",
    [
        "3号楼电梯困人了，里面有个小孩，快来！",
        "5楼厨房起火了，冒黑烟",
        "楼道里一股很浓的煤气味",
        "王奶奶在家摔倒了，头在流血",
        "主水管爆管了，水漫到一楼",
        "配电箱漏电，刚才有人触电了",
    ],
)
def test_emergencies_are_urgent(text):
    suggestion = suggest(text)
    assert suggestion.urgency == "urgent", (text, suggestion)


def test_lift_trapping_names_the_deciding_phrases():
    suggestion = suggest("2单元电梯困人，快来人")
    assert suggestion.category == "facility"
    assert suggestion.urgency == "urgent"
    assert "电梯困人" in suggestion.matched
    assert "困人" in suggestion.matched


def test_counter_evidence_keeps_a_report_normal():
    assert suggest("楼道灯坏了，不着急，有空来修一下").urgency == "normal"
    assert suggest("车棚着火已经扑灭了，没人受伤，想问下后续谁来处理").urgency == "normal"


def test_nothing_matched_is_other_with_zero_confidence(settings):
    # No rule fires on a greeting; the model has learned that greetings are "other" too.
    greeting = suggest("你们好呀")
    assert (greeting.category, greeting.urgency) == ("other", "normal")
    assert greeting.matched[:1] == ("模型",)
    assert suggest("") == Suggestion(category="other", urgency="normal", confidence=0.0, matched=())
    assert suggest("   ").confidence == 0.0
    settings.TRIAGE_MODEL_ENABLED = False
    assert suggest("你们好呀") == Suggestion(category="other", urgency="normal", confidence=0.0, matched=())


def test_full_width_and_spaces_are_normalised():
    assert suggest("ＫＴＶ 门 口 天天 占 道 经 营").category == "order"


def test_a_clear_winner_is_more_confident_than_a_split_vote():
    clear = suggest("小区垃圾成堆没人清运，臭气熏天，苍蝇老鼠到处都是")
    split = suggest("路灯坏了，垃圾也没人清")
    assert clear.confidence > split.confidence


def test_domain_words_stay_whole_in_segmentation():
    words = tokens("楼道里电动车飞线充电，高空抛物也没人管，流浪狗到处跑")
    for word in ("飞线充电", "高空抛物", "流浪狗", "电动车"):
        assert word in words


def test_very_long_pastes_are_handled():
    suggestion = suggest("路灯不亮了。" + "哈" * 100_000)
    assert suggestion.category == "facility"
