from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.care import views

app_name = "care"
urlpatterns: list[URLPattern | URLResolver] = [
    path("my/", views.my, name="my"),
    path("plans/<int:plan_id>/", views.plan, name="plan"),
    path("plans/<int:plan_id>/visit/", views.visit, name="visit"),
    path("plans/<int:plan_id>/photos/<int:photo_id>/", views.visit_photo, name="visit_photo"),
    path("coverage/", views.coverage, name="coverage"),
    path("plans/new/<int:resident_id>/", views.plan_new, name="plan_new"),
    path("patrol/", views.patrol, name="patrol"),
    path("patrol/coverage/", views.patrol_coverage, name="patrol_coverage"),
]
