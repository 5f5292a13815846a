from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.cases.models import AttachmentKind, Case, CaseEvent, Channel, EventKind, Level, State
from gridgov.cases.services import ApiKeyInvalid, apikey_create, case_submit_result
from gridgov.cases.tests.factories import jpeg_with_exif, png_bytes, upload
from gridgov.core import crypto
from gridgov.core.errors import Forbidden
from gridgov.core.sealed import MAGIC
from gridgov.notifications.models import Notification


def test_anonymous_resident_report_gets_code_suggestion_routing_and_first_event(cw, submit):
    case = submit(text="1栋门口的垃圾好几天没人清运，臭气熏天")
    assert len(case.tracking_code) == 10
    assert case.state == State.NEW
    assert case.level == Level.GRID and case.level_place == cw.grid1
    assert case.place_path == cw.building1.path
    assert case.category.code == case.suggested_category
    assert case.suggested_category == "sanitation"
    assert case.reporter_phone_last4 == "1234"
    assert "13700001234" not in case.reporter_phone_enc
    assert crypto.decrypt(case.reporter_phone_enc) == "13700001234"
    assert case.due_accept_at > case.created_at and case.due_resolve_at > case.due_accept_at
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.to_state, event.to_level, event.public) == (
        EventKind.SUBMITTED,
        "new",
        "grid",
        True,
    )
    entry = AuditEntry.objects.get(target_type="cases.case", target_id=str(case.pk))
    assert entry.action == AuditAction.CREATE and "13700001234" not in str(entry.changes)
    # The grid's handlers are told: alice and frank work grid 1, bob (grid 2) is not.
    told = set(Notification.objects.filter(kind="case.new").values_list("recipient__username", flat=True))
    assert told == {"alice", "frank"}


def test_anonymous_report_needs_a_phone(cw, submit):
    with pytest.raises(ValidationError) as exc:
        submit(reporter_phone="")
    assert exc.value.message_dict == {"reporter_phone": ["匿名反映请留下手机号，便于回访"]}
    with pytest.raises(ValidationError) as exc:
        submit(reporter_phone="1370000123")
    assert exc.value.message_dict["reporter_phone"] == ["手机号应为11位，当前为10位"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "   "}, "text", "请填写反映内容"),
        ({"text": "很" * 2001}, "text", "反映内容不能超过2000个字，当前2001个字"),
        ({"place": None}, "place", "请选择事件发生的地点"),
        ({"channel": "fax"}, "channel", "来源渠道无效"),
        ({"priority": "asap"}, "priority", "优先级只能是一般或紧急"),
        ({"latitude": "north", "longitude": "1"}, "latitude", "经纬度须为数字，且须同时填写"),
        ({"latitude": 91, "longitude": 112}, "latitude", "纬度须在-90到90之间"),
        ({"category": "nope"}, "category", "分类不存在或已停用"),
        ({"client_key": "a b"}, "client_key", "请求标识只能包含字母、数字和 _ . : -，最长64个字符"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(cw, submit, fields, field, message):
    with pytest.raises(ValidationError) as exc:
        submit(**fields)
    assert exc.value.message_dict[field] == [message]
    assert not Case.objects.exists()


def test_logged_in_resident_is_linked_as_reporter(cw, submit):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="8栋楼道灯坏了")
    assert case.reporter_user == cw.erin and case.reporter_resident == cw.li
    assert case.level_place == cw.grid2


def test_idempotent_on_client_key(cw, submit):
    first = case_submit_result(
        by=AnonymousUser(),
        text="路灯不亮",
        channel="qr_poster",
        place=cw.building1,
        reporter_phone="13700001234",
        client_key="c-123",
    )
    again = case_submit_result(
        by=AnonymousUser(),
        text="路灯不亮",
        channel="qr_poster",
        place=cw.building1,
        reporter_phone="13700001234",
        client_key="c-123",
    )
    assert first.created and not again.created
    assert again.case.pk == first.case.pk
    assert Case.objects.count() == 1
    # The same key from someone else is a different submission.
    other = submit(client_key="c-123", reporter_phone="13900009999")
    assert other.pk != first.case.pk


def test_staff_channels_need_intake_capability_at_the_place(cw, submit):
    case = submit(
        by=cw.alice,
        channel=Channel.HOTLINE,
        reporter_name="王阿姨",
        reporter_phone="13811112222",
        reporter_resident=cw.zhang,
        category="facility",
    )
    assert case.created_by == cw.alice and case.reporter_resident == cw.zhang
    assert case.category_confirmed  # staff chose the category on the phone
    # Another grid's building answers like a missing place: the message must not name it.
    with pytest.raises(ValidationError) as exc:
        submit(by=cw.bob, channel=Channel.WALK_IN, place=cw.building1)
    assert exc.value.message_dict == {"place": ["地点不存在"]}
    # A resident is no staff: refused whether or not the building is hers.
    with pytest.raises((Forbidden, ValidationError)):
        submit(by=cw.erin, channel=Channel.HOTLINE, place=cw.building2)
    with pytest.raises(ValidationError) as exc:
        submit(by=cw.bob, channel=Channel.WALK_IN, place=cw.building2, reporter_resident=cw.zhang)
    assert exc.value.message_dict == {"reporter_resident": ["无权关联该居民"]}


