from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.core import services
from gridgov.core.forms import SafeModelForm
from gridgov.core.models import CalendarDay


class CalendarDayForm(SafeModelForm):
    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data; the stubs allow None
        day, kind = data.get("date") or self.instance.date, data.get("kind")
        if day and kind:
            problem = services.day_problem(day, kind)
            if problem:
                self.add_error("kind", problem)
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ("date", "weekday", "kind", "name", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"
    list_per_page = 100

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return "周" + services.WEEKDAYS[obj.date.weekday()]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A row is its date: moving it is deleting one day and entering another.
        return ("date",) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and services.may_edit_calendar(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and services.may_edit_calendar(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and services.may_edit_calendar(request.user)

    # Writes go through the services so they are checked, audited and refresh the calendar cache.
    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        try:
            saved = services.calendar_day_set(by=request.user, day=obj.date, kind=obj.kind, name=obj.name)
        except ValidationError as exc:
            # The form ran the same checks; this is a race with another editor.
            raise PermissionDenied("；".join(exc.messages)) from exc
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.calendar_day_delete(by=request.user, day=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        count = 0
        for day in queryset:
            services.calendar_day_delete(by=request.user, day=day)
            count += 1
        if count:
            messages.info(request, f"已删除 {count} 天，这些日期重新按周一至周五计算")
