from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from gridgov.accounts.pages import pages_open
from gridgov.accounts.scope import capabilities_anywhere

# (label, url name): who sees an entry is the page table's business (gridgov.accounts.pages).
NAVIGATION: list[tuple[str, str]] = [
    ("工作台", "core:home"),
    ("事件工作台", "cases:workbench"),
    ("事件统计", "cases:stats"),
    ("事件配置", "cases:config"),
    ("分类解释", "cases:triage_explain"),
    ("二维码海报", "report:posters"),
    ("网格与楼栋", "places:tree"),
    ("居民查询", "people:search"),
    ("流动人口", "people:floating"),
    ("网格户数", "places:grid_balance"),
    ("组织", "orgs:list"),
    ("导入导出", "transfer:index"),
    ("审计日志", "audit:search"),
    ("账号与角色", "accounts:users"),
    ("通知", "notifications:inbox"),
    ("群机器人", "notifications:robots"),
    # --- services entries ---
    ("派单台", "services:board"),
    ("服务目录与服务队", "services:manage"),
    ("便民服务协议", "services:agreements"),
    ("志愿者", "services:volunteers"),
    ("服务统计", "services:figures"),
    # --- care entries ---
    ("结对帮扶覆盖", "care:coverage"),
    ("走访覆盖", "care:patrol_coverage"),
    # --- bulletin entries ---
    ("通知公告", "bulletin:staff"),
    ("通知栏目", "bulletin:columns"),
    # --- forum entries ---
    ("论坛管理", "forum:moderation"),
    ("论坛设置", "forum:config"),
    # --- activities entries ---
    ("团队与活动", "activities:staff"),
    ("活动统计", "activities:figures"),
    # --- consult entries ---
    ("有事好商量", "consult:list"),
    # --- mediation entries ---
    ("矛盾纠纷调解", "mediation:list"),
    ("调解专家库", "mediation:experts"),
    # --- desks entries ---
    ("接待点与来访", "desks:list"),
    # --- command entries ---
    ("数据看板", "command:dashboard"),
    ("网格地图", "command:map"),
    ("任务下发", "command:tasks"),
    ("我的入户任务", "command:my_tasks"),
    ("紧急通知", "command:emergency"),
    ("工作月报", "command:reports"),
    ("网格员考核", "command:assessment"),
]


# The entries' URLs, reversed once per process (per URLconf and script prefix, as `reverse`
# would give them) instead of once per entry on every page.
_NAV_URLS: dict[tuple[Any, ...], dict[str, str]] = {}


def _nav_urls() -> dict[str, str]:
    key = (settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    urls = _NAV_URLS.get(key)
    if urls is None:
        urls = _NAV_URLS[key] = {url_name: reverse(url_name) for _label, url_name in NAVIGATION}
    return urls


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu and the user's capabilities, worked out only if the template shows them (a page's
    fragment, or a frame `core.frames` already holds, does not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_caps": set()}
    return {
        "nav_items": SimpleLazyObject(lambda: _menu(request, user)),
        "user_caps": SimpleLazyObject(lambda: capabilities_anywhere(user)),
    }


def _menu(request: HttpRequest, user: Any) -> list[dict[str, Any]]:
    urls = _nav_urls()
    shown = pages_open(user, urls)
    items: list[dict[str, Any]] = [
        {"label": label, "url": urls[url_name], "active": False}
        for label, url_name in NAVIGATION
        if url_name in shown
    ]
    # Only the longest matching entry is lit: /places/grid-balance/ is not also 网格与楼栋.
    matches = [
        item
        for item in items
        if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return items
