"""Writes of the transfer app: import jobs (check → choose → import) and exports.

GeoJSON boundaries moved to gridgov.places.geojson.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import (
    SYSTEM,
    SystemActor,
    has_capability,
    is_unrestricted,
    paths_with,
    require,
    scope_q,
    within,
)
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_entry, audit_record
from gridgov.core import clock, crypto
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.masking import mask_value
from gridgov.core.sealed import SealedFileError, SealedWriter, open_sealed
from gridgov.core.text import pinyin_full, pinyin_initials, strip_unwritable
from gridgov.people.models import Membership, Relation, ResidenceStatus, Resident, ResidentTag
from gridgov.people.selectors import active_tags
from gridgov.people.services import new_card_nos, phone_hash, resident_apply_identity
from gridgov.places.models import HOUSEHOLD_PLACE_KINDS, Household, Place, ResidenceKind
from gridgov.places.services import build_address
from gridgov.transfer import columns as cols
from gridgov.transfer import exports, readers, uploads
from gridgov.transfer.bulk import insert_plain
from gridgov.transfer.models import (
    CaseListJob,
    CaseListStatus,
    ImportJob,
    ImportKind,
    ImportRowError,
    ImportStatus,
)
from gridgov.transfer.rows import Pending, PlaceResolver, RowData, RowParser, row_from_json, row_to_json

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from gridgov.accounts.models import User

logger = logging.getLogger(__name__)
BATCH_ROWS = 1000


# --- import: upload -----------------------------------------------------------------------


@transaction.atomic
def import_upload(*, by: User, place: Place, kind: str, uploaded: UploadedFile | None) -> ImportJob:
    """Seal the upload on disk, refuse one that is too big or not a spreadsheet by its first
    bytes, and queue the check. Parses nothing: columns and rows are the worker's job."""
    require(by, caps.REGISTRY_IMPORT, place, visible_with=caps.REGISTRY_VIEW)
    if kind not in ImportKind.values:
        raise field_error("kind", "导入内容无效，可选：居民、楼栋和户")
    stored = uploads.store(uploaded)
    try:
        job = ImportJob.objects.create(
            created_by=by,
            place=place,
            kind=kind,
            original_name=stored.original_name,
            file_path=str(stored.path),
            file_size=stored.size,
        )
    except BaseException:
        uploads.remove(stored.path)
        raise
    # Should the caller's transaction roll back, the orphaned file goes with the periodic sweep.
    _after_commit(job, "validate")
    return job


def _after_commit(job: ImportJob, step: str) -> None:
    """Queue the next step once the job row is committed. Always the worker: even a 50-row
    sheet can declare a million empty rows, so no file is read inside a request."""
    from gridgov.transfer import tasks

    task = tasks.validate_import if step == "validate" else tasks.run_import
    job_id = job.pk
    transaction.on_commit(lambda: task.enqueue(job_id))


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.FAILED, message=message, finished_at=clock.now()
    )
    job = ImportJob.objects.get(pk=job_id)
    _remove_file(job)


def _remove_file(job: ImportJob) -> None:
    # The upload and its checked rows hold ID numbers: keep them only while needed.
    if job.file_path:
        uploads.remove(job.file_path, _spool_path(job))


def _in_scope(paths: list[str] | None, path: str | None) -> bool:
    if paths is None or not path:
        return True
    return within(path, paths)


def _import_paths(user: User | None) -> list[str] | None:
    """Subtree roots where `user` may import; None means anywhere (system or superuser)."""
    if user is None or is_unrestricted(user):
        return None
    return paths_with(user, caps.REGISTRY_IMPORT)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- import: the check ---------------------------------------------------------------------


