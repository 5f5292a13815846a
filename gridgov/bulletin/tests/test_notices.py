"""Notices: targeting by place and tag, read receipts per building, reminders, scheduling, files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts.scope import SYSTEM
from gridgov.bulletin import selectors, services
from gridgov.bulletin.models import Column, NoticeState
from gridgov.cases.tests.factories import png_bytes
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import GroupRobot, Notification, OutboundMessage
from gridgov.people.models import Tag
from gridgov.people.services import resident_set_tags

pytestmark = pytest.mark.django_db


def _column() -> Column:
    return Column.objects.get(name="通知公告")


def make_notice(world, *, by=None, targets=None, tags=(), needs_receipt=False, publish=True, **extra):
    notice = services.notice_save(
        by=by or world.carol,
        column=_column(),
        place=extra.pop("place", world.community),
        title=extra.pop("title", "停水通知"),
        summary="明天9点至17点停水",
        body_html=extra.pop("body_html", "<p>请提前储水</p>"),
        targets=targets or [],
        tags=tags,
        needs_receipt=needs_receipt,
        **extra,
    )
    if publish:
        notice = services.notice_publish(by=by or world.carol, notice=notice)
    return notice


def test_the_seed_columns_are_preloaded_and_editable(world):
    names = list(Column.objects.values_list("name", flat=True))
    assert names == ["社区党建", "生活快车", "社区服务", "社区活动", "通知公告", "政策法规", "便民信息"]
    column = services.column_save(by=world.carol, column=_column(), name="重要通知", sort_order=1)
    assert column.name == "重要通知"
    with pytest.raises(Forbidden):
        services.column_save(by=world.alice, name="新栏目")
    with pytest.raises(ValidationError) as exc:
        services.column_save(by=world.carol, name="社区党建")
    assert "已存在" in str(exc.value)


def test_a_resident_sees_what_is_addressed_to_her_building_only(world):
    to_b1 = make_notice(world, targets=[world.building1], title="1栋电梯检修")
    to_b2 = make_notice(world, targets=[world.building2], title="8栋电梯检修")
    whole = make_notice(world, title="全社区")
    seen = set(selectors.notices_for_resident(world.erin).values_list("title", flat=True))
    assert seen == {"8栋电梯检修", "全社区"}
    with pytest.raises(NotFound):
        selectors.notice_for(world.erin, to_b1.pk)
    assert selectors.notice_for(world.erin, to_b2.pk) == to_b2
    assert selectors.notice_for(world.erin, whole.pk) == whole


def test_tag_targeting_reaches_only_residents_with_the_tag(world):
    tag = Tag.objects.get(name="独居老人")
    notice = make_notice(world, tags=[tag], title="高温预警")
    assert not selectors.notices_for_resident(world.erin).filter(pk=notice.pk).exists()
    resident_set_tags(by=SYSTEM, resident=world.li, tags=[tag])
    assert selectors.notices_for_resident(world.erin).filter(pk=notice.pk).exists()


def test_drafts_and_expired_and_future_notices_are_hidden_from_residents(world):
    draft = make_notice(world, publish=False, title="草稿")
    later = make_notice(world, title="定时", publish_at=clock.now() + dt.timedelta(hours=2))
    old = make_notice(world, title="过期", expires_at=clock.now() + dt.timedelta(minutes=1))
    assert later.state == NoticeState.SCHEDULED
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=5)):
        titles = set(selectors.notices_for_resident(world.erin).values_list("title", flat=True))
    assert {"草稿", "定时", "过期"}.isdisjoint(titles)
    assert draft.state == NoticeState.DRAFT and old.pk


def test_the_sweep_publishes_scheduled_notices_and_posts_to_the_group_robot(world):
    GroupRobot.objects.create(
        name="金泰路社区群",
        channel="wecom",
        place=world.community,
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
    )
    notice = make_notice(world, publish_at=clock.now() + dt.timedelta(hours=1))
    assert not OutboundMessage.objects.filter(robot__name="金泰路社区群").exists()
    assert services.publish_due(by=SYSTEM, now=clock.now() + dt.timedelta(hours=2)) == 1
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED
    message = OutboundMessage.objects.get(robot__name="金泰路社区群")
    assert "停水通知" in message.summary
    assert services.publish_due(by=SYSTEM, now=clock.now() + dt.timedelta(hours=3)) == 0
    assert OutboundMessage.objects.filter(robot__name="金泰路社区群").count() == 1


def test_read_receipts_per_building_shrink_when_a_resident_confirms(world):
    notice = make_notice(world, needs_receipt=True)
    rows = selectors.receipts_by_building(world.carol, notice)
    assert {row.building.name: (row.confirmed, row.total) for row in rows} == {"1栋": (0, 1), "8栋": (0, 1)}
    # Bob works grid 2: he sees 8栋 only.
    assert [row.building.name for row in selectors.receipts_by_building(world.bob, notice)] == ["8栋"]
    bob_unread = selectors.receipts_by_building(world.bob, notice)[0].unread
    assert [p.phone_masked for item in bob_unread for p in item.people] == ["*******4321"]
    services.notice_confirm(by=world.erin, notice=notice)
    services.notice_confirm(by=world.erin, notice=notice)  # twice changes nothing
    notice.refresh_from_db()
    assert notice.confirmed_count == 1
    assert selectors.receipts_by_building(world.bob, notice)[0].unread == []


def test_a_reminder_goes_to_the_unread_only(world):
    from gridgov.accounts.services import user_create

    zhang_user = user_create(
        by=SYSTEM, username="zhang", password=world.password, resident=world.zhang, validate=False
    )
    notice = make_notice(world, needs_receipt=True)
    services.notice_confirm(by=world.erin, notice=notice)
    assert services.notice_remind_unread(by=world.carol, notice=notice) == 1
    assert Notification.objects.filter(recipient=zhang_user, kind="bulletin.remind").count() == 1
    assert not Notification.objects.filter(recipient=world.erin, kind="bulletin.remind").exists()


def test_confirming_a_notice_that_needs_none_is_refused(world):
    notice = make_notice(world)
    with pytest.raises(Forbidden):
        services.notice_confirm(by=world.erin, notice=notice)


def test_a_publisher_cannot_address_places_outside_her_scope(world):
    with pytest.raises(NotFound):
        make_notice(world, by=world.alice, place=world.grid2)
    with pytest.raises(ValidationError) as exc:
        make_notice(world, by=world.alice, place=world.grid1, targets=[world.building2])
    assert "不在发布单位" in str(exc.value)


def test_staff_scope_and_out_of_scope_is_not_found(world):
    notice = make_notice(world, by=world.alice, place=world.grid1)
    assert selectors.notice_for(world.frank, notice.pk) == notice
    with pytest.raises(NotFound):
        selectors.notice_for(world.bob, notice.pk)
    # A community notice reaches its grid workers' lists.
    community = make_notice(world)
    assert selectors.notices_for_staff(world.bob).filter(pk=community.pk).exists()


def test_images_are_checked_by_content_and_attachments_by_type(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    notice = make_notice(world, publish=False)
    image = services.notice_add_file(
        by=world.carol, notice=notice, kind="image", upload=SimpleUploadedFile("a.png", png_bytes(b"GPS=1"))
    )
    assert image.content_type == "image/png" and b"GPS" not in image.file.read()
    with pytest.raises(ValidationError) as exc:
        services.notice_add_file(
            by=world.carol,
            notice=notice,
            kind="image",
            upload=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>"),
        )
    assert "不是图片" in str(exc.value)
    pdf = services.notice_add_file(
        by=world.carol,
        notice=notice,
        kind="attachment",
        upload=SimpleUploadedFile("报名表.pdf", b"%PDF-1.4\n..."),
    )
    assert pdf.content_type == "application/pdf"
    with pytest.raises(ValidationError) as exc:
        services.notice_add_file(
            by=world.carol,
            notice=notice,
            kind="attachment",
            upload=SimpleUploadedFile("a.html", b"<script>alert(1)</script>"),
        )
    assert "不是PDF" in str(exc.value)


def test_bounds_and_bad_characters_are_refused_with_the_field_named(world):
    with pytest.raises(ValidationError) as exc:
        make_notice(world, title="x" * 121)
    assert "标题不能超过120个字" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        make_notice(world, title="停水\u202e通知")
    assert "标题" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        make_notice(
            world,
            publish_at=clock.now() + dt.timedelta(days=2),
            expires_at=clock.now() + dt.timedelta(days=1),
        )
    assert "截止时间须晚于发布时间" in str(exc.value)
