from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.services import views

app_name = "services"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.catalogue, name="catalogue"),
    path("order/<int:item_id>/", views.order_new, name="order"),
    path("mine/", views.mine, name="mine"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/photos/<int:photo_id>/", views.order_photo, name="order_photo"),
    path("provider/", views.provider, name="provider"),
    path("register/", views.register, name="register"),
    path("board/", views.board, name="board"),
    path("manage/", views.manage, name="manage"),
    path("agreements/", views.agreements, name="agreements"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("volunteers/<int:volunteer_id>/hours/", views.hours, name="hours"),
    path("volunteers/<int:volunteer_id>/certificate/", views.certificate, name="certificate"),
    path("figures/", views.figures, name="figures"),
    path("scan/", views.scan, name="scan"),
]
