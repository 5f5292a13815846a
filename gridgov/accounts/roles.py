"""The roles every deployment starts with; administrators may change their capabilities later."""

from __future__ import annotations

from gridgov.accounts import capabilities as c

_REGISTRY_STAFF = [c.REGISTRY_VIEW, c.REGISTRY_EDIT, c.FLOATING_MANAGE, c.ORGS_VIEW]
_MANAGERS = [
    *_REGISTRY_STAFF,
    c.REGISTRY_PII,
    c.REGISTRY_IMPORT,
    c.REGISTRY_EXPORT,
    c.PLACES_MANAGE,
    c.ORGS_MANAGE,
    c.AUDIT_VIEW,
]

# code, name, capabilities, description
DEFAULT_ROLES: list[tuple[str, str, list[str], str]] = [
    ("sysadmin", "系统管理员", list(c.ALL), "配置地点、角色和系统参数"),
    ("street_admin", "街道管理员", [*_MANAGERS, c.ROLES_MANAGE], "街道综治中心/网格中心"),
    ("community_secretary", "社区书记", _MANAGERS, "社区党组织书记"),
    (
        "community_worker",
        "社区工作者",
        [*_REGISTRY_STAFF, c.REGISTRY_IMPORT, c.REGISTRY_EXPORT],
        "社区专职工作人员",
    ),
    ("grid_head", "网格长", [*_REGISTRY_STAFF, c.REGISTRY_PII, c.REGISTRY_EXPORT], "网格负责人"),
    ("grid_worker", "网格员", _REGISTRY_STAFF, "专职网格员"),
    ("grid_steward", "网格管家", _REGISTRY_STAFF, "网格管家"),
    ("volunteer_grid_worker", "志愿网格员", [c.REGISTRY_VIEW], "兼职志愿网格员，只读且脱敏"),
    ("building_head", "楼栋长", [c.REGISTRY_VIEW], "负责一栋或几栋楼"),
    ("department_staff", "部门人员", [c.ORGS_VIEW], "城管、派出所、水务等职能部门"),
    ("property_staff", "物业人员", [c.ORGS_VIEW], "物业公司工作人员"),
    ("volunteer", "志愿者", [], "志愿者、党员、爱心商户"),
    ("resident", "居民", [], "只看本户和公开信息"),
]

# Case capabilities per default role (added to the lists above; migration
# accounts.0005_case_capabilities grants the same to existing databases).
CASE_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [
        c.CASES_VIEW,
        c.CASES_INTAKE,
        c.CASES_HANDLE,
        c.CASES_DISPATCH,
        c.CASES_SUPERVISE,
        c.CASES_STATS,
        c.CASES_CONFIGURE,
        # Whoever configures the (global) categories also tunes the rules that suggest them.
        c.TRIAGE_CONFIGURE,
    ],
    "community_secretary": [
        c.CASES_VIEW,
        c.CASES_INTAKE,
        c.CASES_HANDLE,
        c.CASES_DISPATCH,
        c.CASES_SUPERVISE,
        c.CASES_STATS,
    ],
    "community_worker": [c.CASES_VIEW, c.CASES_INTAKE, c.CASES_HANDLE, c.CASES_DISPATCH, c.CASES_STATS],
    "grid_head": [c.CASES_VIEW, c.CASES_INTAKE, c.CASES_HANDLE, c.CASES_STATS],
    "grid_worker": [c.CASES_VIEW, c.CASES_INTAKE, c.CASES_HANDLE],
    "grid_steward": [c.CASES_VIEW, c.CASES_INTAKE, c.CASES_HANDLE],
    "volunteer_grid_worker": [c.CASES_VIEW, c.CASES_INTAKE],
    "building_head": [c.CASES_VIEW, c.CASES_INTAKE, c.CASES_HANDLE],
    "department_staff": [c.CASES_ORG_HANDLE],
    "property_staff": [c.CASES_ORG_HANDLE, c.CASES_INTAKE],
}
# Capabilities of the later apps per default role, merged below like CASE_CAPABILITIES.
EXTRA_CAPABILITIES: list[dict[str, list[str]]] = [CASE_CAPABILITIES]
# --- services: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- care: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- bulletin: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- forum: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- activities: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- consult: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- mediation: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- desks: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# --- command: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# New lists rather than appends: several roles above share one list object.
DEFAULT_ROLES[:] = [
    (
        code,
        name,
        [*capabilities, *(x for extra in EXTRA_CAPABILITIES for x in extra.get(code, ()) if x not in capabilities)],
        text,
    )
    for code, name, capabilities, text in DEFAULT_ROLES
]