def import_validate(*, job_id: int) -> ImportJob:
    """Check every row; record each problem (row, column, reason). Writes no registry row."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, started_at=clock.now()
    )
    job = ImportJob.objects.select_related("place", "created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        total, bad = _check_rows(job)
    except readers.FileProblem as exc:
        _fail(job.pk, str(exc))
    except SealedFileError:
        _fail(job.pk, "上传的文件已损坏或丢失，请重新上传")
    except Exception:
        _fail(job.pk, "检查文件时发生意外错误，请确认文件内容后重新上传")
        raise
    else:
        if total == 0:
            _fail(job.pk, "文件中只有表头，没有数据行")
        else:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.READY, total_rows=total, bad_rows=bad, checked_rows=total
            )
            # The good rows are in the spool now; the upload itself is not needed any more.
            uploads.remove(job.file_path)
    job.refresh_from_db()
    return job


def _check_rows(job: ImportJob) -> tuple[int, int]:
    parser = RowParser(root=job.place, kind=job.kind, tags=list(active_tags()))
    resolver = PlaceResolver(job.place)
    scope_paths = _import_paths(job.created_by)
    seen_ids: dict[str, int] = {}
    seen_unnamed: dict[tuple[Any, ...], int] = {}
    source = uploads.opener(job.file_path)
    sniffed = readers.sniff(source)
    table, rows = readers.data_rows(source, sniffed.file_format, sniffed.encoding, job.kind)
    warnings = list(job.warnings)
    if table.unknown:
        names = "、".join(strip_unwritable(name)[:40] for name in table.unknown[:20])
        warnings.append(f"以下列不在模板中，已忽略：{names}")
    source_keys = [key for key in table.keys if key]
    ImportJob.objects.filter(pk=job.pk).update(
        file_format=sniffed.file_format,
        encoding=sniffed.encoding,
        warnings=warnings,
        source_columns=[cols.BY_KEY[key].header for key in source_keys],
    )
    total = bad = 0
    with SealedWriter(_spool_path(job)) as spool:
        for batch in _batched(rows, BATCH_ROWS):
            errors: list[ImportRowError] = []
            parsed: list[RowData] = []
            for number, record in batch:
                data, problems = parser.parse(number, record)
                if data is not None:
                    problems = _check_place(resolver, data)
                if data is not None and not problems and job.kind == ImportKind.RESIDENTS:
                    if data.id_hash:
                        first = seen_ids.setdefault(data.id_hash, number)
                        if first != number:
                            problems = [("身份证号", f"与第{first}行的身份证号重复")]
                    else:
                        key = (data.steps, data.room, data.name)
                        first = seen_unnamed.setdefault(key, number)
                        if first != number:
                            problems = [("姓名", f"与第{first}行是同一户的同名居民，且都没有身份证号")]
                if problems:
                    # Messages quote the cells: nothing the database or a report cannot hold.
                    name = strip_unwritable(readers.cell_text(record.get("name")))[:50]
                    cells = [strip_unwritable(readers.cell_text(record.get(key))) for key in source_keys]
                    errors.extend(
                        ImportRowError(
                            job=job,
                            row=number,
                            column=column,
                            message=strip_unwritable(message)[:300],
                            name=name,
                            cells_enc=crypto.encrypt(json.dumps(cells, ensure_ascii=False)) if index == 0 else "",
                        )
                        for index, (column, message) in enumerate(problems)
                    )
                    bad += 1
                elif data is not None:
                    parsed.append(data)
            if job.kind == ImportKind.RESIDENTS:
                outside = _check_existing(job, parsed, scope_paths, errors)
                bad += len(outside)
                parsed = [data for data in parsed if data.row not in outside]
            spool.write("".join(row_to_json(data) + "\n" for data in parsed).encode())
            ImportRowError.objects.bulk_create(errors, batch_size=500)
            total += len(batch)
            ImportJob.objects.filter(pk=job.pk).update(checked_rows=F("checked_rows") + len(batch))
    return total, bad


def _spool_path(job: ImportJob) -> Path:
    """The checked good rows, parsed, beside the upload: sealed JSON lines, one row a line.

    The import reads these instead of parsing the spreadsheet a second time: the XML of a
    20,000-row sheet costs more to read than the rows cost to write. Sealed like the upload
    (they hold the same ID numbers), deleted when the import ends, is cancelled or expires.
    """
    return Path(job.file_path).with_suffix(".rows")


def _spooled(job: ImportJob) -> Iterator[RowData]:
    with io.TextIOWrapper(open_sealed(_spool_path(job)), encoding="utf-8") as handle:
        for line in handle:
            yield row_from_json(line)


def _check_place(resolver: PlaceResolver, data: RowData) -> list[tuple[str, str]]:
    if not data.steps and not data.room:
        return []
    try:
        node = resolver.resolve(data.steps)
    except ValueError as exc:
        return [exc.args[0]]
    if data.room and node.kind not in HOUSEHOLD_PLACE_KINDS:
        label = node.get_kind_display() if isinstance(node, Place) else ""
        return [("楼栋", f"户只能登记在楼栋或单元下，“{node.name}”是{label}")]
    return []


def _check_existing(
    job: ImportJob, parsed: list[RowData], scope_paths: list[str] | None, errors: list[ImportRowError]
) -> set[int]:
    """A resident already registered outside the importer's scope cannot be moved in by a file."""
    if scope_paths is None:
        return set()
    hashes = {data.id_hash: data for data in parsed if data.id_hash}
    if not hashes:
        return set()
    from gridgov.transfer.selectors import resident_places_by_id_hash

    bad: set[int] = set()
    for digest, path in resident_places_by_id_hash(list(hashes)).items():
        if not _in_scope(scope_paths, path):
            data = hashes[digest]
            errors.append(
                ImportRowError(
                    job=job,
                    row=data.row,
                    column="身份证号",
                    message="该身份证号无法登记，请联系社区或街道管理员核实",
                    name=data.name,
                )
            )
            bad.add(data.row)
    return bad


