"""Default rules, second edition: praise and thanks move from 意见建议 to 其他 (staff file them there;
it was the worst confusion measured in issue 8), and words for food safety, fraud, welfare, facilities
and more are added, tuned on the development data of the evaluation set only.

Only default rules an administrator has not touched are changed: a rule is removed or re-weighted
only while it still has its default weight, note and no creator; a rule is added only if no rule with
the same target, kind and text exists.
"""

from __future__ import annotations

from django.db import migrations

NOTE = "默认规则"
# (target, kind, text, weight)
ADDED = [
    ('dispute', 'phrase', '不让', 1.0),
    ('dispute', 'phrase', '兄弟', 2.0),
    ('dispute', 'phrase', '分家', 3.0),
    ('dispute', 'phrase', '房租', 3.0),
    ('dispute', 'phrase', '扯皮', 2.0),
    ('dispute', 'phrase', '护短', 3.0),
    ('dispute', 'phrase', '造谣', 3.0),
    ('dispute', 'phrase', '道歉', 2.0),
    ('facility', 'phrase', '井盖松', 3.0),
    ('facility', 'phrase', '信号', 2.0),
    ('facility', 'phrase', '修一修', 2.0),
    ('facility', 'phrase', '卷帘门', 3.0),
    ('facility', 'phrase', '地砖', 3.0),
    ('facility', 'phrase', '宽带', 2.0),
    ('facility', 'phrase', '对讲', 2.0),
    ('facility', 'phrase', '扶手', 2.0),
    ('facility', 'phrase', '排风', 2.0),
    ('facility', 'phrase', '有线电视', 2.0),
    ('facility', 'phrase', '松动', 2.0),
    ('facility', 'phrase', '灯坏', 3.0),
    ('facility', 'phrase', '电压', 3.0),
    ('facility', 'phrase', '翘起', 2.0),
    ('facility', 'phrase', '道闸', 3.0),
    ('facility', 'phrase', '锈', 1.0),
    ('facility', 'phrase', '门锁坏', 3.0),
    ('facility', 'phrase', '闭门器', 3.0),
    ('inquiry', 'phrase', '么时候发', 2.0),
    ('inquiry', 'phrase', '怎么处罚', 3.0),
    ('inquiry', 'phrase', '收不收钱', 2.0),
    ('inquiry', 'phrase', '有冇得政策', 3.0),
    ('inquiry', 'phrase', '能不能报', 3.0),
    ('inquiry', 'phrase', '能报吗', 3.0),
    ('inquiry', 'phrase', '要钱吗', 2.0),
    ('other', 'phrase', '出租', 2.0),
    ('other', 'phrase', '发错了', 3.0),
    ('other', 'phrase', '听得到吗', 3.0),
    ('other', 'phrase', '在吗', 3.0),
    ('other', 'phrase', '处理得很满意', 3.0),
    ('other', 'phrase', '天气', 2.0),
    ('other', 'phrase', '好吃', 2.0),
    ('other', 'phrase', '密码', 2.0),
    ('other', 'phrase', '小程序', 3.0),
    ('other', 'phrase', '忽略', 2.0),
    ('other', 'phrase', '感谢', 2.0),
    ('other', 'phrase', '打招呼', 3.0),
    ('other', 'phrase', '报喜', 3.0),
    ('other', 'phrase', '招不招', 2.0),
    ('other', 'phrase', '拼车', 3.0),
    ('other', 'phrase', '推荐一下', 2.0),
    ('other', 'phrase', '撤回', 3.0),
    ('other', 'phrase', '新年快乐', 3.0),
    ('other', 'phrase', '有人要', 2.0),
    ('other', 'phrase', '有冇得人要', 3.0),
    ('other', 'phrase', '机器人', 2.0),
    ('other', 'phrase', '欢迎大家', 2.0),
    ('other', 'phrase', '求购', 3.0),
    ('other', 'phrase', '点个赞', 3.0),
    ('other', 'phrase', '点赞', 3.0),
    ('other', 'phrase', '登不上', 3.0),
    ('other', 'phrase', '真人', 2.0),
    ('other', 'phrase', '表扬', 3.0),
    ('other', 'phrase', '记者', 3.0),
    ('other', 'phrase', '谢谢', 1.0),
    ('other', 'phrase', '走访', 1.0),
    ('other', 'phrase', '转发', 2.0),
    ('other', 'phrase', '辛苦了', 2.0),
    ('other', 'phrase', '锦旗', 3.0),
    ('safety', 'phrase', '三无', 3.0),
    ('safety', 'phrase', '上吐下泻', 3.0),
    ('safety', 'phrase', '假药', 4.0),
    ('safety', 'phrase', '健康证', 3.0),
    ('safety', 'phrase', '变质', 3.0),
    ('safety', 'phrase', '吃出', 3.0),
    ('safety', 'phrase', '地沟油', 4.0),
    ('safety', 'phrase', '安全账户', 4.0),
    ('safety', 'phrase', '抢', 3.0),
    ('safety', 'phrase', '拉肚子', 3.0),
    ('safety', 'phrase', '拿刀', 4.0),
    ('safety', 'phrase', '掉到水里', 4.0),
    ('safety', 'phrase', '撬', 3.0),
    ('safety', 'phrase', '斧头', 3.0),
    ('safety', 'phrase', '栏杆外', 3.0),
    ('safety', 'phrase', '检疫', 3.0),
    ('safety', 'phrase', '砸车', 3.0),
    ('safety', 'phrase', '精神不太正常', 2.0),
    ('safety', 'phrase', '腐烂', 2.0),
    ('safety', 'phrase', '转钱', 3.0),
    ('safety', 'phrase', '过期', 3.0),
    ('safety', 'phrase', '食品安全', 4.0),
    ('safety', 'phrase', '骗老', 3.0),
    ('sanitation', 'phrase', '冇人扫', 3.0),
    ('sanitation', 'phrase', '冇人收', 3.0),
    ('sanitation', 'phrase', '扫一下', 2.0),
    ('sanitation', 'phrase', '没人扫', 3.0),
    ('sanitation', 'phrase', '油漆', 1.0),
    ('sanitation', 'phrase', '泔水', 3.0),
    ('sanitation', 'phrase', '泥浆', 2.0),
    ('sanitation', 'phrase', '潲水', 3.0),
    ('sanitation', 'phrase', '瓶瓶罐罐', 2.0),
    ('sanitation', 'phrase', '蛆', 3.0),
    ('welfare', 'phrase', '上门理发', 3.0),
    ('welfare', 'phrase', '下不了楼', 2.0),
    ('welfare', 'phrase', '冇得着落', 3.0),
    ('welfare', 'phrase', '出不得门', 3.0),
    ('welfare', 'phrase', '助学', 3.0),
    ('welfare', 'phrase', '坐轮椅', 2.0),
    ('welfare', 'phrase', '学费', 2.0),
    ('welfare', 'phrase', '家里困难', 3.0),
    ('welfare', 'phrase', '康复', 2.0),
    ('welfare', 'phrase', '护理', 2.0),
    ('welfare', 'phrase', '拿药', 2.0),
    ('welfare', 'phrase', '桥洞', 2.0),
    ('welfare', 'phrase', '流浪汉', 3.0),
    ('welfare', 'phrase', '自闭症', 3.0),
    ('welfare', 'phrase', '送饭', 2.0),
    ('welfare', 'phrase', '陪护', 3.0),
]
# (target, kind, text, weight)
REMOVED = [
    ('suggestion', 'phrase', '感谢', 3.0),
    ('suggestion', 'phrase', '点个赞', 4.0),
    ('suggestion', 'phrase', '点赞', 4.0),
    ('suggestion', 'phrase', '表扬', 4.0),
    ('suggestion', 'phrase', '谢谢', 2.0),
    ('suggestion', 'phrase', '锦旗', 4.0),
]
# (target, kind, text, old weight, new weight)
CHANGED = [
]


