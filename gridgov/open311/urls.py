from __future__ import annotations

from django.urls import path, re_path

from gridgov.open311 import views

app_name = "open311"

_FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    path("", views.index, name="index"),
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]{1,60})" + _FMT, views.service_definition, name="service"),
    re_path(r"^requests" + _FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]{1,40})" + _FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token_id>[^/]{1,40})" + _FMT, views.token, name="token"),
]
