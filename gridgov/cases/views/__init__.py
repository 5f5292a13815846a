"""Staff pages of the case loop, one module a page: workbench, case page with its actions, quick
entry and patrol, bulk intake, statistics and configuration. Thin: selectors read, services write
and `policy` decides who may do what; a view turns their answers into pages and status codes."""

from __future__ import annotations

from gridgov.cases.views.bulk_page import (
    bulk_job,
    bulk_job_status,
    bulk_template,
    bulk_upload,
)
from gridgov.cases.views.case_page import (
    act,
    attachment,
    detail,
)
from gridgov.cases.views.config_pages import (
    config,
    config_calendar_delete,
    config_category_create,
    config_category_update,
    config_duty_delete,
    config_duty_set,
    config_holidays,
    config_key_create,
    config_key_revoke,
    config_rule_create,
    config_rule_delete,
    config_rule_update,
    config_sla,
    config_workday,
)
from gridgov.cases.views.intake_pages import (
    intake,
    intake_places,
    intake_residents,
    patrol,
    triage,
)
from gridgov.cases.views.stats_page import (
    stats,
)
from gridgov.cases.views.triage_pages import (
    triage_explain,
)
from gridgov.cases.views.workbench_page import (
    urgent_poll,
    workbench,
)

__all__ = [
    "act",
    "attachment",
    "bulk_job",
    "bulk_job_status",
    "bulk_template",
    "bulk_upload",
    "config",
    "config_calendar_delete",
    "config_category_create",
    "config_category_update",
    "config_duty_delete",
    "config_duty_set",
    "config_holidays",
    "config_key_create",
    "config_key_revoke",
    "config_rule_create",
    "config_rule_delete",
    "config_rule_update",
    "config_sla",
    "config_workday",
    "detail",
    "intake",
    "intake_places",
    "intake_residents",
    "patrol",
    "stats",
    "triage",
    "triage_explain",
    "urgent_poll",
    "workbench",
]
