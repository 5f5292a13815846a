"""Form pieces every app's pages share: putting a service's errors on a form, and the plain text
field with its Chinese messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def apply_service_errors(form: forms.Form, exc: ValidationError, *, hidden_on_top: bool = False) -> None:
    """Put a service's ValidationError next to the field it names, or on top of the form when the
    form has no such field (a service may speak of "household" or "resident"). With
    `hidden_on_top`, an error about a hidden field goes on top too, where the user can see it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            shown = field in form.fields and not (hidden_on_top and form.fields[field].widget.is_hidden)
            target = field if shown else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def text_field(label: str, max_length: int, *, required: bool = False, **attrs: Any) -> forms.CharField:
    """A one-line text field; `attrs` go on the input (placeholder, type, inputmode …)."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不能超过{max_length}个字"},
    )
