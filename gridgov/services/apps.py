from __future__ import annotations

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "gridgov.services"
    label = "services"
    verbose_name = "生活快车"
