"""Forms for the staff case pages. They check the shape of the input and turn ids into the
objects a service takes (always through the user's scope); every rule lives in cases.services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.cases.models import (
    Category,
    Channel,
    Level,
    Priority,
    SlaUnit,
    State,
)
from gridgov.cases.photos import MAX_PHOTOS
from gridgov.cases.services import TEXT_MAX as CASE_TEXT_MAX
from gridgov.core.bounds import date_range_validators
from gridgov.core.forms import SafeForm, set_label_from_instance
from gridgov.core.forms import text_field as _text
from gridgov.triage.categories import RULE_TARGETS
from gridgov.triage.models import TEXT_MAX as RULE_TEXT_MAX
from gridgov.triage.models import WEIGHT_LIMIT, RuleKind
from gridgov.triage.preview import RuleChange

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.orgs.models import Organisation
    from gridgov.places.models import Place

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

# Channels staff type in on the quick-entry page (patrol has its own phone page, bulk its own).
DESK_CHANNELS = [
    (Channel.HOTLINE, Channel.HOTLINE.label),
    (Channel.WALK_IN, Channel.WALK_IN.label),
    (Channel.GROUP_CHAT, Channel.GROUP_CHAT.label),
]


def _area(
    label: str, max_length: int, *, required: bool = False, rows: int = 3, **attrs: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows, **attrs}),
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不能超过{max_length}个字"},
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        # A filter date in year 1 overflows when its local midnight is shifted to UTC.
        validators=date_range_validators(),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": f"{label}不是有效日期（格式YYYY-MM-DD）"},
    )


def _choice(label: str, choices: Sequence[tuple[str, str]], *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        error_messages={"required": f"请选择{label}", "invalid_choice": f"{label}的取值无效"},
    )


def _model(label: str, queryset: Any, *, required: bool = True, empty: str = "——") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=queryset,
        required=required,
        empty_label=empty,
        error_messages={"required": f"请选择{label}", "invalid_choice": f"{label}不存在或不在您的范围内"},
    )


def _int(label: str, *, minimum: int = 1, maximum: int = 10000, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        required=required,
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}须为整数",
            "min_value": f"{label}不能小于{minimum}",
            "max_value": f"{label}不能大于{maximum}",
        },
    )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to nine photos; their content is checked by the service (cases.photos), not here."""

    def __init__(self, label: str = "照片", **kwargs: Any) -> None:
        attrs = {"accept": "image/jpeg,image/png,image/webp", "multiple": True, **kwargs.pop("attrs", {})}
        super().__init__(label=label, required=False, widget=MultiplePhotoInput(attrs=attrs), **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"最多上传{MAX_PHOTOS}张照片，当前{len(files)}张")
        return files


def category_label(category: Category) -> str:
    return f"　{category.name}" if category.parent_id else category.name


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


# --- workbench ------------------------------------------------------------------------------


def _indented(place: Any) -> str:
    """A place in a drop-down, indented under the one above it."""
    return f"{'　' * max(place.depth - 1, 0)}{place.name}"


