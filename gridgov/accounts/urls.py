from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("roles/", views.role_matrix, name="roles"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("users/<int:user_id>/grant/", views.role_grant, name="role_grant"),
    path("assignments/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
]