# --- import: the user's choice ---------------------------------------------------------------


@transaction.atomic
def import_confirm(*, by: User, job: ImportJob, mode: str) -> ImportJob:
    """`mode`: "good_rows" imports every row the check passed; "nothing" imports nothing."""
    require(by, caps.REGISTRY_IMPORT, job.place, visible_with=caps.REGISTRY_VIEW)
    job = ImportJob.objects.select_for_update().select_related("place").get(pk=job.pk)
    if mode not in ("good_rows", "nothing"):
        raise field_error("mode", "请选择“只导入正确的行”或“全部不导入”")
    if job.status != ImportStatus.READY:
        raise field_error("status", f"该导入当前状态为“{job.get_status_display()}”，不能再选择")
    if mode == "nothing":
        job.status = ImportStatus.CANCELLED
        job.finished_at = clock.now()
        job.message = "已选择全部不导入，没有写入任何数据"
        job.save(update_fields=["status", "finished_at", "message"])
        audit_record(
            actor=by,
            action=AuditAction.IMPORT,
            target=job,
            place_path=job.place.path,
            changes=_job_summary(job, chosen="全部不导入"),
        )
        transaction.on_commit(lambda: _remove_file(job))
        return job
    if job.good_rows == 0:
        raise field_error("mode", "没有可以导入的正确行")
    job.status = ImportStatus.IMPORTING
    job.save(update_fields=["status"])
    _after_commit(job, "execute")
    return job


def _job_summary(job: ImportJob, **extra: Any) -> dict[str, Any]:
    return {
        "文件": job.original_name,
        "导入内容": job.get_kind_display(),
        "总行数": job.total_rows,
        "有误行数": job.bad_rows,
        "新建地点": job.places_created,
        "新建户": job.households_created,
        "更新户": job.households_updated,
        "新增居民": job.residents_created,
        "更新居民": job.residents_updated,
        "未变化居民": job.residents_unchanged,
        "跳过行数": job.skipped_rows,
        **extra,
    }


# --- import: writing ---------------------------------------------------------------------------


def import_execute(*, job_id: int) -> ImportJob:
    """Write the good rows in batches; each batch is one transaction with its audit rows.

    Batches (not one transaction for 20,000 rows) keep the SQLite write lock short for the other
    desks and let the progress bar move. A run that stops half-way can simply be started again:
    matching by ID number and by place + room makes a second run write no duplicates.
    """
    job = ImportJob.objects.select_related("place", "created_by").get(pk=job_id)
    if job.status != ImportStatus.IMPORTING or job.finished_at is not None:
        return job
    by = job.created_by
    if by is None or not has_capability(by, caps.REGISTRY_IMPORT, job.place):
        _fail(job.pk, "导入者已没有该地点的导入权限，导入未执行")
        return ImportJob.objects.get(pk=job_id)
    writer = _Writer(job, by)
    try:
        for batch in _batched(_spooled(job), BATCH_ROWS):
            with transaction.atomic():
                counts = writer.write(batch)
                ImportJob.objects.filter(pk=job.pk).update(
                    **{name: F(name) + value for name, value in counts.items() if value}
                )
    except (OSError, ValueError, SealedFileError):
        _fail(job.pk, "检查结果文件已丢失，请重新上传（已导入的部分再次导入不会重复）")
        return ImportJob.objects.get(pk=job_id)
    except IntegrityError:
        _fail(job.pk, "导入时与他人同时登记了相同的居民，已停止；请重新上传同一文件继续（不会重复）")
        return ImportJob.objects.get(pk=job_id)
    except Exception:
        _fail(job.pk, "导入时发生意外错误，已停止；已导入的部分重新导入同一文件时不会重复")
        raise
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("place").get(pk=job_id)
        job.status = ImportStatus.DONE
        job.finished_at = clock.now()
        job.message = "导入完成"
        job.save(update_fields=["status", "finished_at", "message"])
        audit_record(
            actor=by,
            action=AuditAction.IMPORT,
            target=job,
            place_path=job.place.path,
            changes=_job_summary(job, chosen="只导入正确的行" if job.bad_rows else "全部导入"),
        )
    _remove_file(job)
    return job


