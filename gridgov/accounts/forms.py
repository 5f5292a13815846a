from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import Role
from gridgov.core.forms import SafeForm, SafeTextMixin
from gridgov.places.models import Place


class LoginForm(SafeTextMixin, AuthenticationForm):
    username = forms.CharField(label="用户名或手机号", max_length=150)
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": "用户名/手机号或密码错误",
        "inactive": "该账号已停用",
        # The same words for a real account and an unknown name: neither says which it was.
        "locked": "该账号从本设备登录失败次数过多，请%(minutes)s分钟后再试",
        "address_blocked": "本网络登录失败次数过多，请%(minutes)s分钟后再试",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            blocked = getattr(self.request, "gridgov_login_blocked", None)
            if blocked is not None:
                from gridgov.accounts import login

                code = "address_blocked" if blocked == login.ADDRESS else "locked"
                raise forms.ValidationError(
                    self.error_messages[code], code=code, params={"minutes": login.blocked_minutes(blocked)}
                ) from None
            raise


# --- account and role pages ----------------------------------------------------------------------

_CHOICE_ERRORS = {"required": "请选择", "invalid_choice": "所选项不存在或不在您的范围内"}


class _PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Place) -> str:
        return f"{'　' * obj.depth}{obj.name}（{obj.get_kind_display()}）"


class _RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Role) -> str:
        return obj.name


class RoleGrantForm(SafeForm):
    role = _RoleChoiceField(
        label="角色",
        queryset=Role.objects.none(),
        error_messages={**_CHOICE_ERRORS, "required": "请选择角色"},
    )
    place = _PlaceChoiceField(
        label="地点",
        queryset=Place.objects.none(),
        error_messages={**_CHOICE_ERRORS, "required": "请选择地点"},
    )

    def __init__(self, *args, roles: list[Role], places, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("role").queryset = Role.objects.filter(pk__in=[role.pk for role in roles])
        self.model_choice_field("place").queryset = places


class AccountCreateForm(RoleGrantForm):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        error_messages={"required": "请填写用户名", "max_length": "用户名不能超过150个字符"},
    )
    display_name = forms.CharField(
        label="姓名", max_length=50, required=False, error_messages={"max_length": "姓名不能超过50个字"}
    )
    phone = forms.CharField(
        label="手机号", max_length=20, required=False, error_messages={"max_length": "手机号过长"}
    )
    password = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "请填写初始密码"},
        help_text="至少8位，不能全是数字",
    )
    field_order = ["username", "display_name", "phone", "password", "role", "place"]


class RoleCapabilitiesForm(SafeForm):
    """One row of the role × capability matrix."""

    capabilities = forms.MultipleChoiceField(
        label="权限",
        required=False,
        choices=caps.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "未知权限：%(value)s"},
    )
