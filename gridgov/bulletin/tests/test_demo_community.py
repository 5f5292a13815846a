"""The demo's online community (gridgov.demo.community_demo), built through the real services."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gridgov.activities.models import Activity, Group, Signup
from gridgov.bulletin.models import Column, Notice, NoticeReceipt, NoticeState
from gridgov.forum.models import Topic

pytestmark = pytest.mark.django_db


def test_the_demo_fills_columns_notices_forum_and_a_season_of_activities():
    call_command("demo", "--scale", "0.05", stdout=io.StringIO())
    assert Column.objects.count() == 7
    assert Notice.objects.filter(state=NoticeState.PUBLISHED).count() >= 28
    assert Notice.objects.filter(state=NoticeState.SCHEDULED).exists()
    targeted = Notice.objects.filter(targets__place__kind="building").distinct()
    assert targeted.exists()
    receipted = Notice.objects.filter(needs_receipt=True)
    assert receipted.count() >= 2 and 0 < NoticeReceipt.objects.filter(notice__in=receipted).count()
    dispute = Topic.objects.get(title__contains="装修噪音")
    assert dispute.case is not None
    troupe = Group.objects.get(name="金泰文化艺术团")
    assert troupe.children.count() >= 10
    assert Activity.objects.filter(series__isnull=False).count() >= 10
    assert Signup.objects.exclude(checked_in_at=None).count() > 0
