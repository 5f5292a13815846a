from __future__ import annotations

from django.urls import path

from gridgov.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("healthz", views.healthz, name="healthz"),
]
