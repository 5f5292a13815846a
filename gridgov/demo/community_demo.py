"""The demo's online community (issue 11): columns and notices with read receipts, the forum with
a neighbour dispute turned into a case, and 金泰文化艺术团 with its troupes and a season of
activities with sign-ups and attendance — all through the real services.

Residents act through demo accounts that cannot log in (no usable password): sign-ups, read
receipts and posts need a resident behind a user, as they do in the product. Past activities are
played with the services' clock standing at the moment of each step, as the case demo does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from gridgov.accounts.models import User
from gridgov.accounts.scope import SYSTEM
from gridgov.activities import services as acts
from gridgov.activities.models import GroupKind, MemberRole
from gridgov.bulletin import services as bulletin
from gridgov.bulletin.models import Column
from gridgov.cases.models import Case
from gridgov.core import clock
from gridgov.forum import services as forum
from gridgov.people.models import Resident, Tag
from gridgov.people.services import card_qr_payload

if TYPE_CHECKING:
    from gridgov.demo.builder import _Builder

SHANGHAI = acts.SHANGHAI
ACCOUNTS = 40

TROUPES = [
    "舞蹈队",
    "合唱队",
    "腰鼓队",
    "太极拳队",
    "书画队",
    "模特队",
    "京剧票友队",
    "葫芦丝队",
    "诗朗诵队",
    "健身操队",
    "广场舞队",
]
NOTICES: list[tuple[str, str, str, str]] = [
    # column, title, summary, body
    (
        "通知公告",
        "小区二次供水水箱清洗停水通知",
        "本周六8:00-14:00停水，请提前储水",
        "<p>为保障饮用水安全，物业将对二次供水水箱进行清洗消毒。</p><ul><li>停水时间：周六 8:00-14:00</li><li>范围：见通知对象</li></ul>",
    ),
    (
        "通知公告",
        "燃气安全入户检查，请家中留人",
        "网格员与燃气公司将入户检查，请确认已读",
        "<p>本月将开展燃气安全入户检查，<strong>请家中留人</strong>。确认已读后网格员会与您约定时间。</p>",
    ),
    (
        "社区党建",
        "“我为群众办实事”主题党日活动",
        "党员同志请按时参加",
        "<p>请各支部党员于周三下午到社区党群服务中心参加主题党日。</p>",
    ),
    (
        "社区党建",
        "党员“双报到”服务认领清单",
        "在职党员请认领服务岗位",
        "<p>清单含楼道清洁、文明劝导、助老服务等岗位。</p>",
    ),
    (
        "生活快车",
        "上门理发服务本周预约",
        "行动不便老人可预约上门理发",
        "<p>爱心商户提供免费上门理发，请在“生活快车”下单。</p>",
    ),
    (
        "生活快车",
        "家电清洗便民服务日",
        "周日上午社区广场",
        "<p>空调、油烟机清洗优惠，社区居民凭服务卡参加。</p>",
    ),
    (
        "社区服务",
        "居住证办理指南",
        "所需材料与办理地点",
        "<p>材料：身份证、租房合同或房产证明、近期照片。</p>",
    ),
    ("社区服务", "高龄津贴申请提醒", "80岁以上老人可申请", "<p>请携带身份证、户口簿到社区服务大厅办理。</p>"),
    (
        "社区活动",
        "第五届楼道文化节开始报名",
        "楼栋才艺展示、最美楼道评选",
        "<p>已举办四届，吸引社区近2000多人次参加，欢迎报名！</p>",
    ),
    (
        "社区活动",
        "周末课堂：少儿书法与手工",
        "每周六上午",
        "<p>面向6-12岁少年儿童，请家长在活动页面报名。</p>",
    ),
    (
        "政策法规",
        "《民法典》相邻关系条款解读",
        "装修、漏水、通行纠纷怎么办",
        "<p>不动产的相邻权利人应当按照有利生产、方便生活、团结互助、公平合理的原则，正确处理相邻关系。</p>",
    ),
    (
        "政策法规",
        "城乡居民医保缴费政策",
        "缴费标准与时间",
        "<p>缴费期为每年9月至12月，可通过线上渠道缴纳。</p>",
    ),
    (
        "便民信息",
        "社区常用电话",
        "物业、派出所、网格员电话",
        "<p>物业服务中心、派出所、社区服务中心电话见公告栏。</p>",
    ),
    ("便民信息", "公交线路调整公告", "部分线路临时绕行", "<p>因道路施工，相关公交线路临时绕行。</p>"),
]


def _accounts(builder: _Builder) -> list[User]:
    """Resident accounts for the demo's residents (no usable password: they act, they do not log in)."""
    taken = set(User.objects.filter(resident_id__isnull=False).values_list("resident_id", flat=True))
    people = [p for p in builder.people if p.pk and p.moved_out is None and p.pk not in taken]
    adults = [p for p in people if (builder.today - p.birth).days > 18 * 365][:ACCOUNTS]
    users = [
        User(
            # Named by the resident: after `demo --reset` the old accounts (their residents
            # gone, the link set null) do not stand in the new ones' way.
            username=f"jm{person.pk}",
            display_name=person.name,
            password="!demo-no-login",
            resident_id=person.pk,
        )
        for person in adults
    ]
    # An account left by an earlier build whose resident was removed is linked again.
    for user in users:
        User.objects.filter(username=user.username, resident_id__isnull=True).update(
            resident_id=user.resident_id
        )
    User.objects.bulk_create(users, ignore_conflicts=True)
    linked = list(
        User.objects.filter(username__in=[u.username for u in users], resident_id__isnull=False).order_by(
            "pk"
        )
    )
    resident_user = builder.users.get("resident")
    return ([resident_user] if resident_user and resident_user.resident_id else []) + linked


