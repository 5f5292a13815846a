"""Writing registry lists to .xlsx: openpyxl write-only, rows streamed with .iterator().

Every row goes through `core.sheets.xlsx_row`: names, notes and addresses are typed text, so a
resident called "=HYPERLINK(…)" is a name in the export, not a formula.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet

from gridgov.core import crypto
from gridgov.core.sheets import xlsx_row
from gridgov.people.models import Membership, PoliticalStatus, Relation, ResidenceStatus, ResidentTag
from gridgov.places.models import PlaceKind, ResidenceKind
from gridgov.transfer import columns as cols

CHUNK = 2000
# The resident export uses the import template's columns, so an exported list (unmasked) can be
# corrected in Excel and imported back; two read-only columns follow.
RESIDENT_HEADERS = [column.header for column in cols.COLUMNS] + ["出生日期", "服务卡号"]
HOUSEHOLD_HEADERS = [
    "网格",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "地址",
    "居住类型",
    "现住人数",
    "户主",
    "户主手机号",
    "房东",
]
FLOATING_HEADERS = [
    "姓名",
    "性别",
    "身份证号",
    "手机号",
    "网格",
    "居住地址",
    "户籍地/来源地",
    "来此事由",
    "房东",
    "工作单位",
    "登记日期",
    "预计居住至",
    "已建健康档案",
    "状态",
    "注销日期",
    "注销原因",
]
_LEVEL_KINDS = {
    "grid": (PlaceKind.GRID,),
    "estate": (PlaceKind.ESTATE, PlaceKind.LANE, PlaceKind.GROUP),
    "building": (PlaceKind.BUILDING,),
    "unit": (PlaceKind.UNIT,),
}


def _chunks(queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in queryset.iterator(chunk_size=CHUNK):
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _PlaceNames:
    """网格/小区/楼栋/单元 of a place path, looking ancestors up once per chunk."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[str, str]] = {}

    def load(self, paths: set[str]) -> None:
        from gridgov.transfer.selectors import places_by_path

        wanted: set[str] = set()
        for path in paths:
            parts = path.split(".")
            wanted.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        missing = wanted - self.known.keys()
        if missing:
            self.known.update(places_by_path(missing))

    def levels(self, path: str | None) -> dict[str, str]:
        found = {"grid": "", "estate": "", "building": "", "unit": ""}
        if not path:
            return found
        parts = path.split(".")
        for i in range(len(parts)):
            kind, name = self.known.get(".".join(parts[: i + 1]), ("", ""))
            for level, kinds in _LEVEL_KINDS.items():
                if kind in kinds and not found[level]:
                    found[level] = name
        return found


def _workbook(title: str, headers: list[str]) -> tuple[Any, Any]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append(xlsx_row(sheet, headers))
    return workbook, sheet


def _pii(ciphertext: str, last4: str, masked: str, unmasked: bool) -> str:
    if not last4:
        return ""
    return crypto.decrypt(ciphertext) if unmasked else masked


