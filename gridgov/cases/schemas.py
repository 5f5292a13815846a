"""Shapes of the case API. The reporter's phone leaves the server masked (staff only); the
public and the reporter get the neutral public timeline, never staff names."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from ninja import Field, Schema

from gridgov.cases.models import Case, CaseCall, Category, State
from gridgov.cases.models import Channel as ChannelChoice
from gridgov.cases.models import Level as LevelChoice
from gridgov.cases.models import Priority as PriorityChoice
from gridgov.core.bounds import DATE_MAX, DATE_MIN

if TYPE_CHECKING:
    from gridgov.cases.selectors import QueueRows

Channel = Literal["resident_web", "qr_poster", "walk_in", "hotline", "group_chat", "patrol", "property_bulk"]
Priority = Literal["normal", "urgent"]
LevelCode = Literal["building", "grid", "community", "street", "department"]
PhotoKind = Literal["before", "after", "evidence"]
# Filter dates share the project's range (gridgov.core.bounds) with the audit search and the pages.
EARLIEST = DATE_MIN
LATEST = DATE_MAX


class Ref(Schema):
    id: int
    name: str


class CategoryRef(Schema):
    code: str
    name: str


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent: str | None = Field(None, description="上级分类代码（子分类才有）")
    start_level: str
    sort_order: int

    @staticmethod
    def resolve_parent(obj: Category) -> str | None:
        return obj.parent.code if obj.parent is not None else None


class CaseOut(Schema):
    """One row of a queue or list."""

    id: int
    tracking_code: str
    text: str
    state: str
    state_label: str
    level: str
    level_label: str
    priority: str
    priority_label: str
    category: CategoryRef
    subcategory: CategoryRef | None
    category_confirmed: bool
    place: Ref
    level_place: Ref
    channel: str
    channel_label: str
    handler: str = Field(description="当前承办人或承办单位")
    needs_dispatch: bool
    supervised: bool
    overdue: bool
    created_at: dt.datetime
    due_accept_at: dt.datetime | None
    due_resolve_at: dt.datetime | None

    @staticmethod
    def resolve_state_label(obj: Case) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_level_label(obj: Case) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_priority_label(obj: Case) -> str:
        return obj.get_priority_display()

    @staticmethod
    def resolve_channel_label(obj: Case) -> str:
        return obj.get_channel_display()

    @staticmethod
    def resolve_handler(obj: Case) -> str:
        if obj.handler_user_id:
            return str(obj.handler_user)
        if obj.handler_org is not None:
            return obj.handler_org.name
        return f"{obj.level_place.name}{obj.get_level_display()}"

    @staticmethod
    def resolve_overdue(obj: Case) -> bool:
        return obj.is_overdue


_STATE_LABELS = dict(State.choices)
_LEVEL_LABELS = dict(LevelChoice.choices)
_PRIORITY_LABELS = dict(PriorityChoice.choices)
_CHANNEL_LABELS = dict(ChannelChoice.choices)
# The API's JSON encoder (ninja's, Django's underneath): a time given to it as this string reads
# exactly as the datetime would, without a Python call per value inside json.dumps.
_json_time = DjangoJSONEncoder().default


def case_out_items(page: QueueRows, now: dt.datetime) -> list[dict[str, Any]]:
    """`CaseOut` for each row of `selectors.queue_rows`, built directly: the same keys in the same
    order, the same values as the resolvers above give for the case (a test holds them equal),
    without a model instance and a validation pass per row."""
    items = []
    for row in page.rows:
        state, level = row["state"], row["level"]
        level_label = _LEVEL_LABELS.get(level, level)
        if row["handler_user_id"]:
            handler = row["handler_user_name"]
        elif row["handler_org_id"]:
            handler = row["handler_org_name"]
        else:
            handler = f"{row['level_place_name']}{level_label}"
        if state == State.NEW:
            due = row["due_accept_at"]
        elif state in (State.ACCEPTED, State.IN_PROGRESS):
            due = row["due_resolve_at"]
        else:
            due = None
        items.append(
            {
                "id": row["id"],
                "tracking_code": row["tracking_code"],
                "text": row["text"],
                "state": state,
                "state_label": _STATE_LABELS.get(state, state),
                "level": level,
                "level_label": level_label,
                "priority": row["priority"],
                "priority_label": _PRIORITY_LABELS.get(row["priority"], row["priority"]),
                "category": {"code": row["category_code"], "name": row["category_name"]},
                "subcategory": (
                    {"code": row["subcategory_code"], "name": row["subcategory_name"]}
                    if row["subcategory_id"]
                    else None
                ),
                "category_confirmed": row["category_confirmed"],
                "place": {"id": row["place_id"], "name": row["place_name"]},
                "level_place": {"id": row["level_place_id"], "name": row["level_place_name"]},
                "channel": row["channel"],
                "channel_label": _CHANNEL_LABELS.get(row["channel"], row["channel"]),
                "handler": handler,
                "needs_dispatch": row["needs_dispatch"],
                "supervised": row["supervised"],
                "overdue": bool(due and due < now),
                "created_at": _json_time(row["created_at"]),
                "due_accept_at": _json_time(row["due_accept_at"]) if row["due_accept_at"] else None,
                "due_resolve_at": _json_time(row["due_resolve_at"]) if row["due_resolve_at"] else None,
            }
        )
    return items


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_label(column: str, labels: dict[str, str]) -> str:
    arms = " ".join(f"WHEN {_sql_text(code)} THEN {_sql_text(str(label))}" for code, label in labels.items())
    return f"CASE {column} {arms} ELSE {column} END"


def _sql_json_time(column: str) -> str:
    """The text DjangoJSONEncoder gives a UTC datetime: "2026-03-04T05:06:07.891Z", milliseconds
    only when it has a fraction of a second (cut, not rounded), "Z" for UTC. From the timestamp's
    own text ("2026-03-04 05:06:07.891011", PostgreSQL drops trailing zeros of the fraction),
    which is cheaper than to_char."""
    text = f"(({column}) AT TIME ZONE 'UTC')::text"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE left({text}, 10) || 'T' || substr({text}, 12, 8) || "
        f"CASE WHEN length({text}) > 19 THEN rpad(substr({text}, 20), 4, '0') ELSE '' END || 'Z' END"
    )


def case_out_json_sql(row: str, now: str) -> str:
    """PostgreSQL: `CaseOut` of a `selectors.queue_rows` row (the columns of the query aliased
    `row`) as JSON text, keys in the schema's order; `now` is the SQL of the moment "overdue" is
    measured against. The same values `case_out_items` gives (a test holds the three equal), built
    in the database for the grid worker's queue: no dictionary, datetime or encoder call per row."""

    def col(name: str) -> str:
        return f"{row}.{name}"

    state, level = col("state"), col("level")
    open_due = (
        f"CASE {state} WHEN {_sql_text(State.NEW)} THEN {col('due_accept_at')} "
        f"WHEN {_sql_text(State.ACCEPTED)} THEN {col('due_resolve_at')} "
        f"WHEN {_sql_text(State.IN_PROGRESS)} THEN {col('due_resolve_at')} END"
    )
    handler = (
        f"CASE WHEN {col('handler_user_id')} IS NOT NULL THEN {col('handler_user_name')} "
        f"WHEN {col('handler_org_id')} IS NOT NULL THEN {col('handler_org_name')} "
        f"ELSE {col('level_place_name')} || ({_sql_label(level, _LEVEL_LABELS)}) END"
    )
    fields = {
        "id": col("id"),
        "tracking_code": col("tracking_code"),
        "text": col("text"),
        "state": state,
        "state_label": _sql_label(state, _STATE_LABELS),
        "level": level,
        "level_label": _sql_label(level, _LEVEL_LABELS),
        "priority": col("priority"),
        "priority_label": _sql_label(col("priority"), _PRIORITY_LABELS),
        "category": f"json_build_object('code', {col('category_code')}, 'name', {col('category_name')})",
        "subcategory": (
            f"CASE WHEN {col('subcategory_id')} IS NOT NULL THEN json_build_object("
            f"'code', {col('subcategory_code')}, 'name', {col('subcategory_name')}) END"
        ),
        "category_confirmed": col("category_confirmed"),
        "place": f"json_build_object('id', {col('place_id')}, 'name', {col('place_name')})",
        "level_place": f"json_build_object('id', {col('level_place_id')}, 'name', {col('level_place_name')})",
        "channel": col("channel"),
        "channel_label": _sql_label(col("channel"), _CHANNEL_LABELS),
        "handler": handler,
        "needs_dispatch": col("needs_dispatch"),
        "supervised": col("supervised"),
        "overdue": f"COALESCE(({open_due}) < {now}, false)",
        "created_at": _sql_json_time(col("created_at")),
        "due_accept_at": _sql_json_time(col("due_accept_at")),
        "due_resolve_at": _sql_json_time(col("due_resolve_at")),
    }
    assert list(fields) == list(CaseOut.model_fields), "case_out_json_sql must follow CaseOut"
    return (
        "json_build_object("
        + ", ".join(f"{_sql_text(key)}, {sql}" for key, sql in fields.items())
        + ")::text"
    )


