"""The public summary of a case: what the community chooses to tell the world about it
(Open311's `description`). The reporter's own text is never published; staff write this."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.cases import policy
from gridgov.cases.models import Case, EventKind
from gridgov.cases.services._common import _audit, _event, _lock, _text
from gridgov.core import clock
from gridgov.core.errors import field_error
from gridgov.core.masking import mask_numbers_in_text
from gridgov.core.text import text_problem

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

SUMMARY_MAX = 500


@transaction.atomic
def case_publish_summary(*, by: Actor, case: Case, summary: str) -> Case:
    """公开摘要: set (or, with an empty text, withdraw) the summary Open311 shows; `by` must see
    the case and pass policy's "publish". Phone and ID numbers are masked."""
    case = _lock(case)
    policy.check("publish", by, case)
    summary = _text(summary, "summary", "公开摘要", required=False, max_length=SUMMARY_MAX)
    problem = text_problem(summary, "公开摘要", multiline=True)
    if problem:
        raise field_error("summary", problem)
    # Masked as stored, so what staff read back is exactly what the public gets.
    summary = mask_numbers_in_text(summary)
    before = case.public_summary
    if summary == before:
        return case
    case.public_summary = summary
    case.public_summary_at = clock.now() if summary else None
    case.save(update_fields=["public_summary", "public_summary_at", "updated_at"])
    # Internal: the reporter's timeline is about handling their report, not about publicity.
    _event(case, by=by, kind=EventKind.PUBLISHED, note=summary or "撤回公开摘要")
    _audit(case, by=by, event=EventKind.PUBLISHED, changes={"public_summary": [before, summary]})
    return case
