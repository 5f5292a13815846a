from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.forum import views

app_name = "forum"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("b/<int:board_id>/", views.board, name="board"),
    path("t/<int:topic_id>/", views.topic, name="topic"),
    path("images/<int:image_id>/", views.image, name="image"),
    path("moderation/", views.moderation, name="moderation"),
    path("config/", views.config, name="config"),
]
