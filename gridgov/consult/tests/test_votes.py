"""Votes: one per household or person, eligibility, the period, paper votes, thresholds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from gridgov.consult import selectors, services
from gridgov.consult.models import BallotKind, OpenVote, Participation, PassRule, Stage, VoteUnit
from gridgov.consult.tests.conftest import make
from gridgov.core.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def _approve(consultation):
    return [o.pk for o in consultation.options.all() if o.label == "同意"]


def test_household_votes_once_and_the_voter_may_change_it(homes):
    c = make(homes)
    result = services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=_approve(c))
    assert not result.changed and result.receipt == ""
    with pytest.raises(Forbidden, match="本户已由其他家庭成员投票，每户只能投一票"):
        services.vote_cast(by=homes.u_wang, consultation=c, option_ids=_approve(c))
    against = [o.pk for o in c.options.all() if o.label == "反对"]
    assert services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=against).changed
    assert OpenVote.objects.get().choices == against
    assert Participation.objects.count() == 1


def test_per_person_adults_only_refuses_the_child_and_counts_each_adult(homes):
    c = make(homes, unit=VoteUnit.PERSON, adults_only=True)
    assert c.roll.count() == 3  # zhang, wang, zhao; not the child
    services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=_approve(c))
    services.vote_cast(by=homes.u_wang, consultation=c, option_ids=_approve(c))
    with pytest.raises(Forbidden, match="您不在本议题的表决范围内"):
        services.vote_cast(by=homes.u_kid, consultation=c, option_ids=_approve(c))
    assert selectors.results_of(c).voted == 2


def test_outsider_and_staff_and_outside_the_period_are_refused(homes):
    c = make(homes)
    with pytest.raises(Forbidden, match="您不在本议题的表决范围内"):
        services.vote_cast(by=homes.erin, consultation=c, option_ids=_approve(c))
    with pytest.raises(Forbidden, match="只有登记在册的居民才能投票"):
        services.vote_cast(by=homes.alice, consultation=c, option_ids=_approve(c))
    services.consultation_advance(by=homes.alice, consultation=c, to=Stage.CLOSED)
    with pytest.raises(Forbidden, match="投票已截止"):
        services.vote_cast(by=homes.u_zhao, consultation=c, option_ids=_approve(c))
    assert Participation.objects.count() == 0


def test_vote_before_the_period_and_bad_options(homes):
    from gridgov.consult.models import Consultation

    draft = services.consultation_create(
        by=homes.alice, place=homes.estate1, places=[homes.building1], title="停车规则"
    )
    with pytest.raises(Forbidden, match="投票尚未开始"):
        services.vote_cast(by=homes.u_zhang, consultation=draft, option_ids=_approve(draft))
    c = make(homes)
    with pytest.raises(ValidationError, match="所选选项不属于本议题"):
        services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=[999999])
    with pytest.raises(ValidationError, match="最多只能选1项"):
        services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=[o.pk for o in c.options.all()][:2])
    assert Participation.objects.count() == 0 and Consultation.objects.count() == 2


def test_paper_vote_entered_once_and_blocks_the_household_online(homes):
    c = make(homes)
    services.paper_vote_enter(
        by=homes.alice, consultation=c, household=homes.household3, option_ids=_approve(c)
    )
    with pytest.raises(ValidationError, match="该户（人）已投票，纸质票不能重复录入"):
        services.paper_vote_enter(
            by=homes.alice, consultation=c, household=homes.household3, option_ids=_approve(c)
        )
    with pytest.raises(Forbidden, match="本户已提交纸质票"):
        services.vote_cast(by=homes.u_zhao, consultation=c, option_ids=_approve(c))
    # Bob works in the other grid: the consultation is not his to see or enter.
    with pytest.raises(NotFound):
        selectors.consultation_for(homes.bob, c.pk)
    with pytest.raises(Forbidden):
        services.paper_vote_enter(
            by=homes.bob, consultation=c, household=homes.household1, option_ids=_approve(c)
        )
    assert Participation.objects.count() == 1


def test_civil_code_double_two_thirds_counts_area_and_owners(homes):
    homes.household1.area_sqm = Decimal("120.00")
    homes.household1.save()
    homes.household3.area_sqm = Decimal("60.00")
    homes.household3.save()
    c = make(homes, pass_rule=PassRule.CIVIL_MAJOR)
    services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=_approve(c))
    r = selectors.results_of(c)
    # One of two households (50% < 2/3) although 120 of 180 m² (exactly 2/3) took part.
    assert r.eligible_area == Decimal("180.00") and r.voted_area == Decimal("120.00")
    assert r.passed is False
    assert r.reasons == ["参与表决人数不足总户(人)数的三分之二"]
    services.vote_cast(by=homes.u_zhao, consultation=c, option_ids=_approve(c))
    assert selectors.results_of(c).passed is True


def test_double_two_thirds_without_areas_says_so(homes):
    c = make(homes, pass_rule=PassRule.CIVIL_GENERAL)
    services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=_approve(c))
    services.vote_cast(by=homes.u_zhao, consultation=c, option_ids=_approve(c))
    assert "未登记全部专有部分面积，无法按面积计票" in selectors.results_of(c).reasons


def test_create_refuses_bad_settings(homes):
    with pytest.raises(ValidationError, match="无记名投票不能按专有部分面积计票"):
        services.consultation_create(
            by=homes.alice, place=homes.estate1, title="选举", secret=True, pass_rule=PassRule.CIVIL_MAJOR
        )
    with pytest.raises(ValidationError, match="请至少填写两个选项"):
        services.consultation_create(
            by=homes.alice, place=homes.estate1, title="选举", ballot_kind=BallotKind.SINGLE, options=["甲"]
        )
    with pytest.raises(ValidationError, match="参与范围“8栋”不在议题所属地点之内"):
        services.consultation_create(by=homes.alice, place=homes.estate1, title="x", places=[homes.building2])
    with pytest.raises(Forbidden):
        services.consultation_create(by=homes.bob, place=homes.estate1, title="x")
    with pytest.raises(ValidationError, match="议题不能包含换行符"):
        services.consultation_create(by=homes.alice, place=homes.estate1, title="a\nb")


def test_discussion_comments_and_supports(homes):
    c = services.consultation_create(
        by=homes.alice, place=homes.estate1, places=[homes.building1], title="停车"
    )
    services.consultation_advance(by=homes.alice, consultation=c, to=Stage.DISCUSSION)
    proposal = services.comment_add(
        by=homes.u_zhang, consultation=c, text="建议划定夜间临时车位", is_proposal=True
    )
    services.comment_support(by=homes.u_zhao, comment=proposal)
    with pytest.raises(ValidationError, match="您已支持过这条建议"):
        services.comment_support(by=homes.u_zhao, comment=proposal)
    proposal.refresh_from_db()
    assert proposal.supporters == 1
    # The resident of 8栋 does not see a consultation of 1栋.
    with pytest.raises(NotFound):
        selectors.consultation_for(homes.erin, c.pk)
    assert selectors.consultation_for(homes.u_zhang, c.pk) == c


def test_votes_close_at_the_deadline(homes):
    from gridgov.core import clock

    c = make(homes, voting_ends_at=clock.now() + dt.timedelta(hours=1))
    with clock.frozen_at(clock.now() + dt.timedelta(hours=2)):
        with pytest.raises(Forbidden, match="投票已截止"):
            services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=_approve(c))
