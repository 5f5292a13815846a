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