def test_patrol_report_is_the_grid_workers_own(cw, submit):
    case = submit(
        by=cw.dave, channel=Channel.PATROL, reporter_phone="", text="巡查发现绿化带有人堆放建筑垃圾"
    )
    assert case.reporter_user == cw.dave and case.channel == Channel.PATROL


def test_property_bulk_by_property_staff_inside_their_estates_only(cw, submit):
    case = submit(by=cw.pete, channel=Channel.PROPERTY_BULK, reporter_phone="", text="3单元电梯异响")
    assert case.channel == Channel.PROPERTY_BULK
    with pytest.raises(ValidationError) as exc:
        submit(by=cw.pete, channel=Channel.PROPERTY_BULK, place=cw.building2, reporter_phone="")
    assert exc.value.message_dict == {"place": ["地点不存在"]}


def test_external_systems_need_an_active_key_and_stay_in_its_place(cw, submit):
    key, _raw = apikey_create(by=SYSTEM, name="摄像头", place=cw.grid1)
    case = submit(channel=Channel.EXTERNAL_API, api_key=key, reporter_phone="", text="摄像头识别：占道经营")
    assert case.api_key == key and case.source == f"key:{key.pk}"
    with pytest.raises(ValidationError) as exc:
        submit(channel=Channel.EXTERNAL_API, api_key=key, place=cw.building2, reporter_phone="")
    assert exc.value.message_dict == {"place": ["该地点不在接入密钥的上报范围内"]}
    with pytest.raises(ApiKeyInvalid):
        submit(channel=Channel.OPEN311, api_key=None, reporter_phone="")


def test_photos_checked_by_content_counted_and_stripped_of_metadata(cw, submit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = submit(photos=[upload("a.jpg", jpeg_with_exif()), upload("b.png", png_bytes(b"GPS\x0028.22"))])
    stored = list(case.attachments.order_by("id"))
    assert [a.content_type for a in stored] == ["image/jpeg", "image/png"]
    assert all(a.kind == AttachmentKind.REPORT and a.public for a in stored)
    jpeg = stored[0].file.read()
    assert jpeg.startswith(b"\xff\xd8") and b"GPSLatitude" not in jpeg and b"Exif" not in jpeg
    png = stored[1].file.read()
    assert png.startswith(b"\x89PNG") and b"tEXt" not in png and b"IEND" in png
    # On disk neither is in clear (core.storage): a leaked disk shows no reporter's photo.
    for attachment, plain in zip(stored, (jpeg, png), strict=True):
        raw = (tmp_path / attachment.file.name).read_bytes()
        assert raw.startswith(MAGIC) and plain[:24] not in raw and plain[-24:] not in raw

    with pytest.raises(ValidationError) as exc:
        submit(photos=[upload("evil.jpg", b"<?php echo 1; ?>")])
    assert exc.value.message_dict == {"photos": ["“evil.jpg”不是图片，只能上传JPG、PNG或WebP照片"]}
    with pytest.raises(ValidationError) as exc:
        submit(photos=[upload(f"{i}.png", png_bytes()) for i in range(10)])
    assert exc.value.message_dict == {"photos": ["最多上传9张照片，当前10张"]}
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 50
    with pytest.raises(ValidationError) as exc:
        submit(photos=[upload("big.png", png_bytes() + b"\x00" * 100)])
    assert "超过" in exc.value.message_dict["photos"][0]
    with pytest.raises(ValidationError) as exc:
        settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 10 * 1024 * 1024
        submit(photos=[upload("cut.png", png_bytes()[:30])])
    assert exc.value.message_dict == {"photos": ["照片“cut.png”已损坏，无法读取"]}
    assert Case.objects.count() == 1


def test_subcategory_given_as_category_is_placed_under_its_parent(cw, submit):
    case = submit(category="lift", text="电梯困人了")
    assert case.category == cw.facility and case.subcategory == cw.lift
    with pytest.raises(ValidationError) as exc:
        submit(category="sanitation", subcategory="lift")
    assert exc.value.message_dict == {"subcategory": ["子分类不属于所选分类"]}


def test_urgent_suggestion_sets_priority_and_shorter_dues(cw, submit):
    urgent = submit(text="楼道里有浓烟，好像着火了，快来人")
    normal = submit(text="楼道里的宣传栏有点旧了")
    assert urgent.priority == "urgent"
    assert urgent.due_resolve_at - urgent.created_at < normal.due_resolve_at - normal.created_at
