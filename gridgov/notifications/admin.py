"""Admin for superusers: robots are configured here or on the robot page; messages are read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from gridgov.core.forms import SafeModelForm
from gridgov.notifications import services
from gridgov.notifications.models import GroupRobot, Notification, OutboundMessage, OutboundStatus


class GroupRobotAdminForm(SafeModelForm):
    class Meta:
        model = GroupRobot
        fields = ["name", "channel", "webhook_url", "secret", "is_active", "place"]
        widgets = {"webhook_url": forms.TextInput(attrs={"size": 80}), "secret": forms.PasswordInput()}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Once saved, the key in the address and the secret are never put back in the page.
            self.initial["webhook_url"] = self.initial["secret"] = ""
            self.fields["webhook_url"].required = False
            self.fields["webhook_url"].help_text = f"当前：{self.instance.webhook_masked}；留空表示不变"
            self.fields["secret"].help_text = "留空表示不变" if self.instance.secret else ""

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            data["webhook_url"] = data.get("webhook_url") or self.instance.webhook_url
            data["secret"] = data.get("secret") or self.instance.secret
        # Same rules as the settings page, so the two ways in cannot disagree.
        try:
            services._clean_robot(
                name=data.get("name", ""),
                channel=data.get("channel", ""),
                webhook_url=data.get("webhook_url", ""),
                secret=data.get("secret", ""),
            )
        except ValidationError as exc:
            raise exc from None
        return data


@admin.register(GroupRobot)
class GroupRobotAdmin(admin.ModelAdmin):
    form = GroupRobotAdminForm
    list_display = ["name", "channel", "place", "is_active", "masked"]
    list_filter = ["channel", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["place"]

    @admin.display(description="Webhook")
    def masked(self, robot: GroupRobot) -> str:
        return robot.webhook_masked


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["recipient", "title", "body", "link", "kind", "created_at", "read_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "target", "kind", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["target"]
    exclude = ["target_enc"]
    readonly_fields = [
        "channel",
        "target",
        "robot",
        "recipient",
        "notification",
        "kind",
        "payload",
        "status",
        "attempts",
        "last_error",
        "leased_until",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="重新发送所选的失败消息")
    def resend(self, request: HttpRequest, queryset) -> None:
        done = 0
        for message in queryset.filter(status=OutboundStatus.FAILED).select_related("robot__place"):
            services.outbound_resend(by=request.user, message=message)
            done += 1
        self.message_user(request, f"已重新排队{done}条消息", messages.SUCCESS)