class ActionResultOut(CaseOut):
    allowed_actions: list[str]

    @staticmethod
    def resolve_allowed_actions(obj: Case) -> list[str]:
        return obj.api_actions


class TimelineEntry(Schema):
    at: dt.datetime
    kind: str
    label: str
    text: str
    actor: str | None = Field(None, description="办理人（仅工作人员可见）")
    from_state: str = ""
    to_state: str = ""
    from_level: str = ""
    to_level: str = ""
    public: bool = True


class SuggestionOut(Schema):
    category: str
    category_name: str
    urgency: str
    confidence: float | None
    matched: list[str]


class CallOut(Schema):
    id: int
    organisation: Ref
    called_at: dt.datetime
    deadline: dt.datetime
    note: str
    reported_at: dt.datetime | None
    report_note: str
    late: bool

    @staticmethod
    def resolve_late(obj: CaseCall) -> bool:
        return obj.is_late


class AttachmentOut(Schema):
    id: int
    kind: str
    content_type: str
    size: int
    public: bool
    url: str


class CaseDetailOut(CaseOut):
    view: Literal["staff", "reporter"] = Field(description="staff：完整时间线；reporter：公开时间线")
    address_detail: str
    latitude: float | None
    longitude: float | None
    reporter: str | None = Field(None, description="反映人（手机号脱敏，仅工作人员可见）")
    result: str
    reject_reason: str
    rating: int | None
    rating_comment: str
    reopen_count: int
    merged_into: str | None = Field(None, description="合并到的事件查询码")
    allowed_actions: list[str]
    suggestion: SuggestionOut | None = Field(None, description="系统分类建议（仅工作人员可见）")
    timeline: list[TimelineEntry]
    calls: list[CallOut]
    attachments: list[AttachmentOut]

    # The API layer sets these `api_*` attributes: they depend on who is asking.
    @staticmethod
    def resolve_view(obj: Case) -> str:
        return obj.api_view

    @staticmethod
    def resolve_reporter(obj: Case) -> str | None:
        return obj.api_reporter

    @staticmethod
    def resolve_merged_into(obj: Case) -> str | None:
        return obj.merged_into.tracking_code if obj.merged_into is not None else None

    @staticmethod
    def resolve_allowed_actions(obj: Case) -> list[str]:
        return obj.api_actions

    @staticmethod
    def resolve_suggestion(obj: Case) -> dict | None:
        return obj.api_suggestion

    @staticmethod
    def resolve_timeline(obj: Case) -> list[dict]:
        return obj.api_timeline

    @staticmethod
    def resolve_calls(obj: Case) -> list[CaseCall]:
        return obj.api_calls

    @staticmethod
    def resolve_attachments(obj: Case) -> list[dict]:
        return obj.api_attachments


