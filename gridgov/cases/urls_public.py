from __future__ import annotations

app_name = "report"
urlpatterns: list = []
