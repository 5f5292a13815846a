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
# Place-scoped like the rest: residents order for themselves and providers act on their own
# teams' orders without any of these (their membership is the scope, see services.policy).
SERVICES_VIEW = "services.view"
SERVICES_ORDER = "services.order"
SERVICES_DISPATCH = "services.dispatch"
SERVICES_MANAGE = "services.manage"
LABELS.update(
    {
        SERVICES_VIEW: "查看生活快车订单和服务统计",
        SERVICES_ORDER: "帮居民代下服务订单（帮代办）",
        SERVICES_DISPATCH: "派单和处理超时服务订单",
        SERVICES_MANAGE: "管理服务目录、服务队、商户协议、志愿者审核和服务时长",
    }
)

# --- care (gridgov.care): its capabilities and LABELS entries go here ---
CARE_VIEW = "care.view"
CARE_MANAGE = "care.manage"
CARE_PATROL = "care.patrol"
LABELS.update(
    {
        CARE_VIEW: "查看结对帮扶、走访记录和覆盖情况",
        CARE_MANAGE: "建立和调整结对帮扶计划",
        CARE_PATROL: "网格巡查入户走访",
    }
)

# --- bulletin (gridgov.bulletin): its capabilities and LABELS entries go here ---
BULLETIN_VIEW = "bulletin.view"
BULLETIN_PUBLISH = "bulletin.publish"
BULLETIN_COLUMNS = "bulletin.columns"
LABELS.update(
    {
        BULLETIN_VIEW: "查看辖区通知和已读情况",
        BULLETIN_PUBLISH: "撰写和发布通知公告",
        BULLETIN_COLUMNS: "管理通知栏目",
    }
)

# --- forum (gridgov.forum): its capabilities and LABELS entries go here ---
FORUM_MODERATE = "forum.moderate"
FORUM_CONFIGURE = "forum.configure"
LABELS.update(
    {
        FORUM_MODERATE: "管理论坛：审核、隐藏、锁定、置顶、禁言、转为事件",
        FORUM_CONFIGURE: "配置论坛版块和敏感词",
    }
)

# --- activities (gridgov.activities): its capabilities and LABELS entries go here ---
ACTIVITIES_VIEW = "activities.view"
ACTIVITIES_MANAGE = "activities.manage"
LABELS.update(
    {
        ACTIVITIES_VIEW: "查看辖区团队和活动",
        ACTIVITIES_MANAGE: "组织活动、管理团队、签到",
    }
)

# --- consult (gridgov.consult): its capabilities and LABELS entries go here ---
CONSULT_VIEW = "consult.view"
CONSULT_MANAGE = "consult.manage"
LABELS[CONSULT_VIEW] = "查看辖区协商议题和表决情况"
LABELS[CONSULT_MANAGE] = "发起协商议题、组织表决、录入纸质票"

# --- mediation (gridgov.mediation): its capabilities and LABELS entries go here ---
MEDIATION_HANDLE = "mediation.handle"
LABELS[MEDIATION_HANDLE] = "受理和办理矛盾纠纷调解、管理调解专家库（调解记录仅本岗位和指派的调解员可见）"

# --- desks (gridgov.desks): its capabilities and LABELS entries go here ---
DESKS_MANAGE = "desks.manage"
LABELS[DESKS_MANAGE] = "管理接待点和值班表、登记来访"

# --- command (gridgov.command): its capabilities and LABELS entries go here ---
COMMAND_VIEW = "command.view"
COMMAND_TASKS = "command.tasks"
COMMAND_TASK_DO = "command.task_do"
COMMAND_ASSESS_CONFIGURE = "command.assess_configure"
LABELS.update(
    {
        COMMAND_VIEW: "查看指挥中心数据看板、网格地图和大屏",
        COMMAND_TASKS: "向下级网格下发任务、催办和发布紧急通知",
        COMMAND_TASK_DO: "执行下发的入户任务（逐户打勾）",
        COMMAND_ASSESS_CONFIGURE: "设置网格员考核指标的权重和评分档次",
    }
)

ALL = tuple(LABELS)
CHOICES = list(LABELS.items())
