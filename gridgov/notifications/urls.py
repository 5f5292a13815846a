from __future__ import annotations

from django.urls import path

from gridgov.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
    path("<int:notification_id>/read/", views.mark_read, name="read"),
    path("robots/", views.robots, name="robots"),
    path("robots/<int:robot_id>/", views.robot_edit, name="robot_edit"),
    path("robots/<int:robot_id>/test/", views.robot_test, name="robot_test"),
    path("messages/<int:message_id>/resend/", views.message_resend, name="message_resend"),
]