class DuplicateOut(Schema):
    case: CaseOut
    similarity: float


class SubmitIn(Schema):
    """A report from a logged-in user: a resident (resident_web / qr_poster) or staff entering
    it for someone (walk_in, hotline, group_chat, patrol, property_bulk)."""

    text: str = Field(description="反映内容")
    channel: Channel = "resident_web"
    place: int | None = Field(None, description="地点ID（或给出 household）")
    household: int | None = Field(None, description="户ID：在本户所在楼栋上报")
    category: str | None = Field(None, description="分类代码；不填则按内容自动建议")
    subcategory: str | None = None
    priority: Priority | None = None
    address_detail: str = ""
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_resident: int | None = Field(None, description="代登记时关联的居民ID")
    client_key: str = Field("", description="客户端请求标识：重试时返回第一次创建的事件")


class IntakeIn(Schema):
    """A report from an external system (camera, 12345 hotline, AI detection)."""

    text: str
    place: int | None = Field(None, description="地点ID")
    place_path: str = Field("", description="地点路径，如 0001.0002")
    place_code: str = Field("", description="地点编码")
    category: str | None = None
    subcategory: str | None = None
    priority: Priority | None = None
    address_detail: str = ""
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    client_key: str = ""


class SubmittedOut(Schema):
    id: int
    tracking_code: str
    state: str
    state_label: str
    category: CategoryRef
    level: str
    level_label: str
    handler: str
    created: bool = Field(description="false：同一 client_key 的重试，返回的是第一次创建的事件")

    @staticmethod
    def resolve_state_label(obj: Case) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_level_label(obj: Case) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_handler(obj: Case) -> str:
        return CaseOut.resolve_handler(obj)


