"""Forms of the resident pages (report, track, rate). They check what a phone user typed and say
what is wrong in Chinese; the rules about cases themselves stay in `cases.services`."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from gridgov.cases.photos import DRAFT_TOKEN_RE, MAX_PHOTOS
from gridgov.cases.services import CLIENT_KEY_RE, REASON_MAX, TEXT_MAX
from gridgov.core.forms import SafeForm
from gridgov.core.validation import normalize_phone

LAST4_RE = re.compile(r"^\d{4}$")


def new_client_key() -> str:
    return uuid.uuid4().hex


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to nine photos from one `<input type=file multiple>`; content checks are the service's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*", "multiple": True}))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"empty": "照片是空文件，请重新选择", "invalid": "照片上传失败，请重新选择"}
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if len(uploads) > MAX_PHOTOS:
            raise ValidationError(f"最多上传{MAX_PHOTOS}张照片，当前{len(uploads)}张")
        single = super().clean
        return [single(upload, initial) for upload in uploads]


class ReportForm(SafeForm):
    text = forms.CharField(
        label="反映内容",
        max_length=TEXT_MAX,
        widget=forms.Textarea(
            attrs={"rows": 5, "maxlength": TEXT_MAX, "placeholder": "请写清楚发生了什么、在哪里、持续多久了"}
        ),
        error_messages={
            "required": "请填写反映内容",
            "max_length": f"反映内容不能超过{TEXT_MAX}个字",
        },
    )
    place = forms.TypedChoiceField(
        label="地点",
        coerce=int,
        error_messages={"required": "请选择事件发生的地点", "invalid_choice": "请从列表中选择地点"},
    )
    address_detail = forms.CharField(
        label="具体位置",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "选填，如：2单元电梯、东门口", "maxlength": 200}),
        error_messages={"max_length": "具体位置不能超过200个字"},
    )
    photos = MultiplePhotoField(label=f"照片（最多{MAX_PHOTOS}张）")
    reporter_phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": "用于回访和查询进度",
            }
        ),
        error_messages={"required": "匿名反映请留下手机号，便于回访", "max_length": "手机号格式不正确"},
    )
    reporter_name = forms.CharField(
        label="称呼",
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "选填，如：王女士", "autocomplete": "name"}),
        error_messages={"max_length": "称呼不能超过50个字"},
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    client_key = forms.CharField(required=False, widget=forms.HiddenInput)
    # The draft whose photos were uploaded as they were chosen (see photos.draft_add).
    draft = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        place_choices: list[Any] | None = None,
        anonymous: bool = True,
        fixed_place: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if fixed_place:
            del self.fields["place"]
        else:
            self.choice_field("place").choices = [("", "请选择地点"), *(place_choices or [])]
        if not anonymous:
            del self.fields["reporter_phone"]
            del self.fields["reporter_name"]

    def clean_reporter_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["reporter_phone"])
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None

    def clean_client_key(self) -> str:
        # A broken hidden key must not block the report: a fresh one only loses retry-safety.
        key = (self.cleaned_data.get("client_key") or "").strip()
        return key if CLIENT_KEY_RE.match(key) else new_client_key()

    def clean_draft(self) -> str:
        # An unusable token only means there are no uploaded photos to take along.
        token = (self.cleaned_data.get("draft") or "").strip()
        return token if DRAFT_TOKEN_RE.match(token) else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data; the stubs allow None
        # Coordinates come from the phone's location API; anything unusable is simply not sent.
        try:
            lat, lng = float(data.get("latitude") or ""), float(data.get("longitude") or "")
        except ValueError:
            data["latitude"] = data["longitude"] = None
        else:
            ok = -90 <= lat <= 90 and -180 <= lng <= 180
            data["latitude"], data["longitude"] = (lat, lng) if ok else (None, None)
        return data


class LookupForm(SafeForm):
    code = forms.CharField(
        label="查询码",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "placeholder": "提交后获得的10位查询码",
            }
        ),
        error_messages={"required": "请填写查询码", "max_length": "查询码为10位字母和数字"},
    )
    last4 = forms.CharField(
        label="手机号后四位",
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4}),
        error_messages={"max_length": "请填写手机号后四位（4位数字）"},
    )

    def __init__(self, *args: Any, need_last4: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.need_last4 = need_last4
        self.fields["last4"].required = need_last4
        self.fields["last4"].error_messages["required"] = "请填写反映时所留手机号的后四位"

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper().replace("-", "").replace(" ", "")

    def clean_last4(self) -> str:
        last4 = self.cleaned_data["last4"].strip()
        if last4 and not LAST4_RE.match(last4):
            raise ValidationError("请填写手机号后四位（4位数字）")
        return last4


class RateForm(SafeForm):
    rating = forms.TypedChoiceField(
        label="满意度",
        coerce=int,
        choices=[(5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择评分（1到5星）", "invalid_choice": "评分须为1到5星"},
    )
    comment = forms.CharField(
        label="评价意见",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": REASON_MAX, "placeholder": "选填：说说办理情况"}
        ),
        error_messages={"max_length": f"评价意见不能超过{REASON_MAX}个字"},
    )
