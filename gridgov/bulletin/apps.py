from __future__ import annotations

from django.apps import AppConfig


class BulletinConfig(AppConfig):
    name = "gridgov.bulletin"
    label = "bulletin"
    verbose_name = "通知公告"
