from __future__ import annotations

from django.apps import AppConfig


class ConsultConfig(AppConfig):
    name = "gridgov.consult"
    label = "consult"
    verbose_name = "有事好商量"
