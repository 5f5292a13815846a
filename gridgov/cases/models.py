"""Cases (事件/民情/诉求): what residents and staff report, and its whole history.

`Case` carries denormalised copies of the paths it is queried by (its place, the place that
owns it at its current level) so the queues and statistics are single-table prefix scans.
`CaseEvent` is the append-only timeline and is kept narrow so it can later be partitioned by
month on PostgreSQL.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case as Switch
from django.db.models import F, Q, Value, When

from gridgov.core.masking import mask_phone


class Level(models.TextChoices):
    BUILDING = "building", "楼栋"
    GRID = "grid", "网格"
    COMMUNITY = "community", "社区"
    STREET = "street", "街道"
    DEPARTMENT = "department", "部门"


# The escalation ladder, lowest first ("小事不出网格、大事不出社区、难事不出街区").
LADDER: tuple[str, ...] = tuple(Level.values)


class Priority(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class State(models.TextChoices):
    NEW = "new", "待受理"
    ACCEPTED = "accepted", "已受理"
    IN_PROGRESS = "in_progress", "处置中"
    RESOLVED = "resolved", "已办结"
    CLOSED = "closed", "已评价"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


OPEN_STATES: tuple[str, ...] = (State.NEW, State.ACCEPTED, State.IN_PROGRESS)
DONE_STATES: tuple[str, ...] = (State.RESOLVED, State.CLOSED)
# Literal values, not the enum: the partial indexes' conditions go into migrations as written.
OPEN_Q = Q(state__in=["new", "accepted", "in_progress"])


class Channel(models.TextChoices):
    RESIDENT_WEB = "resident_web", "居民手机端"
    QR_POSTER = "qr_poster", "楼栋二维码"
    WALK_IN = "walk_in", "来访登记"
    HOTLINE = "hotline", "电话热线"
    GROUP_CHAT = "group_chat", "微信群"
    PATROL = "patrol", "网格巡查"
    PROPERTY_BULK = "property_bulk", "物业清单"
    EXTERNAL_API = "external_api", "外部系统"
    OPEN311 = "open311", "Open311"


# Channels through which staff enter a case for someone else (or for what they saw).
STAFF_CHANNELS: tuple[str, ...] = (
    Channel.WALK_IN,
    Channel.HOTLINE,
    Channel.GROUP_CHAT,
    Channel.PATROL,
    Channel.PROPERTY_BULK,
)
PUBLIC_CHANNELS: tuple[str, ...] = (Channel.RESIDENT_WEB, Channel.QR_POSTER)
KEY_CHANNELS: tuple[str, ...] = (Channel.EXTERNAL_API, Channel.OPEN311)


class SlaUnit(models.TextChoices):
    HOURS = "hours", "小时"
    WORKDAYS = "workdays", "工作日"


class Category(models.Model):
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    start_level = models.CharField("起始层级", max_length=12, choices=Level.choices, default=Level.GRID)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "事件分类"
        verbose_name_plural = "事件分类"
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="case_category_unique_name")]

    def __str__(self) -> str:
        return f"{self.parent.name}/{self.name}" if self.parent_id and self.parent else self.name

    @property
    def root(self) -> Category:
        return self.parent or self


class SLA(models.Model):
    category = models.ForeignKey(Category, verbose_name="分类", on_delete=models.CASCADE, related_name="slas")
    priority = models.CharField("优先级", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    accept_within = models.PositiveIntegerField("受理时限")
    resolve_within = models.PositiveIntegerField("办结时限")
    unit = models.CharField("单位", max_length=8, choices=SlaUnit.choices, default=SlaUnit.HOURS)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        constraints = [models.UniqueConstraint(fields=["category", "priority"], name="case_sla_unique")]

    def __str__(self) -> str:
        unit = self.get_unit_display()
        return f"{self.category}·{self.get_priority_display()}：{self.accept_within}{unit}受理，{self.resolve_within}{unit}办结"


class RoutingRule(models.Model):
    """(category, place subtree) → level on the ladder and, optionally, the organisation handling it."""

    category = models.ForeignKey(
        Category, verbose_name="分类", on_delete=models.CASCADE, related_name="routing_rules"
    )
    # Null = everywhere; otherwise the rule covers this place's subtree; the deepest match wins.
    place = models.ForeignKey(
        "places.Place",
        verbose_name="适用范围",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    level = models.CharField("处置层级", max_length=12, choices=Level.choices)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_routing_rules",
    )
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "分派规则"
        verbose_name_plural = "分派规则"
        ordering = ["category_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "place", "level"], name="case_routing_unique"),
        ]

    def __str__(self) -> str:
        target = (
            self.organisation.name if self.organisation_id and self.organisation else self.get_level_display()
        )
        return f"{self.category} @ {self.place or '全部'} → {target}"


PUBLIC_ID_BYTES = 8


def new_public_id() -> str:
    """A random id for Open311 (16 hex digits): unrelated to the tracking code, not guessable."""
    return secrets.token_hex(PUBLIC_ID_BYTES)


# Column lists `Case.from_db` has seen → whether they include every column a rollup snapshot
# reads (a few dozen distinct lists a process: the querysets' own `only`/`defer` shapes).
_SNAPSHOT_COMPLETE: dict[tuple[str, ...], bool] = {}


class Case(models.Model):
    # Unique through Meta.constraints, not unique=True: on PostgreSQL that would add a second,
    # varchar_pattern_ops index for LIKE, which no query runs (both are looked up whole) and every
    # INSERT would maintain (cases/0010).
    tracking_code = models.CharField("查询码", max_length=12)
    # What Open311 calls service_request_id; the tracking code (a secret) never leaves the app.
    public_id = models.CharField("公开编号", max_length=16, default=new_public_id, editable=False)
    text = models.TextField("内容")
    address_detail = models.CharField("具体位置", max_length=200, blank=True)
    # db_index=False on a foreign key: a composite index in Meta leads with the column (here
    # case_category_place) and serves the same look-ups, one index less for every INSERT.
    category = models.ForeignKey(
        Category, verbose_name="分类", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    subcategory = models.ForeignKey(
        Category, verbose_name="子分类", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.CharField("优先级", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    category_confirmed = models.BooleanField("分类已确认", default=False)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.NEW)
    level = models.CharField("层级", max_length=12, choices=Level.choices, default=Level.GRID)
    place = models.ForeignKey(
        "places.Place", verbose_name="地点", on_delete=models.PROTECT, related_name="cases"
    )
    place_path = models.CharField(max_length=255)
    # The place that owns the case at its level (the grid for a grid-level case …).
    level_place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    level_path = models.CharField(max_length=255)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)

    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        db_index=False,  # case_reporter_user leads with it
    )
    reporter_resident = models.ForeignKey(
        "people.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        db_index=False,  # case_reporter_resident leads with it
    )
    reporter_name = models.CharField("反映人", max_length=50, blank=True)
    reporter_phone_enc = models.TextField(blank=True)
    reporter_phone_hash = models.CharField(max_length=64, blank=True)  # indexed in Meta (no LIKE index)
    reporter_phone_last4 = models.CharField(max_length=4, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    handler_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_cases",
        db_index=False,  # case_queue_user leads with it
    )
    handler_org = models.ForeignKey(
        "orgs.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_cases",
        db_index=False,  # case_queue_org leads with it
    )
    dispatcher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispatched_cases",
    )

    created_at = models.DateTimeField("上报时间", db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    due_accept_at = models.DateTimeField("受理期限", null=True, blank=True)
    due_resolve_at = models.DateTimeField("办结期限", null=True, blank=True)
    # Seconds from report to first acceptance / to (last) resolution: cheap averages for stats.
    accept_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolve_seconds = models.PositiveIntegerField(null=True, blank=True)
    was_overdue = models.BooleanField("曾超时", default=False)
    # Set when the sweep could not climb further (top of the ladder): it is not flagged again.
    sla_flagged_at = models.DateTimeField(null=True, blank=True)

    # Returned by its handler (退回): waiting in the dispatcher's queue, not in the pool.
    needs_dispatch = models.BooleanField("待重新交办", default=False)
    supervised = models.BooleanField("督办", default=False)
    supervised_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    # Users who may not review a reopened case (its dispatcher and its last handler).
    excluded_reviewers = models.JSONField(default=list, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    result = models.TextField("办理结果", blank=True)
    reject_reason = models.CharField("不予受理原因", max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField("评价", null=True, blank=True)
    rating_comment = models.CharField("评价意见", max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # Written by staff for the public (Open311 description); the reporter's own words never are.
    public_summary = models.CharField("公开摘要", max_length=500, blank=True)
    public_summary_at = models.DateTimeField(null=True, blank=True)

    suggested_category = models.CharField("建议分类", max_length=40, blank=True)
    suggested_urgency = models.CharField("建议紧急度", max_length=8, blank=True)
    suggested_confidence = models.FloatField("建议置信度", null=True, blank=True)
    suggested_matched = models.CharField("命中关键词", max_length=200, blank=True)
    # A subcategory code the triage engine named (lift …); applied at intake when it exists.
    suggested_subcategory = models.CharField("建议子分类", max_length=40, blank=True)
    # Open urgent cases lead every queue and list (issue 8). Computed by the database from
    # priority and state, so no transition can forget it and an index can serve the order.
    urgent_open = models.GeneratedField(
        expression=Switch(
            When(Q(priority=Priority.URGENT, state__in=OPEN_STATES), then=Value(True)),
            default=Value(False),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name="紧急未结",
    )

    source = models.CharField(max_length=40, blank=True)
    client_key = models.CharField(max_length=64, blank=True)

    # Not columns: what cases.api attaches to the instance for its answer schemas.
    api_actions: list[str]
    api_view: str
    api_timeline: list[dict[str, Any]]
    api_reporter: str | None
    api_calls: list[CaseCall]
    api_suggestion: dict[str, Any] | None
    api_attachments: list[dict[str, Any]]
    created: bool
    # What the statistics counted this case as when it was read (gridgov.cases.rollups).
    _rollup_seen: dict[str, Any] | None

    class Meta:
        verbose_name = "事件"
        verbose_name_plural = "事件"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tracking_code"], name="case_tracking_code_unique"),
            models.UniqueConstraint(fields=["public_id"], name="case_public_id_unique"),
            models.UniqueConstraint(
                fields=["source", "client_key"], condition=~Q(client_key=""), name="case_idempotency_key"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="case_rating_1_5"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "level", "level_path"], name="case_queue_level"),
            models.Index(fields=["handler_user", "state"], name="case_queue_user"),
            models.Index(fields=["handler_org", "state"], name="case_queue_org"),
            models.Index(fields=["place_path", "created_at"], name="case_place_created"),
            models.Index(fields=["state", "due_accept_at"], name="case_due_accept"),
            models.Index(fields=["state", "due_resolve_at"], name="case_due_resolve"),
            models.Index(fields=["reporter_user", "created_at"], name="case_reporter_user"),
            models.Index(fields=["reporter_resident", "created_at"], name="case_reporter_resident"),
            models.Index(fields=["category", "place_path", "created_at"], name="case_category_place"),
            models.Index(fields=["reporter_phone_hash"], name="case_reporter_phone"),
            # The "all cases" list, urgent open ones first, newest first (read backwards).
            models.Index(fields=["urgent_open", "created_at", "id"], name="case_urgent_created"),
            # Partial indexes on the open work (cases/0007): a few hundred rows while the history
            # grows to millions, so the queues stay index lookups on a small set.
            models.Index(
                fields=["level", "level_path"],
                condition=Q(
                    state="new", handler_user__isnull=True, handler_org__isnull=True, needs_dispatch=False
                ),
                name="case_open_pool",
            ),
            models.Index(
                fields=["handler_user", "due_resolve_at"], condition=OPEN_Q, name="case_open_handler"
            ),
            models.Index(fields=["handler_org", "due_resolve_at"], condition=OPEN_Q, name="case_open_org"),
            models.Index(fields=["place_path"], condition=OPEN_Q, name="case_open_place"),
            # The dispatch queue's order (urgent first, then the least time left to accept).
            models.Index(
                F("urgent_open").desc(),
                F("due_accept_at").asc(),
                "id",
                condition=Q(state="new"),
                name="case_new_due",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Case:
        # Django's documented hook for "values as loaded": a transition's statistics delta is
        # what the case counts as after it minus what it counted as when it was read.
        instance = super().from_db(db, field_names, values)
        from gridgov.cases.rollups import snapshot

        # Whether these columns hold what the statistics read is the same for every row of a
        # query: decided once per column list, not by looking up ~60 fields per row.
        key = tuple(field_names)
        complete = _SNAPSHOT_COMPLETE.get(key)
        if complete is None:
            instance._rollup_seen = snapshot(instance, field_names)
            _SNAPSHOT_COMPLETE[key] = instance._rollup_seen is not None
        else:
            instance._rollup_seen = snapshot(instance) if complete else None
        return instance

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def reporter_phone_masked(self) -> str:
        return mask_phone(self.reporter_phone_last4)

    @property
    def reporter_display(self) -> str:
        """The reporter as staff may see them: a name and a masked phone, never the number."""
        name = self.reporter_name or (str(self.reporter_resident) if self.reporter_resident_id else "")
        if not name and self.reporter_user_id:
            name = str(self.reporter_user)
        phone = self.reporter_phone_masked
        return " ".join(part for part in (name or "匿名", phone) if part)

    @property
    def is_overdue(self) -> bool:
        from gridgov.core import clock

        now = clock.now()
        if self.state == State.NEW:
            return bool(self.due_accept_at and self.due_accept_at < now)
        if self.state in (State.ACCEPTED, State.IN_PROGRESS):
            return bool(self.due_resolve_at and self.due_resolve_at < now)
        return False


class DutyContact(models.Model):
    """值班电话/值班人员 of a place (a community, a street): told at once, by SMS and in-app, of
    every urgent case reported anywhere below it, on top of the staff responsible for the case."""

    place = models.OneToOneField(
        "places.Place", verbose_name="地点", on_delete=models.CASCADE, related_name="case_duty"
    )
    # A mobile number (it receives SMS), encrypted like every phone; shown masked.
    phone_enc = models.TextField(blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="值班人员", blank=True, related_name="case_duties"
    )
    note = models.CharField("说明", max_length=100, blank=True)
    is_active = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "值班联系"
        verbose_name_plural = "值班联系"
        ordering = ["place__path"]

    def __str__(self) -> str:
        return f"{self.place}值班"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone_last4)


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", "上报"
    CLASSIFIED = "classified", "分类确认"
    DISPATCHED = "dispatched", "交办"
    ACCEPTED = "accepted", "受理"
    STARTED = "started", "开始处置"
    NOTE = "note", "处置记录"
    RESOLVED = "resolved", "办结"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "合并"
    MERGED_IN = "merged_in", "并入重复件"
    OUTCOME = "outcome", "主件办结"
    RETURNED = "returned", "退回"
    ESCALATED = "escalated", "上报上级"
    AUTO_ESCALATED = "auto_escalated", "超时自动上报"
    OVERDUE = "overdue", "超时督办"
    WHISTLE = "whistle", "吹哨"
    CALL_REPORT = "call_report", "部门报到"
    SUPERVISED = "supervised", "督办"
    RATED = "rated", "评价"
    REOPENED = "reopened", "不满意重办"
    CLOSED = "closed", "关闭"
    PUBLISHED = "published", "公开摘要"
    URGED = "urged", "催办"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("事件记录只能追加，不能修改")

    def delete(self):
        raise PermissionError("事件记录只能追加，不能删除")


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    from_level = models.CharField(max_length=12, blank=True)
    to_level = models.CharField(max_length=12, blank=True)
    handler_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handler_org = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    public = models.BooleanField(default=False)
    # What the reporter's timeline shows for a public event, written with it (staff notes stay
    # in `note`); empty means the event kind's label.
    public_note = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "事件记录"
        verbose_name_plural = "事件记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("事件记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("事件记录只能追加，不能删除")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()}"


class AttachmentKind(models.TextChoices):
    REPORT = "report", "上报照片"
    BEFORE = "before", "处置前"
    AFTER = "after", "处置后"
    EVIDENCE = "evidence", "佐证材料"


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.REPORT)
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Report and after photos are shown to the reporter; evidence may hold people's faces.
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "事件附件"
        verbose_name_plural = "事件附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class CaseCall(models.Model):
    """吹哨: a department called in on a case; it must report (报到) by the deadline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="calls")
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name="被呼叫部门", on_delete=models.PROTECT, related_name="case_calls"
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField()
    deadline = models.DateTimeField("报到期限")
    note = models.CharField("呼叫说明", max_length=500, blank=True)
    reported_at = models.DateTimeField("报到时间", null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_note = models.TextField("报到情况", blank=True)

    class Meta:
        verbose_name = "吹哨报到"
        verbose_name_plural = "吹哨报到"
        ordering = ["called_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "organisation"], name="case_call_unique")]
        indexes = [models.Index(fields=["organisation", "reported_at"], name="case_call_org")]

    def __str__(self) -> str:
        return f"{self.case} → {self.organisation}"

    @property
    def is_late(self) -> bool:
        from gridgov.core import clock

        return (self.reported_at or clock.now()) > self.deadline


class ApiKey(models.Model):
    """A key for an external system (cameras, 12345 hotline, Open311 clients); only its hash is kept."""

    name = models.CharField("名称", max_length=60, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    rate_per_minute = models.PositiveIntegerField("每分钟限额", default=60)
    place = models.ForeignKey(
        "places.Place",
        verbose_name="可上报范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField("有效", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接入密钥"
        verbose_name_plural = "接入密钥"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class ApiKeyMinute(models.Model):
    """Requests per key per minute: a counter shared by every process through the database."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "minute"], name="apikey_minute_unique")]

    def __str__(self) -> str:
        return f"{self.api_key_id}@{self.minute:%H:%M} = {self.count}"


class TrackingGuard(models.Model):
    """Failed proofs of a tracking code (key "code:…") or from an address (key "ip:…").

    Shared by every process through the database and bumped with F(), so the HTML pages and
    the API count together; a key stays locked until `locked_until` whatever is proven then.
    """

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    # How many times the key has been locked: each lock lasts twice as long as the last.
    locks = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "查询码防猜测计数"
        verbose_name_plural = "查询码防猜测计数"
        indexes = [models.Index(fields=["window_start"], name="tracking_guard_window")]

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class RollupGrain(models.TextChoices):
    DAY = "d", "日"
    MONTH = "m", "月"


class CaseRollup(models.Model):
    """Counters of the cases reported on one day (or in one month) at one area place, in one
    top-level category, through one channel: the cohort behind the statistics.

    Every case counts once, in the row of its report day and its nearest district/street/
    community/grid; a transition moves its contribution (gridgov.cases.rollups.record), so a
    subtree and a date range are a sum over a few thousand rows instead of a scan of the history."""

    grain = models.CharField(max_length=1, choices=RollupGrain.choices)
    day = models.DateField()
    # Cascade: a place or category can only go once no case holds it, and then its rows are zeros.
    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    place_path = models.CharField(max_length=255)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    received = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    accept_n = models.IntegerField(default=0)
    accept_sum = models.BigIntegerField(default=0)
    resolve_n = models.IntegerField(default=0)
    resolve_sum = models.BigIntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)

    class Meta:
        verbose_name = "事件统计汇总"
        verbose_name_plural = "事件统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "day", "place", "category", "channel"], name="case_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["grain", "place_path", "day"], name="case_rollup_place_day")]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} {self.place_path} {self.category_id} {self.channel}"