@dataclass
class _Household:
    pk: int
    place: Place
    residence_kind: str
    address: str


@dataclass
class _Counts:
    values: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, amount: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + amount


class _Writer:
    """Writes batches of rows; remembers places and households across batches (a few thousand)."""

    def __init__(self, job: ImportJob, by: User) -> None:
        self.job = job
        self.by = by
        self.parser = RowParser(root=job.place, kind=job.kind, tags=list(active_tags()))
        self.resolver = PlaceResolver(job.place, by=by, create=True)
        self.scope_paths = _import_paths(by)
        self.households: dict[tuple[int, str], _Household] = {}
        self.prefixes: dict[int, str] = {}
        self.households_with_rows: set[int] = set()
        self.today = clock.today()
        # Names repeat (王芳, 张伟 …); pinyin is the slowest part of building a resident.
        self.pinyin = lru_cache(maxsize=50_000)(lambda name: (pinyin_full(name), pinyin_initials(name)))

    def _error(self, row: int, column: str, message: str, name: str = "") -> None:
        ImportRowError.objects.create(job=self.job, row=row, column=column, message=message[:300], name=name)

    def write(self, batch: list[RowData]) -> dict[str, int]:
        counts = _Counts()
        created_before = self.resolver.created
        rows: list[tuple[RowData, Place]] = []
        for data in batch:
            problems: list[tuple[str, str]] = []
            place: Place | Pending | None = None
            if data.steps or data.room:
                try:
                    place = self.resolver.resolve(data.steps)
                except ValueError as exc:
                    problems = [exc.args[0]]
                else:
                    if data.room and place.kind not in HOUSEHOLD_PLACE_KINDS:
                        problems = [("楼栋", f"户只能登记在楼栋或单元下，“{place.name}”不是楼栋或单元")]
            if problems:
                # The tree changed between the check and the import (a place renamed or moved).
                for column, message in problems:
                    self._error(data.row, column, message, data.name)
                counts.add("skipped_rows")
                continue
            if isinstance(place, Place) and data.room:
                rows.append((data, place))
            counts.add("processed_rows")
        counts.add("places_created", self.resolver.created - created_before)
        self._households(rows, counts)
        if self.job.kind == ImportKind.RESIDENTS:
            self._residents(rows, counts)
        return counts.values

    # households ---------------------------------------------------------------------------

    def _prefix(self, place: Place) -> str:
        if place.pk not in self.prefixes:
            self.prefixes[place.pk] = build_address(place, "")
        return self.prefixes[place.pk]

    def _households(self, rows: list[tuple[RowData, Place]], counts: _Counts) -> None:
        missing = {(place.pk, data.room) for data, place in rows} - self.households.keys()
        if missing:
            by_place: dict[int, set[str]] = {}
            for place_id, room in missing:
                by_place.setdefault(place_id, set()).add(room)
            places = {place.pk: place for _, place in rows}
            condition = Q(pk__in=[])
            for place_id, rooms in by_place.items():
                condition |= Q(place_id=place_id, room__in=rooms)
            for pk, place_id, room, kind, address in Household.objects.filter(condition).values_list(
                "pk", "place_id", "room", "residence_kind", "address"
            ):
                self.households[(place_id, room)] = _Household(pk, places[place_id], kind, address)
        new: dict[tuple[int, str], Household] = {}
        entries = []
        for data, place in rows:
            key = (place.pk, data.room)
            known = self.households.get(key)
            if known is None and key not in new:
                new[key] = Household(
                    place=place,
                    room=data.room,
                    residence_kind=data.residence_kind or ResidenceKind.OWNER,
                    notes=data.household_notes,
                    address=self._prefix(place) + data.room,
                )
            elif known is not None and data.residence_kind and data.residence_kind != known.residence_kind:
                Household.objects.filter(pk=known.pk).update(
                    residence_kind=data.residence_kind, updated_at=clock.now()
                )
                entries.append(
                    audit_entry(
                        actor=self.by,
                        action=AuditAction.UPDATE,
                        target_type="places.household",
                        target_id=known.pk,
                        target_label=known.address,
                        place_path=known.place.path,
                        changes=audit_diff(
                            {"residence_kind": known.residence_kind}, {"residence_kind": data.residence_kind}
                        ),
                    )
                )
                known.residence_kind = data.residence_kind
                counts.add("households_updated")
        if new:
            Household.objects.bulk_create(new.values(), batch_size=500)
            for key, household in new.items():
                self.households[key] = _Household(
                    household.pk, household.place, household.residence_kind, household.address
                )
                entries.append(
                    audit_entry(
                        actor=self.by,
                        action=AuditAction.CREATE,
                        target=household,
                        place_path=household.place.path,
                        changes=audit_diff(
                            {},
                            {
                                "room": household.room,
                                "residence_kind": household.residence_kind,
                                "来源": "导入",
                            },
                        ),
                    )
                )
            counts.add("households_created", len(new))
        insert_plain(entries)

    # residents ----------------------------------------------------------------------------

    def _residents(self, rows: list[tuple[RowData, Place]], counts: _Counts) -> None:
        by_hash: dict[str | None, RowData] = {data.id_hash: data for data, _ in rows if data.id_hash}
        existing: dict[int, Resident] = {}  # row number -> resident
        for known in Resident.objects.filter(id_number_hash__in=list(by_hash)).select_related("place"):
            existing[by_hash[known.id_number_hash].row] = known
        unnamed = [(data, place) for data, place in rows if not data.id_hash]
        if unnamed:
            household_ids = [self.households[(place.pk, data.room)].pk for data, place in unnamed]
            names = {data.name for data, _ in unnamed}
            found = {
                (m.household_id, m.resident.name): m.resident
                for m in Membership.objects.filter(
                    household_id__in=household_ids, moved_out__isnull=True, resident__name__in=names
                ).select_related("resident__place")
            }
            for data, place in unnamed:
                resident = found.get((self.households[(place.pk, data.room)].pk, data.name))
                if resident is not None:
                    existing[data.row] = resident
        open_stays: dict[int, list[Membership]] = {}
        tags_held: set[tuple[int, int]] = set()
        if existing:
            ids = [resident.pk for resident in existing.values()]
            for membership in Membership.objects.filter(
                resident_id__in=ids, moved_out__isnull=True
            ).select_related("household__place"):
                open_stays.setdefault(membership.resident_id, []).append(membership)
            tags_held = set(
                ResidentTag.objects.filter(resident_id__in=ids).values_list("resident_id", "tag_id")
            )

        creating: list[tuple[RowData, _Household, Resident]] = []
        updating: dict[str, list[Resident]] = {}
        new_stays: list[Membership] = []
        closing: list[Membership] = []
        relation_changes: list[Membership] = []
        new_tags: list[ResidentTag] = []
        entries = []
        card_nos = iter(new_card_nos(sum(1 for data, _ in rows if data.row not in existing)))
        for data, place in rows:
            household = self.households[(place.pk, data.room)]
            relation = data.relation
            if relation is None:
                relation = Relation.OTHER if household.pk in self.households_with_rows else Relation.HEAD
            self.households_with_rows.add(household.pk)
            resident = existing.get(data.row)
            if resident is None:
                resident = Resident(place=household.place, card_no=next(card_nos))
                person = dict(data.person)
                person.setdefault("residence_status", ResidenceStatus.REGISTERED)
                name = str(person.pop("name"))
                resident_apply_identity(resident, person)
                resident.name = name
                resident.name_pinyin, resident.name_initials = self.pinyin(name)
                creating.append((data, household, resident))
                new_stays.append(
                    Membership(
                        household_id=household.pk,
                        resident=resident,
                        relation=relation,
                        moved_in=data.moved_in or self.today,
                    )
                )
                continue
            if not _in_scope(self.scope_paths, resident.place.path if resident.place else None):
                self._error(
                    data.row,
                    "身份证号",
                    "该身份证号无法登记，请联系社区或街道管理员核实",
                    data.name,
                )
                counts.add("skipped_rows")
                counts.add("processed_rows", -1)
                continue
            changes = self._update_fields(resident, data, updating)
            stays = open_stays.get(resident.pk, [])
            here = [stay for stay in stays if stay.household_id == household.pk]
            if here:
                if data.relation and here[0].relation != data.relation:
                    changes["relation"] = [Relation(here[0].relation).label, Relation(data.relation).label]
                    here[0].relation = data.relation
                    relation_changes.append(here[0])
            else:
                moved_in = data.moved_in or self.today
                for stay in stays:
                    if not _in_scope(self.scope_paths, stay.household.place.path):
                        continue
                    stay.moved_out = max(moved_in, stay.moved_in) if stay.moved_in else moved_in
                    stay.move_out_reason = f"导入时迁往{household.address}"[:100]
                    closing.append(stay)
                new_stays.append(
                    Membership(
                        household_id=household.pk, resident=resident, relation=relation, moved_in=moved_in
                    )
                )
                changes["迁入"] = [
                    "、".join(stay.household.address for stay in stays) or None,
                    f"{household.address}（{Relation(relation).label}）",
                ]
                if resident.place_id != household.place.pk:
                    resident.place = household.place
                    resident.updated_at = clock.now()
                    updating.setdefault("place", []).append(resident)
            added = [tag_id for tag_id in data.tag_ids if (resident.pk, tag_id) not in tags_held]
            if added:
                new_tags.extend(
                    ResidentTag(resident=resident, tag_id=tag_id, added_by=self.by) for tag_id in added
                )
                changes["tags"] = [None, self._tag_names(added)]
            if changes:
                counts.add("residents_updated")
                entries.append(
                    audit_entry(
                        actor=self.by,
                        action=AuditAction.UPDATE,
                        target=resident,
                        place_path=household.place.path,
                        changes={**changes, "来源": [None, "导入"]},
                    )
                )
            else:
                counts.add("residents_unchanged")

        if creating:
            Resident.objects.bulk_create([resident for _, _, resident in creating], batch_size=500)
            for data, household, resident in creating:
                new_tags.extend(
                    ResidentTag(resident=resident, tag_id=tag_id, added_by=self.by) for tag_id in data.tag_ids
                )
                entries.append(
                    audit_entry(
                        actor=self.by,
                        action=AuditAction.CREATE,
                        target=resident,
                        place_path=household.place.path,
                        changes=audit_diff(
                            {},
                            {
                                **data.person,
                                "household": household.address,
                                "tags": self._tag_names(data.tag_ids) or None,
                                "来源": "导入",
                            },
                        ),
                    )
                )
            counts.add("residents_created", len(creating))
        for fields, residents in updating.items():
            Resident.objects.bulk_update(
                {resident.pk: resident for resident in residents}.values(),
                [*_UPDATE_COLUMNS.get(fields, [fields]), "updated_at"],
                batch_size=500,
            )
        if closing:
            Membership.objects.bulk_update(closing, ["moved_out", "move_out_reason"], batch_size=500)
        if relation_changes:
            Membership.objects.bulk_update(relation_changes, ["relation"], batch_size=500)
        insert_plain(new_stays)
        insert_plain(new_tags)
        insert_plain(entries)

    def _tag_names(self, tag_ids: list[int]) -> str:
        names = {pk: name for name, pk in self.parser.tags.items() if not name.isascii()}
        return "、".join(names.get(pk, str(pk)) for pk in tag_ids)

    def _update_fields(
        self, resident: Resident, data: RowData, updating: dict[str, list[Resident]]
    ) -> dict[str, list[Any]]:
        """Apply the non-empty cells that differ; an empty cell never clears what is on file."""
        changed: dict[str, Any] = {}
        before: dict[str, Any] = {}
        for name, value in data.person.items():
            if name == "id_number":
                continue
            if name == "phone":
                if value and phone_hash(str(value)) != resident.phone_hash:
                    before["phone"] = resident.phone_last4 and f"***{resident.phone_last4}"
                    changed["phone"] = value
                continue
            if value in ("", None):
                continue
            if getattr(resident, name) != value:
                before[name] = getattr(resident, name)
                changed[name] = value
        if not changed:
            return {}
        resident_apply_identity(resident, changed)
        resident.updated_at = clock.now()
        for name in changed:
            updating.setdefault(name, []).append(resident)
        after = {name: value for name, value in changed.items()}
        diff = audit_diff(before, after)
        if "phone" in diff:
            diff["phone"] = [before["phone"], mask_value(str(changed["phone"]))]
        return diff


