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
# (migration services.0003_grant_capabilities grants the same to existing databases)
SERVICES_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.SERVICES_VIEW, c.SERVICES_ORDER, c.SERVICES_DISPATCH, c.SERVICES_MANAGE],
    "community_secretary": [c.SERVICES_VIEW, c.SERVICES_ORDER, c.SERVICES_DISPATCH, c.SERVICES_MANAGE],
    "community_worker": [c.SERVICES_VIEW, c.SERVICES_ORDER, c.SERVICES_DISPATCH, c.SERVICES_MANAGE],
    "grid_head": [c.SERVICES_VIEW, c.SERVICES_ORDER, c.SERVICES_DISPATCH],
    "grid_worker": [c.SERVICES_VIEW, c.SERVICES_ORDER],
    "grid_steward": [c.SERVICES_VIEW, c.SERVICES_ORDER],
}
EXTRA_CAPABILITIES.append(SERVICES_CAPABILITIES)
# --- care: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# (migration care.0002_grant_capabilities grants the same to existing databases)
CARE_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.CARE_VIEW, c.CARE_MANAGE, c.CARE_PATROL],
    "community_secretary": [c.CARE_VIEW, c.CARE_MANAGE, c.CARE_PATROL],
    "community_worker": [c.CARE_VIEW, c.CARE_MANAGE, c.CARE_PATROL],
    "grid_head": [c.CARE_VIEW, c.CARE_MANAGE, c.CARE_PATROL],
    "grid_worker": [c.CARE_VIEW, c.CARE_PATROL],
    "grid_steward": [c.CARE_VIEW, c.CARE_PATROL],
    "volunteer_grid_worker": [c.CARE_PATROL],
}
EXTRA_CAPABILITIES.append(CARE_CAPABILITIES)
# --- bulletin: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
BULLETIN_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.BULLETIN_VIEW, c.BULLETIN_PUBLISH, c.BULLETIN_COLUMNS],
    "community_secretary": [c.BULLETIN_VIEW, c.BULLETIN_PUBLISH, c.BULLETIN_COLUMNS],
    "community_worker": [c.BULLETIN_VIEW, c.BULLETIN_PUBLISH],
    "grid_head": [c.BULLETIN_VIEW, c.BULLETIN_PUBLISH],
    "grid_worker": [c.BULLETIN_VIEW, c.BULLETIN_PUBLISH],
    "grid_steward": [c.BULLETIN_VIEW],
    "volunteer_grid_worker": [c.BULLETIN_VIEW],
    "building_head": [c.BULLETIN_VIEW],
}
EXTRA_CAPABILITIES.append(BULLETIN_CAPABILITIES)
# --- forum: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
FORUM_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.FORUM_MODERATE, c.FORUM_CONFIGURE],
    "community_secretary": [c.FORUM_MODERATE, c.FORUM_CONFIGURE],
    "community_worker": [c.FORUM_MODERATE],
    "grid_head": [c.FORUM_MODERATE],
    "grid_worker": [c.FORUM_MODERATE],
}
EXTRA_CAPABILITIES.append(FORUM_CAPABILITIES)
# --- activities: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
ACTIVITIES_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.ACTIVITIES_VIEW, c.ACTIVITIES_MANAGE],
    "community_secretary": [c.ACTIVITIES_VIEW, c.ACTIVITIES_MANAGE],
    "community_worker": [c.ACTIVITIES_VIEW, c.ACTIVITIES_MANAGE],
    "grid_head": [c.ACTIVITIES_VIEW, c.ACTIVITIES_MANAGE],
    "grid_worker": [c.ACTIVITIES_VIEW, c.ACTIVITIES_MANAGE],
    "grid_steward": [c.ACTIVITIES_VIEW],
    "volunteer_grid_worker": [c.ACTIVITIES_VIEW],
    "building_head": [c.ACTIVITIES_VIEW],
}
EXTRA_CAPABILITIES.append(ACTIVITIES_CAPABILITIES)
# --- consult: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
CONSULT_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.CONSULT_VIEW, c.CONSULT_MANAGE],
    "community_secretary": [c.CONSULT_VIEW, c.CONSULT_MANAGE],
    "community_worker": [c.CONSULT_VIEW, c.CONSULT_MANAGE],
    "grid_head": [c.CONSULT_VIEW, c.CONSULT_MANAGE],
    "grid_worker": [c.CONSULT_VIEW, c.CONSULT_MANAGE],
    "grid_steward": [c.CONSULT_VIEW],
    "building_head": [c.CONSULT_VIEW],
}
EXTRA_CAPABILITIES.append(CONSULT_CAPABILITIES)
# --- mediation: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
MEDIATION_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.MEDIATION_HANDLE],
    "community_secretary": [c.MEDIATION_HANDLE],
    "community_worker": [c.MEDIATION_HANDLE],
}
EXTRA_CAPABILITIES.append(MEDIATION_CAPABILITIES)
# --- desks: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
DESKS_CAPABILITIES: dict[str, list[str]] = {
    code: [c.DESKS_MANAGE]
    for code in ("street_admin", "community_secretary", "community_worker", "grid_head", "grid_worker", "grid_steward")
}
EXTRA_CAPABILITIES.append(DESKS_CAPABILITIES)
# --- command: its per-role capabilities (a dict like CASE_CAPABILITIES) and a line adding them to
#     EXTRA_CAPABILITIES go here ---
# (migration command.0002_grant_capabilities grants the same to existing databases)
COMMAND_CAPABILITIES: dict[str, list[str]] = {
    "street_admin": [c.COMMAND_VIEW, c.COMMAND_TASKS, c.COMMAND_TASK_DO, c.COMMAND_ASSESS_CONFIGURE],
    "community_secretary": [c.COMMAND_VIEW, c.COMMAND_TASKS, c.COMMAND_TASK_DO],
    "community_worker": [c.COMMAND_VIEW, c.COMMAND_TASK_DO],
    "grid_head": [c.COMMAND_VIEW, c.COMMAND_TASK_DO],
    "grid_worker": [c.COMMAND_TASK_DO],
    "grid_steward": [c.COMMAND_TASK_DO],
}
EXTRA_CAPABILITIES.append(COMMAND_CAPABILITIES)
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
