from __future__ import annotations

from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "gridgov.places"
    label = "places"
    verbose_name = "地点与房屋"