_UPDATE_COLUMNS: dict[str, list[str]] = {
    "name": ["name", "name_pinyin", "name_initials"],
    "phone": ["phone_enc", "phone_hash", "phone_last4"],
}


# --- exports ---------------------------------------------------------------------------------


@dataclass
class ExportFile:
    handle: IO[bytes]
    filename: str
    rows: int


def _export_guard(by: User, *, unmasked: bool, purpose: str) -> str:
    if not has_capability(by, caps.REGISTRY_EXPORT):
        raise Forbidden("您没有导出人房数据的权限")
    purpose = (purpose or "").strip()
    if unmasked:
        if not has_capability(by, caps.REGISTRY_PII):
            raise Forbidden("您没有查看完整身份证号和手机号的权限，只能导出脱敏数据")
        if not purpose:
            raise field_error("purpose", "导出完整身份证号和手机号须填写用途")
        if len(purpose) > 200:
            raise field_error("purpose", "用途不能超过200个字")
    return purpose


def _require_pii_everywhere(by: User, queryset: Any, field_name: str) -> None:
    if is_unrestricted(by):
        return
    if queryset.exclude(scope_q(by, caps.REGISTRY_PII, field=field_name)).exists():
        raise Forbidden("导出范围内有您无权查看完整信息的地点，请缩小范围或导出脱敏数据")


