from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.activities import views

app_name = "activities"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("groups/", views.groups, name="groups"),
    path("groups/<int:group_id>/", views.group, name="group"),
    path("a/<int:activity_id>/", views.detail, name="detail"),
    path("a/<int:activity_id>/signup/", views.signup, name="signup"),
    path("a/<int:activity_id>/cancel/", views.cancel, name="cancel"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("staff/", views.staff, name="staff"),
    path("staff/a/<int:activity_id>/", views.staff_activity, name="staff_activity"),
    path("staff/new/", views.activity_new, name="new"),
    path("staff/series/new/", views.series_new, name="series_new"),
    path("staff/groups/new/", views.group_new, name="group_new"),
    path("staff/figures/", views.figures, name="figures"),
]
