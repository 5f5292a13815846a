"""Forms for the place pages: they parse and check input shape; the rules live in places.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from gridgov.core.forms import SafeForm
from gridgov.places.models import ResidenceKind


def _required(label: str) -> dict[str, str]:
    return {"required": f"请填写{label}"}


def _coordinate(label: str, limit: int) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        error_messages={
            "invalid": f"{label}须为数字",
            "min_value": f"{label}须在-{limit}到{limit}之间",
            "max_value": f"{label}须在-{limit}到{limit}之间",
        },
    )


class ChildPlaceForm(SafeForm):
    kind = forms.ChoiceField(
        label="类型", error_messages={"required": "请选择类型", "invalid_choice": "类型无效"}
    )
    name = forms.CharField(
        label="名称",
        max_length=100,
        error_messages={**_required("名称"), "max_length": "名称不能超过100个字"},
    )
    code = forms.CharField(
        label="编码", max_length=40, required=False, error_messages={"max_length": "编码不能超过40个字符"}
    )
    latitude = _coordinate("纬度", 90)
    longitude = _coordinate("经度", 180)

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("kind").choices = kinds

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not self.errors:
            raise ValidationError("经纬度须同时填写或同时留空")
        return data


def _households(bound: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"网格户数{bound}",
        required=False,
        min_value=1,
        max_value=100000,
        error_messages={
            "invalid": f"户数{bound}须为整数",
            "min_value": f"户数{bound}须大于0",
            "max_value": f"户数{bound}过大",
        },
    )


class PlaceEditForm(SafeForm):
    # Each form gets deep copies of these, so sharing them with ChildPlaceForm is safe.
    name = ChildPlaceForm.base_fields["name"]
    code = ChildPlaceForm.base_fields["code"]
    latitude = ChildPlaceForm.base_fields["latitude"]
    longitude = ChildPlaceForm.base_fields["longitude"]
    households_min = _households("下限")
    households_max = _households("上限")
    hotline = forms.CharField(
        label="服务热线",
        required=False,
        max_length=20,
        help_text="印在本社区二维码海报上；留空则用系统默认热线",
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        error_messages={"max_length": "服务热线不能超过20个字符"},
    )

    def __init__(self, *args, is_grid: bool, is_community: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not is_grid:
            # The households range only means something for a grid.
            del self.fields["households_min"]
            del self.fields["households_max"]
        if not is_community:
            # The posters' hotline is one per community.
            del self.fields["hotline"]

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not (
            self.has_error("latitude") or self.has_error("longitude")
        ):
            raise ValidationError("经纬度须同时填写或同时留空")
        low, high = data.get("households_min"), data.get("households_max")
        if low is not None and high is not None and low > high:
            self.add_error("households_max", "户数上限不能小于下限")
        return data


class HouseholdForm(SafeForm):
    room = forms.CharField(
        label="房号",
        max_length=20,
        error_messages={**_required("房号"), "max_length": "房号不能超过20个字符"},
    )
    residence_kind = forms.ChoiceField(
        label="居住类型",
        choices=ResidenceKind.choices,
        initial=ResidenceKind.OWNER,
        error_messages={
            "required": "请选择居住类型",
            "invalid_choice": "居住类型无效，可选：自住、出租、空置、商铺",
        },
    )
    area_sqm = forms.DecimalField(
        label="面积(㎡)",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
        error_messages={
            "invalid": "面积须为数字",
            "min_value": "面积不能为负数",
            "max_digits": "面积过大",
            "max_decimal_places": "面积最多两位小数",
            "max_whole_digits": "面积过大",
        },
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