def _masked_filters(filters: dict[str, Any]) -> dict[str, Any]:
    plain = {key: value for key, value in filters.items() if value not in (None, "")}
    query = str(plain.get("q", ""))
    if query and sum(ch.isdigit() for ch in query) >= 7:
        # A search by ID or phone number must not put the number itself into the audit trail.
        plain["q"] = mask_value(query)
    return plain


def _export(
    *,
    by: User,
    kind: str,
    label: str,
    write: Any,
    select: Callable[[], Any],
    filters: dict[str, Any],
    unmasked: bool,
    purpose: str,
    place: Place | None,
    ip: str | None,
) -> ExportFile:
    """Check the user may export (and see in full what an unmasked export holds), write the
    rows `select` gives to a spreadsheet, and audit it."""
    purpose = _export_guard(by, unmasked=unmasked, purpose=purpose)
    queryset = select()
    if unmasked:
        _require_pii_everywhere(by, queryset, "place__path")
    handle = tempfile.TemporaryFile()
    rows = write(handle, queryset, unmasked=unmasked)
    handle.seek(0)
    # The file is built outside any transaction: on SQLite a transaction holds the write lock,
    # and a long read must not block the other desks. Only the audit row is written.
    with transaction.atomic():
        audit_record(
            actor=by,
            action=AuditAction.EXPORT,
            target_type="transfer.export",
            target_id=kind,
            target_label=f"导出{label}（{rows}行，{'完整' if unmasked else '脱敏'}）",
            place_path=place.path if place is not None else "",
            changes={"list": kind, "filters": _masked_filters(filters), "rows": rows, "masked": not unmasked},
            purpose=purpose,
            ip=ip,
        )
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    return ExportFile(handle=handle, filename=f"{label}_{stamp}.xlsx", rows=rows)


