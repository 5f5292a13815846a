from __future__ import annotations

from django.urls import path, re_path

from gridgov.transfer import views

app_name = "transfer"
urlpatterns = [
    path("", views.index, name="index"),
    path("template/", views.template_download, name="template"),
    path("imports/", views.upload, name="upload"),
    path("imports/<int:job_id>/", views.job, name="job"),
    path("imports/<int:job_id>/status/", views.job_status, name="job_status"),
    path("imports/<int:job_id>/confirm/", views.job_confirm, name="job_confirm"),
    path("imports/<int:job_id>/errors.xlsx", views.job_errors, name="job_errors"),
    re_path(r"^exports/(?P<what>residents|households|floating)/$", views.export, name="export"),
    path("geojson/", views.geojson_moved, name="geojson"),  # now /places/geojson/
]
