"""Every write to consultations: each inside one transaction, checked by `policy`, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability_at, is_unrestricted, require_actor, within
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.consult import policy
from gridgov.consult.models import (
    BallotKind,
    Channel,
    Comment,
    Consultation,
    OpenVote,
    Option,
    Participation,
    PassRule,
    RollEntry,
    SecretBallot,
    Stage,
    Support,
    VoteUnit,
)
from gridgov.consult.selectors import entry_for_voter
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.text import checked_text as _text

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident
    from gridgov.places.models import Household, Place

TITLE_MAX = 100
BACKGROUND_MAX = 5000
COMMENT_MAX = 1000
OPTION_MAX = 100
OPTIONS_MAX = 20
ADULT_AGE = 18
APPROVE_LABELS = ("同意", "反对", "弃权")




def _audit(by: Actor, action: str, consultation: Consultation, changes: dict[str, list[object]]) -> None:
    audit_record(
        actor=by,
        action=action,
        target=consultation,
        target_label=f"协商议题：{consultation.title}",
        place_path=consultation.place.path,
        changes=changes,
    )


def _lock(consultation: Consultation) -> Consultation:
    return Consultation.objects.select_for_update().select_related("place").get(pk=consultation.pk)


def consultation_create(
    *,
    by: Actor,
    place: Place,
    title: str,
    background: str = "",
    ballot_kind: str = BallotKind.APPROVE,
    options: Iterable[str] = (),
    max_choices: int = 1,
    unit: str = VoteUnit.HOUSEHOLD,
    adults_only: bool = True,
    secret: bool = False,
    pass_rule: str = PassRule.SIMPLE,
    quorum_percent: int = 50,
    places: Iterable[Place] = (),
    voting_ends_at: dt.datetime | None = None,
) -> Consultation:
    """A draft consultation at `place`; the user needs consult.manage there and every
    participating place must lie under it."""
    require_actor(by)
    if not (is_unrestricted(by) or has_capability_at(by, caps.CONSULT_MANAGE, place.path)):
        raise Forbidden("您无权在此地点发起协商议题")
    title = _text(title, "title", "议题", max_length=TITLE_MAX)
    background = _text(
        background, "background", "背景说明", max_length=BACKGROUND_MAX, required=False, multiline=True
    )
    if ballot_kind not in BallotKind.values:
        raise field_error("ballot_kind", "表决方式无效")
    if unit not in VoteUnit.values:
        raise field_error("unit", "计票单位无效")
    if pass_rule not in PassRule.values:
        raise field_error("pass_rule", "通过规则无效")
    if secret and pass_rule != PassRule.SIMPLE:
        raise field_error(
            "pass_rule", "无记名投票不能按专有部分面积计票（面积会暴露投票人），请选择按参与率和得票过半通过"
        )
    if ballot_kind != BallotKind.APPROVE and pass_rule != PassRule.SIMPLE:
        raise field_error("pass_rule", "双三分之二规则只适用于同意/反对表决")
    if not 0 <= int(quorum_percent) <= 100:
        raise field_error("quorum_percent", "最低参与率应在0到100之间")
    chosen = list(places) or [place]
    for item in chosen:
        if not within(item.path, [place.path]):
            raise field_error("places", f"参与范围“{item.name}”不在议题所属地点之内")
    if ballot_kind == BallotKind.APPROVE:
        labels = list(APPROVE_LABELS)
        max_choices = 1
    else:
        labels = [
            _text(label, "options", "选项", max_length=OPTION_MAX)
            for label in options
            if (label or "").strip()
        ]
        if len(labels) < 2:
            raise field_error("options", "请至少填写两个选项")
        if len(labels) > OPTIONS_MAX:
            raise field_error("options", f"选项不能超过{OPTIONS_MAX}个")
        if len(set(labels)) != len(labels):
            raise field_error("options", "选项不能重复")
        if ballot_kind == BallotKind.SINGLE:
            max_choices = 1
        elif not 1 <= int(max_choices) <= len(labels):
            raise field_error("max_choices", "最多可选数应在1到选项数之间")
    if voting_ends_at is not None and voting_ends_at <= clock.now():
        raise field_error("voting_ends_at", "投票截止时间应晚于现在")
    with transaction.atomic():
        consultation = Consultation.objects.create(
            place=place,
            title=title,
            background=background,
            ballot_kind=ballot_kind,
            max_choices=max_choices,
            unit=unit,
            adults_only=adults_only,
            secret=secret,
            pass_rule=pass_rule,
            quorum_percent=int(quorum_percent),
            voting_ends_at=voting_ends_at,
            created_by=as_user(by),
        )
        consultation.places.set(chosen)
        Option.objects.bulk_create(
            [
                Option(
                    consultation=consultation,
                    label=label,
                    sort_order=index,
                    is_approve=label == "同意" and ballot_kind == BallotKind.APPROVE,
                )
                for index, label in enumerate(labels)
            ]
        )
        _audit(
            by,
            AuditAction.CREATE,
            consultation,
            {"title": ["", title], "secret": ["", "无记名" if secret else "记名"]},
        )
    return consultation


def _snapshot_roll(consultation: Consultation, today: dt.date) -> int:
    from gridgov.accounts.scope import subtree_q
    from gridgov.people.models import Membership

    paths = [place.path for place in consultation.places.all()]
    members = (
        Membership.objects.filter(moved_out__isnull=True, resident__is_deceased=False)
        .filter(subtree_q(paths, "household__place__path"))
        .select_related("household", "resident")
        .order_by("household__place__path", "household__room", "resident_id")
    )
    entries: dict[tuple[int, int | None], RollEntry] = {}
    for membership in members:
        resident, household = membership.resident, membership.household
        if consultation.unit == VoteUnit.PERSON:
            if consultation.adults_only and not _adult(resident, today):
                continue
            key: tuple[int, int | None] = (household.pk, resident.pk)
        else:
            key = (household.pk, None)
        if key not in entries:
            entries[key] = RollEntry(
                consultation=consultation,
                household=household,
                resident=resident if key[1] else None,
                building=household.place,
                area_sqm=household.area_sqm,
            )
    RollEntry.objects.bulk_create(entries.values())
    return len(entries)


def _adult(resident: Resident, today: dt.date) -> bool:
    age = resident.age(today)
    return age is not None and age >= ADULT_AGE


def consultation_advance(*, by: Actor, consultation: Consultation, to: str) -> Consultation:
    """Move draft → discussion → voting → closed (voting may also follow the draft directly);
    opening the vote snapshots the eligibility roll."""
    with transaction.atomic():
        consultation = _lock(consultation)
        policy.check("manage", by, consultation)
        order: list[str] = [Stage.DRAFT, Stage.DISCUSSION, Stage.VOTING, Stage.CLOSED]
        if to not in order or order.index(to) <= order.index(consultation.stage):
            raise field_error("stage", f"议题已是“{consultation.get_stage_display()}”，不能改为该阶段")
        if to == Stage.CLOSED and consultation.stage != Stage.VOTING:
            raise field_error("stage", "尚未开始投票，不能结束")
        before = consultation.get_stage_display()
        now = clock.now()
        if to == Stage.VOTING:
            if consultation.voting_ends_at is not None and consultation.voting_ends_at <= now:
                raise field_error("voting_ends_at", "投票截止时间已过，请先修改截止时间")
            if _snapshot_roll(consultation, clock.today()) == 0:
                raise field_error("places", "参与范围内没有符合条件的住户或居民")
            consultation.opened_at = now
        if to == Stage.CLOSED:
            consultation.closed_at = now
        consultation.stage = to
        consultation.save(update_fields=["stage", "opened_at", "closed_at"])
        _audit(by, AuditAction.UPDATE, consultation, {"stage": [before, consultation.get_stage_display()]})
    return consultation


def comment_add(*, by: Actor, consultation: Consultation, text: str, is_proposal: bool = False) -> Comment:
    """A comment or proposal during the discussion period, by a signed-in user who sees it."""
    user = as_user(by)
    if user is None:
        raise Forbidden("请先登录")
    text = _text(text, "text", "意见内容", max_length=COMMENT_MAX, multiline=True)
    with transaction.atomic():
        consultation = _lock(consultation)
        policy.check("comment", by, consultation)
        comment = Comment.objects.create(
            consultation=consultation, author=user, text=text, is_proposal=is_proposal
        )
        _audit(by, AuditAction.CREATE, consultation, {"comment": ["", text[:60]]})
    return comment


def comment_support(*, by: Actor, comment: Comment) -> Comment:
    """Support a proposal once; a second support by the same user changes nothing."""
    user = as_user(by)
    if user is None:
        raise Forbidden("请先登录")
    if not comment.is_proposal:
        raise field_error("comment", "只能支持建议方案")
    with transaction.atomic():
        consultation = _lock(comment.consultation)
        policy.check("comment", by, consultation)
        _support, created = Support.objects.get_or_create(comment=comment, user=user)
        if not created:
            raise field_error("comment", "您已支持过这条建议")
        Comment.objects.filter(pk=comment.pk).update(supporters=F("supporters") + 1)
        _audit(by, AuditAction.UPDATE, consultation, {"support": ["", f"支持建议#{comment.pk}"]})
    comment.refresh_from_db()
    return comment


@dataclass
class VoteResult:
    participation: Participation
    changed: bool
    # The secret shown once to the voter of a secret ballot (empty for open votes and changes).
    receipt: str = ""


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(receipt.strip().upper().encode()).hexdigest()


def _new_receipt() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _clean_choices(consultation: Consultation, option_ids: Iterable[int]) -> list[int]:
    valid = set(consultation.options.values_list("pk", flat=True))
    chosen = sorted({int(option_id) for option_id in option_ids})
    if not chosen:
        raise field_error("options", "请选择至少一项")
    if any(option_id not in valid for option_id in chosen):
        raise field_error("options", "所选选项不属于本议题")
    if len(chosen) > consultation.max_choices:
        raise field_error("options", f"最多只能选{consultation.max_choices}项")
    return chosen


def _open_for_votes(by: Actor, consultation: Consultation) -> None:
    if consultation.stage in (Stage.DRAFT, Stage.DISCUSSION):
        raise Forbidden("投票尚未开始")
    if consultation.stage == Stage.CLOSED or (
        consultation.voting_ends_at is not None and consultation.voting_ends_at <= clock.now()
    ):
        raise Forbidden("投票已截止，不能再投票或修改")
    policy.check("vote", by, consultation)


def _record_choice(
    consultation: Consultation, participation: Participation, chosen: list[int], *, new: bool
) -> str:
    """Write what was chosen; for a secret ballot a fresh receipt (on a new vote) is returned."""
    if not consultation.secret:
        OpenVote.objects.update_or_create(
            participation=participation, defaults={"consultation": consultation, "choices": chosen}
        )
        return ""
    if not new:
        return ""
    receipt = _new_receipt()
    SecretBallot.objects.create(
        id=uuid.uuid4(), consultation=consultation, choices=chosen, receipt_hash=receipt_hash(receipt)
    )
    return receipt


def _after_secret_write(consultation: Consultation) -> None:
    transaction.on_commit(partial(ballots_reshuffle, consultation_id=consultation.pk))


def vote_cast(
    *, by: Actor, consultation: Consultation, option_ids: Iterable[int], receipt: str = ""
) -> VoteResult:
    """A resident's own vote (or change of it) while voting is open. Per household, the first
    member who votes holds the household's vote; a secret vote is changed with its receipt."""
    resident = getattr(by, "resident", None) if getattr(by, "resident_id", None) else None
    with transaction.atomic():
        consultation = _lock(consultation)
        _open_for_votes(by, consultation)
        if resident is None:
            raise Forbidden("只有登记在册的居民才能投票")
        entry = entry_for_voter(consultation, resident)
        if entry is None:
            raise Forbidden("您不在本议题的表决范围内")
        if consultation.adults_only and not _adult(resident, clock.today()):
            raise Forbidden("本议题仅限成年居民投票")
        chosen = _clean_choices(consultation, option_ids)
        participation = Participation.objects.select_for_update().filter(entry=entry).first()
        if participation is not None:
            if participation.channel == Channel.PAPER:
                raise Forbidden(
                    "本户已提交纸质票，不能再网上投票"
                    if consultation.unit == VoteUnit.HOUSEHOLD
                    else "您已提交纸质票，不能再网上投票"
                )
            if participation.voter_id != resident.pk:
                raise Forbidden("本户已由其他家庭成员投票，每户只能投一票")
            if consultation.secret:
                ballot = (
                    SecretBallot.objects.select_for_update()
                    .filter(consultation=consultation, receipt_hash=receipt_hash(receipt))
                    .first()
                    if receipt.strip()
                    else None
                )
                if ballot is None:
                    raise field_error("receipt", "您已投票；修改无记名投票需输入正确的投票回执码")
                ballot.choices = chosen
                ballot.save(update_fields=["choices"])
                _after_secret_write(consultation)
            else:
                _record_choice(consultation, participation, chosen, new=False)
            _audit(by, AuditAction.UPDATE, consultation, _vote_change(consultation, chosen))
            return VoteResult(participation=participation, changed=True)
        participation = Participation.objects.create(
            consultation=consultation,
            entry=entry,
            voter=resident,
            channel=Channel.ONLINE,
            voted_on=clock.today(),
        )
        new_receipt = _record_choice(consultation, participation, chosen, new=True)
        if consultation.secret:
            _after_secret_write(consultation)
        _audit(by, AuditAction.CREATE, consultation, _vote_change(consultation, chosen))
    return VoteResult(participation=participation, changed=False, receipt=new_receipt)


