from __future__ import annotations

from typing import Any

from django import forms

from gridgov.bulletin.models import BODY_MAX, SUMMARY_MAX, TITLE_MAX, Column
from gridgov.core.forms import SafeForm, set_label_from_instance, text_field
from gridgov.people.models import Tag
from gridgov.places.models import Place

_LOCAL = {"type": "datetime-local"}


def _datetime(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs=_LOCAL, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": f"{label}格式不对"},
    )


def place_label(place: Place) -> str:
    # Indented by depth instead of the full chain: one query for the whole list.
    return f"{'　' * max(place.depth - 1, 0)}{place.get_kind_display()}·{place.name}"


class NoticeForm(SafeForm):
    column = forms.ModelChoiceField(
        label="栏目", queryset=Column.objects.none(), error_messages={"required": "请选择栏目"}
    )
    place = forms.ModelChoiceField(
        label="发布单位", queryset=Place.objects.none(), error_messages={"required": "请选择发布单位"}
    )
    title = text_field("标题", TITLE_MAX, required=True)
    summary = text_field("摘要", SUMMARY_MAX)
    body_html = forms.CharField(
        label="正文",
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="可使用段落、加粗、列表、链接和本通知已上传的图片；脚本和样式会被去除",
        error_messages={"max_length": f"正文不能超过{BODY_MAX}个字符"},
    )
    targets = forms.ModelMultipleChoiceField(
        label="发送范围",
        queryset=Place.objects.none(),
        required=False,
        help_text="不选即发布单位全体",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    tags = forms.ModelMultipleChoiceField(
        label="仅限人群", queryset=Tag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    pinned = forms.BooleanField(label="置顶", required=False)
    needs_receipt = forms.BooleanField(label="重要通知：需居民确认已读", required=False)
    publish_at = _datetime("定时发布")
    expires_at = _datetime("截止时间")

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("column").queryset = Column.objects.filter(is_active=True)
        owners = places.filter(kind__in=["street", "community", "grid"])
        self.model_choice_field("place").queryset = owners
        self.model_choice_field("targets").queryset = places
        self.model_choice_field("tags").queryset = Tag.objects.filter(is_active=True)
        for name in ("place", "targets"):
            set_label_from_instance(self.model_choice_field(name), place_label)


class ColumnForm(SafeForm):
    name = text_field("栏目名称", 30, required=True)
    description = text_field("说明", 200)
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=1000, initial=100)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class UploadForm(SafeForm):
    kind = forms.ChoiceField(label="类别", choices=[("image", "图片"), ("attachment", "附件")])
    file = forms.FileField(label="文件", error_messages={"required": "请选择文件"})
