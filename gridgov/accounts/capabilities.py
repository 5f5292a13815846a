"""Capabilities: what a role lets its holder do, inside the places it is assigned to."""

from __future__ import annotations

REGISTRY_VIEW = "registry.view"
REGISTRY_EDIT = "registry.edit"
REGISTRY_PII = "registry.pii"
REGISTRY_IMPORT = "registry.import"
REGISTRY_EXPORT = "registry.export"
FLOATING_MANAGE = "floating.manage"
PLACES_MANAGE = "places.manage"
ORGS_VIEW = "orgs.view"
ORGS_MANAGE = "orgs.manage"
AUDIT_VIEW = "audit.view"
ROLES_MANAGE = "roles.manage"

LABELS: dict[str, str] = {
    REGISTRY_VIEW: "查看人房信息",
    REGISTRY_EDIT: "登记和修改人房信息",
    REGISTRY_PII: "查看完整身份证号和手机号",
    REGISTRY_IMPORT: "导入人房数据",
    REGISTRY_EXPORT: "导出人房数据",
    FLOATING_MANAGE: "流动人口登记与注销",
    PLACES_MANAGE: "管理网格、小区和楼栋",
    ORGS_VIEW: "查看组织",
    ORGS_MANAGE: "管理组织",
    AUDIT_VIEW: "查看审计日志",
    ROLES_MANAGE: "管理账号与角色",
}
ALL: tuple[str, ...] = tuple(LABELS)
CHOICES: list[tuple[str, str]] = list(LABELS.items())

# Cases (事件). View/handle/dispatch/supervise are place-scoped like the rest; ORG_HANDLE is
# not: it covers the cases routed (or called in) to the holder's own `User.organisation`.
CASES_VIEW = "cases.view"
CASES_INTAKE = "cases.intake"
CASES_HANDLE = "cases.handle"
CASES_ORG_HANDLE = "cases.org_handle"
CASES_DISPATCH = "cases.dispatch"
CASES_SUPERVISE = "cases.supervise"
CASES_STATS = "cases.stats"
CASES_CONFIGURE = "cases.configure"
LABELS.update(
    {
        CASES_VIEW: "查看辖区事件",
        CASES_INTAKE: "代居民登记事件、巡查上报",
        CASES_HANDLE: "受理和处置本层级事件",
        CASES_ORG_HANDLE: "处置交办给本单位的事件",
        CASES_DISPATCH: "分类交办、退回、合并、吹哨",
        CASES_SUPERVISE: "督办和复核事件",
        CASES_STATS: "查看事件统计",
        CASES_CONFIGURE: "配置事件分类、时限、分派规则和接入密钥",
    }
)
ALL = tuple(LABELS)
CHOICES = list(LABELS.items())

# Triage (智能分类): the keyword rules and the learned model are global, like the categories.
TRIAGE_CONFIGURE = "triage.configure"
LABELS[TRIAGE_CONFIGURE] = "配置智能分类规则并重新训练模型"
ALL = tuple(LABELS)
CHOICES = list(LABELS.items())

# --- services (gridgov.services): its capabilities and LABELS entries go here ---

# --- care (gridgov.care): its capabilities and LABELS entries go here ---

# --- bulletin (gridgov.bulletin): its capabilities and LABELS entries go here ---

# --- forum (gridgov.forum): its capabilities and LABELS entries go here ---

# --- activities (gridgov.activities): its capabilities and LABELS entries go here ---

# --- consult (gridgov.consult): its capabilities and LABELS entries go here ---

# --- mediation (gridgov.mediation): its capabilities and LABELS entries go here ---

# --- desks (gridgov.desks): its capabilities and LABELS entries go here ---

# --- command (gridgov.command): its capabilities and LABELS entries go here ---

ALL = tuple(LABELS)
CHOICES = list(LABELS.items())
