"""Case categories and urgencies (DESIGN.md §5); the cases app imports them from here."""

from __future__ import annotations

CATEGORIES: list[tuple[str, str]] = [
    ("sanitation", "环境卫生"),
    ("facility", "设施维修"),
    ("safety", "治安消防"),
    ("dispute", "邻里纠纷"),
    ("property", "物业服务"),
    ("order", "市容秩序"),
    ("welfare", "民生求助"),
    ("inquiry", "政策咨询"),
    ("suggestion", "意见建议"),
    ("other", "其他"),
]
CATEGORY_CODES: tuple[str, ...] = tuple(code for code, _name in CATEGORIES)
CATEGORY_NAMES: dict[str, str] = dict(CATEGORIES)
# What a text with no matching rule falls back to.
FALLBACK_CATEGORY = "other"

NORMAL = "normal"
URGENT = "urgent"
URGENCIES: list[tuple[str, str]] = [(NORMAL, "一般"), (URGENT, "紧急")]
URGENCY_CODES: tuple[str, ...] = (NORMAL, URGENT)
URGENCY_NAMES: dict[str, str] = dict(URGENCIES)

# A rule points either at a category or at the urgency scale.
URGENCY_TARGET = "urgent"
RULE_TARGETS: list[tuple[str, str]] = [*CATEGORIES, (URGENCY_TARGET, "紧急程度（紧急）")]
