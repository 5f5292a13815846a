from __future__ import annotations

from django.urls import path

from gridgov.cases import views
from gridgov.cases.views import whistle_page

app_name = "cases"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("urgent/", views.urgent_poll, name="urgent_poll"),
    path("<int:pk>/", views.detail, name="detail"),
    # 吹哨 has its own page (redirect-after-post); the case page's form posts to it through here.
    path("<int:pk>/act/whistle/", whistle_page.whistle),
    path("<int:pk>/whistle/", whistle_page.whistle, name="whistle"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("photo/<int:pk>/", views.attachment, name="attachment"),
    path("intake/", views.intake, name="intake"),
    path("patrol/", views.patrol, name="patrol"),
    path("intake/places/", views.intake_places, name="intake_places"),
    path("intake/residents/", views.intake_residents, name="intake_residents"),
    path("triage/", views.triage, name="triage"),
    path("triage/explain/", views.triage_explain, name="triage_explain"),
    path("bulk/", views.bulk_upload, name="bulk"),
    path("bulk/template.xlsx", views.bulk_template, name="bulk_template"),
    path("bulk/<int:job_id>/", views.bulk_job, name="bulk_job"),
    path("bulk/<int:job_id>/status/", views.bulk_job_status, name="bulk_job_status"),
    path("stats/", views.stats, name="stats"),
    path("config/", views.config, name="config"),
    path("config/categories/", views.config_category_create, name="config_category_create"),
    path("config/categories/<int:pk>/", views.config_category_update, name="config_category_update"),
    path("config/sla/", views.config_sla, name="config_sla"),
    path("config/rules/", views.config_rule_create, name="config_rule_create"),
    path("config/rules/<int:pk>/", views.config_rule_update, name="config_rule_update"),
    path("config/rules/<int:pk>/delete/", views.config_rule_delete, name="config_rule_delete"),
    path("config/keys/", views.config_key_create, name="config_key_create"),
    path("config/keys/<int:pk>/revoke/", views.config_key_revoke, name="config_key_revoke"),
    path("config/duty/", views.config_duty_set, name="config_duty_set"),
    path("config/duty/<int:pk>/delete/", views.config_duty_delete, name="config_duty_delete"),
    path("config/holidays/", views.config_holidays, name="config_holidays"),
    path("config/workdays/", views.config_workday, name="config_workday"),
    path("config/calendar/<int:pk>/delete/", views.config_calendar_delete, name="config_calendar_delete"),
]