class _DateRangeCheck(SafeForm):
    """For a form with `since` and `until` dates: the end may not come before the start."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data; the stubs allow None
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "结束日期不能早于开始日期")
        return data


class FilterForm(_DateRangeCheck, SafeForm):
    q = _text("关键词", 100, placeholder="查询码、内容或位置（按 / 聚焦）", type="search")
    state = _choice("状态", [("", "全部状态"), ("open", "未办结"), *State.choices], required=False)
    category = forms.ChoiceField(label="分类", required=False)
    place: forms.ModelChoiceField[Place] = forms.ModelChoiceField(
        label="地点",
        queryset=None,
        required=False,
        empty_label="全部地点",
        error_messages={"invalid_choice": "地点不存在或不在您的范围内"},
    )
    channel = _choice("来源", [("", "全部来源"), *Channel.choices], required=False)
    level = _choice("层级", [("", "全部层级"), *Level.choices], required=False)
    since = _date("开始日期")
    until = _date("结束日期")
    supervised = forms.BooleanField(label="只看督办", required=False)

    def __init__(self, *args: Any, places: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        set_label_from_instance(self.model_choice_field("place"), _indented)
        self.choice_field("category").choices = [("", "全部分类")] + [
            (c.code, category_label(c)) for c in categories
        ]
        self.fields["category"].error_messages["invalid_choice"] = "分类不存在"


# --- actions on a case ------------------------------------------------------------------------


class ClassifyForm(SafeForm):
    category = CategoryChoice(
        label="分类",
        queryset=Category.objects.none(),
        empty_label=None,
        error_messages={"required": "请选择分类", "invalid_choice": "分类不存在或已停用"},
    )
    subcategory = CategoryChoice(
        label="子分类",
        queryset=Category.objects.none(),
        required=False,
        empty_label="（不细分）",
        error_messages={"invalid_choice": "子分类不存在或已停用"},
    )
    priority = _choice("优先级", list(Priority.choices))
    note = _text("说明", 200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = Category.objects.filter(is_active=True).order_by("sort_order", "id")
        self.model_choice_field("category").queryset = active.filter(parent__isnull=True)
        subcategories = active.filter(parent__isnull=False).select_related("parent")
        self.model_choice_field("subcategory").queryset = subcategories
        set_label_from_instance(self.model_choice_field("subcategory"), lambda c: f"{c.parent.name}/{c.name}")


class DispatchForm(SafeForm):
    level = forms.ChoiceField(
        label="交办层级", error_messages={"invalid_choice": "层级无效或无权交办到该层级"}
    )
    handler_user = forms.ChoiceField(
        label="承办人", required=False, error_messages={"invalid_choice": "承办人不在可选范围内"}
    )
    handler_org: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label="承办单位",
        queryset=None,
        required=False,
        empty_label="（不指定单位）",
        error_messages={"invalid_choice": "单位不存在或不在您的辖区"},
    )
    note = _text("交办说明", 500)

    def __init__(self, *args: Any, targets: dict[str, Any], department: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {u.pk: u for users in targets["people"].values() for u in users}
        levels = [(level, f"{Level(level).label}（{owner.name}）") for level, owner in targets["levels"]]
        if department and targets["organisations"]:
            levels.append((Level.DEPARTMENT, "部门"))
        self.choice_field("level").choices = levels
        self.choice_field("handler_user").choices = [("", "（不指定，本层级人员均可受理）")] + [
            (Level(level).label, [(str(u.pk), u.display_name or u.username) for u in users])
            for level, users in targets["people"].items()
            if users
        ]
        self.model_choice_field("handler_org").queryset = targets["organisations"]

    def clean_handler_user(self) -> Any:
        value = self.cleaned_data.get("handler_user")
        return self.people.get(int(value)) if value else None


class AcceptForm(SafeForm):
    pass


class StartForm(SafeForm):
    note = _text("说明", 500)


class NoteForm(SafeForm):
    note = _area("处置记录", 2000)
    photo_kind = _choice("照片类型", [("before", "处置前"), ("after", "处置后"), ("evidence", "佐证材料")])
    public = forms.BooleanField(label="反映人可见", required=False)
    photos = PhotosField()


class ResolveForm(SafeForm):
    result = _area("办理结果", 2000, required=True, placeholder="反映人会看到这段话")
    photos = PhotosField("处置后照片")


class ReasonForm(SafeForm):
    reason = _area("原因", 500, required=True, rows=2)


class RejectForm(ReasonForm):
    reason = _area("不予受理的原因", 500, required=True, rows=2, placeholder="反映人会看到这段话")


class ReturnForm(ReasonForm):
    reason = _area("退回原因", 500, required=True, rows=2)


class MergeForm(SafeForm):
    into = _text("并入事件查询码", 12, required=True, placeholder="如 7K3M9QX2PA")
    note = _text("说明", 200)


class EscalateForm(SafeForm):
    reason = _area("上报原因", 500, required=True, rows=2)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label="承办部门（上报到部门时必选）",
        queryset=None,
        required=False,
        empty_label="（按规则）",
        error_messages={"invalid_choice": "单位不存在或不在您的辖区"},
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("organisation").queryset = organisations


class WhistleForm(SafeForm):
    organisations: forms.ModelMultipleChoiceField[Organisation] = forms.ModelMultipleChoiceField(
        label="呼叫部门",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请选择要呼叫的部门",
            "invalid_choice": "单位不存在或不在您的辖区",
            "invalid_pk_value": "单位不存在或不在您的辖区",
        },
    )
    deadline = forms.DateTimeField(
        label="报到期限",
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "请填写报到期限", "invalid": "报到期限不是有效的日期时间"},
    )
    note = _text("呼叫说明", 500)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("organisations").queryset = organisations
        if not self.is_bound:
            self.initial.setdefault("deadline", timezone.localtime() + dt.timedelta(hours=24))


class CallReportForm(SafeForm):
    note = _area("报到情况", 2000, required=True, rows=2)


class SuperviseForm(SafeForm):
    note = _area("督办意见", 500, required=True, rows=2)


class RevealForm(SafeForm):
    purpose = _text("查看原因", 200, required=True, placeholder="如：回访核实情况")


class PublishForm(SafeForm):
    summary = _area(
        "公开摘要",
        500,
        rows=3,
        placeholder="对外公开（Open311）的简要描述，如：聚江苑小区路灯损坏，已安排维修。不写姓名、房号和电话；留空则撤回",
    )


# --- quick entry ------------------------------------------------------------------------------


class IntakeForm(SafeForm):
    channel = _choice("来源渠道", DESK_CHANNELS)
    text = _area("反映内容", 2000, required=True, rows=4)
    place = forms.IntegerField(
        label="地点",
        widget=forms.HiddenInput,
        error_messages={"required": "请选择事件发生的地点", "invalid": "请选择事件发生的地点"},
    )
    address_detail = _text("具体位置", 200, placeholder="如：2单元门口、地下车库B区")
    resident = forms.IntegerField(label="关联居民", widget=forms.HiddenInput, required=False)
    reporter_name = _text("反映人姓名", 50)
    reporter_phone = _text("联系电话", 20, type="tel", inputmode="tel")
    category = forms.ChoiceField(label="分类", required=False)
    priority = _choice("优先级", [("", "按系统建议"), *Priority.choices], required=False)
    photos = PhotosField()
    client_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(
        self,
        *args: Any,
        user: User,
        places: Any,
        channels: Sequence[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.places = places
        if channels is not None:
            self.choice_field("channel").choices = channels
        self.choice_field("category").choices = [("", "按系统建议")] + [
            (c.code, category_label(c))
            for c in Category.objects.filter(is_active=True)
            .select_related("parent")
            .order_by("sort_order", "id")
            if c.parent is None or c.parent.is_active
        ]
        self.fields["category"].error_messages["invalid_choice"] = "分类不存在或已停用"

    def clean_place(self) -> Any:
        pk = self.cleaned_data.get("place")
        place = self.places.filter(pk=pk).first() if pk else None
        if place is None:
            raise ValidationError("地点不存在或不在您的范围内")
        return place

    def clean_resident(self) -> Any:
        from gridgov.core.errors import NotFound
        from gridgov.people.selectors import resident_for

        pk = self.cleaned_data.get("resident")
        if not pk:
            return None
        try:
            return resident_for(self.user, pk)
        except NotFound:
            raise ValidationError("居民不存在或不在您的范围内") from None


# --- bulk, statistics -------------------------------------------------------------------------


class BulkForm(SafeForm):
    file = forms.FileField(
        label="问题清单（.xlsx 或 .csv）",
        error_messages={"required": "请选择要上传的问题清单文件", "empty": "上传的文件是空的"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    mode = forms.ChoiceField(
        label="有错误行时",
        choices=[("all", "全部不导入（改正后重新上传）"), ("good", "只导入正确的行")],
        initial="all",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择导入方式", "invalid_choice": "导入方式无效"},
    )


class StatsForm(_DateRangeCheck, SafeForm):
    place: forms.ModelChoiceField[Place] = forms.ModelChoiceField(
        label="统计范围",
        queryset=None,
        required=False,
        empty_label="我的全部辖区",
        error_messages={"invalid_choice": "地点不存在或不在您的统计范围内"},
    )
    since = _date("开始日期")
    until = _date("结束日期")

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        set_label_from_instance(self.model_choice_field("place"), _indented)


# --- configuration ----------------------------------------------------------------------------


class CategoryCreateForm(SafeForm):
    name = _text("名称", 40, required=True)
    code = _text("代码", 40, required=True, placeholder="小写字母，如 lift")
    parent = CategoryChoice(
        label="上级分类",
        queryset=Category.objects.none(),
        required=False,
        empty_label="（一级分类）",
        error_messages={"invalid_choice": "上级分类不存在"},
    )
    start_level = _choice("起始层级", [("", "同上级/网格"), *Level.choices], required=False)
    sort_order = _int("排序", minimum=0, maximum=30000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("parent").queryset = Category.objects.filter(parent__isnull=True)


class CategoryUpdateForm(SafeForm):
    name = _text("名称", 40, required=True)
    start_level = _choice("起始层级", list(Level.choices))
    is_active = forms.BooleanField(label="启用", required=False)
    sort_order = _int("排序", minimum=0, maximum=30000)


class SlaForm(SafeForm):
    category = CategoryChoice(
        label="分类",
        queryset=Category.objects.none(),
        empty_label=None,
        error_messages={"required": "请选择分类", "invalid_choice": "分类不存在"},
    )
    priority = _choice("优先级", list(Priority.choices))
    accept_within = _int("受理时限")
    resolve_within = _int("办结时限")
    unit = _choice("单位", list(SlaUnit.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("category").queryset = Category.objects.order_by("sort_order", "id")


class RuleCreateForm(SafeForm):
    category = CategoryChoice(
        label="分类",
        queryset=Category.objects.none(),
        empty_label=None,
        error_messages={"required": "请选择分类", "invalid_choice": "分类不存在"},
    )
    place = _model("适用范围", None, required=False, empty="（全部地点，仅系统管理员）")
    level = _choice("处置层级", list(Level.choices))
    organisation = _model("承办单位", None, required=False, empty="（不指定）")
    note = _text("说明", 200)

    def __init__(self, *args: Any, places: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("category").queryset = Category.objects.filter(is_active=True).order_by(
            "sort_order", "id"
        )
        self.model_choice_field("place").queryset = places
        set_label_from_instance(self.model_choice_field("place"), _indented)
        self.model_choice_field("organisation").queryset = organisations


class RuleUpdateForm(SafeForm):
    organisation = _model("承办单位", None, required=False, empty="（不指定）")
    is_active = forms.BooleanField(label="启用", required=False)
    note = _text("说明", 200)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("organisation").queryset = organisations


class DutyForm(SafeForm):
    """值班电话/值班人员 of one place: set again for the same place replaces what was there."""

    place = _model("地点", None, empty="——请选择社区、网格或街道——")
    phone = _text(
        "值班电话（手机）", 20, placeholder="接收紧急事件短信；修改时留空则不变", inputmode="tel", autocomplete="off"
    )
    users: forms.ModelMultipleChoiceField[User] = forms.ModelMultipleChoiceField(
        label="值班人员",
        queryset=None,
        required=False,
        help_text="收到站内紧急提醒和短信（须能查看该地点的全部事件）",
        error_messages={"invalid_choice": "值班人员不存在或不在您的范围内", "invalid_pk_value": "值班人员无效"},
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    note = _text("说明", 100, placeholder="如：社区24小时值班手机")
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args: Any, places: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        set_label_from_instance(self.model_choice_field("place"), _indented)
        self.model_choice_field("users").queryset = users


class ApiKeyCreateForm(SafeForm):
    name = _text("名称", 60, required=True, placeholder="如：12345热线、1号路口摄像头")
    rate_per_minute = _int("每分钟限额", maximum=100000)
    place = _model("可上报范围", None, required=False, empty="（不限范围，仅系统管理员）")

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        set_label_from_instance(self.model_choice_field("place"), _indented)
        self.initial.setdefault("rate_per_minute", 60)


def _day(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}不是有效日期（格式YYYY-MM-DD）"},
    )


class HolidayPeriodForm(SafeForm):
    """One holiday period of the State Council's schedule, e.g. 春节 2027-02-05 to 2027-02-11."""

    name = _text("节日", 40, required=True, placeholder="如：春节")
    first = _day("放假开始")
    last = _day("放假结束（含）")