def _untouched(TriageRule, target, kind, text, weight):
    return TriageRule.objects.filter(
        target=target, kind=kind, text=text, weight=weight, note=NOTE, created_by__isnull=True
    )


def forward(apps, schema_editor):
    TriageRule = apps.get_model("triage", "TriageRule")
    existing = set(TriageRule.objects.values_list("target", "kind", "text"))
    TriageRule.objects.bulk_create(
        [
            TriageRule(target=target, kind=kind, text=text, weight=weight, note=NOTE)
            for target, kind, text, weight in ADDED
            if (target, kind, text) not in existing
        ]
    )
    for target, kind, text, weight in REMOVED:
        _untouched(TriageRule, target, kind, text, weight).delete()
    for target, kind, text, old, new in CHANGED:
        _untouched(TriageRule, target, kind, text, old).update(weight=new)


def backward(apps, schema_editor):
    TriageRule = apps.get_model("triage", "TriageRule")
    for target, kind, text, weight in ADDED:
        _untouched(TriageRule, target, kind, text, weight).delete()
    existing = set(TriageRule.objects.values_list("target", "kind", "text"))
    TriageRule.objects.bulk_create(
        [
            TriageRule(target=target, kind=kind, text=text, weight=weight, note=NOTE)
            for target, kind, text, weight in REMOVED
            if (target, kind, text) not in existing
        ]
    )
    for target, kind, text, old, new in CHANGED:
        _untouched(TriageRule, target, kind, text, new).update(weight=old)


class Migration(migrations.Migration):
    dependencies = [("triage", "0005_correction_subcategory")]

    operations = [migrations.RunPython(forward, backward)]
