from __future__ import annotations

from typing import Any

from django import forms

from gridgov.activities.models import NAME_MAX, TEXT_MAX, Group, GroupKind
from gridgov.bulletin.forms import place_label
from gridgov.core.forms import SafeForm, set_label_from_instance, text_field
from gridgov.people.models import Tag
from gridgov.places.models import Place

_LOCAL = {"type": "datetime-local"}


def _when(label: str, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs=_LOCAL, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式不对"},
    )


class _Placed(SafeForm):
    def __init__(self, *args: Any, places: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        set_label_from_instance(self.model_choice_field("place"), place_label)
        if "group" in self.fields:
            self.model_choice_field("group").queryset = groups
        if "tags" in self.fields:
            self.model_choice_field("tags").queryset = Tag.objects.filter(is_active=True)


class ActivityForm(_Placed):
    title = text_field("活动名称", NAME_MAX, required=True)
    place = forms.ModelChoiceField(
        label="面向范围", queryset=Place.objects.none(), error_messages={"required": "请选择面向范围"}
    )
    group = forms.ModelChoiceField(label="团队", queryset=Group.objects.none(), required=False)
    location = text_field("活动地点", 100, required=True)
    starts_at = _when("开始时间")
    ends_at = _when("结束时间")
    capacity = forms.IntegerField(
        label="名额（0为不限）",
        min_value=0,
        max_value=10000,
        initial=0,
        error_messages={"min_value": "名额不能为负数", "max_value": "名额不能超过10000"},
    )
    signup_required = forms.BooleanField(label="需报名", required=False, initial=True)
    min_age = forms.IntegerField(label="最小年龄", min_value=0, max_value=120, required=False)
    max_age = forms.IntegerField(label="最大年龄", min_value=0, max_value=120, required=False)
    tags = forms.ModelMultipleChoiceField(
        label="面向人群", queryset=Tag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label="活动介绍", max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class SeriesForm(_Placed):
    title = text_field("活动名称", NAME_MAX, required=True)
    place = forms.ModelChoiceField(label="面向范围", queryset=Place.objects.none())
    group = forms.ModelChoiceField(label="团队", queryset=Group.objects.none(), required=False)
    location = text_field("活动地点", 100, required=True)
    weekday = forms.TypedChoiceField(label="每周", coerce=int, choices=list(enumerate("一二三四五六日")))
    start_time = forms.TimeField(label="开始时间", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label="时长(分钟)", min_value=15, max_value=720, initial=90)
    starts_on = forms.DateField(label="首次日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    capacity = forms.IntegerField(label="名额（0为不限）", min_value=0, max_value=10000, initial=0)
    exceptions = forms.CharField(
        label="停开日期", required=False, max_length=500, help_text="以逗号分隔，如 2026-10-03,2026-10-10"
    )


class GroupForm(_Placed):
    name = text_field("团队名称", NAME_MAX, required=True)
    kind = forms.ChoiceField(label="类型", choices=GroupKind.choices)
    place = forms.ModelChoiceField(label="所属地点", queryset=Place.objects.none())
    group = forms.ModelChoiceField(label="上级团队", queryset=Group.objects.none(), required=False)
    description = forms.CharField(
        label="简介", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_open = forms.BooleanField(label="接受入团申请", required=False, initial=True)


class CheckinForm(SafeForm):
    payload = forms.CharField(
        label="扫描服务卡",
        max_length=400,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "placeholder": "用扫码枪扫描居民服务卡二维码"}
        ),
        error_messages={"required": "请扫描居民服务卡"},
    )


class ReportForm(SafeForm):
    report = forms.CharField(
        label="活动小结", max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
