"""Background housekeeping of the accounts app."""

from __future__ import annotations

from django_tasks import task


@task()
def prune_login_guards() -> int:
    """The scheduler's daily sweep of idle login failure counters."""
    from gridgov.accounts.login import login_guard_prune

    return login_guard_prune()
