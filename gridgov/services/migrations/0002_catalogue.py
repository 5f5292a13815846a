"""The seeds' catalogue (seeds 000, 003): categories and items every community starts with."""

from __future__ import annotations

from django.db import migrations

# Frozen here so later edits never rewrite what existing databases were given.
CATEGORIES = [
    ("home", "家庭服务站", 10),
    ("elderly", "居家养老", 20),
    ("health", "医疗救助", 30),
    ("housekeeping", "家政服务", 40),
    ("info", "信息咨询", 50),
    ("errand", "帮代办", 60),
    ("culture", "文化教育", 70),
    ("property", "物业设施", 80),
]
# code, category, name, description, pricing, price, skills, minutes, eligible tag codes, home visit
ITEMS = [
    ("repair-water-power", "home", "水电维修", "水龙头、电路、开关插座等小修", "discounted", "20", ["水电"], 60, [], True),
    ("drain-unblock", "home", "管道疏通", "下水道、马桶疏通", "discounted", "30", ["水电", "管道"], 60, [], True),
    ("appliance-repair", "home", "家电维修", "电视、洗衣机、冰箱等检修", "paid", "50", ["家电"], 90, [], True),
    ("haircut", "home", "上门理发", "为行动不便的老人和残疾人上门理发", "free", None, ["理发"], 45,
     ["living-alone-elderly", "empty-nest-elderly", "oldest-old", "disabled"], True),
    ("knife-lock", "home", "磨刀换锁", "免费磨刀、换锁、更换家庭小零件（雷锋侠家庭服务站）", "free", None, ["维修"], 30, [], True),
    ("home-care", "elderly", "居家养老", "陪伴、助餐、助洁、代购", "discounted", "30", ["养老护理"], 120,
     ["living-alone-elderly", "empty-nest-elderly", "oldest-old", "disabled"], True),
    ("free-clinic", "health", "医疗救助/义诊", "上门量血压、测血糖、健康咨询", "free", None, ["医护"], 30, [], True),
    ("housekeeping", "housekeeping", "家政服务", "保洁、擦玻璃、整理", "discounted", "40", ["家政"], 120, [], True),
    ("job-info", "info", "就业信息推荐", "岗位信息推荐与求职指导", "free", None, [], 30, [], False),
    ("policy-advice", "info", "政策咨询", "社保、医保、低保等政策解答", "free", None, [], 30, [], False),
    ("id-appointment", "errand", "证件预约上门办理", "老年卡、准生证等证件预约，上门代办", "free", None, ["代办"], 60,
     ["living-alone-elderly", "empty-nest-elderly", "oldest-old", "disabled", "low-income"], True),
    ("book-loan", "culture", "图书借阅", "社区书屋送书上门", "free", None, [], 30, [], False),
    ("child-care", "culture", "儿童托管", "放学后四点半课堂、假期托管", "free", None, ["托管"], 180, [], False),
    ("legal-advice", "info", "法律咨询", "律师、法律顾问解答", "free", None, ["法律"], 60, [], False),
    ("water-tank-clean", "property", "二次供水清洗", "楼栋水箱清洗消毒", "free", None, ["水电"], 240, [], False),
]


def load(apps, schema_editor):
    Category = apps.get_model("services", "ServiceCategory")
    Item = apps.get_model("services", "ServiceItem")
    cats = {}
    for code, name, order in CATEGORIES:
        cats[code], _ = Category.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})
    for index, (code, cat, name, desc, pricing, price, skills, minutes, tags, home) in enumerate(ITEMS):
        Item.objects.get_or_create(
            code=code,
            defaults={
                "category": cats[cat], "name": name, "description": desc, "pricing": pricing, "price": price,
                "skills": skills, "duration_minutes": minutes, "eligible_tags": tags, "home_visit": home,
                "sort_order": index,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
