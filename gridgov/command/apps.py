from __future__ import annotations

from django.apps import AppConfig


class CommandConfig(AppConfig):
    name = "gridgov.command"
    label = "command"
    verbose_name = "指挥中心"
