"""Account and role pages: the capability matrix (superusers), accounts in scope, grant and revoke."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import Role, RoleAssignment, User
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.places.models import PlaceKind
from gridgov.places.services import place_create


@pytest.fixture
def sam(world):
    """街道管理员 of the world's street: may manage accounts and roles there."""
    user = user_create(
        by=SYSTEM, username="sam", password=world.password, display_name="孙街道", validate=False
    )
    role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="street_admin"), place=world.street)
    return user


@pytest.fixture
def outsider(world):
    """A grid worker in another street, and that street."""
    street = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="望月湖街道")
    user = user_create(by=SYSTEM, username="olga", password=world.password, validate=False)
    assignment = role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="grid_worker"), place=street)
    return type("Outsider", (), {"street": street, "user": user, "assignment": assignment})()


def _get(client, user, url_name, /, *args, **params):
    client.force_login(user)
    return client.get(reverse(url_name, args=args), params)


def _post(client, user, url_name, /, *args, **data):
    client.force_login(user)
    return client.post(reverse(url_name, args=args), data)


# --- role × capability matrix ------------------------------------------------------------------------


def test_matrix_is_for_superusers_only(client, world, sam):
    assert client.get(reverse("accounts:roles")).status_code == 302
    assert _get(client, world.carol, "accounts:roles").status_code == 403
    assert _get(client, sam, "accounts:roles").status_code == 403  # ROLES_MANAGE is not enough
    assert _post(client, sam, "accounts:roles").status_code == 403
    response = _get(client, world.admin, "accounts:roles")
    body = response.content.decode()
    assert response.status_code == 200
    assert "志愿网格员" in body and "查看完整身份证号和手机号" in body


def test_matrix_saves_changed_roles_through_the_audited_service(client, world):
    roles = list(Role.objects.all())
    data = {f"role-{role.pk}": list(role.capabilities) for role in roles}
    volunteer = Role.objects.get(code="volunteer_grid_worker")
    data[f"role-{volunteer.pk}"] = [*volunteer.capabilities, caps.ORGS_VIEW]
    wanted = sorted(data[f"role-{volunteer.pk}"])
    response = _post(client, world.admin, "accounts:roles", **data)
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.capabilities == wanted
    entries = AuditEntry.objects.filter(action=AuditAction.ROLE_EDIT)
    assert [entry.target_id for entry in entries] == [str(volunteer.pk)]  # unchanged roles write nothing
    # dave holds that role: the organisations entry appears in his menu at once.
    client.force_login(world.dave)
    assert f'href="{reverse("orgs:list")}"' in client.get(reverse("core:home")).content.decode()


def test_matrix_rejects_an_unknown_capability_and_changes_no_role(client, world):
    roles = list(Role.objects.all())
    data = {f"role-{role.pk}": list(role.capabilities) for role in roles}
    volunteer = Role.objects.get(code="volunteer_grid_worker")
    volunteer_before = list(volunteer.capabilities)
    resident = Role.objects.get(code="resident")
    data[f"role-{volunteer.pk}"] = [*volunteer_before, caps.REGISTRY_PII]  # a valid change …
    data[f"role-{resident.pk}"] = ["launch.rockets"]  # … and a bad one later in the same save
    response = _post(client, world.admin, "accounts:roles", **data)
    assert response.status_code == 400
    assert "未知权限：launch.rockets" in response.content.decode()
    volunteer.refresh_from_db()
    assert volunteer.capabilities == volunteer_before
    assert not AuditEntry.objects.filter(action=AuditAction.ROLE_EDIT).exists()


# --- accounts list and creation ----------------------------------------------------------------------


def test_account_pages_need_roles_manage(client, world, sam):
    assert client.get(reverse("accounts:users")).status_code == 302
    assert _get(client, world.carol, "accounts:users").status_code == 403
    assert _get(client, world.alice, "accounts:user_detail", world.bob.pk).status_code == 404
    assert (
        _post(
            client, world.carol, "accounts:user_create", username="x", password="Very-long-pass-1"
        ).status_code
        == 403
    )


def test_accounts_in_scope_are_listed_with_their_posts(client, world, sam, outsider):
    body = _get(client, sam, "accounts:users").content.decode()
    for name in ("alice", "bob", "carol", "dave", "frank"):
        assert f">{name}</a>" in body
    assert "olga" not in body
    assert "网格员·第一网格" in body
    assert "账号与角色" in body  # the navigation entry
    assert reverse("accounts:roles") not in body  # the matrix link is for superusers only


