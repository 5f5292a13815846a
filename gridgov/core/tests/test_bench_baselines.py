"""The benchmark's baselines and floors do what their names say (bench/load.py relies on it)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.utils import timezone

from gridgov.core import bench_baselines

pytestmark = pytest.mark.django_db


def test_the_signed_in_floor_refuses_the_anonymous_and_shows_nothing_else(world):
    request = RequestFactory().get("/bench/page")
    request.user = AnonymousUser()
    assert bench_baselines.signed_in_page(request).status_code == 403
    request.user = world.alice
    response = bench_baselines.signed_in_page(request)
    assert response.status_code == 200
    assert response.content.decode() == f"<!doctype html><title>{world.alice.pk}</title>"


def test_the_intake_floor_triages_then_writes_one_expired_row():
    response = bench_baselines.insert_triaged(RequestFactory().post("/bench/insert-triaged"))
    assert response.status_code == 201
    (row,) = Session.objects.filter(session_key__startswith="bench")
    # The engine read the text: a blocked fire lane is a safety report. No login can use the row.
    assert row.session_data == "safety"
    assert row.expire_date < timezone.now()