def export_residents(
    *,
    by: User,
    q: str = "",
    place: Place | None = None,
    tag: str | None = None,
    status: str | None = None,
    unmasked: bool = False,
    purpose: str = "",
    ip: str | None = None,
) -> ExportFile:
    """The resident search, as the user sees it, in the import template's columns (re-importable)."""
    from gridgov.transfer.selectors import residents_to_export

    return _export(
        by=by,
        kind="residents",
        label="居民名单",
        write=exports.write_residents,
        select=lambda: residents_to_export(by, q=q, place=place, tag=tag, status=status),
        filters={"q": q, "place": place.name if place else None, "tag": tag, "status": status},
        unmasked=unmasked,
        purpose=purpose,
        place=place,
        ip=ip,
    )


def export_households(
    *,
    by: User,
    place: Place | None = None,
    unmasked: bool = False,
    purpose: str = "",
    ip: str | None = None,
) -> ExportFile:
    from gridgov.transfer.selectors import households_to_export

    return _export(
        by=by,
        kind="households",
        label="户信息",
        write=exports.write_households,
        select=lambda: households_to_export(by, place=place),
        filters={"place": place.name if place else None},
        unmasked=unmasked,
        purpose=purpose,
        place=place,
        ip=ip,
    )


def export_floating(
    *,
    by: User,
    place: Place | None = None,
    active: bool | None = True,
    unmasked: bool = False,
    purpose: str = "",
    ip: str | None = None,
) -> ExportFile:
    from gridgov.transfer.selectors import floating_to_export

    return _export(
        by=by,
        kind="floating",
        label="流动人口",
        write=exports.write_floating,
        select=lambda: floating_to_export(by, place=place, active=active),
        filters={"place": place.name if place else None, "active": active},
        unmasked=unmasked,
        purpose=purpose,
        place=place,
        ip=ip,
    )


# --- uploads nobody came back for ------------------------------------------------------------


def _keep_cutoff() -> dt.datetime:
    return clock.now() - dt.timedelta(hours=settings.GRIDGOV_IMPORT_KEEP_HOURS)


