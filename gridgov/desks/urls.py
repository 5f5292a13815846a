from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.desks import views

app_name = "desks"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.desk_list, name="list"),
    path("today/", views.today, name="today"),
    path("<int:desk_id>/", views.desk_detail, name="detail"),
    path("<int:desk_id>/<slug:action>/", views.desk_action, name="action"),
]
