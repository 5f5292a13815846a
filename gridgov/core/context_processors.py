from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere

# (label, url name, capability (or any of several) needed anywhere, or None for every staff user)
NAVIGATION: list[tuple[str, str, str | tuple[str, ...] | None]] = [
    ("工作台", "core:home", None),
    ("事件工作台", "cases:workbench", (caps.CASES_VIEW, caps.CASES_ORG_HANDLE)),
    ("事件统计", "cases:stats", caps.CASES_STATS),
    ("事件配置", "cases:config", caps.CASES_CONFIGURE),
    ("二维码海报", "report:posters", caps.CASES_INTAKE),
    ("网格与楼栋", "places:tree", caps.REGISTRY_VIEW),
    ("居民查询", "people:search", caps.REGISTRY_VIEW),
    ("流动人口", "people:floating", caps.REGISTRY_VIEW),
    ("网格户数", "places:grid_balance", caps.REGISTRY_VIEW),
    ("组织", "orgs:list", caps.ORGS_VIEW),
    ("导入导出", "transfer:index", (caps.REGISTRY_IMPORT, caps.REGISTRY_EXPORT)),
    ("审计日志", "audit:search", caps.AUDIT_VIEW),
    ("账号与角色", "accounts:users", caps.ROLES_MANAGE),
    ("通知", "notifications:inbox", None),
    ("群机器人", "notifications:robots", caps.PLACES_MANAGE),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_caps": set()}
    held = capabilities_anywhere(user)
    items = [
        {"label": label, "url": reverse(url_name), "active": False}
        for label, url_name, capability in NAVIGATION
        if capability is None
        or (capability in held if isinstance(capability, str) else bool(held.intersection(capability)))
    ]
    # Only the longest matching entry is lit: /places/grid-balance/ is not also 网格与楼栋.
    matches = [
        item
        for item in items
        if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items, "user_caps": held}
