from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from gridgov.people.models import Membership

# Fixed-width base-36 segments: children of one parent all have paths of the same length,
# which lets a tree page count a whole level with one GROUP BY on a path prefix.
SEGMENT_WIDTH = 4
SEGMENT_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class PlaceKind(models.TextChoices):
    DISTRICT = "district", "区县"
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"
    ESTATE = "estate", "小区"
    LANE = "lane", "街巷"
    GROUP = "group", "居民小组"
    BUILDING = "building", "楼栋"
    UNIT = "unit", "单元"


# A child's level must be deeper than its parent's; levels in between may be skipped.
KIND_LEVEL: dict[str, int] = {
    PlaceKind.DISTRICT: 0,
    PlaceKind.STREET: 1,
    PlaceKind.COMMUNITY: 2,
    PlaceKind.GRID: 3,
    PlaceKind.ESTATE: 4,
    PlaceKind.LANE: 4,
    PlaceKind.GROUP: 5,
    PlaceKind.BUILDING: 6,
    PlaceKind.UNIT: 7,
}
HOUSEHOLD_PLACE_KINDS = (PlaceKind.BUILDING, PlaceKind.UNIT)


class Place(models.Model):
    kind = models.CharField("类型", max_length=16, choices=PlaceKind.choices)
    name = models.CharField("名称", max_length=100)
    code = models.CharField("编码", max_length=40, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    # GeoJSON geometry (Polygon / MultiPolygon) for grids and estates, a point for buildings.
    boundary = models.JSONField("边界", null=True, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    households_min = models.PositiveIntegerField("网格户数下限", null=True, blank=True)
    households_max = models.PositiveIntegerField("网格户数上限", null=True, blank=True)
    # A community's own service line, printed on its QR posters (empty: GRIDGOV_REPORT_HOTLINE).
    hotline = models.CharField("服务热线", max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: set by places.api for the detail answer.
    breadcrumbs: list[Place]

    class Meta:
        verbose_name = "地点"
        verbose_name_plural = "地点"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="place_unique_name_under_parent"),
        ]
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> int:
        return KIND_LEVEL[self.kind]

    def ancestor_paths(self) -> list[str]:
        parts = self.path.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]


class ResidenceKind(models.TextChoices):
    OWNER = "owner", "自住"
    RENTED = "rented", "出租"
    VACANT = "vacant", "空置"
    SHOP = "shop", "商铺"


class Household(models.Model):
    """一户一档: one dwelling and the people registered in it over time."""

    place = models.ForeignKey(
        Place, verbose_name="楼栋/单元", on_delete=models.PROTECT, related_name="households"
    )
    room = models.CharField("房号", max_length=20)
    address = models.CharField("地址", max_length=255, blank=True)
    residence_kind = models.CharField(
        "居住类型", max_length=10, choices=ResidenceKind.choices, default=ResidenceKind.OWNER
    )
    landlord = models.ForeignKey(
        "people.Resident",
        verbose_name="房东",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rented_out",
    )
    area_sqm = models.DecimalField("面积(㎡)", max_digits=7, decimal_places=2, null=True, blank=True)
    notes = models.TextField("备注", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not columns: set by places.api for the detail answer.
    members: list[Membership]
    past_members: list[Membership]
    # (`member_count` too, as the selectors' annotation: declared here it would clash with it.)

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["place__path", "room"]
        constraints = [models.UniqueConstraint(fields=["place", "room"], name="household_unique_room")]

    def __str__(self) -> str:
        return self.address or self.room
