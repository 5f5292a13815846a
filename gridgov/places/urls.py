from __future__ import annotations

from django.urls import path

from gridgov.places import views

app_name = "places"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("grid-balance/", views.grid_balance, name="grid_balance"),
    path("geojson/", views.geojson, name="geojson"),
    path("<int:place_id>/", views.detail, name="detail"),
    path("<int:place_id>/children/", views.tree_children, name="children"),
    path("<int:place_id>/children/new/", views.create_child, name="create_child"),
    path("<int:place_id>/households/new/", views.create_household, name="create_household"),
    path("<int:place_id>/edit/", views.edit, name="edit"),
]
