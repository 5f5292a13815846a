"""Shapes of the consultations API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.consult.models import BallotKind, PassRule, Stage, VoteUnit


class OptionOut(Schema):
    id: int
    label: str


class ConsultationOut(Schema):
    id: int
    title: str
    place_id: int
    place_name: str
    stage: Stage
    ballot_kind: BallotKind
    unit: VoteUnit
    secret: bool
    pass_rule: PassRule
    quorum_percent: int
    voting_ends_at: dt.datetime | None

    @staticmethod
    def resolve_place_name(obj: object) -> str:
        return obj.place.name  # type: ignore[attr-defined]


class ConsultationDetailOut(ConsultationOut):
    background: str
    max_choices: int
    adults_only: bool
    options: list[OptionOut]

    @staticmethod
    def resolve_options(obj: object) -> list:
        return list(obj.options.all())  # type: ignore[attr-defined]


class ConsultationCreateIn(Schema):
    place: int = Field(..., description="议题所属地点")
    places: list[int] = Field(default_factory=list, max_length=50, description="参与范围（楼栋、小区）")
    title: str = Field(..., max_length=100)
    background: str = Field("", max_length=5000)
    ballot_kind: BallotKind = BallotKind.APPROVE
    options: list[str] = Field(default_factory=list, max_length=20)
    max_choices: int = Field(1, ge=1, le=20)
    unit: VoteUnit = VoteUnit.HOUSEHOLD
    adults_only: bool = True
    secret: bool = False
    pass_rule: PassRule = PassRule.SIMPLE
    quorum_percent: int = Field(50, ge=0, le=100)


class AdvanceIn(Schema):
    to: Stage


class CommentIn(Schema):
    text: str = Field(..., max_length=1000)
    is_proposal: bool = False


class CommentOut(Schema):
    id: int
    text: str
    is_proposal: bool
    supporters: int
    created_at: dt.datetime


class VoteIn(Schema):
    options: list[int] = Field(..., min_length=1, max_length=20)
    receipt: str = Field("", max_length=19, description="修改无记名投票时填写投票回执码")


class PaperVoteIn(Schema):
    household: int
    options: list[int] = Field(..., min_length=1, max_length=20)
    voter: int | None = Field(None, description="每人一票时的投票人")


class VoteOut(Schema):
    changed: bool
    receipt: str = Field(description="无记名投票的回执码，只显示这一次；记名投票为空")


class CountOut(Schema):
    option_id: int
    label: str
    votes: int


class BuildingOut(Schema):
    name: str
    eligible: int
    voted: int


class ResultsOut(Schema):
    eligible: int
    voted: int
    turnout: float
    counts: list[CountOut]
    buildings: list[BuildingOut]
    passed: bool | None
    reasons: list[str]
    receipt_hashes: list[str] = Field(description="无记名投票：全部选票回执码的SHA-256，供投票人核对")


class ReceiptIn(Schema):
    receipt: str = Field(..., max_length=19)


class ReceiptOut(Schema):
    counted: bool
    choices: str