def _vote_change(consultation: Consultation, chosen: list[int]) -> dict[str, list[object]]:
    # The audit trail of a secret ballot says that someone voted, never what.
    if consultation.secret:
        return {"vote": ["", "已投票（无记名）"]}
    return {"vote": ["", chosen]}


def paper_vote_enter(
    *,
    by: Actor,
    consultation: Consultation,
    household: Household,
    option_ids: Iterable[int],
    voter: Resident | None = None,
) -> VoteResult:
    """A paper vote collected door to door, entered by staff against the voter's household
    (and person, per-person votes); a household or person already counted is refused."""
    with transaction.atomic():
        consultation = _lock(consultation)
        _open_for_votes(by, consultation)
        policy.check("paper", by, consultation)
        entries = RollEntry.objects.filter(consultation=consultation, household=household)
        if consultation.unit == VoteUnit.PERSON:
            if voter is None:
                raise field_error("voter", "每人一票的议题请选择投票人")
            entries = entries.filter(resident=voter)
        entry = entries.first()
        if entry is None:
            raise field_error("household", "该户（人）不在本议题的表决范围内")
        chosen = _clean_choices(consultation, option_ids)
        if Participation.objects.select_for_update().filter(entry=entry).exists():
            raise field_error("household", "该户（人）已投票，纸质票不能重复录入")
        participation = Participation.objects.create(
            consultation=consultation,
            entry=entry,
            voter=voter,
            channel=Channel.PAPER,
            entered_by=as_user(by),
            voted_on=clock.today(),
        )
        receipt = _record_choice(consultation, participation, chosen, new=True)
        if consultation.secret:
            _after_secret_write(consultation)
        _audit(
            by,
            AuditAction.CREATE,
            consultation,
            {
                **_vote_change(consultation, chosen),
                "channel": ["", "纸质票"],
                "household": ["", str(household)],
            },
        )
    return VoteResult(participation=participation, changed=False, receipt=receipt)


