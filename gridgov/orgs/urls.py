from __future__ import annotations

from django.urls import path

from gridgov.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("new/", views.organisation_create, name="create"),
    path("party/", views.party_tree, name="party_tree"),
    path("<int:org_id>/", views.organisation_detail, name="detail"),
    path("<int:org_id>/edit/", views.organisation_edit, name="edit"),
    path("<int:org_id>/reveal/", views.organisation_reveal, name="reveal"),
    path("<int:org_id>/members/add/", views.member_add, name="member_add"),
    path("<int:org_id>/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
]