class ClassifyIn(Schema):
    category: str
    subcategory: str | None = None
    priority: Priority | None = None
    note: str = ""


class DispatchIn(Schema):
    level: LevelCode | None = None
    handler_user: int | None = Field(None, description="承办人账号ID")
    handler_org: int | None = Field(None, description="承办单位ID")
    note: str = ""


class NoteIn(Schema):
    note: str = ""
    public: bool = Field(False, description="true：反映人可以看到这条记录")
    photo_kind: PhotoKind = "before"


class StartIn(Schema):
    note: str = ""


class ResolveIn(Schema):
    result: str = Field(description="办理结果（反映人可见）")


class ReasonIn(Schema):
    reason: str


class EscalateIn(Schema):
    reason: str
    organisation: int | None = Field(None, description="街道上报到部门时的承办部门ID")


class MergeIn(Schema):
    into: int = Field(description="主件事件ID")
    note: str = ""


class WhistleIn(Schema):
    organisations: list[int] = Field(description="被呼叫部门ID")
    deadline: dt.datetime = Field(description="报到期限（不带时区按北京时间）")
    note: str = ""


class SuperviseIn(Schema):
    note: str


class RateIn(Schema):
    rating: int = Field(description="1–5分")
    comment: str = ""


class TrackRateIn(RateIn):
    phone_last4: str = Field(description="上报时所留手机号后四位")


class CallReportIn(Schema):
    note: str


class PurposeIn(Schema):
    purpose: str = Field(description="查看用途（记入审计）")


class RevealOut(Schema):
    phone: str


class PublicEntryOut(Schema):
    at: dt.datetime
    kind: str
    label: str
    text: str


class TrackOut(Schema):
    tracking_code: str
    state: str
    state_label: str
    status: Literal["open", "closed"]
    status_notes: str
    category: str
    place: str
    created_at: dt.datetime
    result: str
    reject_reason: str
    rating: int | None
    can_rate: bool
    timeline: list[PublicEntryOut]


class StatsRow(Schema):
    code: str
    name: str
    received: int
    resolved: int
    open: int
    rejected: int
    overdue: int
    overdue_open: int
    rated: int
    satisfied: int
    unsatisfied: int
    avg_accept_hours: float | None
    avg_resolve_hours: float | None
    avg_rating: float | None
    satisfaction_rate: float | None
    resolve_rate: float | None


class StatsOut(Schema):
    place: str
    since: dt.date | dt.datetime | None
    until: dt.date | dt.datetime | None
    merged: int
    received: int
    resolved: int
    open: int
    rejected: int
    overdue: int
    overdue_open: int
    rated: int
    satisfied: int
    unsatisfied: int
    avg_accept_hours: float | None
    avg_resolve_hours: float | None
    avg_rating: float | None
    satisfaction_rate: float | None
    resolve_rate: float | None
    open_by_level: dict[str, int]
    by_category: list[StatsRow]
    by_channel: list[StatsRow]


class CaseFilter(Schema):
    queue: Literal["mine", "dispatch", "overdue", "reported"] | None = Field(
        None, description="mine 我的待办；dispatch 待分类交办；overdue 超时；reported 我反映的"
    )
    state: str | None = Field(None, description="状态，可用逗号分隔多个；open 表示全部未办结")
    category: str | None = None
    place: int | None = None
    channel: str | None = None
    level: str | None = None
    # Bounded so a far-off year cannot overflow when shifted to UTC.
    since: dt.date | None = Field(None, ge=EARLIEST, le=LATEST)
    until: dt.date | None = Field(None, ge=EARLIEST, le=LATEST)
    supervised: bool | None = None
    overdue: bool = False
    q: str = ""


class StatsFilter(Schema):
    place: int | None = None
    # Bounded so a far-off year cannot overflow when shifted to UTC.
    since: dt.date | None = Field(None, ge=EARLIEST, le=LATEST)
    until: dt.date | None = Field(None, ge=EARLIEST, le=LATEST)


class PublishIn(Schema):
    summary: str = Field(description="对外公开的事件摘要（最多500字，不写反映人信息；留空则撤回）")


class PublishedOut(ActionResultOut):
    public_summary: str
