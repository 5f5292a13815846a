"""Page access: one table of page (URL name) → what opens it.

The navigation lists a page, its view lets the user in (`@page_access`), and templates offer a
link to it (`{% if request.user|can_open:"cases:stats" %}`) from this table alone, so a menu
entry never leads to a 403 and a page is never reachable without its menu entry. What the user
may then do on the page (which rows, which buttons) is the selectors' and policies' business.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
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
    # Residents and providers: what they see there is their own (selectors and services.policy).
    "services:catalogue": Page(),
    "services:order": Page(),
    "services:mine": Page(),
    "services:order_detail": Page(),
    "services:provider": Page(),
    "services:register": Page(),
    # Merchants and volunteers (no capability): card_scan itself refuses everyone else.
    "services:scan": Page(),
    "services:board": Page((caps.SERVICES_DISPATCH,), refusal="您没有派单的权限"),
    "services:manage": Page((caps.SERVICES_VIEW,), refusal="您没有查看生活快车的权限"),
    "services:agreements": Page((caps.SERVICES_VIEW,), refusal="您没有查看便民服务协议的权限"),
    "services:volunteers": Page((caps.SERVICES_VIEW,), refusal="您没有查看志愿者的权限"),
    "services:hours": Page((caps.SERVICES_VIEW,), refusal="您没有查看服务时长的权限"),
    "services:certificate": Page((caps.SERVICES_VIEW,), refusal="您没有查看服务时长的权限"),
    "services:figures": Page((caps.SERVICES_VIEW,), refusal="您没有查看服务统计的权限"),
    # --- care pages ---
    "care:my": Page(),
    "care:plan": Page(),
    "care:visit": Page(),
    "care:coverage": Page((caps.CARE_VIEW,), refusal="您没有查看结对帮扶的权限"),
    "care:plan_new": Page((caps.CARE_MANAGE,), refusal="您没有建立结对帮扶的权限"),
    "care:patrol": Page((caps.CARE_PATROL,), refusal="您没有入户走访的权限"),
    "care:patrol_coverage": Page((caps.CARE_VIEW, caps.CARE_PATROL), refusal="您没有查看走访覆盖的权限"),
    # --- bulletin pages ---
    # Residents read on the phone (their addressed notices); the selector decides what they see.
    "bulletin:index": Page(),
    "bulletin:staff": Page((caps.BULLETIN_VIEW,), refusal="您没有查看通知公告的权限"),
    "bulletin:compose": Page((caps.BULLETIN_PUBLISH,), refusal="您没有发布通知公告的权限"),
    "bulletin:columns": Page((caps.BULLETIN_COLUMNS,), refusal="您没有管理通知栏目的权限"),
    # --- forum pages ---
    "forum:index": Page(),
    "forum:moderation": Page((caps.FORUM_MODERATE,), refusal="您没有管理论坛的权限"),
    "forum:config": Page((caps.FORUM_CONFIGURE,), refusal="您没有配置论坛的权限"),
    # --- activities pages ---
    "activities:index": Page(),
    "activities:staff": Page((caps.ACTIVITIES_VIEW,), refusal="您没有查看团队和活动的权限"),
    "activities:new": Page((caps.ACTIVITIES_MANAGE,), refusal="您没有组织活动的权限"),
    "activities:figures": Page((caps.ACTIVITIES_VIEW,), refusal="您没有查看团队和活动的权限"),
    # --- consult pages ---
    "consult:list": Page((caps.CONSULT_VIEW, caps.CONSULT_MANAGE), refusal="您没有查看协商议题的权限"),
    "consult:create": Page((caps.CONSULT_MANAGE,), refusal="您没有发起协商议题的权限"),
    # Residents: the consultations of the places they live in (the selector decides which).
    "consult:mine": Page(),
    # --- mediation pages ---
    "mediation:list": Page((caps.MEDIATION_HANDLE,), refusal="您没有办理矛盾纠纷调解的权限"),
    # Assigned mediators hold no capability: the selector lets them open their own cases only.
    "mediation:case": Page(),
    "mediation:experts": Page((caps.MEDIATION_HANDLE,), refusal="您没有管理调解专家库的权限"),
    # --- desks pages ---
    "desks:list": Page((caps.DESKS_MANAGE,), refusal="您没有管理接待点的权限"),
    # Residents: who sits at the desks near them today.
    "desks:today": Page(),
    # --- command pages ---
    "command:dashboard": Page((caps.COMMAND_VIEW,), refusal="您没有查看指挥中心数据看板的权限"),
    "command:map": Page((caps.COMMAND_VIEW,), refusal="您没有查看网格地图的权限"),
    "command:tasks": Page((caps.COMMAND_TASKS,), refusal="您没有下发任务的权限"),
    "command:my_tasks": Page((caps.COMMAND_TASK_DO,), refusal="您的岗位没有入户任务"),
    "command:emergency": Page((caps.COMMAND_TASKS,), refusal="您没有发布紧急通知的权限"),
    "command:reports": Page((caps.COMMAND_VIEW,), refusal="您没有查看工作月报的权限"),
    # Reached from the report page (its 导出 links), so not menu entries of their own.
    "command:report_xlsx": Page((caps.COMMAND_VIEW,), refusal="您没有查看工作月报的权限"),
    "command:report_pdf": Page((caps.COMMAND_VIEW,), refusal="您没有查看工作月报的权限"),
    # Leaders see the ranking; each grid worker sees their own score and how it was computed.
    "command:assessment": Page((caps.COMMAND_VIEW, caps.COMMAND_TASK_DO), refusal="您的岗位不参加网格员考核"),
    "command:assessment_rules": Page((caps.COMMAND_ASSESS_CONFIGURE,), refusal="您没有设置考核规则的权限"),
    # Reached from the map page (a place is needed), so not a menu entry of its own.
    "command:boundaries": Page((caps.PLACES_MANAGE,), refusal="您没有管理网格、小区和楼栋的权限"),
}


def can_open(user: Any, name: str) -> bool:
    """Whether `user` may open the page `name` (a key of PAGES); False for the anonymous."""
    page = PAGES[name]
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    if is_unrestricted(user):
        return True
    return _opens(page, capabilities_anywhere(user))


def pages_open(user: Any, names: Iterable[str]) -> set[str]:
    """Those of `names` (keys of PAGES) that `user` may open: `can_open` for each, the user's
    standing read once for all of them (the navigation asks for every entry on every page)."""
    wanted = list(names)
    if not (user is not None and user.is_authenticated and user.is_active):
        return set()
    if is_unrestricted(user):
        return set(wanted)
    held = capabilities_anywhere(user)
    return {name for name in wanted if _opens(PAGES[name], held)}


def _opens(page: Page, held: set[str]) -> bool:
    """Whether a user who is not unrestricted, holding `held` somewhere, may open `page`."""
    if page.admin_only:
        return False
    return not page.capabilities or bool(held & set(page.capabilities))


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
