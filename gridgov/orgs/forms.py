"""Forms for the organisation pages; rules (party levels, property estates, scope) live in orgs.services."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from gridgov.core.forms import SafeForm
from gridgov.core.forms import text_field as _text
from gridgov.orgs.models import Organisation, OrgKind, PartyLevel
from gridgov.places.models import Place

CHOICE_ERRORS = {"invalid_choice": "所选项不存在或不在您的范围内", "invalid_pk_value": "所选项无效"}


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Place) -> str:
        return f"{'　' * obj.depth}{obj.name}（{obj.get_kind_display()}）"


class PlaceMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Place) -> str:
        return f"{'　' * obj.depth}{obj.name}（{obj.get_kind_display()}）"


class OrganisationCreateForm(SafeForm):
    kind = forms.ChoiceField(
        label="类型",
        choices=OrgKind.choices,
        error_messages={"required": "请选择类型", "invalid_choice": "类型无效"},
    )
    name = _text("名称", 100, required=True)
    place = PlaceChoiceField(
        label="所属地点",
        queryset=Place.objects.none(),
        error_messages={"required": "请选择所属地点", **CHOICE_ERRORS},
    )
    parent = forms.ModelChoiceField(
        label="上级组织", required=False, queryset=Organisation.objects.none(), error_messages=CHOICE_ERRORS
    )
    party_level = forms.ChoiceField(
        label="党组织层级",
        required=False,
        choices=[("", "（非党组织不填）"), *PartyLevel.choices],
        error_messages={"invalid_choice": "党组织层级无效"},
    )
    places = PlaceMultipleChoiceField(
        label="服务范围",
        required=False,
        queryset=Place.objects.none(),
        error_messages={**CHOICE_ERRORS, "invalid_list": "服务范围无效"},
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="物业公司选择所管理的小区或楼栋；党组织选择联系的地点。按住Ctrl可多选。",
    )
    contact_name = _text("联系人", 50)
    contact_phone = _text("联系电话", 30)
    address = _text("地址", 200)
    description = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, places: QuerySet[Place], parents: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        self.model_choice_field("places").queryset = places
        self.model_choice_field("parent").queryset = parents


class OrganisationEditForm(SafeForm):
    name = _text("名称", 100, required=True)
    places = OrganisationCreateForm.base_fields["places"]
    leader = forms.ModelChoiceField(
        label="负责人",
        required=False,
        queryset=Organisation.objects.none(),
        error_messages=CHOICE_ERRORS,
        help_text="从现有成员中选择",
    )
    contact_name = _text("联系人", 50)
    contact_phone = _text("联系电话", 30)
    address = _text("地址", 200)
    description = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label="有效", required=False)
    handles_cases = forms.BooleanField(
        label="承办事件", required=False, help_text="驻区单位、社会组织勾选后可被交办事件、被吹哨呼叫（部门、物业始终可以）"
    )

    def __init__(self, *args, places: QuerySet[Place], leaders: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("places").queryset = places
        self.model_choice_field("leader").queryset = leaders


class MemberAddForm(SafeForm):
    resident = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": "请先搜索并选择居民", "invalid": "请先搜索并选择居民"},
    )
    role = forms.CharField(
        label="职务",
        max_length=40,
        initial="成员",
        error_messages={"required": "请填写职务", "max_length": "职务不能超过40个字"},
    )
    joined_on = forms.DateField(
        label="加入日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "加入日期格式应为YYYY-MM-DD"},
    )

    def clean_joined_on(self):
        joined_on = self.cleaned_data.get("joined_on")
        if joined_on and joined_on > timezone.localdate():
            raise forms.ValidationError("加入日期不能晚于今天")
        return joined_on


class MemberRemoveForm(SafeForm):
    left_on = forms.DateField(
        label="退出日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写退出日期", "invalid": "退出日期格式应为YYYY-MM-DD"},
    )

    def __init__(self, *args, joined_on=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.joined_on = joined_on

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate():
            raise forms.ValidationError("退出日期不能晚于今天")
        if self.joined_on and left_on < self.joined_on:
            raise forms.ValidationError("退出日期不能早于加入日期")
        return left_on
