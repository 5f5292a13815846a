from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
COLUMNS = [
    ("社区党建", "党组织活动、党员风采"),
    ("生活快车", "居民点单、便民服务"),
    ("社区服务", "办事指南、服务项目"),
    ("社区活动", "文体活动、志愿服务"),
    ("通知公告", "停水停电、重要通知"),
    ("政策法规", "政策解读、法律法规"),
    ("便民信息", "电话号码、出行、天气"),
]
GRANTS = {
    "sysadmin": ["bulletin.view", "bulletin.publish", "bulletin.columns",
                 "activities.view", "activities.manage"],
    "street_admin": ["bulletin.view", "bulletin.publish", "bulletin.columns",
                     "activities.view", "activities.manage"],
    "community_secretary": ["bulletin.view", "bulletin.publish", "bulletin.columns", "activities.view", "activities.manage"],
    "community_worker": ["bulletin.view", "bulletin.publish", "activities.view", "activities.manage"],
    "grid_head": ["bulletin.view", "bulletin.publish", "activities.view", "activities.manage"],
    "grid_worker": ["bulletin.view", "bulletin.publish", "activities.view", "activities.manage"],
    "grid_steward": ["bulletin.view", "activities.view"],
    "volunteer_grid_worker": ["bulletin.view", "activities.view"],
    "building_head": ["bulletin.view", "activities.view"],
}


def forward(apps, schema_editor):
    Column = apps.get_model("bulletin", "Column")
    for order, (name, description) in enumerate(COLUMNS):
        Column.objects.get_or_create(name=name, defaults={"description": description, "sort_order": (order + 1) * 10})
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        held = list(role.capabilities or [])
        missing = [cap for cap in GRANTS[role.code] if cap not in held]
        if missing:
            role.capabilities = held + missing
            role.save(update_fields=["capabilities"])


def backward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    granted = {cap for caps in GRANTS.values() for cap in caps}
    for role in Role.objects.all():
        kept = [cap for cap in (role.capabilities or []) if cap not in granted]
        if kept != list(role.capabilities or []):
            role.capabilities = kept
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("bulletin", "0001_initial"), ("accounts", "0008_drop_per_account_lock_fields")]
    operations = [migrations.RunPython(forward, backward)]