def write_residents(handle: IO[bytes], queryset: QuerySet[Any], *, unmasked: bool) -> int:
    workbook, sheet = _workbook("居民信息", RESIDENT_HEADERS)
    names = _PlaceNames()
    rows = 0
    for chunk in _chunks(
        queryset.only(
            "id",
            "name",
            "gender",
            "birth_date",
            "ethnicity",
            "id_number_enc",
            "id_number_last4",
            "phone_enc",
            "phone_last4",
            "residence_status",
            "political_status",
            "employment",
            "notes",
            "card_no",
            "place__path",
        )
    ):
        ids = [resident.pk for resident in chunk]
        names.load({resident.place.path for resident in chunk if resident.place_id})
        stays: dict[int, Membership] = {}
        for open_stay in (
            Membership.objects.filter(resident_id__in=ids, moved_out__isnull=True)
            .select_related("household")
            .order_by("moved_in", "id")
        ):
            stays[open_stay.resident_id] = open_stay  # the latest open stay wins
        tags: dict[int, list[str]] = {}
        for resident_id, tag_name in ResidentTag.objects.filter(resident_id__in=ids).values_list(
            "resident_id", "tag__name"
        ):
            tags.setdefault(resident_id, []).append(tag_name)
        for resident in chunk:
            stay = stays.get(resident.pk)
            levels = names.levels(resident.place.path if resident.place_id else None)
            sheet.append(
                xlsx_row(
                    sheet,
                    [
                        levels["grid"],
                        levels["estate"],
                        levels["building"],
                        levels["unit"],
                        stay.household.room if stay else "",
                        ResidenceKind(stay.household.residence_kind).label if stay else "",
                        resident.name,
                        resident.get_gender_display(),
                        _pii(
                            resident.id_number_enc,
                            resident.id_number_last4,
                            resident.id_number_masked,
                            unmasked,
                        ),
                        _pii(resident.phone_enc, resident.phone_last4, resident.phone_masked, unmasked),
                        resident.ethnicity,
                        Relation(stay.relation).label if stay else "",
                        ResidenceStatus(resident.residence_status).label,
                        PoliticalStatus(resident.political_status).label,
                        resident.employment,
                        "、".join(tags.get(resident.pk, [])),
                        stay.moved_in.isoformat() if stay and stay.moved_in else "",
                        resident.notes,
                        resident.birth_date.isoformat() if resident.birth_date else "",
                        resident.card_no,
                    ],
                )
            )
            rows += 1
    workbook.save(handle)
    return rows


def write_households(handle: IO[bytes], queryset: QuerySet[Any], *, unmasked: bool) -> int:
    workbook, sheet = _workbook("户信息", HOUSEHOLD_HEADERS)
    names = _PlaceNames()
    rows = 0
    for chunk in _chunks(queryset):
        names.load({household.place.path for household in chunk})
        heads: dict[int, Any] = {}
        for stay in Membership.objects.filter(
            household_id__in=[household.pk for household in chunk],
            moved_out__isnull=True,
            relation=Relation.HEAD,
        ).select_related("resident"):
            heads.setdefault(stay.household_id, stay.resident)
        for household in chunk:
            levels = names.levels(household.place.path)
            head = heads.get(household.pk)
            sheet.append(
                xlsx_row(
                    sheet,
                    [
                        levels["grid"],
                        levels["estate"],
                        levels["building"],
                        levels["unit"],
                        household.room,
                        household.address,
                        household.get_residence_kind_display(),
                        household.member_count,
                        head.name if head else "",
                        _pii(head.phone_enc, head.phone_last4, head.phone_masked, unmasked) if head else "",
                        household.landlord.name if household.landlord_id else "",
                    ],
                )
            )
            rows += 1
    workbook.save(handle)
    return rows


def write_floating(handle: IO[bytes], queryset: QuerySet[Any], *, unmasked: bool) -> int:
    workbook, sheet = _workbook("流动人口", FLOATING_HEADERS)
    names = _PlaceNames()
    rows = 0
    for chunk in _chunks(queryset):
        names.load({registration.place.path for registration in chunk})
        for registration in chunk:
            resident = registration.resident
            landlord = registration.landlord.name if registration.landlord else registration.landlord_name
            sheet.append(
                xlsx_row(
                    sheet,
                    [
                        resident.name,
                        resident.get_gender_display(),
                        _pii(
                            resident.id_number_enc,
                            resident.id_number_last4,
                            resident.id_number_masked,
                            unmasked,
                        ),
                        _pii(resident.phone_enc, resident.phone_last4, resident.phone_masked, unmasked),
                        names.levels(registration.place.path)["grid"],
                        registration.household.address if registration.household else registration.place.name,
                        registration.origin,
                        registration.get_reason_display(),
                        landlord,
                        registration.employer,
                        registration.registered_on.isoformat(),
                        registration.expected_until.isoformat() if registration.expected_until else "",
                        "是" if registration.has_health_file else "否",
                        "在册" if registration.deregistered_on is None else "已注销",
                        registration.deregistered_on.isoformat() if registration.deregistered_on else "",
                        registration.deregistration_reason,
                    ],
                )
            )
            rows += 1
    workbook.save(handle)
    return rows
