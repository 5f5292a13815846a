from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.orgs.models import OrgKind, PartyLevel
from gridgov.orgs.selectors import organisations_for
from gridgov.orgs.services import organisation_add_member, organisation_create


def test_party_tree_levels_are_enforced(world):
    general = organisation_create(
        by=world.carol, kind=OrgKind.PARTY, name="金泰路社区党总支", place=world.community,
        party_level=PartyLevel.GENERAL_BRANCH,
    )
    branch = organisation_create(
        by=world.carol, kind=OrgKind.PARTY, name="第一网格党支部", place=world.grid1, parent=general,
        party_level=PartyLevel.BRANCH, places=[world.grid1],
    )
    with pytest.raises(ValidationError) as caught:
        organisation_create(
            by=world.carol, kind=OrgKind.PARTY, name="错误党总支", place=world.grid1, parent=branch,
            party_level=PartyLevel.GENERAL_BRANCH,
        )
    assert caught.value.message_dict["parent"] == ["党总支不能隶属于党支部"]


def test_property_company_binds_estates_only(world):
    with pytest.raises(ValidationError) as caught:
        organisation_create(
            by=world.carol, kind=OrgKind.PROPERTY, name="湘江物业", place=world.community, places=[world.grid1]
        )
    assert caught.value.message_dict["places"] == ["物业公司只能绑定小区或楼栋：第一网格"]
    company = organisation_create(
        by=world.carol, kind=OrgKind.PROPERTY, name="湘江物业", place=world.community, places=[world.estate1]
    )
    assert list(company.places.all()) == [world.estate1]


def test_street_departments_are_visible_to_the_grids_below(world):
    chengguan = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="城管执法中队", place=world.street)
    team = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="第二网格志愿服务队", place=world.grid2)
    organisation_add_member(by=SYSTEM, organisation=team, resident=world.li, role="队长")
    assert set(organisations_for(world.alice)) == {chengguan}
    assert set(organisations_for(world.bob)) == {chengguan, team}
    with pytest.raises(ValidationError, match="李秀英已是该组织成员"):
        organisation_add_member(by=SYSTEM, organisation=team, resident=world.li)
