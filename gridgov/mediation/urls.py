from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.mediation import views

app_name = "mediation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_create, name="create"),
    path("experts/", views.experts, name="experts"),
    path("<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("<int:dispute_id>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("<int:dispute_id>/<slug:action>/", views.dispute_action, name="action"),
]
