from __future__ import annotations

from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "gridgov.forum"
    label = "forum"
    verbose_name = "社区论坛"
