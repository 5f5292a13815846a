"""The one place that turns role assignments into "which rows may this user see".

Every selector goes through here. A user holds (role, place) assignments; each role is a set
of capabilities; a capability held at a place covers that place's whole subtree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet

from gridgov.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.places.models import Place

_CACHE_ATTR = "_gridgov_assignments"
_CAPS_ATTR = "_gridgov_capabilities"


class SystemActor:
    """The explicit actor for work nobody in particular does: commands, sweeps, the demo builder.

    It passes every check (the checks still run), is stored as no user with the label "系统" in
    audit rows and timelines, and cannot log in. Services never take `None` for "skip the checks".
    """

    pk = None
    id = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_system = True
    is_superuser = False
    resident_id = None
    organisation_id = None
    username = "system"

    def __str__(self) -> str:
        return "系统"

    def __repr__(self) -> str:
        return "<SystemActor>"

    def __bool__(self) -> bool:
        return True


SYSTEM = SystemActor()

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    # Who a service is told acts: a real user, the public (Django's AnonymousUser, for the
    # anonymous report and tracking-by-code forms) or SYSTEM. Never None.
    Actor = User | AnonymousUser | SystemActor


def is_system(user: Any) -> bool:
    return user is SYSTEM


def as_user(actor: Any) -> User | None:
    """The saved user behind `actor`, for a foreign key (`created_by`, `granted_by` …): None for
    SYSTEM and the anonymous public, who are recorded by label, not by row."""
    require_actor(actor)
    return actor if getattr(actor, "pk", None) and not is_system(actor) else None


def actor_label(actor: Any) -> str:
    """How audit rows and timelines name `actor`: the user, "系统", or "匿名公众"."""
    require_actor(actor)
    if is_system(actor):
        return str(SYSTEM)
    if not getattr(actor, "is_authenticated", False):
        return "匿名公众"
    return str(actor)


def require_actor(user: Any) -> None:
    """Every service names who acts: a user (possibly anonymous, for public forms) or SYSTEM."""
    if user is None:
        raise TypeError("a service was called with by=None: pass the acting user or scope.SYSTEM")


def within(path: str, roots: Iterable[str]) -> bool:
    """Whether the place at `path` lies in the subtree of any of `roots` (a root covers itself)."""
    return any(path == root or path.startswith(root + ".") for root in roots)


def is_below(path: str, root: str) -> bool:
    """Whether `path` lies strictly below `root` (a descendant, not the root itself)."""
    return path.startswith(root + ".")


def _path_of(place: Place | str) -> str:
    return place if isinstance(place, str) else place.path


def _assignments(user: Actor) -> list[tuple[frozenset[str], str]]:
    return [(capabilities, path) for capabilities, path, _kind in assignments(user)]


def assignments(user: Actor) -> list[tuple[frozenset[str], str, str]]:
    """(capabilities, place path, place kind) of each role the user holds, read once a request."""
    if user.pk is None:  # SYSTEM, the anonymous public, an unsaved user: no row holds them
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from gridgov.accounts.models import RoleAssignment

        cached = [
            (frozenset(capabilities or ()), path, kind)
            for capabilities, path, kind in RoleAssignment.objects.filter(user_id=user.pk).values_list(
                "role__capabilities", "place__path", "place__kind"
            )
        ]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def remember_assignments(user: User, rows: Iterable[tuple[Any, str, str]]) -> None:
    """Take (capabilities, place path, place kind) rows read together with the user (the API
    token's lookup reads them in the same query) as the request's `assignments(user)`."""
    setattr(
        user, _CACHE_ATTR, [(frozenset(capabilities or ()), path, kind) for capabilities, path, kind in rows]
    )


def forget(user: User) -> None:
    """Drop the per-request cache after the user's assignments change."""
    for attr in (_CACHE_ATTR, _CAPS_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def is_unrestricted(user: Actor | None) -> bool:
    """A system administrator (superuser) or the system actor: every scope, every capability."""
    if user is SYSTEM:
        return True
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def paths_with(user: Actor, capability: str) -> list[str]:
    """The minimal set of subtree roots where the user holds `capability`."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    paths = sorted({path for capabilities, path in _assignments(user) if capability in capabilities})
    minimal: list[str] = []
    for path in paths:
        if not within(path, minimal):
            minimal.append(path)
    return minimal


def subtree_q(paths: list[str], field: str) -> Q:
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{field: path}) | Q(**{f"{field}__startswith": path + "."})
    return condition


def place_q(place: Place | str, field: str = "place__path") -> Q:
    """Filter for rows whose place (reached through `field`) is `place` or lies under it."""
    return subtree_q([_path_of(place)], field)


def below_q(place: Place | str, field: str = "place__path") -> Q:
    """Filter for rows whose place lies strictly under `place` (its descendants only)."""
    return Q(**{f"{field}__startswith": _path_of(place) + "."})


def scope_q(user: Actor, capability: str, field: str = "place__path") -> Q:
    """Filter for rows whose place (reached through `field`) lies in the user's scope."""
    if is_unrestricted(user):
        return Q()
    return subtree_q(paths_with(user, capability), field)


def has_capability(user: Actor, capability: str, place: Place | None = None) -> bool:
    """Whether the user holds `capability` at `place` (or anywhere, when place is None)."""
    if is_unrestricted(user):
        return True
    paths = paths_with(user, capability)
    if place is None:
        return bool(paths)
    return within(place.path, paths)


def has_capability_at(user: Actor, capability: str, path: str) -> bool:
    """`has_capability` for a place known only by its path (a case's `level_path`, say)."""
    if is_unrestricted(user):
        return True
    return within(path, paths_with(user, capability))


def holds_within(user: Actor, capability: str, place: Place) -> bool:
    """Whether the user holds `capability` at `place`, above it or somewhere below it: whether a
    figure over `place`'s subtree, cut to the user's scope, can show them anything at all."""
    if is_unrestricted(user):
        return True
    return any(
        within(place.path, [root]) or is_below(root, place.path) for root in paths_with(user, capability)
    )


def holders(
    capability: str,
    place: Place | str,
    *,
    at_or_above: bool = True,
    nearest: bool = False,
    kinds: Iterable[str] | None = None,
) -> QuerySet[Any]:
    """Active users who hold `capability` at `place`: assigned there or (by default) above it.

    `nearest` keeps only those assigned at the deepest such place (a grid's own staff, not every
    secretary above them); `kinds` keeps only assignments at places of those kinds. System
    administrators are not listed: they can act anywhere but are not anyone's duty."""
    from gridgov.accounts.models import Role, RoleAssignment
    from gridgov.accounts.models import User as UserModel

    path = _path_of(place)
    parts = path.split(".")
    chain = [".".join(parts[: index + 1]) for index in range(len(parts))] if at_or_above else [path]
    # Roles are a handful of rows; JSON containment is not portable to SQLite.
    role_ids = [
        pk for pk, held in Role.objects.values_list("pk", "capabilities") if capability in (held or ())
    ]
    assignments = RoleAssignment.objects.filter(
        user__is_active=True, role_id__in=role_ids, place__path__in=chain
    )
    if kinds is not None:
        assignments = assignments.filter(place__kind__in=list(kinds))
    if nearest:
        found = set(assignments.values_list("place__path", flat=True))
        if not found:
            return UserModel.objects.none()
        assignments = assignments.filter(place__path=max(found, key=lambda p: p.count(".")))
    return UserModel.objects.filter(pk__in=assignments.values("user_id")).order_by("pk")


def duty_holders(capability: str, place: Place | str, *, kinds: Iterable[str]) -> list[User]:
    """`holders(capability, place, kinds=kinds)`, or when nobody is assigned at places of those
    kinds, `holders(capability, place, nearest=True)`: the same users in the same order (by id),
    in one query compiled once per connection (who is told of every new case), where the two
    calls make up to four."""
    from gridgov.accounts.models import User as UserModel

    path = _path_of(place)
    parts = path.split(".")
    chain = [".".join(parts[: index + 1]) for index in range(len(parts))]
    rows = _duty_query(len(chain)).rows(*chain)
    wanted = set(kinds)
    # Roles are filtered here, not in SQL: JSON containment is not portable to SQLite.
    held = [row for row in rows if capability in (row[0] or ())]
    chosen = [row for row in held if row[2] in wanted]
    if not chosen and held:
        deepest = max({row[1] for row in held}, key=lambda p: p.count("."))
        chosen = [row for row in held if row[1] == deepest]
    users = {row[3]: row for row in chosen}
    return [UserModel.from_db(DEFAULT_DB_ALIAS, _user_columns(), users[pk][3:]) for pk in sorted(users)]


_DUTY_QUERIES: dict[int, Any] = {}


@functools.cache
def _user_columns() -> tuple[str, ...]:
    """The user's columns as `User.from_db` takes them."""
    from gridgov.accounts.models import User as UserModel

    return tuple(field.attname for field in UserModel._meta.concrete_fields)


def _duty_query(length: int) -> Any:
    """The `duty_holders` query for a place `length` levels deep (one parameter per path)."""
    query = _DUTY_QUERIES.get(length)
    if query is None:
        from gridgov.accounts.models import RoleAssignment
        from gridgov.core.compiled import CompiledQuery

        def build(*paths: str) -> QuerySet[Any]:
            return (
                RoleAssignment.objects.filter(user__is_active=True, place__path__in=list(paths))
                .order_by()
                .values_list(
                    "role__capabilities",
                    "place__path",
                    "place__kind",
                    *(f"user__{column}" for column in _user_columns()),
                )
            )

        query = _DUTY_QUERIES.setdefault(length, CompiledQuery(build, kinds=(str,) * length))
    return query


def capabilities_anywhere(user: Actor) -> set[str]:
    if is_unrestricted(user):
        from gridgov.accounts import capabilities

        return set(capabilities.ALL)
    if not (user and user.is_authenticated):
        return set()
    # Asked once for every menu entry of a page: the union is kept beside the assignments.
    found = getattr(user, _CAPS_ATTR, None)
    if found is None:
        found = frozenset().union(*(capabilities_ for capabilities_, _path, _kind in assignments(user)))
        setattr(user, _CAPS_ATTR, found)
    return set(found)


def require(user: Actor, capability: str, place: Place, *, visible_with: str | None = None) -> None:
    """Raise unless `user` may use `capability` at `place`.

    A place the user cannot even see gives the same NotFound as a missing one; a place they
    can see (through `visible_with`) but not act on gives Forbidden, which is honest and leaks
    nothing they did not already know. The system actor passes; `None` is refused.
    """
    require_actor(user)
    if has_capability(user, capability, place):
        return
    if visible_with and has_capability(user, visible_with, place):
        raise Forbidden()
    raise NotFound()


def unrestricted_users() -> QuerySet[Any]:
    """Active system administrators: the only users who see every subtree (see `is_unrestricted`),
    for what nobody else can see whole (records in two trees that no one role covers)."""
    from gridgov.accounts.models import User as UserModel

    return UserModel.objects.filter(is_active=True, is_superuser=True).order_by("pk")
