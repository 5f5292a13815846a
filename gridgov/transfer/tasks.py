"""Background steps of an import: checking every row, then writing the good ones."""

from __future__ import annotations

from django_tasks import task


@task()
def validate_import(job_id: int) -> None:
    from gridgov.transfer.services import import_validate

    import_validate(job_id=job_id)


@task()
def run_import(job_id: int) -> None:
    from gridgov.transfer.services import import_execute

    import_execute(job_id=job_id)


@task()
def expire_uploads() -> dict[str, int]:
    """The scheduler's sweep: uploads nobody confirmed within GRIDGOV_IMPORT_KEEP_HOURS."""
    from gridgov.accounts.scope import SYSTEM
    from gridgov.transfer.services import uploads_expire

    return uploads_expire(by=SYSTEM)
