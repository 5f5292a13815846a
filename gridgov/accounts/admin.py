"""Accounts in the admin. Encrypted and hashed columns (phone, token keys) never appear; role
capabilities are edited as checkboxes and saved through role_set_capabilities, which audits; role
assignments are granted on the account pages (audited) and only shown here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import ApiToken, Role, RoleAssignment, User
from gridgov.accounts.services import role_set_capabilities
from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_record
from gridgov.core.forms import SafeModelForm

# Changes to these on an account are permission changes and go to the audit trail.
_AUDITED_USER_FIELDS = (
    "username",
    "display_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    fields = ("role", "place", "granted_by", "granted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "岗位（在“账号与角色”页面授予和撤销）"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "phone_masked", "is_active", "is_superuser", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    raw_id_fields = ("resident", "organisation")
    readonly_fields = ("phone_masked", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("display_name", "email", "phone_masked", "resident", "organisation")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("登录", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "password1", "password2")}),
    )
    inlines = (RoleAssignmentInline,)

    @admin.display(description="手机号")
    def phone_masked(self, obj: User) -> str:
        return obj.phone_masked if obj.phone_last4 else "—"

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        before = {}
        if change:
            stored = User.objects.get(pk=obj.pk)
            before = {field: getattr(stored, field) for field in _AUDITED_USER_FIELDS}
        super().save_model(request, obj, form, change)
        after = {field: getattr(obj, field) for field in _AUDITED_USER_FIELDS}
        changes = audit_diff(before, after)
        if "password" in form.changed_data:
            changes["password"] = ["******", "******（已重设）"]
        if changes or not change:
            audit_record(
                actor=request.user,
                action=AuditAction.UPDATE if change else AuditAction.CREATE,
                target=obj,
                changes=changes,
                purpose="管理后台",
            )


class RoleAdminForm(SafeModelForm):
    capability_choices = forms.MultipleChoiceField(
        label="权限",
        required=False,
        choices=caps.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "未知权限：%(value)s"},
    )

    class Meta:
        model = Role
        fields = ("code", "name", "description", "sort_order")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["capability_choices"].initial = list(self.instance.capabilities or [])


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleAdminForm
    list_display = ("name", "code", "capability_labels", "sort_order")
    search_fields = ("name", "code")
    fields = ("code", "name", "description", "sort_order", "capability_choices")

    @admin.display(description="权限")
    def capability_labels(self, obj: Role) -> str:
        return "、".join(caps.LABELS.get(code, code) for code in obj.capabilities or []) or "—"

    def save_model(self, request: HttpRequest, obj: Role, form: RoleAdminForm, change: bool) -> None:
        if not change:
            # The capabilities are set just below, through the service, so they are audited too.
            obj.capabilities = []
        super().save_model(request, obj, form, change)
        if not change:
            audit_record(actor=request.user, action=AuditAction.CREATE, target=obj, purpose="管理后台")
        role_set_capabilities(by=request.user, role=obj, capabilities=form.cleaned_data["capability_choices"])

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Assignments protect roles in use; an unused role can stay with no capabilities.
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "place", "granted_by", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__display_name", "place__name")
    list_select_related = ("user", "role", "place", "granted_by")
    readonly_fields = ("user", "role", "place", "granted_by", "granted_at")
    fields = readonly_fields


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    list_select_related = ("user",)
    # key_hash stays out: the prefix identifies a token well enough for a person.
    readonly_fields = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