def test_creating_an_account_with_its_first_post(client, world, sam):
    role = Role.objects.get(code="grid_worker")
    response = _post(
        client,
        sam,
        "accounts:user_create",
        username="gina",
        display_name="高网格",
        phone="13911112222",
        password="Grid-work-2026",
        role=role.pk,
        place=world.grid2.pk,
    )
    assert response.status_code == 302
    gina = User.objects.get(username="gina")
    assert gina.check_password("Grid-work-2026") and gina.phone_last4 == "2222"
    assert RoleAssignment.objects.filter(user=gina, role=role, place=world.grid2).exists()
    assert AuditEntry.objects.filter(action=AuditAction.ROLE_GRANT, target_id=str(gina.pk)).exists()
    body = client.get(response["Location"]).content.decode()
    assert "*******2222" in body and "13911112222" not in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": ""}, "请填写用户名"),
        ({"username": "alice"}, "用户名已存在"),
        ({"password": "12345678"}, "密码"),
        ({"password": ""}, "请填写初始密码"),
        ({"phone": "1391111"}, "手机号"),
        ({"role": "STREET_ADMIN"}, "所选项不存在或不在您的范围内"),
        ({"place": "OUTSIDE"}, "所选项不存在或不在您的范围内"),
        ({"place": ""}, "请选择地点"),
    ],
)
def test_bad_account_input_is_explained_and_nothing_is_written(client, world, sam, outsider, data, message):
    form = {
        "username": "gina",
        "password": "Grid-work-2026",
        "role": Role.objects.get(code="grid_worker").pk,
        "place": world.grid1.pk,
    }
    form.update(data)
    if form["role"] == "STREET_ADMIN":
        form["role"] = Role.objects.get(code="street_admin").pk  # only a superuser hands out ROLES_MANAGE
    if form["place"] == "OUTSIDE":
        form["place"] = outsider.street.pk
    users, assignments, entries = (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEntry.objects.count(),
    )
    response = _post(client, sam, "accounts:user_create", **form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (User.objects.count(), RoleAssignment.objects.count(), AuditEntry.objects.count()) == (
        users,
        assignments,
        entries,
    )


# --- one account: grant and revoke ----------------------------------------------------------------------


def test_account_page_in_scope_and_out(client, world, sam, outsider):
    response = _get(client, sam, "accounts:user_detail", world.alice.pk)
    assert response.status_code == 200 and "网格员" in response.content.decode()
    assert _get(client, sam, "accounts:user_detail", outsider.user.pk).status_code == 404
    assert _get(client, sam, "accounts:user_detail", 999999).status_code == 404


def test_posts_elsewhere_are_counted_not_shown(client, world, sam, outsider):
    role_grant(by=SYSTEM, user=world.alice, role=Role.objects.get(code="grid_worker"), place=outsider.street)
    body = _get(client, sam, "accounts:user_detail", world.alice.pk).content.decode()
    assert "望月湖街道" not in body and "另有 1 个岗位" in body


def test_granting_a_role_in_scope(client, world, sam):
    role = Role.objects.get(code="building_head")
    response = _post(client, sam, "accounts:role_grant", world.bob.pk, role=role.pk, place=world.building2.pk)
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=world.bob, role=role, place=world.building2).exists()
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_GRANT, actor=sam)
    assert entry.place_path == world.building2.path and entry.changes["role"] == [None, "楼栋长@8栋"]


def test_granting_outside_scope_or_a_manager_role_is_refused(client, world, sam, outsider):
    before = (RoleAssignment.objects.count(), AuditEntry.objects.count())
    response = _post(
        client,
        sam,
        "accounts:role_grant",
        world.bob.pk,
        role=Role.objects.get(code="grid_worker").pk,
        place=outsider.street.pk,
    )
    assert response.status_code == 400 and "所选项不存在或不在您的范围内" in response.content.decode()
    response = _post(
        client,
        sam,
        "accounts:role_grant",
        world.bob.pk,
        role=Role.objects.get(code="street_admin").pk,
        place=world.grid2.pk,
    )
    assert response.status_code == 400
    # An account outside the scope cannot be reached at all.
    response = _post(
        client,
        sam,
        "accounts:role_grant",
        outsider.user.pk,
        role=Role.objects.get(code="grid_worker").pk,
        place=world.grid1.pk,
    )
    assert response.status_code == 404
    assert (RoleAssignment.objects.count(), AuditEntry.objects.count()) == before


def test_revoking_a_role(client, world, sam):
    extra = role_grant(
        by=SYSTEM, user=world.bob, role=Role.objects.get(code="building_head"), place=world.building2
    )
    response = _post(client, sam, "accounts:role_revoke", extra.pk)
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:user_detail", args=[world.bob.pk]
    )
    assert not RoleAssignment.objects.filter(pk=extra.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_REVOKE)
    assert entry.changes["role"] == ["楼栋长@8栋", None] and entry.actor == sam


def test_revoking_outside_scope_is_not_found(client, world, sam, outsider):
    assert _post(client, sam, "accounts:role_revoke", outsider.assignment.pk).status_code == 404
    carol_assignment = RoleAssignment.objects.get(user=world.carol)
    assert _post(client, world.carol, "accounts:role_revoke", carol_assignment.pk).status_code == 404
    assert RoleAssignment.objects.filter(pk__in=[outsider.assignment.pk, carol_assignment.pk]).count() == 2
