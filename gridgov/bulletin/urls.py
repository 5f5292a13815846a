from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.bulletin import views

app_name = "bulletin"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("n/<int:notice_id>/", views.detail, name="detail"),
    path("n/<int:notice_id>/confirm/", views.confirm, name="confirm"),
    path("files/<int:file_id>/", views.file, name="file"),
    path("staff/", views.staff, name="staff"),
    path("staff/new/", views.compose, name="compose"),
    path("staff/<int:notice_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:notice_id>/edit/", views.edit, name="edit"),
    path("staff/columns/", views.columns, name="columns"),
]
