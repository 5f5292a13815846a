"""gridgov import_geojson FILE --root PLACE_ID: boundaries and building points from a GeoJSON file."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.accounts.scope import SYSTEM
from gridgov.core.errors import error_items
from gridgov.places.models import Place


class Command(BaseCommand):
    help = (
        "按要素 properties 中的 path（如“第一网格/聚江苑”）、code 或 name，在 --root 地点之下设置"
        "边界（Polygon/MultiPolygon）或位置（Point）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON 文件（FeatureCollection 或 Feature，WGS84 经纬度）")
        parser.add_argument("--root", type=int, required=True, help="要素所在的上级地点ID")

    def handle(self, *args, file: str, root: int, **options) -> None:
        from gridgov.places.geojson import geojson_import

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        place = Place.objects.filter(pk=root).first()
        if place is None:
            raise CommandError(f"地点ID {root} 不存在")
        try:
            report = geojson_import(by=SYSTEM, root=place, raw=path.read_bytes(), source_name=path.name)
        except ValidationError as exc:
            raise CommandError("；".join(item["message"] for item in error_items(exc))) from None
        for matched, what in report.matched:
            self.stdout.write(f"已设置  {matched.name}（{matched.get_kind_display()}）：{what}")
        for number, label, reason in report.unmatched:
            self.stdout.write(self.style.WARNING(f"未对应  第{number}个要素（{label}）：{reason}"))
        for number, label, reason in report.invalid:
            self.stdout.write(self.style.ERROR(f"几何无效 第{number}个要素（{label}）：{reason}"))
        self.stdout.write(
            f"共{report.features}个要素：已对应{len(report.matched)}个，"
            f"未对应{len(report.unmatched)}个，几何无效{len(report.invalid)}个"
        )
