"""Form pieces every app's pages share: putting a service's errors on a form, the plain text
field with its Chinese messages, and the base form whose text fields refuse unsafe characters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from gridgov.core.text import SafeTextValidator


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


def guard_text(field: forms.Field, name: str) -> None:
    """Make a CharField refuse control, bidi and zero-width characters with a message naming it.

    Django's own null-character check says "不允许是用空字符串" next to the field, which sends
    users looking for an empty box; ours names the field and what to remove. A Textarea is
    multi-line text (tabs and line breaks allowed); any other widget is a single line.
    """
    if not isinstance(field, forms.CharField):
        return
    label = str(field.label or name)
    field.validators = [
        validator
        for validator in field.validators
        if not isinstance(validator, ProhibitNullCharactersValidator | SafeTextValidator)
    ]
    field.validators.append(SafeTextValidator(label, multiline=isinstance(field.widget, forms.Textarea)))


class SafeTextMixin:
    """Every form in the project inherits this (a test walks them all): each text field refuses
    characters no person types. Mix it in before Django's form class."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            guard_text(field, name)

    # `fields` holds plain `Field`s to the type checker: these give a form's own choice fields
    # back as what they are, to set their choices or queryset per request.
    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField), name
        return field

    def model_choice_field(self, name: str) -> forms.ModelChoiceField[Any]:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField), name
        return field


def set_label_from_instance(field: forms.ModelChoiceField[Any], label: Callable[[Any], str]) -> None:
    """How `field` names each choice, for this form only (Django calls `label_from_instance`)."""
    # An instance attribute shadowing the method, as Django's own forms do; mypy allows no
    # assignment to a method.
    field.label_from_instance = label  # type: ignore[method-assign,assignment]


class SafeForm(SafeTextMixin, forms.Form):
    """The project's base form."""


class SafeModelForm(SafeTextMixin, forms.ModelForm):
    """The project's base model form (admin forms)."""
