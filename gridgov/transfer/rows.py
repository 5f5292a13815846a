"""One import row → validated data, or the list of (column, reason) that is wrong with it.

The same parser runs for the check and for the import itself, so a row the report calls good
is exactly a row the import writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from gridgov.core import clock
from gridgov.core.text import text_problem
from gridgov.people.models import Gender, PoliticalStatus, Relation, ResidenceStatus
from gridgov.people.services import id_hash, resident_clean_for_import
from gridgov.places.models import HOUSEHOLD_PLACE_KINDS, KIND_LEVEL, Place, PlaceKind, ResidenceKind
from gridgov.transfer import columns as cols
from gridgov.transfer.models import ImportKind
from gridgov.transfer.readers import cell_text

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.people.models import Tag

# (column key, the kind a new place gets, its level in the tree)
PATH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("grid", PlaceKind.GRID),
    ("estate", PlaceKind.ESTATE),
    ("building", PlaceKind.BUILDING),
    ("unit", PlaceKind.UNIT),
)
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "M": Gender.MALE, "F": Gender.FEMALE}
RESIDENCE_KINDS = {label: value for value, label in ResidenceKind.choices} | {"自有": ResidenceKind.OWNER}
RELATIONS = {label: value for value, label in Relation.choices} | {
    "本人": Relation.HEAD,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
}
STATUSES = {label: value for value, label in ResidenceStatus.choices} | {
    "户籍人口": ResidenceStatus.REGISTERED,
    "常住人口": ResidenceStatus.PERMANENT,
    "流动人口": ResidenceStatus.FLOATING,
}
POLITICAL = {label: value for value, label in PoliticalStatus.choices} | {
    "党员": PoliticalStatus.PARTY_MEMBER,
    "团员": PoliticalStatus.LEAGUE_MEMBER,
    "共青团员": PoliticalStatus.LEAGUE_MEMBER,
}
FIELD_COLUMNS = {
    "name": "姓名",
    "gender": "性别",
    "id_number": "身份证号",
    "phone": "手机号",
    "birth_date": "身份证号",
    "residence_status": "户籍状态",
    "political_status": "政治面貌",
    "ethnicity": "民族",
    "employment": "工作单位",
    "notes": "备注",
}
_TAG_SPLIT = re.compile(r"[、，,;；\s]+")  # not "/": a tag is called 困难户/低保
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


@dataclass
class RowData:
    row: int
    steps: tuple[tuple[str, str], ...]  # below the import target: (kind, name)
    room: str
    residence_kind: str | None
    household_notes: str = ""
    name: str = ""
    person: dict[str, object] = field(default_factory=dict)
    id_hash: str | None = None
    relation: str | None = None
    moved_in: dt.date | None = None
    tag_ids: list[int] = field(default_factory=list)

    @property
    def household_key(self) -> tuple[tuple[tuple[str, str], ...], str]:
        return self.steps, self.room


Problem = tuple[str, str]  # (column header, reason)


class ImpossibleDate(ValueError):
    """Written as a date, but no such day exists (2026-13-01, 2026-02-30)."""


# Year, month and day in any of the accepted spellings: then a failure is the calendar's, not the format's.
_DATE_SHAPE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$|^(\d{4})(\d{2})(\d{2})$")


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    if _DATE_SHAPE.match(text):
        raise ImpossibleDate(text)
    raise ValueError(text)


class RowParser:
    def __init__(self, *, root: Place, kind: str, tags: list[Tag]) -> None:
        self.root = root
        self.kind = kind
        self.root_level = KIND_LEVEL[root.kind]
        self.chain = list(Place.objects.filter(path__in=root.ancestor_paths()).order_by("depth"))
        self.tags: dict[str, int] = {}
        for tag in tags:
            self.tags[tag.name] = tag.pk
            self.tags[tag.code] = tag.pk
        self.tag_names = "、".join(tag.name for tag in tags[:12])
        self.today = clock.today()

    def parse(self, number: int, record: dict[str, object]) -> tuple[RowData | None, list[Problem]]:
        problems: list[Problem] = []
        text = {key: cell_text(value) for key, value in record.items()}
        for key, value in text.items():
            # The same boundary as the forms and the API: no control, bidi or zero-width characters.
            column = cols.BY_KEY[key]
            problem = text_problem(value, column.header, multiline=key == "notes")
            if problem:
                problems.append((column.header, problem))
        steps = self._steps(text, problems)
        room = text.get("room", "")
        if len(room) > 20:
            problems.append(("房号", "房号不能超过20个字符"))
        if self.kind == ImportKind.RESIDENTS and not room:
            problems.append(("房号", "请填写房号"))
        residence_kind = None
        if text.get("residence_kind"):
            residence_kind = RESIDENCE_KINDS.get(text["residence_kind"])
            if residence_kind is None:
                problems.append(("居住类型", "居住类型无效，可选：自住、出租、空置、商铺"))
        data = RowData(row=number, steps=steps, room=room, residence_kind=residence_kind)
        if self.kind == ImportKind.BUILDINGS:
            data.household_notes = text.get("notes", "")
            return (None, problems) if problems else (data, [])
        self._person(record, text, data, problems)
        return (None, problems) if problems else (data, [])

    def _steps(self, text: dict[str, str], problems: list[Problem]) -> tuple[tuple[str, str], ...]:
        steps: list[tuple[str, str]] = []
        for key, kind in PATH_COLUMNS:
            name = text.get(key, "")
            header = cols.BY_KEY[key].header
            if not name:
                continue
            if len(name) > 100:
                problems.append((header, f"{header}名称不能超过100个字"))
                continue
            level = KIND_LEVEL[kind]
            if level <= self.root_level:
                # The file names a level at or above the import target: it must be the target's own.
                same_level = [place for place in self.chain if KIND_LEVEL[place.kind] == level]
                if not same_level:
                    problems.append((header, f"导入目标“{self.root.name}”不属于任何{header}，请清空此列"))
                elif same_level[0].name != name:
                    problems.append((header, f"{header}“{name}”不在导入目标“{self.root.name}”之内"))
                continue
            steps.append((kind, name))
        last_kind = steps[-1][0] if steps else self.root.kind
        has_building = any(kind == PlaceKind.BUILDING for kind, _ in steps)
        if (
            any(kind == PlaceKind.UNIT for kind, _ in steps)
            and not has_building
            and self.root_level < KIND_LEVEL[PlaceKind.BUILDING]
        ):
            problems.append(("楼栋", "填写单元时须同时填写楼栋"))
        elif last_kind not in HOUSEHOLD_PLACE_KINDS and (
            self.kind == ImportKind.RESIDENTS or text.get("room")
        ):
            problems.append(("楼栋", "请填写楼栋"))
        elif not steps and self.kind == ImportKind.BUILDINGS and not text.get("room"):
            problems.append(("楼栋", "请填写楼栋"))
        return tuple(steps)

    def _person(
        self, record: dict[str, object], text: dict[str, str], data: RowData, problems: list[Problem]
    ) -> None:
        raw_id = record.get("id_number")
        id_number = text.get("id_number", "").upper().replace(" ", "")
        if "*" in id_number:
            problems.append(("身份证号", "这是脱敏后的身份证号（含*），请填写完整号码"))
            id_number = ""
        elif isinstance(raw_id, int | float) and not isinstance(raw_id, bool) and len(id_number) >= 15:
            problems.append(
                ("身份证号", "身份证号被Excel存成了数字，末尾几位已丢失；请把该列设为“文本”格式后重新填写")
            )
            id_number = ""
        gender = ""
        if text.get("gender"):
            gender = GENDERS.get(text["gender"], "?")
            if gender == "?":
                problems.append(("性别", "性别只能是男或女"))
                gender = ""
        fields: dict[str, object] = {"name": text.get("name", ""), "gender": gender, "id_number": id_number}
        if text.get("phone"):
            fields["phone"] = text["phone"]
        for key, mapping, message in (
            ("residence_status", STATUSES, "户籍状态无效，可选：户籍、常住、流动"),
            (
                "political_status",
                POLITICAL,
                "政治面貌无效，可选：群众、中共党员、预备党员、共青团员、民主党派",
            ),
        ):
            if text.get(key):
                value = mapping.get(text[key])
                if value is None:
                    problems.append((cols.BY_KEY[key].header, message))
                else:
                    fields[key] = value
        for key, limit in (("ethnicity", 20), ("employment", 100), ("notes", 2000)):
            if text.get(key):
                if len(text[key]) > limit:
                    problems.append(
                        (cols.BY_KEY[key].header, f"{cols.BY_KEY[key].header}不能超过{limit}个字")
                    )
                else:
                    fields[key] = text[key]
        try:
            cleaned = resident_clean_for_import(fields)
        except ValidationError as exc:
            cleaned = {}
            for field_name, messages in exc.message_dict.items():
                for message in messages:
                    problems.append((FIELD_COLUMNS.get(field_name, field_name), message))
        data.name = str(fields["name"])[:50]
        if text.get("relation"):
            data.relation = RELATIONS.get(text["relation"])
            if data.relation is None:
                problems.append(("与户主关系", f"与户主关系无效，可选：{'、'.join(Relation.labels)}"))
        if text.get("moved_in"):
            try:
                data.moved_in = _date(record["moved_in"])
            except ImpossibleDate as exc:
                problems.append(("迁入日期", f"迁入日期“{exc}”不存在：月份应为1–12，日不能超过该月的天数"))
            except ValueError:
                problems.append(("迁入日期", "迁入日期格式应为YYYY-MM-DD，例如 2020-05-01"))
            else:
                if data.moved_in > self.today:
                    problems.append(("迁入日期", "迁入日期不能晚于今天"))
                elif cleaned.get("birth_date") and data.moved_in < cleaned["birth_date"]:
                    problems.append(("迁入日期", "迁入日期早于身份证号中的出生日期"))
        if text.get("tags"):
            for name in _TAG_SPLIT.split(text["tags"]):
                if not name:
                    continue
                tag_id = self.tags.get(name)
                if tag_id is None:
                    problems.append(("标签", f"标签“{name}”不存在，可选：{self.tag_names}"))
                elif tag_id not in data.tag_ids:
                    data.tag_ids.append(tag_id)
        data.person = cleaned
        if cleaned.get("id_number"):
            data.id_hash = id_hash(str(cleaned["id_number"]))


class Pending:
    """A place the import would create (the check never writes)."""

    pk = None

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name


class PlaceResolver:
    """Walks a row's (kind, name) steps below the import target, finding or creating places."""

    def __init__(self, root: Place, *, by: User | None = None, create: bool = False) -> None:
        self.root = root
        self.by = by
        self.create = create
        self.nodes: dict[tuple[tuple[str, str], ...], Place | Pending] = {(): root}
        self.created = 0

    def resolve(self, steps: tuple[tuple[str, str], ...]) -> Place | Pending:
        """The place at the end of `steps`; raises ValueError((column, reason))."""
        node = self.nodes.get(steps)
        if node is not None:
            return node
        parent = self.resolve(steps[:-1])
        kind, name = steps[-1]
        header = {kind_: cols.BY_KEY[key].header for key, kind_ in PATH_COLUMNS}[kind]
        existing = (
            Place.objects.filter(parent=parent, name=name).first() if isinstance(parent, Place) else None
        )
        if existing is not None:
            node = existing
        elif KIND_LEVEL[kind] <= KIND_LEVEL[parent.kind]:
            raise ValueError(
                (
                    header,
                    f"{PlaceKind(kind).label}“{name}”不能建在{PlaceKind(parent.kind).label}“{parent.name}”之下",
                )
            )
        elif self.create:
            from gridgov.places.services import place_ensure_child

            # A creating resolver has its actor, and every node it resolved is a real place.
            assert self.by is not None and isinstance(parent, Place)
            node, created = place_ensure_child(by=self.by, parent=parent, kind=kind, name=name)
            self.created += int(created)
        else:
            node = Pending(kind, name)
        self.nodes[steps] = node
        return node


# --- the spool: checked rows kept between the check and the import (sealed JSON lines) --------


def _encode(value: object) -> object:
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot spool {type(value).__name__}")


def _decode(obj: dict[str, object]) -> object:
    if set(obj) == {"$date"}:
        return dt.date.fromisoformat(str(obj["$date"]))
    return obj


def row_to_json(data: RowData) -> str:
    """One line of the spool. JSON, not pickle: the spool is data, never code to run."""
    return json.dumps(
        {
            "row": data.row,
            "steps": data.steps,
            "room": data.room,
            "residence_kind": data.residence_kind,
            "household_notes": data.household_notes,
            "name": data.name,
            "person": data.person,
            "id_hash": data.id_hash,
            "relation": data.relation,
            "moved_in": data.moved_in,
            "tag_ids": data.tag_ids,
        },
        ensure_ascii=False,
        default=_encode,
    )


def row_from_json(line: str) -> RowData:
    raw = json.loads(line, object_hook=_decode)
    raw["steps"] = tuple((str(kind), str(name)) for kind, name in raw["steps"])
    return RowData(**raw)
