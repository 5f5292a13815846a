"""The demo community: 开福区芙蓉北路街道金泰路社区 as seed 000 describes it.

8 苑, 81 栋, 10,496 户, about 20,000 residents in 3 grids, the "1+3+8" party overlay,
departments, property companies, merchants, volunteer teams and one demo login per role.

Going through the per-row services would write ~60,000 audit rows and take minutes, so
the builder computes everything in memory and inserts it with `bulk_create`. It must
produce exactly the rows those services would (encrypted numbers with their keyed hashes,
pinyin, card numbers, addresses in `build_address` form, `Resident.place` = the household's
unit), and the load itself is recorded by a single audit row.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from importlib import import_module
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone
from faker import Faker

from gridgov.accounts.models import Role, RoleAssignment, User
from gridgov.accounts.roles import DEFAULT_ROLES
from gridgov.accounts.scope import SYSTEM, below_q, place_q
from gridgov.accounts.services import user_phone_hash
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.services import audit_record
from gridgov.cases.models import ApiKey, Case, CaseRollup, State
from gridgov.core import clock, crypto
from gridgov.core.text import pinyin_full, pinyin_initials
from gridgov.core.validation import id_check_char
from gridgov.demo.cases import build_cases, case_counts
from gridgov.orgs.models import Organisation, OrgKind, OrgMember, PartyLevel
from gridgov.orgs.services import contact_phone_columns
from gridgov.people.models import (
    FloatingReason,
    FloatingRegistration,
    Gender,
    Membership,
    PoliticalStatus,
    Relation,
    ResidenceStatus,
    Resident,
    ResidentTag,
    Tag,
)
from gridgov.people.services import id_hash, phone_hash
from gridgov.places.models import Household, Place, PlaceKind, ResidenceKind
from gridgov.places.services import child_path, decode_segment

DISTRICT = "开福区"
DISTRICT_CODE = "430105"
STREET = "芙蓉北路街道"
COMMUNITY = "金泰路社区"
FOUNDED = dt.date(2010, 4, 28)
FULL_BUILDINGS = 81
FULL_HOUSEHOLDS = 10_496
DEMO_PASSWORD = "Demo-2026"
SEED = 20100428
BATCH = 1000

# (grid, its estates, its party branch's speciality) — seed 000's three branches.
GRIDS: list[tuple[str, list[str], str, str]] = [
    (
        "第一网格",
        ["聚江苑", "鸿江苑", "达江苑"],
        "“雷锋侠”支部",
        "“雷锋侠”家庭服务站：免费为居民磨刀、换锁、更换家庭小零件",
    ),
    ("第二网格", ["望江苑", "星江苑", "赏江苑"], "国学支部", "弘扬中华优秀传统文化"),
    ("第三网格", ["揽江苑", "咏江苑"], "和谐促进支部", "化解邻里矛盾，金牌义工牵头"),
]
ESTATES = [estate for _, estates, _, _ in GRIDS for estate in estates]

# One login per role; roles added later without an entry here still get a user (see _user_specs).
# login, role code, display name, where (grid number / estate / "street" …), organisation key
USER_SPECS: list[tuple[str, str, str, str, str]] = [
    ("admin", "sysadmin", "系统管理员", "district", ""),
    ("street", "street_admin", "街道网格中心", "street", ""),
    ("secretary", "community_secretary", "社区书记", "community", ""),
    ("worker", "community_worker", "社区工作者", "community", ""),
    ("gridhead1", "grid_head", "第一网格网格长", "grid1", ""),
    ("grid1", "grid_worker", "第一网格网格员", "grid1", ""),
    ("grid2", "grid_worker", "第二网格网格员", "grid2", ""),
    ("grid3", "grid_worker", "第三网格网格员", "grid3", ""),
    ("steward", "grid_steward", "第二网格网格管家", "grid2", ""),
    ("volunteer_grid", "volunteer_grid_worker", "第一网格志愿网格员", "grid1", ""),
    ("building_head", "building_head", "聚江苑1栋楼栋长", "building", ""),
    ("chengguan", "department_staff", "城管执法中队", "street", "chengguan"),
    ("police", "department_staff", "芙蓉北路派出所", "street", "police"),
    ("market", "department_staff", "芙蓉北路市场监督管理所", "street", "market"),
    ("wuye", "property_staff", "金泰物业", "property", "wuye"),
    ("wuye2", "property_staff", "江城物业", "property2", "wuye2"),
    ("wuye3", "property_staff", "揽胜物业", "property3", "wuye3"),
    ("volunteer", "volunteer", "雷锋侠志愿服务队", "grid1", "team1"),
    ("resident", "resident", "望江苑居民", "home", ""),
]
DEMO_USERNAMES = [spec[0] for spec in USER_SPECS]
# What each login does with cases in the demo (the fourth column of the printed table).
CASE_DUTIES: dict[str, str] = {
    "admin": "配置分类、时限、分派规则和接入密钥",
    "street": "街道层级事件、督办、吹哨",
    "secretary": "分派队列、超时督办、吹哨",
    "worker": "社区层级事件、代登记、分派",
    "gridhead1": "受理处置第一网格事件",
    "grid1": "受理处置第一网格事件、巡查上报",
    "grid2": "受理处置第二网格事件、巡查上报",
    "grid3": "受理处置第三网格事件、巡查上报",
    "steward": "受理处置第二网格事件",
    "volunteer_grid": "查看、巡查上报",
    "building_head": "楼栋层级事件",
    "chengguan": "市容秩序、占道经营；吹哨报到",
    "police": "盗窃事件；吹哨报到",
    "market": "食品安全；吹哨报到",
    "wuye": "三个苑的电梯和物业事件、物业清单",
    "wuye2": "三个苑的电梯和物业事件",
    "wuye3": "两个苑的电梯和物业事件",
    "resident": "我的反映、查看进度、评价",
}

LOCAL_REGIONS = [
    ("430105", "湖南省长沙市开福区"),
    ("430105", "湖南省长沙市开福区"),
    ("430102", "湖南省长沙市芙蓉区"),
    ("430103", "湖南省长沙市天心区"),
    ("430104", "湖南省长沙市岳麓区"),
    ("430111", "湖南省长沙市雨花区"),
    ("430112", "湖南省长沙市望城区"),
    ("430121", "湖南省长沙县"),
    ("430181", "湖南省浏阳市"),
]
OTHER_REGIONS = [
    ("430321", "湖南省湘潭县"),
    ("430421", "湖南省衡阳县"),
    ("430523", "湖南省邵阳县"),
    ("430621", "湖南省岳阳县"),
    ("430721", "湖南省安乡县"),
    ("430923", "湖南省安化县"),
    ("431021", "湖南省桂阳县"),
    ("431121", "湖南省祁阳县"),
    ("431222", "湖南省沅陵县"),
    ("431321", "湖南省双峰县"),
    ("433101", "湖南省吉首市"),
    ("360121", "江西省南昌县"),
    ("420111", "湖北省武汉市洪山区"),
    ("421023", "湖北省监利县"),
    ("440304", "广东省深圳市福田区"),
    ("450321", "广西壮族自治区阳朔县"),
    ("500101", "重庆市万州区"),
    ("510121", "四川省金堂县"),
    ("522121", "贵州省遵义县"),
    ("411521", "河南省罗山县"),
    ("341221", "安徽省临泉县"),
]
REGION_NAMES = dict(LOCAL_REGIONS + OTHER_REGIONS)
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "198", "199",
]  # fmt: skip
ETHNICITIES = ["土家族", "苗族", "侗族", "瑶族", "回族", "满族", "壮族", "白族"]
JOBS = [
    "个体经营", "自由职业", "公司职员", "教师", "医生", "护士", "公务员", "工程师", "销售",
    "快递员", "外卖骑手", "厨师", "网约车司机", "家政服务员", "保安", "会计", "程序员", "律师",
    "设计师", "建筑工人", "装修工", "超市店员", "银行职员", "待业",
]  # fmt: skip
TENANT_JOBS = ["务工", "外卖骑手", "快递员", "餐饮服务员", "装修工", "美容美发", "个体经营", "销售", "保洁员"]
DEREGISTER_REASONS = ["合同到期退租", "返回原籍", "工作调动", "购房搬离"]

# (kind, weight): compositions of owner-occupied households, tuned so that 10,496 户 hold
# about 20,000 people once vacant flats, shops and rented flats are counted in.
FAMILY_KINDS = [
    ("elder_alone", 6),
    ("elder_couple", 10),
    ("single", 22),
    ("couple", 20),
    ("nuclear1", 26),
    ("nuclear2", 6),
    ("three_gen", 6),
    ("left_behind", 1),
]

DEPARTMENTS = [
    ("芙蓉北路街道城管执法中队", "市容秩序、占道经营、违章搭建"),
    ("芙蓉北路派出所", "治安、户籍、流动人口管理"),
    ("芙蓉北路供水所", "供水管网、停水抢修"),
    ("芙蓉北路消防救援站", "消防安全检查、火灾扑救"),
    ("芙蓉北路市场监督管理所", "食品安全、价格和经营行为"),
    ("芙蓉北路司法所", "人民调解、社区矫正、法律援助"),
    ("芙蓉北路供电所", "供电线路、停电抢修"),
    ("芙蓉北路街道社区卫生服务中心", "基本公共卫生、健康档案"),
    ("芙蓉北路街道民政办", "低保、救助、养老服务"),
]
PROPERTY_COMPANIES = [
    ("金泰物业服务有限公司", ["聚江苑", "鸿江苑", "达江苑"]),
    ("江城物业管理有限公司", ["望江苑", "星江苑", "赏江苑"]),
    ("揽胜物业服务有限公司", ["揽江苑", "咏江苑"]),
]
MERCHANTS = [
    ("金泰便民超市", "日用品送货上门"),
    ("世纪城家政服务部", "保洁、月嫂、居家养老上门服务"),
    ("江景社区诊所", "上门量血压、测血糖"),
    ("老街坊餐馆", "老人助餐、送餐"),
    ("快修汽车服务中心", "汽车保养、救援"),
    ("巧手理发店", "老人上门理发"),
    ("好邻居水电维修部", "水电维修、开锁换锁"),
    ("爱心药房", "送药上门"),
    ("金泰洗衣店", "洗衣、缝补"),
    ("世纪城果蔬店", "果蔬配送"),
]
UNITS = [
    ("金泰幼儿园", "驻区幼儿园"),
    ("世纪城社区卫生服务站", "基本医疗和公共卫生"),
    ("湘江世纪城邮政所", "邮政、快递代收"),
    ("世纪城商业管理有限公司", "商业街运营"),
    ("金泰路小学", "驻区学校"),
]
SOCIAL_ORGS = [
    ("金泰文化艺术团", "武术、民族舞、广场舞、交谊舞、花鼓戏、书法等十多支文体团队"),
    ("金泰欢越剧团", "在职党员和直管党员发起的越剧团"),
    ("金泰乐花鼓戏剧团", "花鼓戏爱好者"),
]
TEAMS = [
    ("雷锋侠志愿服务队", "免费磨刀、换锁、更换家庭小零件"),
    ("国学志愿服务队", "国学讲堂、青少年传统文化教育"),
    ("和谐促进志愿服务队", "邻里纠纷调解、矛盾化解"),
]

# Rough geography of the estates by the river; points and boxes are for maps, not surveys.
ORIGIN_LAT, ORIGIN_LNG = 28.2330, 112.9700
ESTATE_DLAT, ESTATE_DLNG = 0.0030, 0.0036


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int]
    logins: list[tuple[str, str, str]]
    seconds: float
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Person:
    name: str
    surname: str
    gender: str
    birth: dt.date
    region: str
    relation: str
    household: int
    status: str = ResidenceStatus.REGISTERED
    phone: str = ""
    political: str = PoliticalStatus.MASSES
    employment: str = ""
    ethnicity: str = "汉族"
    moved_in: dt.date | None = None
    moved_out: dt.date | None = None
    move_out_reason: str = ""
    tags: set[str] = field(default_factory=set)
    id_number: str = ""
    pk: int | None = None


@dataclass(slots=True)
class Home:
    unit: Place
    room: str
    address: str
    kind: str
    area: Decimal
    estate: str
    grid: int
    building: Place
    family: str = ""
    notes: str = ""
    landlord: int | None = None  # index into people
    landlord_name: str = ""
    low_income: bool = False
    pk: int | None = None


def find_demo() -> Place | None:
    """The demo community if this database already holds it."""
    return Place.objects.filter(
        kind=PlaceKind.COMMUNITY,
        name=COMMUNITY,
        parent__name=STREET,
        parent__parent__name=DISTRICT,
        parent__parent__parent__isnull=True,
    ).first()


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _bulk(model: type[models.Model], rows: list[Any]) -> list[Any]:
    return model._default_manager.bulk_create(rows, batch_size=BATCH)


def _next_id(model: type[models.Model]) -> int:
    """The next key the database itself would hand out: never one a deleted row had (audit rows name them)."""
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                last_value, is_called = cursor.fetchone()
                top = max(top, last_value if is_called else last_value - 1)
    return top + 1


def fast_insert(model: type[models.Model], columns: list[str], rows: list[tuple[Any, ...]]) -> range:
    """INSERT rows with `executemany`, skipping the ORM's per-value compilation.

    For the ~60,000 registry rows `bulk_create` spends most of the demo's time compiling SQL.
    Primary keys are assigned here (after the current maximum; the demo runs in one
    transaction that holds the write lock on SQLite) and the sequence is moved past them
    on PostgreSQL. `created_at`-style timestamps are filled as `auto_now(_add)` would.
    """
    if not rows:
        return range(0)
    ops = connection.ops
    fields = {f.attname: f for f in model._meta.concrete_fields}
    now = timezone.now()  # what auto_now(_add) would write: the real clock
    stamps = [
        name
        for name, f in fields.items()
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add) and name not in columns
    ]
    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        f = fields[name]
        if isinstance(f, models.DateTimeField):
            converters.append(ops.adapt_datetimefield_value)
        elif isinstance(f, models.DateField):
            converters.append(ops.adapt_datefield_value)
        elif isinstance(f, models.DecimalField):
            converters.append(
                partial(ops.adapt_decimalfield_value, max_digits=f.max_digits, decimal_places=f.decimal_places)
            )
        else:
            converters.append(None)
    stamp = ops.adapt_datetimefield_value(now)
    start = _next_id(model)
    ids = range(start, start + len(rows))
    prepared = []
    for pk, row in zip(ids, rows, strict=True):
        values: list[Any] = [pk]
        for value, convert in zip(row, converters, strict=True):
            values.append(convert(value) if convert is not None and value is not None else value)
        values.extend([stamp] * len(stamps))
        prepared.append(values)
    all_columns = (
        [model._meta.pk.column]
        + [fields[name].column for name in columns]
        + [fields[name].column for name in stamps]
    )
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(column) for column in all_columns),
        ", ".join(["%s"] * len(all_columns)),
    )
    with connection.cursor() as cursor:
        for offset in range(0, len(prepared), 5000):
            cursor.executemany(sql, prepared[offset : offset + 5000])
        for statement in ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(statement)
    return ids


class _Builder:
    def __init__(self, *, scale: float, seed: int, today: dt.date) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.today = today
        self.people: list[Person] = []
        self.homes: list[Home] = []
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.pinyin: dict[str, tuple[str, str]] = {}
        self.notes: list[str] = []
        self.logins: list[tuple[str, str, str]] = []
        self.owner_heads: list[int] = []
        self.users: dict[str, User] = {}
        self.case_orgs: dict[str, Any] = {}
        self.companies = [self.fake.company() for _ in range(40)]

    # -- small generators -------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def birth_for_age(self, age: int) -> dt.date:
        # A birthday spread over the year before `today - age years`, so the age is exact.
        latest = (
            self.today.replace(year=self.today.year - age)
            if not (self.today.month == 2 and self.today.day == 29)
            else dt.date(self.today.year - age, 2, 28)
        )
        return latest - dt.timedelta(days=self.rng.randrange(365))

    def id_number(self, region: str, birth: dt.date, gender: str) -> str:
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = first17 + id_check_char(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def given_name(self, gender: str) -> str:
        return self.fake.first_name_male() if gender == Gender.MALE else self.fake.first_name_female()

    def person(
        self,
        *,
        household: int,
        relation: str,
        gender: str,
        age: int,
        surname: str | None = None,
        region: str | None = None,
        status: str = ResidenceStatus.REGISTERED,
        moved_in: dt.date | None = None,
    ) -> Person:
        birth = self.birth_for_age(max(age, 0))
        region = region or self.rng.choice(LOCAL_REGIONS)[0]
        surname = surname or self.fake.last_name()
        person = Person(
            name=surname + self.given_name(gender),
            surname=surname,
            gender=gender,
            birth=birth,
            region=region,
            relation=relation,
            household=household,
            status=status,
            ethnicity="汉族" if self.chance(0.95) else self.rng.choice(ETHNICITIES),
            moved_in=max(moved_in, birth) if moved_in else None,
        )
        person.id_number = self.id_number(region, birth, gender)
        if age >= 12 and not (age >= 85 and self.chance(0.4)):
            person.phone = self.phone()
        person.employment = self.employment(age)
        person.political = self.political(age)
        self.people.append(person)
        return person

    def employment(self, age: int) -> str:
        if age < 3:
            return ""
        if age < 6:
            return "幼儿园"
        if age < 18:
            return "学生"
        if age < 22 and self.chance(0.6):
            return "大学生"
        if age >= 60 and self.chance(0.9):
            return "退休"
        return self.rng.choice(JOBS) if self.chance(0.7) else self.rng.choice(self.companies)

    def political(self, age: int) -> str:
        if age < 14:
            return PoliticalStatus.MASSES
        roll = self.rng.random()
        if age >= 18 and roll < 0.075:
            return PoliticalStatus.PARTY_MEMBER
        if age >= 18 and roll < 0.079:
            return PoliticalStatus.PROBATIONARY
        if age >= 18 and roll < 0.082:
            return PoliticalStatus.DEMOCRATIC_PARTY
        if age <= 28 and roll < 0.35:
            return PoliticalStatus.LEAGUE_MEMBER
        return PoliticalStatus.MASSES

    def move_in_date(self) -> dt.date:
        span = (self.today - dt.timedelta(days=30) - FOUNDED).days
        return FOUNDED + dt.timedelta(days=self.rng.randrange(max(span, 1)))

    # -- places -----------------------------------------------------------------------

    def places(self) -> dict[str, Any]:
        district = Place.objects.filter(parent__isnull=True, kind=PlaceKind.DISTRICT, name=DISTRICT).first()
        if district is None:
            last = Place.objects.filter(parent__isnull=True).aggregate(last=models.Max("path"))["last"]
            district = Place.objects.create(
                kind=PlaceKind.DISTRICT,
                name=DISTRICT,
                code=DISTRICT_CODE,
                path=child_path(None, decode_segment(last) + 1 if last else 1),
                depth=0,
            )
        street = Place.objects.filter(parent=district, name=STREET).first() or self._child(
            district, PlaceKind.STREET, STREET
        )
        community = self._child(street, PlaceKind.COMMUNITY, COMMUNITY)
        grids = _bulk(
            Place,
            [
                Place(
                    kind=PlaceKind.GRID,
                    name=name,
                    parent=community,
                    path=child_path(community.path, index),
                    depth=community.depth + 1,
                    boundary=self.box(index - 1, 0, 1, len(estates)),
                )
                for index, (name, estates, _, _) in enumerate(GRIDS, start=1)
            ],
        )
        estate_rows = []
        for grid_index, (grid, (_, estate_names, _, _)) in enumerate(zip(grids, GRIDS, strict=True)):
            for row, estate_name in enumerate(estate_names):
                estate_rows.append(
                    Place(
                        kind=PlaceKind.ESTATE,
                        name=estate_name,
                        parent=grid,
                        path=child_path(grid.path, row + 1),
                        depth=grid.depth + 1,
                        boundary=self.box(grid_index, row, 1, 1),
                    )
                )
        estates: list[Place] = _bulk(Place, estate_rows)
        estate_grid = {
            estate.name: index
            for index, (_, names, _, _) in enumerate(GRIDS)
            for estate in estates
            if estate.name in names
        }
        # Buildings: 81 at full size, spread as evenly as the estates allow.
        n_buildings = max(len(estates), round(FULL_BUILDINGS * self.scale))
        building_rows = []
        for index, estate in enumerate(estates):
            count = n_buildings // len(estates) + (1 if index < n_buildings % len(estates) else 0)
            grid_index = estate_grid[estate.name]
            row = GRIDS[grid_index][1].index(estate.name)
            cols = math.ceil(math.sqrt(count))
            for number in range(1, count + 1):
                r, c = divmod(number - 1, cols)
                building_rows.append(
                    Place(
                        kind=PlaceKind.BUILDING,
                        name=f"{number}栋",
                        parent=estate,
                        path=child_path(estate.path, number),
                        depth=estate.depth + 1,
                        latitude=round(
                            ORIGIN_LAT - row * ESTATE_DLAT - (r + 0.5) * ESTATE_DLAT / (cols + 0.5), 6
                        ),
                        longitude=round(
                            ORIGIN_LNG + grid_index * ESTATE_DLNG + (c + 0.5) * ESTATE_DLNG / (cols + 0.5), 6
                        ),
                    )
                )
        buildings = _bulk(Place, building_rows)
        estate_by_id = {estate.pk: estate for estate in estates}
        unit_counts = [self.rng.choice([2, 2, 3, 3, 4]) for _ in buildings]
        units = _bulk(
            Place,
            [
                Place(
                    kind=PlaceKind.UNIT,
                    name=f"{number}单元",
                    parent=building,
                    path=child_path(building.path, number),
                    depth=building.depth + 1,
                )
                for building, count in zip(buildings, unit_counts, strict=True)
                for number in range(1, count + 1)
            ],
        )
        units_of: dict[int, list[Place]] = {}
        for unit in units:
            units_of.setdefault(unit.parent_id, []).append(unit)
        return {
            "district": district,
            "street": street,
            "community": community,
            "grids": grids,
            "estates": estates,
            "estate_by_id": estate_by_id,
            "estate_grid": estate_grid,
            "buildings": buildings,
            "units_of": units_of,
        }

    def _child(self, parent: Place, kind: str, name: str) -> Place:
        last = Place.objects.filter(parent=parent).aggregate(last=models.Max("path"))["last"]
        index = decode_segment(last.rsplit(".", 1)[-1]) + 1 if last else 1
        return Place.objects.create(
            kind=kind, name=name, parent=parent, path=child_path(parent.path, index), depth=parent.depth + 1
        )

    def box(self, col: int, row: int, width: int, height: int) -> dict[str, Any]:
        west = ORIGIN_LNG + col * ESTATE_DLNG
        east = west + width * ESTATE_DLNG
        north = ORIGIN_LAT - row * ESTATE_DLAT
        south = north - height * ESTATE_DLAT
        ring = [[west, north], [east, north], [east, south], [west, south], [west, north]]
        return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}

    # -- households -------------------------------------------------------------------

    def households(self, tree: dict[str, Any]) -> None:
        total = round(FULL_HOUSEHOLDS * self.scale)
        buildings: list[Place] = tree["buildings"]
        weights = [self.rng.uniform(0.75, 1.25) for _ in buildings]
        shares = [total * w / sum(weights) for w in weights]
        sizes = [int(share) for share in shares]
        # Largest remainders get the leftover households, so the total is exact.
        for index in sorted(range(len(shares)), key=lambda i: shares[i] - sizes[i], reverse=True)[
            : total - sum(sizes)
        ]:
            sizes[index] += 1
        for building, size in zip(buildings, sizes, strict=True):
            estate = tree["estate_by_id"][building.parent_id]
            units = tree["units_of"][building.pk]
            shop_floor = self.chance(0.35)
            made = 0
            floor = 0
            while made < size:
                floor += 1
                for unit in units:
                    for number in (1, 2):
                        if made >= size:
                            break
                        room = f"{floor}{number:02d}"
                        if floor == 1 and shop_floor:
                            kind = ResidenceKind.SHOP
                        else:
                            roll = self.rng.random()
                            kind = (
                                ResidenceKind.VACANT if roll < 0.10
                                else ResidenceKind.RENTED if roll < 0.19
                                else ResidenceKind.OWNER
                            )  # fmt: skip
                        self.homes.append(
                            Home(
                                unit=unit,
                                room=room,
                                # places.services.build_address: estate, building, unit names, then room.
                                address=f"{estate.name}{building.name}{unit.name}{room}",
                                kind=kind,
                                area=Decimal(self.rng.randrange(5500, 16000)) / 100,
                                estate=estate.name,
                                grid=tree["estate_grid"][estate.name],
                                building=building,
                                notes="临街门面" if kind == ResidenceKind.SHOP else "",
                            )
                        )
                        made += 1

    # -- people -----------------------------------------------------------------------

    def families(self) -> None:
        kinds, weights = zip(*FAMILY_KINDS, strict=True)
        owners = [i for i, home in enumerate(self.homes) if home.kind == ResidenceKind.OWNER]
        for index in owners:
            home = self.homes[index]
            home.family = self.rng.choices(kinds, weights)[0]
            getattr(self, f"_family_{home.family}")(index, self.move_in_date())
            home.low_income = self.chance(0.012)
        # Some owners are 常住 with their 户籍 elsewhere (bought a flat here, kept the hukou).
        heads = [p for p in self.people if p.relation == Relation.HEAD]
        self.owner_heads = [i for i, p in enumerate(self.people) if p.relation == Relation.HEAD]
        for head in heads:
            if self.chance(0.2):
                head.status = ResidenceStatus.PERMANENT
        rented = [i for i, home in enumerate(self.homes) if home.kind == ResidenceKind.RENTED]
        for index in rented:
            self._tenants(index)

    def _head_gender(self) -> str:
        return Gender.MALE if self.chance(0.8) else Gender.FEMALE

    def _couple(self, index: int, age: int, moved_in: dt.date) -> tuple[Person, Person]:
        gender = self._head_gender()
        head = self.person(household=index, relation=Relation.HEAD, gender=gender, age=age, moved_in=moved_in)
        other = Gender.FEMALE if gender == Gender.MALE else Gender.MALE
        spouse_age = max(
            20, age + (self.rng.randint(-5, 2) if other == Gender.FEMALE else self.rng.randint(-2, 5))
        )
        spouse = self.person(
            household=index, relation=Relation.SPOUSE, gender=other, age=spouse_age, moved_in=moved_in
        )
        return head, spouse

    def _children(self, index: int, parents: tuple[Person, Person], count: int, moved_in: dt.date) -> None:
        father = parents[0] if parents[0].gender == Gender.MALE else parents[1]
        mother = parents[1] if father is parents[0] else parents[0]
        youngest_parent = min(age_on(father.birth, self.today), age_on(mother.birth, self.today))
        for _ in range(count):
            age = self.rng.randint(0, max(0, min(youngest_parent - 22, 30)))
            self.person(
                household=index,
                relation=Relation.CHILD,
                gender=self.rng.choice([Gender.MALE, Gender.FEMALE]),
                age=age,
                surname=father.surname if self.chance(0.95) else mother.surname,
                moved_in=moved_in,
            )

    def _family_elder_alone(self, index: int, moved_in: dt.date) -> None:
        gender = Gender.FEMALE if self.chance(0.65) else Gender.MALE
        head = self.person(
            household=index,
            relation=Relation.HEAD,
            gender=gender,
            age=self.rng.randint(62, 94),
            moved_in=moved_in,
        )
        head.tags.add("living-alone-elderly")

    def _family_elder_couple(self, index: int, moved_in: dt.date) -> None:
        for person in self._couple(index, self.rng.randint(62, 88), moved_in):
            if age_on(person.birth, self.today) >= 60:
                person.tags.add("empty-nest-elderly")

    def _family_single(self, index: int, moved_in: dt.date) -> None:
        self.person(
            household=index,
            relation=Relation.HEAD,
            gender=self.rng.choice([Gender.MALE, Gender.FEMALE]),
            age=self.rng.randint(23, 50),
            moved_in=moved_in,
        )

    def _family_couple(self, index: int, moved_in: dt.date) -> None:
        self._couple(index, self.rng.randint(25, 59), moved_in)

    def _family_nuclear1(self, index: int, moved_in: dt.date) -> None:
        self._children(index, self._couple(index, self.rng.randint(27, 55), moved_in), 1, moved_in)

    def _family_nuclear2(self, index: int, moved_in: dt.date) -> None:
        self._children(index, self._couple(index, self.rng.randint(30, 52), moved_in), 2, moved_in)

    def _family_three_gen(self, index: int, moved_in: dt.date) -> None:
        head, spouse = self._couple(index, self.rng.randint(30, 50), moved_in)
        self._children(index, (head, spouse), 1, moved_in)
        head_age = age_on(head.birth, self.today)
        parent_age = min(head_age + self.rng.randint(24, 32), 96)
        later = moved_in + dt.timedelta(days=self.rng.randrange(0, 900))
        later = min(later, self.today)
        self.person(
            household=index, relation=Relation.PARENT, gender=Gender.FEMALE, age=parent_age, moved_in=later
        )
        if self.chance(0.5):
            self.person(
                household=index,
                relation=Relation.PARENT,
                gender=Gender.MALE,
                age=min(parent_age + self.rng.randint(0, 4), 98),
                surname=head.surname if head.gender == Gender.MALE else None,
                moved_in=later,
            )

    def _family_left_behind(self, index: int, moved_in: dt.date) -> None:
        # Grandparents raising grandchildren while the parents work elsewhere: 留守儿童.
        grandfather, grandmother = self._couple(index, self.rng.randint(56, 75), moved_in)
        surname = grandfather.surname if grandfather.gender == Gender.MALE else grandmother.surname
        for _ in range(self.rng.choice([1, 1, 2])):
            child = self.person(
                household=index,
                relation=Relation.GRANDCHILD,
                gender=self.rng.choice([Gender.MALE, Gender.FEMALE]),
                age=self.rng.randint(3, 15),
                surname=surname,
                moved_in=moved_in,
            )
            child.tags.add("left-behind-child")

    def _tenants(self, index: int) -> None:
        home = self.homes[index]
        if self.owner_heads and self.chance(0.7):
            home.landlord = self.rng.choice(self.owner_heads)
        else:
            home.landlord_name = self.fake.name()
        region = self.rng.choice(OTHER_REGIONS)[0]
        moved_in = self.today - dt.timedelta(days=self.rng.randrange(20, 3 * 365))
        count = self.rng.choices([1, 2, 3], [45, 40, 15])[0]
        first = self.person(
            household=index,
            relation=Relation.TENANT,
            gender=self.rng.choice([Gender.MALE, Gender.FEMALE]),
            age=self.rng.randint(19, 48),
            region=region,
            status=ResidenceStatus.FLOATING,
            moved_in=moved_in,
        )
        first.employment = (
            self.rng.choice(TENANT_JOBS) if self.chance(0.6) else self.rng.choice(self.companies)
        )
        if count >= 2:
            other = Gender.FEMALE if first.gender == Gender.MALE else Gender.MALE
            partner = self.person(
                household=index,
                relation=Relation.TENANT,
                gender=other,
                age=max(19, age_on(first.birth, self.today) + self.rng.randint(-3, 3)),
                region=region,
                status=ResidenceStatus.FLOATING,
                moved_in=moved_in,
            )
            partner.employment = self.rng.choice(TENANT_JOBS)
        if count == 3:
            father = first if first.gender == Gender.MALE else partner
            self.person(
                household=index,
                relation=Relation.TENANT,
                gender=self.rng.choice([Gender.MALE, Gender.FEMALE]),
                age=self.rng.randint(0, max(0, min(age_on(first.birth, self.today) - 20, 15))),
                surname=father.surname,
                region=region,
                status=ResidenceStatus.FLOATING,
                moved_in=moved_in,
            )

    def former_tenants(self) -> None:
        """Tenants who left: closed membership and a deregistered floating registration."""
        rented = [i for i, home in enumerate(self.homes) if home.kind == ResidenceKind.RENTED]
        if not rented:
            return
        picks = self.rng.sample(rented, max(1, round(len(rented) * 0.08)))
        for index in picks:
            moved_out = self.today - dt.timedelta(days=self.rng.randrange(30, 700))
            moved_in = moved_out - dt.timedelta(days=self.rng.randrange(90, 1000))
            person = self.person(
                household=index,
                relation=Relation.TENANT,
                gender=self.rng.choice([Gender.MALE, Gender.FEMALE]),
                age=self.rng.randint(20, 45),
                region=self.rng.choice(OTHER_REGIONS)[0],
                status=ResidenceStatus.FLOATING,
                moved_in=moved_in,
            )
            person.moved_out = moved_out
            person.move_out_reason = "流动人口注销"
            person.employment = self.rng.choice(TENANT_JOBS)

    def tags(self) -> None:
        by_home: dict[int, list[Person]] = {}
        for person in self.people:
            if person.moved_out is None:
                by_home.setdefault(person.household, []).append(person)
        for index, members in by_home.items():
            if self.homes[index].low_income:
                for person in members:
                    person.tags.add("low-income")
        adults = []
        for person in self.people:
            if person.moved_out is not None:
                continue
            age = age_on(person.birth, self.today)
            if age >= 80:
                person.tags.add("oldest-old")
            if person.gender == Gender.FEMALE and 15 <= age <= 49:
                person.tags.add("childbearing-age-woman")
                if (
                    person.relation in (Relation.SPOUSE, Relation.HEAD, Relation.TENANT)
                    and 22 <= age <= 40
                    and self.chance(0.06)
                ):
                    person.tags.add("pregnant")
            if self.chance(0.012 if age < 60 else 0.04):
                person.tags.add("disabled")
            if person.gender == Gender.MALE and 35 <= age <= 80 and self.chance(0.03):
                person.tags.add("veteran")
            if 20 <= age <= 60 and person.status != ResidenceStatus.FLOATING:
                adults.append(person)
        for person in self.rng.sample(adults, min(len(adults), max(1, round(len(self.people) * 0.0005)))):
            person.tags.add("community-correction")

    # -- rows -------------------------------------------------------------------------

    def save_people(self) -> None:
        used_cards = set(Resident.objects.values_list("card_no", flat=True))
        existing_hashes = set(
            Resident.objects.filter(id_number_hash__isnull=False).values_list("id_number_hash", flat=True)
        )
        rows = []
        for person in self.people:
            while True:
                card_no = f"{self.rng.randrange(10**12):012d}"
                if card_no not in used_cards:
                    used_cards.add(card_no)
                    break
            hashed: str | None = id_hash(person.id_number)
            if hashed in existing_hashes:
                # Someone registered this (generated) number outside the demo; leave it off.
                hashed, enc, last4 = None, "", ""
            else:
                enc, last4 = crypto.encrypt(person.id_number), person.id_number[-4:]
            names = self.pinyin.get(person.name)
            if names is None:
                names = self.pinyin[person.name] = (pinyin_full(person.name), pinyin_initials(person.name))
            rows.append(
                (
                    person.name,
                    names[0],
                    names[1],
                    person.gender,
                    person.birth,
                    person.ethnicity,
                    enc,
                    hashed,
                    last4,
                    crypto.encrypt(person.phone),
                    phone_hash(person.phone) if person.phone else "",
                    person.phone[-4:],
                    person.status,
                    person.political,
                    person.employment,
                    "",
                    self.homes[person.household].unit.pk,
                    card_no,
                    False,
                )
            )
        columns = [
            "name", "name_pinyin", "name_initials", "gender", "birth_date", "ethnicity", "id_number_enc",
            "id_number_hash", "id_number_last4", "phone_enc", "phone_hash", "phone_last4", "residence_status",
            "political_status", "employment", "notes", "place_id", "card_no", "is_deceased",
        ]  # fmt: skip
        for person, pk in zip(self.people, fast_insert(Resident, columns, rows), strict=True):
            person.pk = pk

    def save_homes(self) -> None:
        rows = [
            (
                home.unit.pk,
                home.room,
                home.address,
                home.kind,
                self.people[home.landlord].pk if home.landlord is not None else None,
                home.area,
                home.notes,
            )
            for home in self.homes
        ]
        columns = ["place_id", "room", "address", "residence_kind", "landlord_id", "area_sqm", "notes"]
        for home, pk in zip(self.homes, fast_insert(Household, columns, rows), strict=True):
            home.pk = pk

    def save_memberships(self) -> None:
        rows = [
            (
                self.homes[person.household].pk,
                person.pk,
                person.relation,
                person.moved_in,
                person.moved_out,
                person.move_out_reason,
            )
            for person in self.people
        ]
        columns = ["household_id", "resident_id", "relation", "moved_in", "moved_out", "move_out_reason"]
        fast_insert(Membership, columns, rows)

    def save_tags(self) -> int:
        tag_ids = dict(Tag.objects.values_list("code", "pk"))
        rows = [
            (person.pk, tag_ids[code], "", None)
            for person in self.people
            for code in sorted(person.tags)
            if code in tag_ids
        ]
        return len(fast_insert(ResidentTag, ["resident_id", "tag_id", "note", "added_by_id"], rows))

    def save_floating(self, grid_users: dict[int, User]) -> int:
        rows = []
        active = []
        for person in self.people:
            if person.status != ResidenceStatus.FLOATING:
                continue
            home = self.homes[person.household]
            reason = self.rng.choices(FloatingReason.values, [70, 14, 5, 7, 3, 1])[0]
            registered_on = person.moved_in or self.today
            expected_until = registered_on + dt.timedelta(days=self.rng.choice([365, 730, 1095]))
            assert person.pk is not None  # saved with the residents
            row = FloatingRegistration(
                resident_id=person.pk,
                place=home.unit,
                household_id=home.pk,
                origin=REGION_NAMES[person.region],
                reason=reason,
                landlord_id=self.people[home.landlord].pk if home.landlord is not None else None,
                landlord_name=home.landlord_name,
                employer=person.employment
                if reason in (FloatingReason.WORK, FloatingReason.BUSINESS)
                else "",
                registered_on=registered_on,
                expected_until=expected_until,
                has_health_file=self.chance(0.6),
                registered_by=grid_users.get(home.grid),
            )
            if person.moved_out is not None:
                row.deregistered_on = person.moved_out
                row.deregistration_reason = self.rng.choice(DEREGISTER_REASONS)
                row.expected_until = max(expected_until, person.moved_out)
            else:
                active.append(row)
                # Keep ordinary stays in the future; the reminders below are chosen on purpose.
                while expected_until <= self.today + dt.timedelta(days=45):
                    expected_until += dt.timedelta(days=365)
                row.expected_until = expected_until
            rows.append(row)
        # About 8 % end within the reminder window and 2 % are already overdue.
        expiring = self.rng.sample(active, min(len(active), max(1, round(len(active) * 0.08))))
        for row in expiring:
            row.expected_until = self.today + dt.timedelta(days=self.rng.randint(0, 30))
        chosen = {id(row) for row in expiring}
        rest = [row for row in active if id(row) not in chosen]
        for row in self.rng.sample(rest, min(len(rest), round(len(active) * 0.02))):
            row.expected_until = max(
                row.registered_on, self.today - dt.timedelta(days=self.rng.randint(1, 25))
            )
        return len(_bulk(FloatingRegistration, rows))


def _user_specs() -> list[tuple[str, str, str, str, str]]:
    covered = {spec[1] for spec in USER_SPECS}
    extra = [
        (f"demo_{code}", code, name, "community", "")
        for code, name, _, _ in DEFAULT_ROLES
        if code not in covered
    ]
    extra += [
        (f"demo_{role.code}", role.code, role.name, "community", "")
        for role in Role.objects.exclude(code__in=covered | {spec[1] for spec in extra})
    ]
    return USER_SPECS + extra


def _orgs_and_users(builder: _Builder, tree: dict[str, Any], password_hash: str) -> dict[str, int]:
    rng = builder.rng
    fake = builder.fake
    district, street, community = tree["district"], tree["street"], tree["community"]
    grids: list[Place] = tree["grids"]
    estates: list[Place] = tree["estates"]
    estate_by_name = {estate.name: estate for estate in estates}
    through = Organisation.places.through
    links: list[Any] = []
    members: list[OrgMember] = []

    current = [p for p in builder.people if p.moved_out is None]
    by_estate: dict[str, list[Person]] = {}
    for person in current:
        by_estate.setdefault(builder.homes[person.household].estate, []).append(person)
    party = [
        p for p in current if p.political in (PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY)
    ]
    party_by_estate: dict[str, list[Person]] = {}
    for person in party:
        party_by_estate.setdefault(builder.homes[person.household].estate, []).append(person)

    def landline() -> str:
        return f"0731-8{rng.randrange(10**7):07d}"

    def org(kind: str, name: str, place: Place, **extra: Any) -> Organisation:
        # Contact numbers are stored encrypted, as the orgs service stores them.
        extra.update(contact_phone_columns(extra.pop("contact_phone", "")))
        return Organisation(kind=kind, name=name, place=place, **extra)

    def pick_leader(pool: list[Person]) -> Person | None:
        adults = [p for p in pool if 30 <= age_on(p.birth, builder.today) <= 70]
        return rng.choice(adults or pool) if pool else None

    # 党组织 "1+3+8": the general branch, a branch per grid, a group per estate.
    secretary_person = pick_leader(party) if party else None
    general = org(
        OrgKind.PARTY,
        f"{COMMUNITY}党总支",
        community,
        party_level=PartyLevel.GENERAL_BRANCH,
        leader_id=secretary_person.pk if secretary_person else None,
        description="社区党总支按“地域相连、地缘相近”原则划分网格，建立“1+3+8”网格支部体系",
    )
    general.save()
    links.append(through(organisation_id=general.pk, place_id=community.pk))
    branches = []
    for grid, (_, estate_names, label, speciality) in zip(grids, GRIDS, strict=True):
        pool = [p for name in estate_names for p in party_by_estate.get(name, [])]
        leader = pick_leader(pool)
        branches.append(
            org(
                OrgKind.PARTY,
                f"{grid.name}党支部",
                grid,
                parent=general,
                party_level=PartyLevel.BRANCH,
                leader_id=leader.pk if leader else None,
                description=f"{label}（{'、'.join(estate_names)}）：{speciality}",
            )
        )
    branches = _bulk(Organisation, branches)
    groups = []
    for branch, grid, (_, estate_names, _, _) in zip(branches, grids, GRIDS, strict=True):
        links.append(through(organisation_id=branch.pk, place_id=grid.pk))
        if branch.leader_id:
            members.append(OrgMember(organisation=branch, resident_id=branch.leader_id, role="支部书记"))
        for name in estate_names:
            leader = pick_leader(party_by_estate.get(name, []))
            groups.append(
                org(
                    OrgKind.PARTY,
                    f"{name}党小组",
                    estate_by_name[name],
                    parent=branch,
                    party_level=PartyLevel.GROUP,
                    leader_id=leader.pk if leader else None,
                )
            )
    groups = _bulk(Organisation, groups)
    for group in groups:
        estate = group.place
        links.append(through(organisation_id=group.pk, place_id=estate.pk))
        for person in party_by_estate.get(estate.name, []):
            if person.pk == group.leader_id:
                member_role = "党小组长"
            elif person.political == PoliticalStatus.PROBATIONARY:
                member_role = "预备党员"
            else:
                member_role = "党员"
            members.append(
                OrgMember(
                    organisation=group,
                    resident_id=person.pk,
                    role=member_role,
                    joined_on=max(person.moved_in or FOUNDED, FOUNDED),
                )
            )

    plain: list[Organisation] = []
    departments = [
        org(
            OrgKind.DEPARTMENT,
            name,
            street,
            contact_name=fake.name(),
            contact_phone=landline(),
            description=duty,
        )
        for name, duty in DEPARTMENTS
    ]
    plain += departments
    companies = [
        org(
            OrgKind.PROPERTY,
            name,
            community,
            contact_name=fake.name(),
            contact_phone=landline(),
            address=f"{served[0]}物业服务中心",
            description=f"管理{'、'.join(served)}",
        )
        for name, served in PROPERTY_COMPANIES
    ]
    plain += companies
    shops = [home for home in builder.homes if home.kind == ResidenceKind.SHOP]
    merchants = []
    for index, (name, service) in enumerate(MERCHANTS):
        shop = shops[index % len(shops)] if shops else None
        estate = estate_by_name[shop.estate] if shop else estates[index % len(estates)]
        merchants.append(
            org(
                OrgKind.MERCHANT,
                name,
                estate,
                contact_name=fake.name(),
                contact_phone=builder.phone(),
                address=shop.address if shop else estate.name,
                description=f"签订便民服务协议书：{service}",
            )
        )
    plain += merchants
    plain += [
        org(OrgKind.UNIT, name, community, contact_phone=landline(), description=desc) for name, desc in UNITS
    ]
    plain += [
        org(OrgKind.SOCIAL, name, community, contact_name=fake.name(), description=desc)
        for name, desc in SOCIAL_ORGS
    ]
    teams: list[Organisation] = []
    volunteers: dict[int, list[Person]] = {}
    for grid, (_, estate_names, _, _), (name, desc) in zip(grids, GRIDS, TEAMS, strict=True):
        pool = [
            p
            for estate in estate_names
            for p in by_estate.get(estate, [])
            if 18 <= age_on(p.birth, builder.today) <= 72
        ]
        leader = pick_leader([p for estate in estate_names for p in party_by_estate.get(estate, [])] or pool)
        team = org(OrgKind.TEAM, name, grid, leader_id=leader.pk if leader else None, description=desc)
        chosen = rng.sample(pool, min(len(pool), rng.randint(15, 30)))
        if leader and leader not in chosen:
            chosen.insert(0, leader)
        volunteers[len(teams)] = chosen
        teams.append(team)
    plain += teams
    plain = _bulk(Organisation, plain)
    for company, (_, served) in zip(companies, PROPERTY_COMPANIES, strict=True):
        links += [through(organisation_id=company.pk, place_id=estate_by_name[name].pk) for name in served]
    for index, (team, grid) in enumerate(zip(teams, grids, strict=True)):
        links.append(through(organisation_id=team.pk, place_id=grid.pk))
        for person in volunteers[index]:
            members.append(
                OrgMember(
                    organisation=team,
                    resident_id=person.pk,
                    role="队长" if person.pk == team.leader_id else "队员",
                    joined_on=builder.today - dt.timedelta(days=rng.randrange(30, 2000)),
                )
            )
    _bulk(through, links)

    # Demo logins: one shared password, hashed once (argon2 takes ~50 ms per hash).
    roles = {role.code: role for role in Role.objects.all()}
    units_of = tree["units_of"]
    first_building = tree["buildings"][0]
    orgs_by_key = {
        "chengguan": departments[0],
        "police": departments[1],
        "market": departments[4],
        "wuye": companies[0],
        "wuye2": companies[1],
        "wuye3": companies[2],
        "team1": teams[0],
    }
    home_person = next(
        (
            p
            for p in current
            if builder.homes[p.household].estate == "望江苑"
            and p.relation == Relation.HEAD
            and p.phone
            and 28 <= age_on(p.birth, builder.today) <= 55
        ),
        None,
    ) or next(p for p in current if p.relation == Relation.HEAD)
    building_units = {u.pk for u in units_of[first_building.pk]}
    building_person = next(
        (
            p
            for p in current
            if builder.homes[p.household].unit.pk in building_units
            and p.relation == Relation.HEAD
            and 35 <= age_on(p.birth, builder.today) <= 70
        ),
        None,
    )
    volunteer_person = next(
        (p for p in volunteers[0] if p.pk != teams[0].leader_id and p is not building_person),
        None,
    )
    places_for_spec: dict[str, list[Place]] = {
        "district": [district],
        "street": [street],
        "community": [community],
        "grid1": [grids[0]],
        "grid2": [grids[1]],
        "grid3": [grids[2]],
        "building": [first_building],
        "property": [estate_by_name[name] for name in PROPERTY_COMPANIES[0][1]],
        "property2": [estate_by_name[name] for name in PROPERTY_COMPANIES[1][1]],
        "property3": [estate_by_name[name] for name in PROPERTY_COMPANIES[2][1]],
        "home": [builder.homes[home_person.household].unit],
    }
    grid_users: dict[int, User] = {}
    assignments: list[RoleAssignment] = []
    logins: list[tuple[str, str, str]] = []
    made: dict[str, User] = {}
    existing = {
        user.username: user for user in User.objects.filter(username__in=[s[0] for s in _user_specs()])
    }
    for username, role_code, label, where, org_key in _user_specs():
        role = roles.get(role_code)
        if role is None:
            continue
        linked: Person | None = {"home": home_person, "building": building_person}.get(where)
        if role_code == "volunteer":
            linked = volunteer_person
        user = existing.get(username)
        if user is None:
            user = User(
                username=username,
                display_name=f"{label} {linked.name}" if linked else f"{label} {fake.name()}",
                password=password_hash,
                resident_id=linked.pk if linked else None,
                organisation=orgs_by_key.get(org_key),
                is_superuser=username == "admin",
                is_staff=username == "admin",
            )
            if role_code == "resident" and linked and linked.phone:
                user.phone_enc = crypto.encrypt(linked.phone)
                user.phone_hash = user_phone_hash(linked.phone)
                user.phone_last4 = linked.phone[-4:]
                if User.objects.filter(phone_hash=user.phone_hash).exists():
                    user.phone_enc, user.phone_hash, user.phone_last4 = "", None, ""
            user.save()
        else:
            builder.notes.append(f"用户 {username} 已存在，保留其原密码，仅补充角色")
        made[username] = user
        if role_code == "grid_worker":
            grid_users[grids.index(places_for_spec[where][0])] = user
        targets = places_for_spec[where]
        for target in targets:
            assignments.append(RoleAssignment(user=user, role=role, place=target))
        logins.append((username, role.name, " / ".join(_place_label(t) for t in targets)))
        if role_code == "volunteer" and volunteer_person is not None:
            for member in members:
                if member.organisation is teams[0] and member.resident_id == volunteer_person.pk:
                    member.user = user
    RoleAssignment.objects.bulk_create(assignments, ignore_conflicts=True)
    for username, organisation, role_name in (
        ("chengguan", departments[0], "工作人员"),
        ("police", departments[1], "社区民警"),
        ("market", departments[4], "工作人员"),
        ("wuye", companies[0], "客服专员"),
        ("wuye2", companies[1], "客服专员"),
        ("wuye3", companies[2], "客服专员"),
    ):
        if username in made:
            members.append(OrgMember(organisation=organisation, user=made[username], role=role_name))
    _bulk(OrgMember, members)

    floating = builder.save_floating(grid_users)
    builder.logins = logins
    builder.users = made
    builder.case_orgs = {
        "chengguan": departments[0],
        "police": departments[1],
        "fire": departments[3],
        "market": departments[4],
        **{f"company{index}": company for index, company in enumerate(companies)},
        "company_of": {
            name: company
            for company, (_, served) in zip(companies, PROPERTY_COMPANIES, strict=True)
            for name in served
        },
    }
    kinds = Counter(o.kind for o in [general, *branches, *groups, *plain])
    return {
        "organisations": sum(kinds.values()),
        "party_orgs": kinds[OrgKind.PARTY],
        "org_members": len(members),
        "users": len(logins),
        "floating": floating,
    }


def _place_label(place: Place) -> str:
    """How a login's place reads in the table: 金泰路社区第一网格, 聚江苑1栋, 望江苑3栋2单元."""
    if place.kind in (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY):
        return place.name
    chain = list(Place.objects.filter(path__in=place.ancestor_paths()).order_by("depth"))
    if place.kind == PlaceKind.GRID:
        return "".join(p.name for p in chain if p.kind in (PlaceKind.COMMUNITY, PlaceKind.GRID))
    return "".join(
        p.name
        for p in chain
        if p.kind not in (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID)
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(login, role, place) for every demo account that exists."""
    rows = []
    assignments = (
        RoleAssignment.objects.filter(user__username__in=[s[0] for s in _user_specs()])
        .select_related("user", "role", "place")
        .order_by("user_id", "id")
    )
    grouped: dict[str, tuple[str, list[str]]] = {}
    for assignment in assignments:
        role, places = grouped.setdefault(assignment.user.username, (assignment.role.name, []))
        places.append(_place_label(assignment.place))
    order = {spec[0]: index for index, spec in enumerate(_user_specs())}
    for username in sorted(grouped, key=lambda name: order.get(name, len(order))):
        role, places = grouped[username]
        rows.append((username, role, " / ".join(places)))
    return rows


def demo_counts(community: Place) -> dict[str, int]:
    street = community.parent
    assert street is not None  # a community lies in a street
    below = below_q(community, "path")
    in_place = below_q(community)
    return {
        "grids": Place.objects.filter(below, kind=PlaceKind.GRID).count(),
        "estates": Place.objects.filter(below, kind=PlaceKind.ESTATE).count(),
        "buildings": Place.objects.filter(below, kind=PlaceKind.BUILDING).count(),
        "units": Place.objects.filter(below, kind=PlaceKind.UNIT).count(),
        "households": Household.objects.filter(in_place).count(),
        "residents": Resident.objects.filter(in_place).count(),
        "floating_active": FloatingRegistration.objects.filter(in_place, deregistered_on__isnull=True).count(),
        "resident_tags": ResidentTag.objects.filter(below_q(community, "resident__place__path")).count(),
        "organisations": Organisation.objects.filter(place_q(street)).count(),
        **case_state_counts(case_counts(community)),
    }


def case_state_counts(by_state: dict[str, int]) -> dict[str, int]:
    """`cases` and `cases_<state>` entries for the summary."""
    return {"cases": sum(by_state.values()), **{f"cases_{state}": n for state, n in by_state.items()}}


# Modules with `build(builder, tree, *, scale, seed, log) -> dict[str, int]`, run in this order.
DEMO_EXTENSIONS: tuple[str, ...] = (
    # --- services/care (issue 10) ---
    "gridgov.demo.services_demo",
    # --- bulletin/forum/activities (issue 11) ---
    "gridgov.demo.community_demo",
    # --- consult/mediation/desks (issue 12) ---
    "gridgov.demo.consult_demo",
    # --- command (issue 13) ---
    "gridgov.demo.command_demo",
)


@transaction.atomic
def build_demo(
    *,
    scale: float = 1.0,
    seed: int = SEED,
    today: dt.date | None = None,
    log: Callable[[str], None] | None = None,
    cases: bool = True,
) -> DemoResult:
    """Build the demo community unless it is already there; returns what it did."""
    started = time.monotonic()
    say = log or (lambda message: None)
    if not 0 < scale <= 2:
        raise ValueError("scale must be in (0, 2]")
    community = find_demo()
    if community is not None:
        return DemoResult(
            created=False,
            counts=demo_counts(community),
            logins=demo_logins(),
            seconds=time.monotonic() - started,
        )
    builder = _Builder(scale=scale, seed=seed, today=today or clock.today())
    password_hash = make_password(DEMO_PASSWORD)
    tree = builder.places()
    say(f"地点：{len(tree['buildings'])} 栋")
    builder.households(tree)
    builder.families()
    builder.former_tenants()
    builder.tags()
    say(f"生成：{len(builder.homes)} 户，{len(builder.people)} 人")
    builder.save_people()
    builder.save_homes()
    builder.save_memberships()
    tag_rows = builder.save_tags()
    say("写入居民、户和标签")
    extra = _orgs_and_users(builder, tree, password_hash)
    community = tree["community"]
    counts = {**demo_counts(community), "resident_tags": tag_rows, **extra}
    audit_record(
        actor=SYSTEM,
        action=AuditAction.IMPORT,
        target=community,
        target_label=f"演示社区：{DISTRICT}{STREET}{COMMUNITY}",
        place_path=community.path,
        changes={key: [None, value] for key, value in counts.items()},
        purpose=f"gridgov demo（比例 {scale:g}，随机种子 {seed}）",
    )
    if cases:
        # After the registry's audit row: each case writes its own rows as the services do.
        say("事件：分派规则、办理时限和近60天的事件")
        counts.update(case_state_counts(build_cases(builder, tree, scale=scale, seed=seed)))
    for module_name in DEMO_EXTENSIONS:
        # Each later app fills its part through its own services, after the registry and cases.
        counts.update(import_module(module_name).build(builder, tree, scale=scale, seed=seed, log=say))
    return DemoResult(
        created=True,
        counts=counts,
        logins=builder.logins,
        seconds=time.monotonic() - started,
        notes=builder.notes,
    )


def _force_delete(queryset: models.QuerySet, depth: int = 0) -> int:
    """Delete rows, first deleting whatever other apps' rows protect them (cases on demo places …)."""
    deleted = 0
    for _ in range(20):
        try:
            with transaction.atomic():
                return deleted + queryset.delete()[0]
        except (ProtectedError, RestrictedError) as exc:
            blockers = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            by_model: dict[type[models.Model], set[Any]] = {}
            for obj in blockers:
                by_model.setdefault(type(obj), set()).add(obj.pk)
            if depth > 8 or AuditEntry in by_model:
                raise
            for model, pks in by_model.items():
                deleted += _force_delete(model._default_manager.filter(pk__in=pks), depth + 1)
    return deleted + queryset.delete()[0]


@transaction.atomic
def reset_demo() -> bool:
    """Remove the demo community, its organisations and the demo logins. Returns whether it existed."""
    community = find_demo()
    named = Q(username__in=[s[0] for s in _user_specs()])
    # The later apps' demos give some demo residents accounts (volunteers, posters, voters).
    users = User.objects.filter(named | below_q(community, "resident__place__path") if community else named)
    if community is None and not users.exists():
        return False
    street = community.parent if community else None
    district = street.parent if street else None
    if community is not None:
        under = place_q(community, "path")
        places = Place.objects.filter(under)
        demo_orgs = Organisation.objects.filter(
            Q(place__in=places)
            | Q(kind=OrgKind.DEPARTMENT, place=street, name__in=[name for name, _ in DEPARTMENTS])
        )
        _force_delete(OrgMember.objects.filter(organisation__in=demo_orgs))
        Organisation.objects.filter(parent__in=demo_orgs).update(parent=None)
        _force_delete(demo_orgs)
        # Cases first: their calls and routing rules hold the organisations below.
        _force_delete(Case.objects.filter(place_q(community, "place_path")))
        # The statistics rollups counted those cases (gridgov.cases.rollups).
        CaseRollup.objects.filter(place_q(community, "place_path")).delete()
        _force_delete(ApiKey.objects.filter(place__in=places))
        in_place = below_q(community)
        _force_delete(FloatingRegistration.objects.filter(in_place))
        _force_delete(ResidentTag.objects.filter(below_q(community, "resident__place__path")))
        _force_delete(Membership.objects.filter(below_q(community, "household__place__path")))
        Household.objects.filter(in_place).update(landlord=None)
        _force_delete(Household.objects.filter(in_place))
    _force_delete(RoleAssignment.objects.filter(user__in=users))
    _force_delete(users)
    if community is not None:
        _force_delete(Resident.objects.filter(below_q(community)))
        for depth in sorted(set(places.values_list("depth", flat=True)), reverse=True):
            _force_delete(Place.objects.filter(under, depth=depth))
        for place in (street, district):
            if place is not None and not Place.objects.filter(parent=place).exists():
                _force_delete(Place.objects.filter(pk=place.pk))
        audit_record(
            actor=SYSTEM,
            action=AuditAction.DELETE,
            target_type="places.place",
            target_id=community.pk,
            target_label=f"演示社区：{DISTRICT}{STREET}{COMMUNITY}",
            place_path=community.path,
            changes={"演示数据": ["已删除", None]},
            purpose="gridgov demo --reset",
        )
    return True


def summary_lines(counts: dict[str, int]) -> Iterable[str]:
    labels = {
        "grids": "网格",
        "estates": "小区（苑）",
        "buildings": "楼栋",
        "units": "单元",
        "households": "户",
        "residents": "居民",
        "floating_active": "在册流动人口",
        "floating": "流动人口登记（含已注销）",
        "resident_tags": "人群标签",
        "organisations": "组织",
        "party_orgs": "党组织",
        "org_members": "组织成员",
        "users": "演示账号",
    }
    for key, label in labels.items():
        if key in counts:
            yield f"  {label}：{counts[key]:,}"
    if "cases" in counts:
        states = "、".join(
            f"{state.label} {counts[f'cases_{state.value}']:,}"
            for state in State
            if counts.get(f"cases_{state.value}")
        )
        yield f"  事件：{counts['cases']:,}（{states}）"
