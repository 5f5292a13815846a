from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from gridgov.api import api
from gridgov.core.favicon import favicon

admin.site.site_header = "网格治理 管理后台"
admin.site.site_title = "网格治理"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("gridgov.core.urls")),
    path("accounts/", include("gridgov.accounts.urls")),
    path("places/", include("gridgov.places.urls")),
    path("people/", include("gridgov.people.urls")),
    path("orgs/", include("gridgov.orgs.urls")),
    path("audit/", include("gridgov.audit.urls")),
    path("transfer/", include("gridgov.transfer.urls")),
    path("notifications/", include("gridgov.notifications.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("r/", include("gridgov.cases.urls_public")),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("services/", include("gridgov.services.urls")),
    path("care/", include("gridgov.care.urls")),
    path("bulletin/", include("gridgov.bulletin.urls")),
    path("forum/", include("gridgov.forum.urls")),
    path("activities/", include("gridgov.activities.urls")),
    path("consult/", include("gridgov.consult.urls")),
    path("mediation/", include("gridgov.mediation.urls")),
    path("desks/", include("gridgov.desks.urls")),
    path("command/", include("gridgov.command.urls")),
]

if settings.GRIDGOV_BENCH_BASELINES:  # bench/load.py's minimal views; off in production
    from gridgov.core import bench_baselines

    urlpatterns += [
        path("bench/insert", bench_baselines.insert_one),
        path("bench/list", bench_baselines.list_twenty),
        path("bench/page", bench_baselines.signed_in_page),
        path("bench/insert-triaged", bench_baselines.insert_triaged),
    ]

# Chinese pages for people, JSON under /api/ (gridgov.core.views); 403 keeps Django's, rendering 403.html.
handler400 = "gridgov.core.views.bad_request"
handler404 = "gridgov.core.views.page_not_found"
handler500 = "gridgov.core.views.server_error"
