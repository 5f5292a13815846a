"""The demo's 有事好商量 and 诉源治理 (issue 12): a per-household vote on a lift in one building
(half the households have voted), a secret 业委会 election, the mediation expert pool with a dozen
disputes in every outcome, and the reception desks with rosters and a month of walk-ins — all
through the real services. The agreement's PDF is printed on first view, not here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gridgov.accounts.models import User
from gridgov.accounts.scope import SYSTEM
from gridgov.consult import services as consult
from gridgov.consult.models import BallotKind, PassRule, Stage
from gridgov.core import clock
from gridgov.desks import services as desks
from gridgov.mediation import services as mediation
from gridgov.mediation.models import Outcome
from gridgov.people.models import Membership
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.demo.builder import _Builder

MEDIATORS = [
    ("王德福", "elder", ["neighbour", "family"]),
    ("李淑芬", "peoples", ["family", "neighbour", "property"]),
    ("陈志远", "lawyer", ["tenancy", "labour", "consumer"]),
    ("赵建华", "party_rep", ["property", "other"]),
    ("孙丽", "npc", ["labour", "property"]),
    ("周明", "cppcc", ["consumer", "other"]),
    ("吴国庆", "safety", ["neighbour"]),
    ("郑律师", "lawyer", ["family", "tenancy"]),
]
DISPUTES = [
    ("楼上装修噪音扰民", "neighbour"),
    ("空调外机滴水到楼下阳台", "neighbour"),
    ("物业费上涨争议", "property"),
    ("地下车位被长期占用", "property"),
    ("离婚后子女探视安排", "family"),
    ("赡养老人费用分担", "family"),
    ("租客退租押金不退", "tenancy"),
    ("房东提前收房", "tenancy"),
    ("装修工人工资拖欠", "labour"),
    ("家政服务质量纠纷", "consumer"),
    ("预付卡商家跑路", "consumer"),
    ("公共绿地私种蔬菜", "other"),
]
DESKS = [
    ("talk_room", "党员谈心室", "社区党群服务中心一楼", "工作日 9:00-17:00"),
    ("feedback", "民情反馈站", "社区服务大厅", "每天 8:30-18:00"),
    ("kiosk", "小巷解忧亭", "小区南门", "周六周日 9:00-12:00"),
]
WALKIN_TEXTS = {
    "consult": ["咨询医保缴费", "咨询老年证办理", "咨询加装电梯补贴政策", "咨询居住证办理"],
    "help": ["独居老人家中水管漏水", "求助办理残疾证", "路灯不亮请帮忙报修"],
    "suggestion": ["建议增设快递柜", "建议小区增加健身器材", "建议夜间加强巡逻"],
    "dispute": ["楼上噪音影响休息", "邻居占用楼道堆物", "与物业因停车费发生争执"],
}


def _voters(building: Place) -> dict[int, User]:
    """One resident account (no usable password) per household of `building`: its oldest member."""
    heads: dict[int, int] = {}
    for household_id, resident_id in (
        Membership.objects.filter(moved_out__isnull=True, household__place__path__startswith=building.path)
        .order_by("household_id", "resident__birth_date", "resident_id")
        .values_list("household_id", "resident_id")
    ):
        heads.setdefault(household_id, resident_id)
    existing = dict(User.objects.filter(resident_id__in=heads.values()).values_list("resident_id", "pk"))
    User.objects.bulk_create(
        [
            User(username=f"jm{rid}", display_name=f"居民{rid}", password="!demo-no-login", resident_id=rid)
            for rid in heads.values()
            if rid not in existing
        ],
        ignore_conflicts=True,
    )
    users = {
        u.resident_id: u
        for u in User.objects.filter(resident_id__in=heads.values()).select_related("resident__place")
    }
    return {household: users[rid] for household, rid in heads.items() if rid in users}


def _consultations(tree: dict[str, Any], rng: random.Random) -> dict[str, int]:
    building: Place = tree["buildings"][0]
    estate: Place = building.parent if building.parent is not None else building
    while estate.kind != "estate" and estate.parent is not None:
        estate = estate.parent
    lift = consult.consultation_create(
        by=SYSTEM,
        place=estate,
        places=[building],
        title=f"{building.name}加装电梯",
        background="拟在本楼加装电梯一部，总费用约68万元，政府补贴20万元，其余按楼层系数分摊。依据民法典第278条，须专有部分面积和人数双三分之二以上业主参与表决，并经参与表决双四分之三以上同意。",
        pass_rule=PassRule.CIVIL_MAJOR,
    )
    consult.consultation_advance(by=SYSTEM, consultation=lift, to=Stage.DISCUSSION)
    voters = _voters(building)
    sample = list(voters.values())
    for user in sample[:3]:
        consult.comment_add(by=user, consultation=lift, text="低楼层住户希望分摊比例再商量", is_proposal=True)
    consult.consultation_advance(by=SYSTEM, consultation=lift, to=Stage.VOTING)
    options = {o.label: o.pk for o in lift.options.all()}
    votes = 0
    for user in sample[: len(sample) // 2]:
        choice = "同意" if rng.random() < 0.8 else rng.choice(["反对", "弃权"])
        consult.vote_cast(by=user, consultation=lift, option_ids=[options[choice]])
        votes += 1

    election = consult.consultation_create(
        by=SYSTEM,
        place=estate,
        places=[building],
        title=f"{estate.name}第二届业主委员会选举",
        background="候选人经业主推荐产生，每户可选两名。无记名投票：任何人（包括管理员）都无法知道谁投了谁；投票后凭回执码核对。",
        ballot_kind=BallotKind.MULTIPLE,
        options=["刘强", "陈静", "周伟", "黄海燕"],
        max_choices=2,
        secret=True,
        quorum_percent=50,
    )
    consult.consultation_advance(by=SYSTEM, consultation=election, to=Stage.VOTING)
    candidates = list(election.options.values_list("pk", flat=True))
    for user in sample[: max(1, len(sample) * 2 // 3)]:
        consult.vote_cast(by=user, consultation=election, option_ids=rng.sample(candidates, 2))
        votes += 1
    return {"consult_topics": 2, "consult_votes": votes}


def _mediation(
    tree: dict[str, Any], rng: random.Random, now: dt.datetime
) -> tuple[dict[str, int], list[Any]]:
    community: Place = tree["community"]
    buildings: list[Place] = tree["buildings"]
    pool = [
        mediation.mediator_create(by=SYSTEM, place=community, name=name, kind=kind, specialities=spec)
        for name, kind, spec in MEDIATORS
    ]
    outcomes = [o for o, _ in Outcome.choices]
    sessions = 0
    disputes = []
    for index, (title, dtype) in enumerate(DISPUTES):
        place = buildings[index % len(buildings)]
        with clock.frozen_at(now - dt.timedelta(days=80 - index * 6)):
            dispute = mediation.dispute_create(
                by=SYSTEM,
                place=place,
                title=title,
                dispute_type=dtype,
                arrival=["desk", "case", "police", "court", "forum"][index % 5],
                summary=f"{title}，双方多次协商未果，申请社区调解。",
                parties=[
                    {"side": "applicant", "name": f"{place.name}住户甲"},
                    {"side": "respondent", "name": f"{place.name}住户乙"},
                ],
            )
            proposals = _proposals(dispute)
            mediation.mediator_assign(
                by=SYSTEM, dispute=dispute, mediator=proposals[0].mediator if proposals else pool[0]
            )
            mediation.session_record(
                by=SYSTEM,
                dispute=dispute,
                held_at=clock.now(),
                location="党员谈心室",
                attendance="双方当事人、调解员",
                record="听取双方陈述，释法明理，提出调解方案。",
            )
            sessions += 1
        if index == len(DISPUTES) - 1:
            disputes.append(dispute)  # left open: still being mediated
            continue
        with clock.frozen_at(now - dt.timedelta(days=80 - index * 6 - rng.randint(3, 10))):
            outcome = outcomes[index % len(outcomes)]
            if outcome in (Outcome.LITIGATION, Outcome.ARBITRATION, Outcome.PETITION):
                body = {
                    "litigation": "区人民法院",
                    "arbitration": "区劳动人事争议仲裁委员会",
                    "petition": "区信访局",
                }[outcome]
                mediation.referral_create(
                    by=SYSTEM,
                    dispute=dispute,
                    to_body=body,
                    letter=f"经调解未能达成协议，现将“{title}”移交贵单位依法处理。",
                )
            mediation.dispute_close(by=SYSTEM, dispute=dispute, outcome=outcome)
            if outcome in (Outcome.SUCCESS, Outcome.PARTIAL):
                mediation.agreement_save(
                    by=SYSTEM,
                    dispute=dispute,
                    terms="一、双方同意按调解方案履行。\n二、今后发生争议先行协商。",
                    signed=list(dispute.parties.all()),
                )
        disputes.append(dispute)
    return {"mediators": len(pool), "disputes": len(disputes), "mediation_sessions": sessions}, disputes


def _proposals(dispute: Any) -> list[Any]:
    from gridgov.mediation.selectors import proposals_for

    return proposals_for(dispute)[:1]


def _desks(tree: dict[str, Any], rng: random.Random, now: dt.datetime) -> dict[str, int]:
    community: Place = tree["community"]
    made = []
    for kind, name, address, hours in DESKS:
        desk = desks.desk_create(
            by=SYSTEM, place=community, kind=kind, name=name, address=address, hours=hours
        )
        for weekday in range(7 if kind == "feedback" else 5):
            desks.slot_add(
                by=SYSTEM,
                desk=desk,
                weekday=weekday,
                starts=dt.time(9),
                ends=dt.time(12),
                person=["刘书记", "周委员", "张网格长", "王老师", "陈党员", "李主任", "赵大姐"][weekday],
                role_note="党员",
            )
        made.append(desk)
    walkins = 0
    for day in range(30):
        for _ in range(rng.randint(1, 4)):
            desk = rng.choice(made)
            topic = rng.choice(list(WALKIN_TEXTS))
            at = now - dt.timedelta(days=day, hours=rng.randint(0, 6))
            desks.walkin_log(
                by=SYSTEM,
                desk=desk,
                visitor=rng.choice("张李王赵刘陈杨黄") + rng.choice(["阿姨", "大爷", "先生", "女士"]),
                topic=topic,
                summary=rng.choice(WALKIN_TEXTS[topic]),
                handling="on_spot" if topic == "consult" else rng.choice(["on_spot", "passed"]),
                at=at,
            )
            walkins += 1
    return {"desks": len(made), "walkins": walkins}


def build(
    builder: _Builder, tree: dict[str, Any], *, scale: float, seed: int, log: Callable[[str], None]
) -> dict[str, int]:
    """Consultations, mediation and desks for the demo community; returns row counts."""
    rng = random.Random(seed + 12)
    now = clock.now()
    log("有事好商量、矛盾纠纷调解、接待点值班")
    counts = _consultations(tree, rng)
    more, _disputes = _mediation(tree, rng, now)
    counts.update(more)
    counts.update(_desks(tree, rng, now))
    return counts
