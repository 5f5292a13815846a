from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, place_q, scope_q
from gridgov.core import crypto
from gridgov.core.errors import NotFound
from gridgov.people.models import FloatingRegistration, Resident
from gridgov.people.selectors import floating_for, resident_search
from gridgov.places.models import Household, Place, PlaceKind
from gridgov.places.selectors import AREA_KINDS, households_for, places_for
from gridgov.transfer.models import CaseListJob, ImportJob, ImportRowError

if TYPE_CHECKING:
    from gridgov.accounts.models import User

PICKER_KINDS = (*AREA_KINDS, PlaceKind.BUILDING)
PICKER_LIMIT = 2000


def can_import(user: User) -> bool:
    return has_capability(user, caps.REGISTRY_IMPORT)


def can_export(user: User) -> bool:
    return has_capability(user, caps.REGISTRY_EXPORT)


def can_export_unmasked(user: User) -> bool:
    return has_capability(user, caps.REGISTRY_PII)


def place_choices(user: User, capability: str) -> QuerySet[Place]:
    """Places to offer in a picker: down to buildings (units would only crowd the list)."""
    return places_for(user, capability).filter(kind__in=PICKER_KINDS).order_by("path")[:PICKER_LIMIT]


def import_place_for(user: User, place_id: int) -> Place:
    """The target of an import: missing or out of sight → NotFound; visible but no import right
    is refused by the service (Forbidden)."""
    return _place_visible(user, place_id)


def export_place_for(user: User, place_id: int) -> Place:
    return _place_visible(user, place_id)


def _place_visible(user: User, place_id: int) -> Place:
    place = places_for(user, caps.REGISTRY_VIEW).filter(pk=place_id).first()
    if place is None:
        raise NotFound()
    return place


def import_jobs_for(user: User) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(scope_q(user, caps.REGISTRY_IMPORT, field="place__path")).select_related(
        "place", "created_by"
    )


def import_job_for(user: User, job_id: int) -> ImportJob:
    job = import_jobs_for(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


def job_errors(job: ImportJob) -> QuerySet[ImportRowError]:
    """Errors of a job the caller already fetched through import_job_for()."""
    return ImportRowError.objects.filter(job=job).order_by("row", "id")


def jobs_errors(jobs: list[ImportJob], limit: int) -> dict[int, tuple[int, list[dict[str, object]]]]:
    """For a list of jobs the caller already fetched: each job's error count and its first
    `limit` errors, in two queries whatever the number of jobs (not two per job)."""
    ids = [job.pk for job in jobs]
    if not ids:
        return {}
    counts = dict(
        ImportRowError.objects.filter(job_id__in=ids).values_list("job_id").annotate(n=Count("id")).order_by()
    )
    first: dict[int, list[dict[str, object]]] = {}
    rows = (
        ImportRowError.objects.filter(job_id__in=ids)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("job_id")], order_by=[F("row").asc(), F("id").asc()])
        )
        .filter(rank__lte=limit)
        .order_by("job_id", "row", "id")
        .values("job_id", "row", "column", "message", "name")
    )
    for row in rows:
        first.setdefault(int(row.pop("job_id")), []).append(row)
    return {pk: (counts.get(pk, 0), first.get(pk, [])) for pk in ids}


@dataclass
class ErrorRow:
    row: int
    cells: list[str]
    reasons: str


def job_error_rows(job: ImportJob) -> Iterator[ErrorRow]:
    """Each bad row of a job the caller already fetched: its cells as uploaded and every reason
    ("列：原因；…"), in file order."""
    current: ErrorRow | None = None
    width = len(job.source_columns)
    for error in job_errors(job).iterator(chunk_size=2000):
        if current is not None and current.row != error.row:
            yield current
            current = None
        if current is None:
            cells = json.loads(crypto.decrypt(error.cells_enc)) if error.cells_enc else []
            current = ErrorRow(row=error.row, cells=[*cells, *[""] * width][:width], reasons="")
        reason = f"{error.column}：{error.message}" if error.column else error.message
        current.reasons = f"{current.reasons}；{reason}" if current.reasons else f"原第{error.row}行 {reason}"
    if current is not None:
        yield current


def resident_places_by_id_hash(hashes: list[str]) -> dict[str, str | None]:
    """Where residents with these ID hashes live now (place path), for the import's conflict check.

    Deliberately unscoped: it answers "is this person registered outside your scope?", which the
    import must know before it may move anyone; callers reveal only that yes/no, never the place.
    """
    rows = Resident.objects.filter(id_number_hash__in=hashes).values_list("id_number_hash", "place__path")
    return {id_hash: path for id_hash, path in rows if id_hash is not None}  # (the filter leaves no None)


def _subtree(place: Place | None, field: str = "place__path") -> Q:
    if place is None:
        return Q()
    return place_q(place, field)


def residents_to_export(
    user: User, *, q: str = "", place: Place | None = None, tag: str | None = None, status: str | None = None
) -> QuerySet[Resident]:
    """The resident search the user sees, cut to where they may export."""
    return (
        resident_search(user, q=q, place=place, tag=tag or None, status=status or None)
        .filter(scope_q(user, caps.REGISTRY_EXPORT, field="place__path"))
        .order_by("place__path", "id")
    )


def households_to_export(user: User, *, place: Place | None = None) -> QuerySet[Household]:
    return (
        households_for(user, caps.REGISTRY_EXPORT)
        .filter(_subtree(place))
        .select_related("place", "landlord")
        .annotate(member_count=Count("memberships", filter=Q(memberships__moved_out__isnull=True)))
        .order_by("place__path", "room")
    )


def floating_to_export(
    user: User, *, place: Place | None = None, active: bool | None = True
) -> QuerySet[FloatingRegistration]:
    return (
        floating_for(user, active=active)
        .filter(scope_q(user, caps.REGISTRY_EXPORT, field="place__path"))
        .filter(_subtree(place))
        .select_related("landlord")
        .order_by("place__path", "-registered_on", "id")
    )


def places_by_path(paths: set[str]) -> dict[str, tuple[str, str]]:
    """{path: (kind, name)} for the ancestors an export row needs to name its 网格/小区/楼栋/单元."""
    return {
        path: (kind, name)
        for path, kind, name in Place.objects.filter(path__in=paths).values_list("path", "kind", "name")
    }


def case_list_jobs_for(user: User) -> QuerySet[CaseListJob]:
    """A user's own problem-list uploads: a list is the uploader's business, nobody else's."""
    if not (user and user.is_authenticated and user.pk):
        return CaseListJob.objects.none()
    return CaseListJob.objects.filter(created_by_id=user.pk)


def case_list_job_for(user: User, job_id: int) -> CaseListJob:
    job = case_list_jobs_for(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job
