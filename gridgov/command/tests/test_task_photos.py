"""Photos on a task's household visits: asked for by the sender, taken on the phone, kept sealed,
shown to the sender in the progress view and to nobody outside the task's scope."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.command import photos as task_photos
from gridgov.command import services
from gridgov.command.models import PHOTOS_PER_ITEM, TaskItem, TaskPhoto


def _png(marker: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"GPS\x0028.2,112.9" + marker)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _send(cw, *, photo_asked: bool = True):
    return services.task_send(
        by=cw.carol,
        place=cw.community,
        title="消防安全入户检查",
        checklist=["灭火器在有效期内"],
        deadline=timezone.now() + dt.timedelta(days=3),
        photo_asked=photo_asked,
    )


def _upload(client, item, *, key: str = "p-1", data: bytes | None = None, name: str = "a.png"):
    body: dict[str, object] = {
        "client_key": key,
        "photo": SimpleUploadedFile(name, _png() if data is None else data, "image/png"),
    }
    return client.post(reverse("command:item_photo", args=[item.pk]), body)


def _tick(client, item, **body):
    return client.post(
        reverse("command:item_tick", args=[item.pk]), json.dumps(body), content_type="application/json"
    )


def test_a_task_that_asks_for_photos_wants_one_before_someone_is_home(client, cw, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    task = _send(cw)
    mine = TaskItem.objects.get(task=task, grid=cw.grid1)
    client.force_login(cw.alice)
    page = client.get(reverse("command:my_task", args=[task.pk])).content.decode()
    assert "须拍照" in page and reverse("command:item_photo", args=[mine.pk]) in page

    refused = _tick(client, mine, outcome="home", checks=[True], client_key="t-1")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "这项任务要求入户拍照，请先拍照再登记"
    # Nobody at home: nothing to photograph.
    assert _tick(client, mine, outcome="away", client_key="t-2").status_code == 200

    first = _upload(client, mine)
    assert first.status_code == 200 and first.json()["created"] is True
    again = _upload(client, mine)  # the offline queue resending the same photo
    assert again.json() == {"id": first.json()["id"], "created": False}
    assert TaskPhoto.objects.filter(item=mine).count() == 1
    assert _tick(client, mine, outcome="home", checks=[True], client_key="t-3").status_code == 200

    photo = TaskPhoto.objects.get(item=mine)
    stored = (task_photos.root() / photo.path).read_bytes()
    assert b"IHDR" not in stored  # sealed at rest
    shown = client.get(reverse("command:photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown.content.startswith(b"\x89PNG") and b"GPS" not in shown.content  # location stripped


def test_bad_photos_are_refused_with_a_reason(client, cw, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 2000
    task = _send(cw)
    mine = TaskItem.objects.get(task=task, grid=cw.grid1)
    theirs = TaskItem.objects.get(task=task, grid=cw.grid2)
    client.force_login(cw.alice)
    not_image = _upload(client, mine, key="x-1", data=b"%PDF-1.4 hello", name="a.pdf")
    assert not_image.status_code == 400 and "不是图片" in not_image.json()["detail"]
    big = _upload(client, mine, key="x-2", data=_png(b"x" * 3000))
    assert big.status_code == 400 and "超过" in big.json()["detail"]
    assert _upload(client, mine, key="", data=None).json()["detail"] == "客户端编号缺失或格式不对"
    missing = client.post(reverse("command:item_photo", args=[mine.pk]), {"client_key": "x-3"})
    assert missing.json()["detail"] == "请选择照片"
    for index in range(PHOTOS_PER_ITEM):
        assert _upload(client, mine, key=f"ok-{index}").status_code == 200
    over = _upload(client, mine, key="x-4")
    assert over.json()["detail"] == f"每户最多{PHOTOS_PER_ITEM}张照片"
    # Another grid's household: as if it did not exist.
    assert _upload(client, theirs, key="x-5").status_code == 404
    assert TaskPhoto.objects.filter(item=theirs).count() == 0
    # Refused uploads leave no file behind.
    assert len(list(task_photos.root().rglob("*.png"))) == PHOTOS_PER_ITEM

    plain = _send(cw, photo_asked=False)
    plain_item = TaskItem.objects.get(task=plain, grid=cw.grid1)
    assert _upload(client, plain_item, key="x-6").json()["detail"] == "这项任务不需要拍照"


def test_the_sender_sees_the_photos_and_outsiders_do_not(client, cw, other_street, settings, tmp_path):
    from gridgov.accounts.models import Role
    from gridgov.accounts.scope import SYSTEM
    from gridgov.accounts.services import role_grant, user_create

    settings.DATA_DIR = tmp_path
    task = _send(cw)
    mine = TaskItem.objects.get(task=task, grid=cw.grid1)
    client.force_login(cw.alice)
    photo_id = _upload(client, mine).json()["id"]

    client.force_login(cw.carol)
    page = client.get(reverse("command:task", args=[task.pk])).content.decode()
    assert "现场照片" in page and "共1张" in page and reverse("command:photo", args=[photo_id]) in page
    assert client.get(reverse("command:photo", args=[photo_id])).status_code == 200
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("command:task_export", args=[task.pk])).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("照片（张）")
    assert sorted(str(r[column]) for r in rows[1:]) == ["0", "1"]

    # bob works the other grid of the same task; an outsider holds a street elsewhere.
    client.force_login(cw.bob)
    assert client.get(reverse("command:photo", args=[photo_id])).status_code == 404
    outsider = user_create(by=SYSTEM, username="olga", password=cw.password, validate=False)
    role_grant(by=SYSTEM, user=outsider, role=Role.objects.get(code="street_admin"), place=other_street)
    client.force_login(outsider)
    assert client.get(reverse("command:photo", args=[photo_id])).status_code == 404
    assert client.get(reverse("command:photo", args=[999999])).status_code == 404


def test_the_progress_view_and_the_phone_list_do_not_grow_with_the_photos(
    client, cw, settings, tmp_path, django_assert_max_num_queries
):
    settings.DATA_DIR = tmp_path
    task = _send(cw)
    mine = TaskItem.objects.get(task=task, grid=cw.grid1)
    theirs = TaskItem.objects.get(task=task, grid=cw.grid2)
    client.force_login(cw.alice)
    _upload(client, mine, key="a-0")
    client.force_login(cw.carol)
    progress = reverse("command:task_progress", args=[task.pk])
    with django_assert_max_num_queries(30) as one:
        assert client.get(progress).status_code == 200
    progress_queries = len(one.captured_queries)  # read now: the next request clears the log
    client.force_login(cw.alice)
    phone = reverse("command:my_task", args=[task.pk])
    with django_assert_max_num_queries(30) as phone_one:
        assert client.get(phone).status_code == 200
    phone_queries = len(phone_one.captured_queries)
    for index in range(1, PHOTOS_PER_ITEM):
        _upload(client, mine, key=f"a-{index}")
    client.force_login(cw.bob)
    for index in range(PHOTOS_PER_ITEM):
        _upload(client, theirs, key=f"b-{index}")
    client.force_login(cw.carol)
    with django_assert_max_num_queries(progress_queries):
        page = client.get(progress).content.decode()
    assert f"共{2 * PHOTOS_PER_ITEM}张" in page
    client.force_login(cw.alice)
    with django_assert_max_num_queries(phone_queries):
        assert f"已拍{PHOTOS_PER_ITEM}张" in client.get(phone).content.decode()
