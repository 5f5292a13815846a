"""Background retraining of the triage model through the django-tasks API (Django 6's django.tasks).

`services.maybe_retrain` enqueues it after commit once enough corrections have come in; the
database-backed worker (`gridgov worker`) runs it, and every process picks the new model up on its
next version check.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from gridgov.triage import services


@task()
def retrain_model(min_new_corrections: int = 0) -> dict[str, Any]:
    model = services.retrain_if_due(min_new_corrections=min_new_corrections)
    if model is None:
        return {"trained": False}
    return {
        "trained": True,
        "version": model.version,
        "category_accuracy": model.category_accuracy,
        "urgency_accuracy": model.urgency_accuracy,
    }
