from __future__ import annotations

from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "gridgov.care"
    label = "care"
    verbose_name = "结对帮扶与走访"
