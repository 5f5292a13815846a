"""Forms for the registry pages: they check the shape of the input; the rules live in people.services."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from gridgov.core.forms import SafeForm, set_label_from_instance
from gridgov.core.forms import text_field as _text
from gridgov.people.models import FloatingReason, Gender, PoliticalStatus, Relation, ResidenceStatus
from gridgov.places.models import ResidenceKind

if TYPE_CHECKING:
    from gridgov.places.models import Place

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]


class PageForm(SafeForm):
    def fieldsets(self) -> list[tuple[str, list[Any]]]:
        """(title, bound fields) groups for people/_fields.html; one untitled group by default."""
        return [("", list(self.visible_fields()))]


def _date(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}不是有效日期（格式YYYY-MM-DD，且须真实存在）",
        },
    )


def _choice(label: str, choices: list[tuple[str, str]], *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        error_messages={"required": f"请选择{label}", "invalid_choice": f"{label}无效，请从列表中选择"},
    )


class SearchForm(PageForm):
    q = _text("关键词", 100, type="search", placeholder="姓名、拼音首字母、手机号、身份证号、后四位或地址")
    tag = _choice("人群标签", [], required=False)
    status = _choice("户籍状态", [("", "全部"), *ResidenceStatus.choices], required=False)
    place: forms.ModelChoiceField[Place] = forms.ModelChoiceField(
        label="范围",
        queryset=None,
        required=False,
        empty_label="全部",
        error_messages={"invalid_choice": "所选范围不存在或无权访问"},
    )

    def __init__(self, *args: Any, tags: list[tuple[str, str]], places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("tag").choices = [("", "全部"), *tags]
        self.model_choice_field("place").queryset = places
        set_label_from_instance(
            self.model_choice_field("place"), lambda p: f"{p.get_kind_display()} · {p.name}"
        )


class PersonForm(PageForm):
    """The personal fields shared by every form that creates or edits a resident."""

    name = _text("姓名", 50, required=True)
    id_number = _text(
        "身份证号", 18, inputmode="text", autocomplete="off", placeholder="18位，末位可为X"
    )
    phone = _text("联系电话", 20, type="tel", inputmode="tel", placeholder="11位手机号或带区号的座机")
    gender = _choice("性别", [("", "按身份证号"), *Gender.choices], required=False)
    birth_date = _date("出生日期")
    ethnicity = _text("民族", 20)
    political_status = _choice("政治面貌", PoliticalStatus.choices)
    employment = _text("工作单位/职业", 100)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["name", "id_number", "phone", "gender", "birth_date", "ethnicity"]

    def clean_id_number(self) -> str:
        return (self.cleaned_data.get("id_number") or "").replace(" ", "").upper()

    def person_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_number": data["id_number"],
            "phone": data["phone"],
            "gender": data["gender"],
            "birth_date": data["birth_date"],
            "ethnicity": data["ethnicity"] or "汉族",
            "political_status": data["political_status"],
            "employment": data.get("employment", ""),
            "notes": data["notes"],
        }


class RegisterMemberForm(PersonForm):
    relation = _choice("与户主关系", Relation.choices)
    moved_in = _date("迁入日期")
    residence_status = _choice("户籍状态", ResidenceStatus.choices)
    tags = forms.MultipleChoiceField(
        label="人群标签",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "人群标签无效"},
    )

    def __init__(self, *args: Any, tags: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("tags").choices = tags

    def clean_moved_in(self) -> dt.date | None:
        moved_in = self.cleaned_data.get("moved_in")
        if moved_in and moved_in > dt.date.today():
            raise ValidationError("迁入日期不能晚于今天")
        return moved_in


class ResidentEditForm(PersonForm):
    residence_status = _choice("户籍状态", ResidenceStatus.choices)
    is_deceased = forms.BooleanField(label="已故", required=False)
    clear_phone = forms.BooleanField(label="清除联系电话", required=False)

    def __init__(self, *args: Any, id_hint: str = "", phone_hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored numbers are never put back into the page: blank means "keep what is stored".
        self.fields["id_number"].help_text = f"当前 {id_hint}，留空则不修改" if id_hint else "尚未登记"
        self.fields["phone"].help_text = f"当前 {phone_hint}，留空则不修改" if phone_hint else "尚未登记"

    def changed_fields(self) -> dict[str, Any]:
        """Only what the user changed: an unchanged birth date must not fight a corrected ID number."""
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        for name in (
            "name",
            "gender",
            "birth_date",
            "ethnicity",
            "residence_status",
            "political_status",
            "employment",
            "notes",
            "is_deceased",
        ):
            if name in self.changed_data:
                fields[name] = data[name]
        if data.get("id_number"):
            fields["id_number"] = data["id_number"]
        if data.get("clear_phone"):
            fields["phone"] = ""
        elif data.get("phone"):
            fields["phone"] = data["phone"]
        return fields


class MoveInForm(PageForm):
    resident = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "请选择要迁入的居民", "invalid": "请选择要迁入的居民"}
    )
    relation = _choice("与户主关系", Relation.choices)
    moved_in = _date("迁入日期")


class MoveOutForm(PageForm):
    moved_out = _date("迁出日期", required=True)
    reason = _text("迁出原因", 100, required=True, placeholder="如：搬离本社区、死亡、户口迁出")


class HouseholdEditForm(PageForm):
    room = _text("房号", 20, required=True)
    residence_kind = _choice("居住类型", ResidenceKind.choices)
    landlord_ref = _text("房东", 40, placeholder="房东的身份证号或服务卡号")
    clear_landlord = forms.BooleanField(label="清除房东", required=False)
    area_sqm = forms.DecimalField(
        label="面积(㎡)",
        required=False,
        max_digits=7,
        decimal_places=2,
        min_value=0,
        error_messages={
            "invalid": "面积须为数字",
            "min_value": "面积不能为负数",
            "max_digits": "面积数值过大",
            "max_decimal_places": "面积最多两位小数",
            "max_whole_digits": "面积数值过大",
        },
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FloatingFieldsForm(PageForm):
    origin = _text("户籍地/来源地", 100, required=True, placeholder="如：湖南省邵阳市")
    reason = _choice("来此事由", FloatingReason.choices)
    employer = _text("工作单位", 100)
    landlord_name = _text("房东姓名", 50, placeholder="不填则按所住户的房东")
    registered_on = _date("登记日期")
    expected_until = _date("预计居住至")
    has_health_file = forms.BooleanField(label="已建健康档案", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data; the stubs allow None
        registered_on = data.get("registered_on") or dt.date.today()
        if data.get("registered_on") and registered_on > dt.date.today():
            self.add_error("registered_on", "登记日期不能晚于今天")
        expected_until = data.get("expected_until")
        if expected_until and expected_until < registered_on:
            self.add_error("expected_until", "预计居住截止日期不能早于登记日期")
        return data

    def registration_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "origin": data["origin"],
            "reason": data["reason"],
            "employer": data["employer"],
            "landlord_name": data["landlord_name"],
            "registered_on": data["registered_on"],
            "expected_until": data["expected_until"],
            "has_health_file": data["has_health_file"],
        }


class FloatingNewcomerForm(PersonForm, FloatingFieldsForm):
    relation = _choice("与户主关系", Relation.choices)
    # For a newcomer the employer asked by the registration is their work: one field, not two.
    employment = None  # type: ignore[assignment]  # Django's way to drop an inherited field

    PERSON = ["name", "id_number", "phone", "gender", "birth_date", "ethnicity", "political_status", "relation"]
    STAY = ["origin", "reason", "employer", "landlord_name", "registered_on", "expected_until", "has_health_file"]
    field_order = [*PERSON, *STAY, "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relation"].initial = Relation.TENANT

    def fieldsets(self) -> list[tuple[str, list[Any]]]:
        return [
            ("个人信息", [self[name] for name in self.PERSON]),
            ("流动人口登记", [self[name] for name in [*self.STAY, "notes"]]),
        ]

    def person_kwargs(self) -> dict[str, Any]:
        return {**super().person_kwargs(), "employment": self.cleaned_data["employer"]}


class FloatingExistingForm(FloatingFieldsForm):
    household = forms.TypedChoiceField(
        label="居住户",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "居住户无效，请从列表中选择"},
    )

    field_order = ["household"]

    def __init__(self, *args: Any, households: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("household").choices = [("", "不指定（按所在楼栋）"), *households]
        if households:
            self.fields["household"].initial = households[0][0]


class DeregisterForm(PageForm):
    deregistered_on = _date("注销日期", required=True)
    reason = _text("注销原因", 100, required=True, placeholder="如：已离开本社区")


class RevealForm(PageForm):
    purpose = _text("查看用途", 200, required=True, placeholder="如：办理低保复核")


class TagsForm(PageForm):
    tags = forms.MultipleChoiceField(
        label="人群标签",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "人群标签无效"},
    )

    def __init__(self, *args: Any, tags: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("tags").choices = tags


class ScanForm(PageForm):
    code = forms.CharField(
        label="二维码内容或服务卡号",
        max_length=500,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "placeholder": "扫码枪扫入或粘贴"}),
        error_messages={"required": "请扫入二维码或填写服务卡号", "max_length": "内容过长，不是服务卡二维码"},
    )
