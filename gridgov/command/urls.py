from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.command import views

app_name = "command"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard_home, name="dashboard"),
    path("place/<int:place_id>/", views.dashboard, name="place"),
    path("place/<int:place_id>/chart/<slug:name>.xlsx", views.chart_xlsx, name="chart_xlsx"),
    path("map/", views.map_home, name="map"),
    path("map/<int:place_id>/", views.map_page, name="map_place"),
    path("map/<int:place_id>/geo.json", views.map_geo, name="map_geo"),
    path("map/<int:place_id>/boundaries/", views.boundaries, name="boundaries"),
    path("boundary/<int:place_id>/", views.boundary_save, name="boundary_save"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:task_id>/", views.task, name="task"),
    path("tasks/<int:task_id>/progress/", views.task_progress, name="task_progress"),
    path("tasks/<int:task_id>/remind/", views.task_remind, name="task_remind"),
    path("tasks/<int:task_id>/export.xlsx", views.task_export, name="task_export"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
    path("my-tasks/<int:task_id>/", views.my_task, name="my_task"),
    path("items/<int:item_id>/tick", views.item_tick, name="item_tick"),
    path("items/<int:item_id>/photo", views.item_photo, name="item_photo"),
    path("photos/<int:photo_id>", views.photo, name="photo"),
    path("emergency/", views.emergency, name="emergency"),
    path("assessment/", views.assessment_page, name="assessment"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("reports/report.pdf", views.report_pdf, name="report_pdf"),
    path("assessment/rules/", views.assessment_rules, name="assessment_rules"),
    path("emergency/<int:broadcast_id>/", views.broadcast, name="broadcast"),
]
