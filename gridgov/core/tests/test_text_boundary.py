"""Control, bidi and zero-width characters are refused at the boundary, naming the field (issue 7.2)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.urls import reverse

import gridgov
from gridgov.accounts.tests.apiclient import as_
from gridgov.core.forms import SafeTextMixin
from gridgov.core.text import strip_unwritable, text_problem
from gridgov.people.models import Resident

BAD_NAMES = {
    "nul": "王\x00小明",
    "bell": "王\x07小明",
    "rlo": "王\u202e小明",
}


@pytest.mark.parametrize(
    ("value", "multiline", "expected"),
    [
        ("王小明", False, None),
        ("第一行\n第二行\t缩进", True, None),
        ("第一行\n第二行", False, "姓名不能包含换行符或制表符，请写在一行内"),
        ("王\x00小明", True, "姓名含有不允许的控制字符，请删除后重新填写"),
        ("王\x1b小明", False, "姓名含有不允许的控制字符，请删除后重新填写"),
        ("王\x85小明", False, "姓名含有不允许的控制字符，请删除后重新填写"),
        ("王\u202e小明", False, "姓名含有不允许的文字方向控制字符，请删除后重新填写"),
        ("王\u2067小明", True, "姓名含有不允许的文字方向控制字符，请删除后重新填写"),
        ("王\u200f小明", False, "姓名含有不允许的文字方向控制字符，请删除后重新填写"),
        ("王\u200b小明", False, "姓名含有看不见的零宽字符，请删除后重新填写"),
        ("王\ufeff小明", False, "姓名含有看不见的零宽字符，请删除后重新填写"),
        ("修好了👍\u200d", True, None),  # emoji sequences join with ZWJ in free text
        ("\ud800", False, "姓名含有不允许的控制字符，请删除后重新填写"),
    ],
)
def test_text_problem(value, multiline, expected):
    assert text_problem(value, "姓名", multiline=multiline) == expected


def test_strip_unwritable_keeps_line_breaks():
    assert strip_unwritable("a\x00b\x07c\td\ne\x1f") == "ab" + "c\td\ne"


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_api_refuses_bad_characters_in_a_resident_name(world, case):
    before = Resident.objects.count()
    response = as_(world, "alice").post(
        "/api/v1/residents", {"household": world.household1.pk, "name": BAD_NAMES[case], "relation": "child"}
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"][0]["field"] == "name"
    assert body["detail"].startswith("姓名含有不允许的")
    assert Resident.objects.count() == before


def test_api_refuses_them_in_nested_values_queries_and_patches(world):
    client = as_(world, "alice")
    tagged = client.post(
        "/api/v1/residents",
        {"household": world.household1.pk, "name": "王小明", "tags": ["disabled\x00"]},
    )
    assert tagged.status_code == 400 and tagged.json()["errors"][0]["field"] == "tags"
    listed = client.get("/api/v1/residents", {"q": "张\x00"})
    assert listed.status_code == 400 and listed.json()["errors"][0]["field"] == "q"
    patched = client.patch(f"/api/v1/residents/{world.zhang.pk}", {"employment": "退休\u200b"})
    assert patched.status_code == 400 and "零宽字符" in patched.json()["detail"]
    # Line breaks belong in notes, not in a name.
    noted = client.patch(f"/api/v1/residents/{world.zhang.pk}", {"notes": "第一行\n第二行"})
    assert noted.status_code == 200, noted.content
    named = client.patch(f"/api/v1/residents/{world.zhang.pk}", {"name": "张\n建国"})
    assert named.status_code == 400
    world.zhang.refresh_from_db()
    assert world.zhang.name == "张建国"


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_form_refuses_bad_characters_in_a_resident_name(client, world, case):
    client.force_login(world.alice)
    before = Resident.objects.count()
    response = client.post(
        reverse("people:household_register", args=[world.household1.pk]),
        {
            "name": BAD_NAMES[case],
            "relation": "spouse",
            "residence_status": "registered",
            "ethnicity": "汉族",
        },
    )
    assert "姓名含有不允许的" in response.text
    assert "不允许是用空字符串" not in response.text
    assert Resident.objects.count() == before


def _project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(gridgov.__path__, "gridgov."):
        if ".tests" in module.name or module.name.endswith(("migrations", "wsgi", "__main__")):
            continue
        if ".migrations." in module.name or ".management." in module.name:
            continue
        importlib.import_module(module.name)
    found, pending = [], [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("gridgov.") and ".tests" not in cls.__module__:
            found.append(cls)
    return found


def test_every_form_of_the_project_guards_its_text_fields():
    """No form can forget the check: each one defined in gridgov inherits SafeTextMixin."""
    project_forms = _project_forms()
    assert len(project_forms) > 30
    unguarded = sorted(
        f"{cls.__module__}.{cls.__qualname__}" for cls in project_forms if not issubclass(cls, SafeTextMixin)
    )
    assert unguarded == []


def test_django_forms_outside_the_project_say_something_sensible(settings):
    """An admin form built by Django itself gets the project's wording for NUL."""
    from django.utils import translation

    class Plain(forms.Form):
        name = forms.CharField()

    with translation.override("zh-hans"):
        form = Plain({"name": "a\x00b"})
        assert not form.is_valid()
        assert form.errors["name"] == ["含有不允许的控制字符（空字符），请删除后重新填写。"]
