from __future__ import annotations

from django.apps import AppConfig


class DesksConfig(AppConfig):
    name = "gridgov.desks"
    label = "desks"
    verbose_name = "接待窗口"
