from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "gridgov.people"
    label = "people"
    verbose_name = "居民"
