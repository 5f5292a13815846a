from __future__ import annotations

from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "gridgov.transfer"
    label = "transfer"
    verbose_name = "导入导出"
