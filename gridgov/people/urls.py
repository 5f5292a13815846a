from __future__ import annotations

from django.urls import path

from gridgov.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:resident_id>/", views.detail, name="detail"),
    path("<int:resident_id>/edit/", views.edit, name="edit"),
    path("<int:resident_id>/reveal/", views.reveal, name="reveal"),
    path("<int:resident_id>/tags/", views.set_tags, name="tags"),
    path("<int:resident_id>/card/", views.card, name="card"),
    path("household/<int:household_id>/", views.household, name="household"),
    path("household/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("household/<int:household_id>/register/", views.household_register, name="household_register"),
    path("household/<int:household_id>/move-in/", views.household_move_in, name="household_move_in"),
    path(
        "household/<int:household_id>/move-out/<int:membership_id>/",
        views.household_move_out,
        name="household_move_out",
    ),
    path("floating/", views.floating, name="floating"),
    path("floating/register/", views.floating_register, name="floating_register"),
    path(
        "floating/<int:registration_id>/deregister/", views.floating_deregister, name="floating_deregister"
    ),
    path("scan/", views.scan, name="scan"),
]
