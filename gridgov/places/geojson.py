"""GeoJSON boundaries and points for places: parse, check each geometry, match each feature to a
place under a root (by path, code or name), and set it through places.services."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import require, subtree_q
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core.errors import field_error
from gridgov.places.models import Place
from gridgov.places.services import place_update

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import SystemActor


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


@dataclass
class GeoReport:
    features: int = 0
    matched: list[tuple[Place, str]] = field(default_factory=list)
    unmatched: list[tuple[int, str, str]] = field(default_factory=list)  # (number, label, reason)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)


def _position_problem(position: Any) -> str | None:
    if not isinstance(position, list | tuple) or len(position) < 2:
        return "坐标应为[经度, 纬度]"
    lon, lat = position[0], position[1]
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in (lon, lat)):
        return "坐标须为数字"
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"坐标超出范围（经度{lon}，纬度{lat}）"
    return None


def _polygon_problem(rings: Any) -> str | None:
    if not isinstance(rings, list) or not rings:
        return "多边形没有坐标"
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            return "多边形的每个环至少需要4个坐标点"
        for position in ring:
            problem = _position_problem(position)
            if problem:
                return problem
        if list(ring[0][:2]) != list(ring[-1][:2]):
            return "多边形没有闭合（首尾坐标不同）"
    return None


def geometry_problem(geometry: Any) -> str | None:
    """Why a GeoJSON geometry cannot be stored, in Chinese; None when it is usable."""
    if not isinstance(geometry, dict) or not geometry.get("type"):
        return "要素没有几何图形"
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return _position_problem(coordinates)
    if kind == "Polygon":
        return _polygon_problem(coordinates)
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            return "多边形集合没有坐标"
        for polygon in coordinates:
            problem = _polygon_problem(polygon)
            if problem:
                return problem
        return None
    return f"不支持的几何类型“{kind}”，只支持Polygon、MultiPolygon和Point"


def parse_geojson(raw: bytes) -> list[dict[str, Any]]:
    """The features of a GeoJSON document (bounded by GRIDGOV_UPLOAD_MAX_BYTES); ValidationError
    in Chinese when it is not one."""
    if not raw:
        raise field_error("file", "文件是空的")
    if len(raw) > settings.GRIDGOV_UPLOAD_MAX_BYTES:
        raise field_error(
            "file",
            f"文件过大（{_megabytes(len(raw))}），上限为{_megabytes(settings.GRIDGOV_UPLOAD_MAX_BYTES)}",
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise field_error("file", "不是有效的GeoJSON文件（JSON格式错误或编码不是UTF-8）") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise field_error("file", "FeatureCollection缺少features列表")
    elif isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    else:
        raise field_error("file", "GeoJSON顶层须为FeatureCollection或Feature")
    if not features:
        raise field_error("file", "文件中没有要素（features为空）")
    return features


def _feature_label(properties: dict[str, Any]) -> str:
    for key in ("path", "code", "name"):
        if properties.get(key):
            return f"{key}={properties[key]}"
    return "（无名称）"


def _match_feature(root: Place, properties: dict[str, Any]) -> tuple[Place | None, str]:
    subtree = Place.objects.filter(subtree_q([root.path], "path"))
    path = str(properties.get("path") or "").strip()
    if path:
        if all(len(part) == 4 and part.isalnum() and part.upper() == part for part in path.split(".")):
            place = subtree.filter(path=path).first()
            return place, "" if place else f"导入目标“{root.name}”下没有路径为{path}的地点"
        node: Place | None = root
        parts = [
            part.strip() for part in path.replace("／", "/").replace(">", "/").split("/") if part.strip()
        ]
        if parts and parts[0] == root.name and not Place.objects.filter(parent=root, name=parts[0]).exists():
            parts = parts[1:]
        for part in parts:
            node = Place.objects.filter(parent=node, name=part).first()
            if node is None:
                return None, f"在“{root.name}”下找不到“{part}”（path={path}）"
        return node, ""
    code = str(properties.get("code") or "").strip()
    if code:
        found = list(subtree.filter(code=code)[:2])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, f"编码“{code}”在导入目标下对应多个地点"
        return None, f"导入目标“{root.name}”下没有编码为“{code}”的地点"
    name = str(properties.get("name") or "").strip()
    if name:
        found = list(subtree.filter(name=name)[:3])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, f"名称“{name}”在导入目标下有多个地点，请改用path或code属性"
        return None, f"导入目标“{root.name}”下没有名为“{name}”的地点"
    return None, "要素没有path、code或name属性，无法对应到地点"


@transaction.atomic
def geojson_import(*, by: User | SystemActor, root: Place, raw: bytes, source_name: str = "") -> GeoReport:
    """Set boundaries (Polygon/MultiPolygon) and points (Point) of places under `root`; `by` must
    hold places.manage there. One transaction with its audit row; bad features are reported."""
    require(by, caps.PLACES_MANAGE, root, visible_with=caps.REGISTRY_VIEW)
    features = parse_geojson(raw)
    report = GeoReport(features=len(features))
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            report.invalid.append((number, "", "不是有效的要素（Feature）"))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        label = _feature_label(properties)
        geometry: Any = feature.get("geometry")  # JSON; geometry_problem refuses what is not one
        problem = geometry_problem(geometry)
        if problem:
            report.invalid.append((number, label, problem))
            continue
        place, reason = _match_feature(root, properties)
        if place is None:
            report.unmatched.append((number, label, reason))
            continue
        if geometry["type"] == "Point":
            lon, lat = geometry["coordinates"][:2]
            place_update(by=by, place=place, latitude=float(lat), longitude=float(lon))
            report.matched.append((place, f"位置 {lat:.6f}, {lon:.6f}"))
        else:
            place_update(
                by=by,
                place=place,
                boundary={"type": geometry["type"], "coordinates": geometry["coordinates"]},
            )
            report.matched.append((place, "边界" if geometry["type"] == "Polygon" else "边界（多块）"))
    audit_record(
        actor=by,
        action=AuditAction.IMPORT,
        target=root,
        place_path=root.path,
        changes={
            "GeoJSON": source_name,
            "要素数": report.features,
            "已对应": len(report.matched),
            "未对应": len(report.unmatched),
            "几何无效": len(report.invalid),
        },
    )
    return report
