"""Forms for the robot settings page: input shape only; the rules live in notifications.services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from gridgov.core.forms import SafeForm, set_label_from_instance
from gridgov.notifications.models import RobotChannel

if TYPE_CHECKING:
    from gridgov.places.models import Place


class RobotForm(SafeForm):
    name = forms.CharField(
        label="名称",
        max_length=60,
        error_messages={"required": "请填写机器人名称", "max_length": "名称不能超过60个字"},
    )
    channel = forms.ChoiceField(
        label="平台",
        choices=RobotChannel.choices,
        error_messages={"required": "请选择平台", "invalid_choice": "平台须为企业微信或钉钉"},
    )
    webhook_url = forms.CharField(
        label="Webhook地址",
        max_length=500,
        help_text="在群设置 → 群机器人 → 添加机器人后复制的地址",
        error_messages={"required": "请填写Webhook地址", "max_length": "Webhook地址不能超过500个字符"},
    )
    secret = forms.CharField(
        label="加签密钥（仅钉钉）",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="钉钉机器人安全设置选“加签”时填写；修改时留空表示不变",
        error_messages={"max_length": "加签密钥不能超过200个字符"},
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class RobotCreateForm(RobotForm):
    place: forms.ModelChoiceField[Place] = forms.ModelChoiceField(
        label="所属地点",
        queryset=None,
        error_messages={"required": "请选择所属地点", "invalid_choice": "所属地点无效或无权配置"},
    )

    def __init__(self, *args, places, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = places
        set_label_from_instance(
            self.model_choice_field("place"), lambda place: f"{place.get_kind_display()}·{place.name}"
        )


class RobotEditForm(RobotForm):
    """Editing a saved robot: its address is never put back in the page (the key is in it)."""

    def __init__(self, *args, masked: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["webhook_url"]
        field.required = False
        field.help_text = f"当前：{masked}；留空表示不变"
