"""/api/v1/imports: upload, status with the row report, confirm; scope and bad input as JSON."""

from __future__ import annotations

from django.test import Client

from gridgov.accounts.tests.apiclient import as_
from gridgov.people.models import Resident
from gridgov.transfer.models import ImportJob
from gridgov.transfer.tests.factories import make_id, person, upload, xlsx_bytes

ROWS = [
    person("郑爽", make_id("19920909", 20, male=False), room="120"),
    person("冯坏号", "430102195001010019", room="121"),
]


def uploader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_upload_status_confirm(world, django_capture_on_commit_callbacks):
    client = uploader(world.carol)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports", {"place": world.community.pk, "file": upload(xlsx_bytes(ROWS))}
        )
    assert response.status_code == 201
    job_id = response.json()["id"]
    status = as_(world, "carol").get(f"/api/v1/imports/{job_id}").json()
    assert (status["status"], status["total_rows"], status["bad_rows"], status["good_rows"]) == (
        "ready",
        2,
        1,
        1,
    )
    assert status["errors"] == [
        {"row": 3, "column": "身份证号", "message": "身份证号校验位错误，请核对后重新填写", "name": "冯坏号"}
    ]
    api = as_(world, "carol")
    assert api.post(f"/api/v1/imports/{job_id}/confirm", {"mode": "everything"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = api.post(f"/api/v1/imports/{job_id}/confirm", {"mode": "good_rows"})
    assert done.status_code == 200
    assert as_(world, "carol").get(f"/api/v1/imports/{job_id}").json()["status"] == "done"
    assert (
        Resident.objects.filter(name="郑爽").exists() and not Resident.objects.filter(name="冯坏号").exists()
    )
    again = api.post(f"/api/v1/imports/{job_id}/confirm", {"mode": "nothing"})
    assert again.status_code == 400 and "不能再选择" in again.json()["detail"]
    assert [job["id"] for job in api.get("/api/v1/imports").json()] == [job_id]


def test_api_bad_input_and_scope(world, django_capture_on_commit_callbacks):
    client = uploader(world.carol)
    not_a_sheet = client.post(
        "/api/v1/imports", {"place": world.community.pk, "file": upload(b"\x89PNG\r\n\x1a\n\x00", "a.png")}
    )
    assert not_a_sheet.status_code == 400 and not_a_sheet.json()["errors"][0]["field"] == "file"
    no_file = client.post("/api/v1/imports", {"place": world.community.pk})
    assert no_file.status_code == 400
    assert not ImportJob.objects.exists()
    # Columns are the worker's business: the job is created, and its check fails with the reason.
    with django_capture_on_commit_callbacks(execute=True):
        wrong = client.post(
            "/api/v1/imports",
            {"place": world.community.pk, "file": upload(xlsx_bytes([["x"]], headers=["姓名", "民族"]))},
        )
    assert wrong.status_code == 201
    assert client.get(f"/api/v1/imports/{wrong.json()['id']}").json()["status"] == "failed"
    assert "缺少必需的列" in client.get(f"/api/v1/imports/{wrong.json()['id']}").json()["message"]
    ImportJob.objects.all().delete()
    assert (
        uploader(world.alice)
        .post("/api/v1/imports", {"place": world.grid1.pk, "file": upload(xlsx_bytes(ROWS))})
        .status_code
        == 403
    )
    assert (
        uploader(world.bob)
        .post("/api/v1/imports", {"place": world.grid1.pk, "file": upload(xlsx_bytes(ROWS))})
        .status_code
        == 404
    )
    assert Client().post("/api/v1/imports", {"place": world.grid1.pk}).status_code == 401
    assert not ImportJob.objects.exists()
    job = ImportJob.objects.create(
        created_by=world.carol,
        place=world.grid2,
        kind="residents",
        original_name="a.xlsx",
        file_format="xlsx",
    )
    assert as_(world, "frank").get(f"/api/v1/imports/{job.pk}").status_code == 404
    assert (
        as_(world, "frank").post(f"/api/v1/imports/{job.pk}/confirm", {"mode": "nothing"}).status_code == 404
    )
    template = as_(world, "carol").get("/api/v1/imports/template", {"format": "csv"})
    assert template.status_code == 200 and b"".join(template.streaming_content).startswith(b"\xef\xbb\xbf")
