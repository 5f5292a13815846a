from __future__ import annotations

from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gridgov.orgs"
    label = "orgs"
    verbose_name = "组织"
