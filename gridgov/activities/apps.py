from __future__ import annotations

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "gridgov.activities"
    label = "activities"
    verbose_name = "社区活动"
