"""Page access: one table of page (URL name) → what opens it.

The navigation lists a page, its view lets the user in (`@page_access`), and templates offer a
link to it (`{% if request.user|can_open:"cases:stats" %}`) from this table alone, so a menu
entry never leads to a 403 and a page is never reachable without its menu entry. What the user
may then do on the page (which rows, which buttons) is the selectors' and policies' business.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere, is_unrestricted
from gridgov.core.errors import Forbidden

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Page:
    # Any one of these, held anywhere, opens the page; () means every signed-in user.
    capabilities: tuple[str, ...] = ()
    # Only system administrators (superusers), whatever their roles.
    admin_only: bool = False
    refusal: str = "您的岗位不能使用此页面"


# Anyone who works on cases in any way may open the workbench and the case pages.
CASE_WORK = (
    caps.CASES_VIEW,
    caps.CASES_ORG_HANDLE,
    caps.CASES_HANDLE,
    caps.CASES_DISPATCH,
    caps.CASES_SUPERVISE,
)

PAGES: dict[str, Page] = {
    "core:home": Page(),
    "notifications:inbox": Page(),
    "cases:workbench": Page(CASE_WORK, refusal="您的岗位不能使用事件工作台"),
    "cases:intake": Page((caps.CASES_INTAKE,), refusal="您的岗位不能代居民登记事件"),
    "cases:triage": Page((caps.CASES_INTAKE, *CASE_WORK), refusal="您的岗位不能使用事件工作台"),
    "cases:triage_explain": Page((caps.TRIAGE_CONFIGURE,), refusal="您没有配置智能分类规则的权限"),
    "cases:stats": Page((caps.CASES_STATS,), refusal="您没有查看事件统计的权限"),
    "cases:config": Page((caps.CASES_CONFIGURE,), refusal="您没有配置事件分类和时限的权限"),
    "report:posters": Page((caps.CASES_INTAKE, caps.PLACES_MANAGE), refusal="您无权打印二维码海报"),
    "places:tree": Page((caps.REGISTRY_VIEW,), refusal="您没有查看人房信息的权限"),
    "places:grid_balance": Page((caps.REGISTRY_VIEW,), refusal="您没有查看人房信息的权限"),
    "places:geojson": Page((caps.PLACES_MANAGE,), refusal="您没有管理网格、小区和楼栋的权限"),
    # Residents use it too: the selector shows them their own household only.
    "people:search": Page(),
    "people:floating": Page((caps.REGISTRY_VIEW,), refusal="您没有查看人房信息的权限"),
    "orgs:list": Page((caps.ORGS_VIEW,), refusal="您没有查看组织的权限"),
    "transfer:index": Page(
        (caps.REGISTRY_IMPORT, caps.REGISTRY_EXPORT, caps.PLACES_MANAGE),
        refusal="您没有导入或导出人房数据的权限",
    ),
    "audit:search": Page((caps.AUDIT_VIEW,), refusal="您没有查看审计日志的权限"),
    "accounts:users": Page((caps.ROLES_MANAGE,), refusal="您没有管理账号与角色的权限"),
    "accounts:roles": Page(admin_only=True, refusal="只有系统管理员可以修改角色权限"),
    # Robots post into group chats for a place: whoever manages that place's grids.
    "notifications:robots": Page((caps.PLACES_MANAGE,), refusal="您没有管理群机器人的权限"),
    # --- services pages ---
    # --- care pages ---
    # --- bulletin pages ---
    # --- forum pages ---
    # --- activities pages ---
    # --- consult pages ---
    # --- mediation pages ---
    # --- desks pages ---
    # --- command pages ---
}


def can_open(user: Any, name: str) -> bool:
    """Whether `user` may open the page `name` (a key of PAGES); False for the anonymous."""
    page = PAGES[name]
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    if is_unrestricted(user):
        return True
    if page.admin_only:
        return False
    return not page.capabilities or bool(capabilities_anywhere(user) & set(page.capabilities))


def require_page(user: Any, name: str) -> None:
    """Raise Forbidden (with the page's own reason) unless `user` may open page `name`."""
    if not can_open(user, name):
        raise Forbidden(PAGES[name].refusal)


def page_access(name: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: sign-in first (redirect), then the page's entry in PAGES (403)."""
    if name not in PAGES:
        raise KeyError(f"page {name!r} is not in gridgov.accounts.pages.PAGES")

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_page(request.user, name)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
