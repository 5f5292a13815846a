from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.triage import services
from gridgov.triage.models import Correction, TriageModel, TriageRule


@admin.register(TriageRule)
class TriageRuleAdmin(admin.ModelAdmin):
    list_display = ("text", "target", "kind", "weight", "is_active", "note", "updated_at")
    list_editable = ("weight", "is_active")
    list_filter = ("target", "kind", "is_active")
    search_fields = ("text", "note")
    fields = ("target", "kind", "text", "weight", "is_active", "note")
    list_per_page = 100

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and services.may_edit_rules(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and services.may_edit_rules(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and services.may_edit_rules(request.user)

    # Writes go through the services so they are validated, audited and refresh the rule cache.
    def save_model(self, request: HttpRequest, obj: TriageRule, form: Any, change: bool) -> None:
        # The form has already copied its cleaned values onto `obj`.
        values = {field: getattr(obj, field) for field in services.RULE_FIELDS}
        try:
            if change:
                services.rule_update(by=request.user, rule=obj, **values)
            else:
                created = services.rule_create(by=request.user, **values)
                obj.pk = created.pk
        except ValidationError as exc:
            # The form validated the same model rules already; this is the rare race on uniqueness.
            raise PermissionDenied("; ".join(exc.messages)) from exc

    def delete_model(self, request: HttpRequest, obj: TriageRule) -> None:
        services.rule_delete(by=request.user, rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TriageRule]) -> None:
        count = 0
        for rule in queryset:
            services.rule_delete(by=request.user, rule=rule)
            count += 1
        if count:
            messages.info(request, f"已删除 {count} 条规则，新的分类建议立即生效")


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "short_text",
        "suggested_category",
        "category",
        "suggested_urgency",
        "urgency",
        "suggested_confidence",
        "case_id",
        "by",
    )
    list_filter = ("category", "suggested_category", "urgency")
    search_fields = ("text",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Correction._meta.fields]

    @admin.display(description="原文")
    def short_text(self, obj: Correction) -> str:
        return obj.text[:40]

    # The record of what staff chose is evidence; nobody edits it by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    """The history of how triage learned: what each model was trained on and how it scored."""

    list_display = (
        "version",
        "trained_at",
        "trained_by",
        "dev_samples",
        "correction_samples",
        "rule_samples",
        "rules_category_accuracy",
        "category_accuracy",
        "rules_urgency_accuracy",
        "urgency_accuracy",
        "training_seconds",
    )
    exclude = ("parameters",)
    readonly_fields = [field.name for field in TriageModel._meta.fields if field.name != "parameters"]

    # Models are made by training (`gridgov triage --train` or the retrain task), never by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
