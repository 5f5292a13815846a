"""Forum: display names, held posts (sensitive words, new posters), moderation, bans, topic → case."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.audit.models import AuditEntry
from gridgov.core.errors import Forbidden, NotFound
from gridgov.forum import selectors, services
from gridgov.forum.models import PostState

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(world):
    return services.board_save(by=world.carol, place=world.community, name="邻里议事", hold_first_posts=0)


def test_residents_post_under_a_display_name_and_only_staff_in_scope_see_who(client, world, board):
    topic = services.topic_create(
        by=world.erin, board=board, title="楼上漏水", body="我家天花板被楼上漏水泡了"
    )
    assert topic.alias.startswith("居民") and "李秀英" not in topic.alias
    client.force_login(world.erin)
    assert "李秀英" not in client.get(f"/forum/t/{topic.pk}/").content.decode()
    client.force_login(world.bob)
    assert "李秀英" in client.get(f"/forum/t/{topic.pk}/").content.decode()
    assert client.get(f"/api/v1/forum/topics/{topic.pk}").json()["author_identity"] == "李秀英"


def test_a_sensitive_word_holds_the_post_for_review_instead_of_dropping_it(world, board):
    services.word_add(by=world.carol, word="赌博")
    topic = services.topic_create(by=world.erin, board=board, title="求助", body="有人在楼下赌博")
    assert topic.state == PostState.HELD and "赌博" in topic.held_reason
    assert selectors.topic_for(world.erin, topic.pk) == topic  # the author still sees it
    assert topic in selectors.held_topics(world.bob)
    services.topic_moderate(by=world.bob, topic=topic, action="approve")
    topic.refresh_from_db()
    assert topic.state == PostState.VISIBLE
    assert AuditEntry.objects.filter(
        changes__op="forum.topic_approve", target_label__startswith="审核通过帖子"
    ).exists()


def test_a_new_posters_first_posts_are_held(world):
    board = services.board_save(by=world.carol, place=world.community, name="新人版", hold_first_posts=1)
    first = services.topic_create(by=world.erin, board=board, title="你好", body="第一次发帖")
    assert first.held_reason == "新用户的前几条发言需审核"
    services.topic_moderate(by=world.carol, topic=first, action="approve")
    second = services.topic_create(by=world.erin, board=board, title="再来", body="第二次")
    assert second.state == PostState.VISIBLE


def test_lock_hide_ban_and_reports(world, board):
    topic = services.topic_create(by=world.erin, board=board, title="吵架", body="内容")
    services.post_report(by=world.erin, topic=topic, reason="骂人")
    with pytest.raises(ValidationError):
        services.post_report(by=world.erin, topic=topic, reason="骂人")
    services.topic_moderate(by=world.bob, topic=topic, action="lock")
    with pytest.raises(Forbidden) as exc:
        services.reply_create(by=world.erin, topic=topic, body="我还要说")
    assert "已锁定" in str(exc.value)
    services.user_ban(by=world.bob, topic=topic, days=3, reason="辱骂邻居")
    with pytest.raises(Forbidden) as exc:
        services.topic_create(by=world.erin, board=board, title="又来", body="内容")
    assert "禁言" in str(exc.value)
    services.topic_moderate(by=world.bob, topic=topic, action="hide")
    with pytest.raises(NotFound):
        selectors.topic_for(world.erin, topic.pk)
    assert {"forum.topic_lock", "forum.ban", "forum.topic_hide"} <= {
        entry.changes.get("op") for entry in AuditEntry.objects.all()
    }


def test_staff_turn_a_topic_into_a_case_and_the_topic_shows_it(client, world, board):
    topic = services.topic_create(
        by=world.erin, board=board, title="邻居装修噪音", body="每天早上七点就开始砸墙"
    )
    topic = services.topic_to_case(by=world.bob, topic=topic)
    assert topic.case is not None and topic.case.place == world.building2
    with pytest.raises(Forbidden):
        services.topic_to_case(by=world.bob, topic=topic)
    client.force_login(world.erin)
    assert topic.case.tracking_code in client.get(f"/forum/t/{topic.pk}/").content.decode()


def test_boards_outside_ones_community_are_not_found(client, world):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.places.services import place_create

    other = place_create(by=SYSTEM, parent=world.street, kind="community", name="世纪城社区")
    board = services.board_save(by=SYSTEM, place=other, name="世纪城论坛")
    with pytest.raises(NotFound):
        selectors.board_for(world.erin, board.pk)
    client.force_login(world.erin)
    assert client.get(f"/forum/b/{board.pk}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/forum/boards/{board.pk}/topics",
            {"title": "x", "body": "y"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_bad_input_is_refused_with_the_field_named(client, world, board):
    client.force_login(world.erin)
    page = client.post(f"/forum/b/{board.pk}/", {"title": "", "body": "内容"}).content.decode()
    assert "请填写标题" in page
    bad = client.post(
        f"/api/v1/forum/boards/{board.pk}/topics",
        {"title": "标题\u200b", "body": "y"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    with pytest.raises(ValidationError) as exc:
        services.poster_rename(by=world.erin, display_name="李秀英")
    assert "真实姓名" in str(exc.value)


def test_mentioning_a_staff_member_tells_her(world, board):
    from gridgov.notifications.models import Notification

    services.topic_create(by=world.erin, board=board, title="路灯", body="@bob 8栋门口路灯坏了")
    assert Notification.objects.filter(recipient=world.bob, kind="forum.mention").exists()


@pytest.mark.parametrize("count", [5, 50])
def test_lists_keep_their_query_count(client, world, board, django_assert_max_num_queries, count):
    for index in range(count):
        topic = services.topic_create(by=world.erin, board=board, title=f"话题{index}", body="内容")
    for index in range(min(count, 20)):
        services.reply_create(by=world.erin, topic=topic, body=f"回复{index}")
    for user in (world.erin, world.carol):
        client.force_login(user)
        with django_assert_max_num_queries(16):
            assert client.get(f"/forum/b/{board.pk}/").status_code == 200
        with django_assert_max_num_queries(16):
            assert client.get(f"/forum/t/{topic.pk}/").status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(f"/api/v1/forum/boards/{board.pk}/topics?page_size=100").status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get("/api/v1/forum/boards").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/forum/moderation/").status_code == 200
    for index in range(count):
        services.board_save(by=world.carol, place=world.community, name=f"版块{index}")
        services.word_add(by=world.carol, word=f"词{index}")
    with django_assert_max_num_queries(14):
        assert client.get("/forum/config/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/forum/").status_code == 200
    client.force_login(world.erin)
    with django_assert_max_num_queries(14):
        assert client.get("/forum/").status_code == 200