def uploads_expire(*, by: SystemActor = SYSTEM) -> dict[str, int]:
    """The periodic sweep (system only): imports not confirmed within GRIDGOV_IMPORT_KEEP_HOURS
    are cancelled (audited) and their files deleted; case lists no worker picked up likewise;
    then any file in the upload folders that no live job refers to and is as old goes too."""
    cutoff = _keep_cutoff()
    hours = f"{settings.GRIDGOV_IMPORT_KEEP_HOURS:g}"
    waiting = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.READY)
    expired = 0
    stale = ImportJob.objects.filter(status__in=waiting, created_at__lt=cutoff)
    for job_id in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            job = (
                ImportJob.objects.select_for_update()
                .select_related("place")
                .filter(pk=job_id, status__in=waiting)
                .first()
            )
            if job is None:  # confirmed meanwhile
                continue
            job.status = ImportStatus.CANCELLED
            job.finished_at = clock.now()
            job.message = f"上传后超过{hours}小时没有确认，已自动取消，上传的文件已删除；需要时请重新上传"
            job.save(update_fields=["status", "finished_at", "message"])
            audit_record(
                actor=by,
                action=AuditAction.IMPORT,
                target=job,
                place_path=job.place.path,
                changes=_job_summary(job, chosen="超时未确认，自动取消"),
            )
            transaction.on_commit(partial(_remove_file, job))
        expired += 1
    lists = 0
    for list_job in CaseListJob.objects.filter(status=CaseListStatus.PENDING, created_at__lt=cutoff):
        if case_list_fail(job_id=list_job.pk, message=f"上传后超过{hours}小时仍未处理，文件已删除；请重新上传"):
            lists += 1
    live_imports = ImportJob.objects.filter(status__in=(*waiting, ImportStatus.IMPORTING))
    keep: list[str] = []
    for path in live_imports.values_list("file_path", flat=True):
        keep += [path, str(Path(path).with_suffix(".rows"))]
    orphans = uploads.sweep_orphans(uploads.IMPORTS, cutoff, keep)
    live_lists = CaseListJob.objects.filter(status__in=(CaseListStatus.PENDING, CaseListStatus.RUNNING))
    orphans += uploads.sweep_orphans(
        uploads.CASE_LISTS, cutoff, live_lists.values_list("file_path", flat=True)
    )
    return {"imports": expired, "case_lists": lists, "orphans": orphans}


# --- cases bulk lists: the job rows (cases.bulk reads the file and files the cases) -----------


@transaction.atomic
def case_list_create(*, by: User, uploaded: UploadedFile | None, all_or_nothing: bool) -> CaseListJob:
    """Seal an uploaded problem list for the worker; `by` must hold cases.intake somewhere (the
    caller, cases.bulk, queues the task). Only the size and the first bytes are checked here."""
    if not has_capability(by, caps.CASES_INTAKE):
        raise Forbidden("您没有登记事件的权限")
    stored = uploads.store(uploaded, folder=uploads.CASE_LISTS)
    try:
        return CaseListJob.objects.create(
            created_by=by,
            original_name=stored.original_name,
            file_path=str(stored.path),
            file_size=stored.size,
            all_or_nothing=all_or_nothing,
            upload_date=clock.today(),
        )
    except BaseException:
        uploads.remove(stored.path)
        raise


def case_list_start(*, job_id: int) -> CaseListJob | None:
    """Claim a pending list for this worker; None when another one has it (or it is over)."""
    claimed = CaseListJob.objects.filter(pk=job_id, status=CaseListStatus.PENDING).update(
        status=CaseListStatus.RUNNING, started_at=clock.now()
    )
    if not claimed:
        return None
    return CaseListJob.objects.select_related("created_by").get(pk=job_id)


def case_list_finish(
    *,
    job_id: int,
    total_rows: int,
    created_ids: list[int],
    existing_ids: list[int],
    errors: list[dict[str, Any]],
    written: bool,
) -> None:
    """Record what the list filed, and delete the file."""
    job = CaseListJob.objects.get(pk=job_id)
    CaseListJob.objects.filter(pk=job_id).update(
        status=CaseListStatus.DONE,
        total_rows=total_rows,
        created_ids=created_ids,
        existing_ids=existing_ids,
        errors=[{**error, "message": strip_unwritable(str(error["message"]))[:300]} for error in errors],
        written=written,
        finished_at=clock.now(),
        file_path="",
    )
    uploads.remove(job.file_path)


def case_list_fail(*, job_id: int, message: str) -> bool:
    """Mark an unfinished list failed with a message for the user, and delete the file."""
    job = CaseListJob.objects.filter(pk=job_id).first()
    if job is None:
        return False
    changed = CaseListJob.objects.filter(
        pk=job_id, status__in=(CaseListStatus.PENDING, CaseListStatus.RUNNING)
    ).update(status=CaseListStatus.FAILED, message=message, finished_at=clock.now(), file_path="")
    uploads.remove(job.file_path)
    return bool(changed)