class MakeupWorkdayForm(SafeForm):
    """A weekend day worked in exchange for a holiday (调休上班)."""

    day = _day("调休上班日期")
    name = _text("补哪个节日", 40, required=True, placeholder="如：春节")


# --- triage: why a text was classified so, and what a rule change would do -------------------

PREVIEW_MONTHS_DEFAULT = 3
PREVIEW_MONTHS_MAX = 24
PREVIEW_ACTIONS = [("add", "新增规则"), ("update", "修改已有规则"), ("delete", "停用已有规则")]


class ExplainForm(SafeForm):
    text = _area("事件内容", CASE_TEXT_MAX, required=True, rows=4, placeholder="如：电梯困人了，有人被关在里面")


def _weight(label: str) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        min_value=-WEIGHT_LIMIT,
        max_value=WEIGHT_LIMIT,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
        error_messages={
            "invalid": f"{label}须为数字",
            "min_value": f"{label}不能小于 -{WEIGHT_LIMIT:g}",
            "max_value": f"{label}不能大于 {WEIGHT_LIMIT:g}",
        },
    )


class RulePreviewForm(SafeForm):
    """A proposed rule change, tried on past cases and never saved (`triage.preview.RuleChange`)."""

    action = _choice("修改方式", PREVIEW_ACTIONS)
    target = _choice("目标", RULE_TARGETS)
    kind = _choice("匹配方式", list(RuleKind.choices))
    text = _text("短语/关键词", RULE_TEXT_MAX, required=True)
    weight = _weight("权重")
    new_target = _choice("新目标", [("", "（不变）"), *RULE_TARGETS], required=False)
    new_kind = _choice("新匹配方式", [("", "（不变）"), *RuleKind.choices], required=False)
    new_text = _text("新短语/关键词", RULE_TEXT_MAX)
    new_weight = _weight("新权重")
    months = _int("最近几个月", minimum=1, maximum=PREVIEW_MONTHS_MAX)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("weight", "new_weight"):
            if data.get(name) == 0:
                self.add_error(name, f"{self.fields[name].label}不能为 0（不想用时请停用该规则）")
        action = data.get("action")
        if action == "add" and data.get("weight") is None and "weight" not in self.errors:
            self.add_error("weight", "新增规则请填写权重")
        if action == "update" and not any(
            data.get(name) not in (None, "") for name in ("new_target", "new_kind", "new_text", "new_weight")
        ):
            self.add_error("new_weight", "修改规则请至少填写一项新值（新目标、新匹配方式、新短语或新权重）")
        return data

    def change(self) -> RuleChange:
        data = self.cleaned_data
        return RuleChange(
            action=data["action"],
            target=data["target"],
            kind=data["kind"],
            text=data["text"],
            weight=data["weight"] if data["weight"] is not None else 2.0,
            new_target=data["new_target"] or None,
            new_kind=data["new_kind"] or None,
            new_text=data["new_text"] or None,
            new_weight=data["new_weight"],
        )
