"""The one place that turns role assignments into "which rows may this user see".

Every selector goes through here. A user holds (role, place) assignments; each role is a set
of capabilities; a capability held at a place covers that place's whole subtree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from gridgov.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.places.models import Place

_CACHE_ATTR = "_gridgov_assignments"


def _assignments(user: User) -> list[tuple[frozenset[str], str]]:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from gridgov.accounts.models import RoleAssignment

        cached = [
            (frozenset(capabilities or ()), path)
            for capabilities, path in RoleAssignment.objects.filter(user_id=user.pk).values_list(
                "role__capabilities", "place__path"
            )
        ]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user: User) -> None:
    """Drop the per-request cache after the user's assignments change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_unrestricted(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def paths_with(user: User, capability: str) -> list[str]:
    """The minimal set of subtree roots where the user holds `capability`."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    paths = sorted({path for capabilities, path in _assignments(user) if capability in capabilities})
    minimal: list[str] = []
    for path in paths:
        if not any(path == kept or path.startswith(kept + ".") for kept in minimal):
            minimal.append(path)
    return minimal


def subtree_q(paths: list[str], field: str) -> Q:
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{field: path}) | Q(**{f"{field}__startswith": path + "."})
    return condition


def scope_q(user: User, capability: str, field: str = "place__path") -> Q:
    """Filter for rows whose place (reached through `field`) lies in the user's scope."""
    if is_unrestricted(user):
        return Q()
    return subtree_q(paths_with(user, capability), field)


def has_capability(user: User, capability: str, place: Place | None = None) -> bool:
    """Whether the user holds `capability` at `place` (or anywhere, when place is None)."""
    if is_unrestricted(user):
        return True
    paths = paths_with(user, capability)
    if place is None:
        return bool(paths)
    return any(place.path == path or place.path.startswith(path + ".") for path in paths)


def capabilities_anywhere(user: User) -> set[str]:
    if is_unrestricted(user):
        from gridgov.accounts import capabilities

        return set(capabilities.ALL)
    if not (user and user.is_authenticated):
        return set()
    found: set[str] = set()
    for capabilities_, _path in _assignments(user):
        found |= capabilities_
    return found


def require(user: User | None, capability: str, place: Place, *, visible_with: str | None = None) -> None:
    """Raise unless `user` may use `capability` at `place`.

    A place the user cannot even see gives the same NotFound as a missing one; a place they
    can see (through `visible_with`) but not act on gives Forbidden, which is honest and leaks
    nothing they did not already know. `user=None` is the system itself (commands, demo).
    """
    if user is None or has_capability(user, capability, place):
        return
    if visible_with and has_capability(user, visible_with, place):
        raise Forbidden()
    raise NotFound()
