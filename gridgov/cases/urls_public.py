"""Resident pages, mounted at /r/ (short: these URLs go into the QR codes on posters)."""

from __future__ import annotations

from django.urls import path

from gridgov.cases import views_public as views

app_name = "report"
urlpatterns = [
    path("new/", views.report_new, name="new"),
    path("new/check", views.report_check, name="check"),
    path("new/photos/", views.draft_photo_upload, name="draft_photo_upload"),
    path("new/photos/<str:token>/<str:photo_id>/", views.draft_photo, name="draft_photo"),
    path("new/photos/<str:token>/<str:photo_id>/remove/", views.draft_photo_remove, name="draft_photo_remove"),
    path("p/<str:token>/", views.report_from_poster, name="poster_report"),
    path("done/<str:code>/", views.report_done, name="done"),
    path("t/", views.lookup, name="lookup"),
    path("t/<str:code>/", views.track, name="track"),
    path("t/<str:code>/rate/", views.rate, name="rate"),
    path("t/<str:code>/photo/<int:attachment_id>/", views.photo, name="photo"),
    path("mine/", views.mine, name="mine"),
    path("posters/", views.posters, name="posters"),
    path("posters/<int:place_id>/", views.poster, name="poster"),
    path("posters/<int:place_id>/buildings/", views.poster_buildings, name="poster_buildings"),
]