def _quiet(call: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ValidationError:
        return None  # a demo resident outside an activity's audience, or signed up twice: skipped


def _notices(builder: _Builder, tree: dict[str, Any], people: list[User], now: dt.datetime) -> int:
    secretary = builder.users.get("secretary") or SYSTEM
    community = tree["community"]
    columns = {c.name: c for c in Column.objects.all()}
    tags = {t.name: t for t in Tag.objects.filter(name__in=["独居老人", "育龄妇女", "残疾人"])}
    rng = builder.rng
    made = 0
    buildings = tree["buildings"]
    home_building = None
    if people and people[0].resident_id:
        resident = Resident.objects.select_related("place__parent").get(pk=people[0].resident_id)
        place = resident.place
        while place is not None and place.kind != "building":
            place = place.parent
        home_building = place
    specs = []
    for round_ in range(2):
        for column, title, summary, body in NOTICES:
            specs.append((column, title if round_ == 0 else f"{title}（续）", summary, body))
    for index, (column, title, summary, body) in enumerate(specs):
        targets: list[Any] = []
        tag_list: list[Tag] = []
        receipt = False
        if index == 0:
            targets = [home_building or buildings[0], *rng.sample(buildings, 3)]
            receipt = True
        elif index == 1:
            targets = [tree["grids"][0]] if home_building is None else [home_building, tree["grids"][0]]
            receipt = True
        elif index == 7 and "独居老人" in tags:
            tag_list = [tags["独居老人"]]
        elif index % 5 == 3:
            targets = [rng.choice(tree["estates"])]
        moment = now - dt.timedelta(days=len(specs) - index, hours=rng.randint(0, 8))
        with clock.frozen_at(moment):
            notice = bulletin.notice_save(
                by=secretary,
                column=columns[column],
                place=community,
                title=title,
                summary=summary,
                body_html=body,
                targets=list(dict.fromkeys(targets)),
                tags=tag_list,
                needs_receipt=receipt,
                pinned=index in (0, 8),
            )
            bulletin.notice_publish(by=secretary, notice=notice)
        made += 1
        if receipt:
            for user in people[1 : len(people) // 2]:
                _quiet(bulletin.notice_confirm, by=user, notice=notice)
    heat = bulletin.notice_save(
        by=secretary,
        column=columns["通知公告"],
        place=community,
        title="高温预警：请关注独居老人",
        summary="明起三天高温",
        body_html="<p>网格员将逐户电话问候独居老人。</p>",
        tags=[tags["独居老人"]] if "独居老人" in tags else [],
        publish_at=now + dt.timedelta(days=1),
    )
    bulletin.notice_publish(by=secretary, notice=heat)
    bulletin.notice_save(
        by=secretary,
        column=columns["社区活动"],
        place=community,
        title="（草稿）元旦联欢会节目征集",
        body_html="<p>节目征集中。</p>",
    )
    return made + 2


def _forum(builder: _Builder, tree: dict[str, Any], people: list[User], now: dt.datetime) -> tuple[int, int]:
    community = tree["community"]
    grid_worker = builder.users["grid1"]
    board = forum.board_save(
        by=SYSTEM,
        place=community,
        name="邻里议事厅",
        description="有事好商量，邻里多沟通",
        hold_first_posts=0,
    )
    forum.board_save(
        by=SYSTEM, place=tree["estates"][0], name=f"{tree['estates'][0].name}业主交流", hold_first_posts=1
    )
    for word in ("赌博", "传销", "代开发票"):
        _quiet(forum.word_add, by=SYSTEM, word=word)
    topics = [
        (
            "楼上装修噪音太大，早上七点就开始砸墙",
            "已经持续两周了，家里有老人和小孩，和楼上沟通过但没有改善，希望社区帮忙协调。",
            True,
        ),
        ("小区南门电动车乱停，消防通道被堵", "晚上尤其严重，建议物业划线管理。", False),
        ("谁家的狗每天半夜叫", "影响休息，希望主人注意一下。", False),
        ("楼道文化节节目征集，大家来报名呀", "我们楼想排一个合唱节目，有兴趣的邻居一起！", False),
        ("推荐一家靠谱的家电维修", "空调不制冷了，求推荐。", False),
        ("健身器材坏了一个", "东区健身角的扭腰器松动了，小心别摔了。", False),
        ("有人在车棚附近赌博", "晚上经常聚集，担心安全。", False),
    ]
    # The dispute becomes a case only in a demo built with its cases (`demo --without-cases` has none).
    with_cases = Case.objects.filter(place_path__startswith=community.path + ".").exists()
    made = replies = 0
    for index, (title, body, dispute) in enumerate(topics):
        # Not the demo login "resident": her own reports are the ones she made on the phone.
        author = people[1 + (index * 3) % (len(people) - 1)]
        with clock.frozen_at(now - dt.timedelta(days=10 - index)):
            topic = forum.topic_create(by=author, board=board, title=title, body=body)
            for offset in range(1, 4):
                forum.reply_create(
                    by=people[(index * 3 + offset) % len(people)],
                    topic=topic,
                    body=["同感，我家也听得到。", "建议找网格员反映。", "已经和物业说过了。"][offset - 1],
                )
                replies += 1
            if dispute and with_cases:
                forum.reply_create(
                    by=grid_worker, topic=topic, body="@grid1 已收到，网格员会上门了解情况并协调。"
                )
                forum.topic_to_case(by=builder.users["secretary"], topic=topic)
        made += 1
    return made, replies


def _activities(
    builder: _Builder, tree: dict[str, Any], people: list[User], now: dt.datetime
) -> tuple[int, int, int]:
    worker = builder.users.get("worker") or SYSTEM
    community = tree["community"]
    residents = {r.pk: r for r in Resident.objects.filter(pk__in=[u.resident_id for u in people])}
    troupe = acts.group_create(
        by=worker,
        name="金泰文化艺术团",
        kind=GroupKind.TROUPE,
        place=community,
        description="社区居民自发组建的文艺团体，下设十余支队伍",
    )
    teams = [
        acts.group_create(by=worker, name=name, kind=GroupKind.TROUPE, place=community, parent=troupe)
        for name in TROUPES
    ]
    college = acts.group_create(
        by=worker, name="老年大学书法班", kind=GroupKind.SENIOR_CLASS, place=community
    )
    weekend = acts.group_create(by=worker, name="周末课堂", kind=GroupKind.WEEKEND, place=community)
    acts.group_create(by=worker, name="楼栋小课堂", kind=GroupKind.BUILDING_CLASS, place=tree["estates"][0])
    for index, user in enumerate(people):
        team = teams[index % len(teams)]
        acts.group_add_member(
            by=worker,
            group=team,
            resident=residents[user.resident_id or 0],
            role=MemberRole.LEADER if index < len(teams) else MemberRole.MEMBER,
        )
    for user in people[-3:]:
        _quiet(acts.group_join, by=user, group=college, note="想学书法")
    today = now.astimezone(SHANGHAI).date()
    saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7) - dt.timedelta(weeks=8)
    series = acts.series_create(
        by=worker,
        place=community,
        group=weekend,
        title="周末课堂：书法与手工",
        weekday=5,
        start_time=dt.time(9, 30),
        duration_minutes=90,
        starts_on=saturday,
        ends_on=saturday + dt.timedelta(weeks=12),
        location="社区党群服务中心",
        capacity=12,
        exceptions=[saturday + dt.timedelta(weeks=4)],
    )
    activities = list(series.occurrences.order_by("starts_at"))
    for week in range(6):
        start = dt.datetime.combine(
            saturday + dt.timedelta(weeks=week, days=-2), dt.time(19, 0), tzinfo=SHANGHAI
        )
        with clock.frozen_at(start - dt.timedelta(days=7)):
            activities.append(
                acts.activity_create(
                    by=worker,
                    place=community,
                    group=teams[week % len(teams)],
                    title=f"{teams[week % len(teams)].name}排练",
                    location="社区广场",
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=2),
                    capacity=0,
                )
            )
    festival = now + dt.timedelta(days=5)
    activities.append(
        acts.activity_create(
            by=worker,
            place=community,
            group=troupe,
            title="第五届楼道文化节文艺汇演",
            location="中心广场",
            starts_at=festival,
            ends_at=festival + dt.timedelta(hours=3),
            capacity=len(people) // 2,
            description="金泰文化艺术团各队联合演出",
        )
    )
    signups = checkins = 0
    rng = builder.rng
    for activity in activities:
        crowd = rng.sample(people, min(len(people), rng.randint(8, 20)))
        opening = activity.starts_at - dt.timedelta(days=3)
        with clock.frozen_at(min(opening, now)):
            for user in crowd:
                if _quiet(acts.signup_create, by=user, activity=activity):
                    signups += 1
        if activity.starts_at > now:
            continue
        with clock.frozen_at(activity.starts_at + dt.timedelta(minutes=5)) as replay:
            for user in crowd:
                if rng.random() < 0.8 and _quiet(
                    acts.checkin_by_card,
                    by=worker,
                    activity=activity,
                    payload=card_qr_payload(residents[user.resident_id or 0]),
                ):
                    checkins += 1
                replay.advance(dt.timedelta(seconds=20))
        if activity.ends_at < now:
            acts.activity_report(
                by=worker, activity=activity, report=f"{activity.title}顺利举行，居民参与热情高。"
            )
    return len(activities), signups, checkins


def build(
    builder: _Builder, tree: dict[str, Any], *, scale: float, seed: int, log: Callable[[str], None]
) -> dict[str, int]:
    """Notices, forum and activities for the demo community; returns row counts."""
    now = clock.now()
    people = _accounts(builder)
    if len(people) < 10:
        return {}
    log("社区在线：通知公告、论坛、团队与活动")
    notices = _notices(builder, tree, people, now)
    topics, replies = _forum(builder, tree, people, now)
    activities, signups, checkins = _activities(builder, tree, people, now)
    return {
        "bulletin_notices": notices,
        "forum_topics": topics,
        "forum_replies": replies,
        "activities": activities,
        "activity_signups": signups,
        "activity_checkins": checkins,
    }
