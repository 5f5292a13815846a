"""Who acts is always named: a user, the anonymous public, or scope.SYSTEM — never None."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM, require
from gridgov.accounts.services import role_grant, user_create
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.services import audit_record
from gridgov.core.errors import NotFound
from gridgov.people.models import FloatingRegistration, Membership, Relation, ResidenceStatus
from gridgov.people.services import floating_deregister, floating_register, resident_create, resident_update
from gridgov.places.models import PlaceKind
from gridgov.places.services import place_create


@pytest.fixture
def stay(world):
    tenant = resident_create(
        by=world.alice,
        name="赵流动",
        household=world.household1,
        relation=Relation.TENANT,
        residence_status=ResidenceStatus.FLOATING,
    )
    return floating_register(by=world.alice, resident=tenant, household=world.household1, origin="四川省成都市")


def test_floating_deregister_audits_the_worker_who_did_it_on_every_row(world, stay):
    before = AuditEntry.objects.count()
    floating_deregister(by=world.alice, registration=stay, reason="返乡")
    rows = AuditEntry.objects.order_by("pk")[before:]
    # The registration's own row and the move-out it caused, both in alice's name.
    assert {(row.target_type, row.actor_id, row.actor_label) for row in rows} == {
        ("people.floatingregistration", world.alice.pk, "alice"),
        ("people.resident", world.alice.pk, "alice"),
    }
    assert not Membership.objects.filter(resident=stay.resident, moved_out__isnull=True).exists()


def test_floating_deregister_outside_the_workers_scope_is_refused_and_changes_nothing(world, stay):
    with pytest.raises(NotFound):
        floating_deregister(by=world.bob, registration=stay, reason="返乡")
    stay.refresh_from_db()
    assert stay.deregistered_on is None
    assert Membership.objects.filter(resident=stay.resident, moved_out__isnull=True).exists()
    assert FloatingRegistration.objects.filter(deregistered_on__isnull=True).count() == 1


# Each call passes by=None on purpose (what the type checker forbids is what is tested here).
@pytest.mark.parametrize(
    "call",
    [
        lambda w: require(None, "registry.view", w.grid1),  # type: ignore[arg-type]
        lambda w: resident_update(by=None, resident=w.zhang, notes="x"),
        lambda w: floating_deregister(by=None, registration=FloatingRegistration(place=w.building1), reason="x"),  # type: ignore[arg-type]
        lambda w: place_create(by=None, parent=None, kind=PlaceKind.STREET, name="无名街道"),  # type: ignore[arg-type]
        lambda w: user_create(by=None, username="ghost", password="x", validate=False),  # type: ignore[arg-type]
        lambda w: role_grant(by=None, user=w.bob, role=Role.objects.get(code="grid_worker"), place=w.grid1),  # type: ignore[arg-type]
        lambda w: audit_record(actor=None, action=AuditAction.UPDATE, target=w.zhang),
    ],
    ids=["require", "resident_update", "floating_deregister", "place_create", "user_create", "role_grant", "audit"],
)
def test_a_service_called_with_by_none_raises_type_error(world, call):
    with pytest.raises(TypeError, match="by=None"):
        call(world)


def test_case_services_refuse_none_too(world):
    from gridgov.cases.models import Channel
    from gridgov.cases.services import case_accept, case_submit, category_create

    case = case_submit(
        by=AnonymousUser(),
        text="门口垃圾没人清运",
        channel=Channel.RESIDENT_WEB,
        place=world.building1,
        reporter_phone="13700001234",
    )
    for call in (
        lambda: case_accept(by=None, case=case),
        lambda: case_submit(by=None, text="x", channel=Channel.RESIDENT_WEB, place=world.building1),
        lambda: category_create(by=None, name="新分类", code="newcat"),
    ):
        with pytest.raises(TypeError):
            call()


def test_the_system_and_the_public_are_named_in_the_audit(world):
    from gridgov.cases.models import Channel
    from gridgov.cases.services import case_submit

    place_create(by=SYSTEM, parent=world.street, kind=PlaceKind.COMMUNITY, name="新社区")
    case_submit(
        by=AnonymousUser(),
        text="门口垃圾没人清运",
        channel=Channel.RESIDENT_WEB,
        place=world.building1,
        reporter_phone="13700001234",
    )
    labels = set(AuditEntry.objects.values_list("actor_label", flat=True))
    assert {"系统", "匿名公众"} <= labels
    assert not AuditEntry.objects.filter(actor_label="匿名公众", actor__isnull=False).exists()
