from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.consult import views

app_name = "consult"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.consultation_list, name="list"),
    path("new/", views.consultation_create, name="create"),
    path("<int:consultation_id>/", views.consultation_detail, name="detail"),
    path("<int:consultation_id>/advance/", views.consultation_advance, name="advance"),
    path("<int:consultation_id>/paper/", views.paper_vote, name="paper"),
    path("<int:consultation_id>/notice/", views.consultation_notice, name="notice"),
    path("m/", views.mine, name="mine"),
    path("m/<int:consultation_id>/", views.vote_page, name="vote"),
]