def ballots_reshuffle(*, consultation_id: int) -> int:
    """Re-insert every secret ballot of a consultation in random order under fresh random keys,
    in a transaction of its own, run right after each vote's commit.

    Why: the vote's own transaction wrote the ballot beside the voter's Participation, so until
    now the ballot's row shared that transaction's id (PostgreSQL `xmin`) and sat at the heap's
    (or SQLite rowid's) end in voting order. After this, every live ballot has the same `xmin`
    (this transaction), a random `ctid`/rowid order and a key no earlier page ever showed. The
    dead versions PostgreSQL keeps until vacuum are removed by the VACUUM below; SQLite reuses
    the freed pages. Nothing here is timed, so the ballots carry no time either.
    """
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update().filter(pk=consultation_id, secret=True).first()
        )
        if consultation is None:
            return 0
        rows = list(
            SecretBallot.objects.filter(consultation=consultation).values_list("choices", "receipt_hash")
        )
        SecretBallot.objects.filter(consultation=consultation).delete()
        random.SystemRandom().shuffle(rows)
        SecretBallot.objects.bulk_create(
            [
                SecretBallot(id=uuid.uuid4(), consultation=consultation, choices=c, receipt_hash=h)
                for c, h in rows
            ]
        )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {SecretBallot._meta.db_table}")
    return len(rows)


def receipt_counted(consultation: Consultation, receipt: str) -> str | None:
    """What the ballot with this receipt chose (labels), or None when no ballot carries it."""
    if not consultation.secret or not receipt.strip():
        return None
    ballot = SecretBallot.objects.filter(
        consultation=consultation, receipt_hash=receipt_hash(receipt)
    ).first()
    if ballot is None:
        return None
    labels = dict(consultation.options.values_list("pk", "label"))
    return "、".join(labels.get(i, "?") for i in ballot.choices)
