"""Coordinate systems of the map tiles: places store WGS-84; tiles may be drawn in GCJ-02.

GCJ-02 (国测局坐标, used by most Chinese commercial tiles) is WGS-84 shifted by a published
obfuscation formula inside China; CGCS2000 (天地图) agrees with WGS-84 to well under a metre at
street scale, so it needs no shift. The inverse of GCJ-02 has no closed form: it is solved by
a few fixed-point iterations, accurate to centimetres."""

from __future__ import annotations

import math

WGS84 = "wgs84"
GCJ02 = "gcj02"
CGCS2000 = "cgcs2000"
SYSTEMS = (WGS84, GCJ02, CGCS2000)

_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """(lng, lat) in WGS-84 → GCJ-02; unchanged outside China, where no shift applies."""
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """(lng, lat) in GCJ-02 → WGS-84 by fixed-point iteration (the shift varies slowly)."""
    if out_of_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(8):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        wlng, wlat = wlng - (glng - lng), wlat - (glat - lat)
    return wlng, wlat


def from_wgs84(lng: float, lat: float, system: str) -> tuple[float, float]:
    """A stored WGS-84 point in the tiles' `system`."""
    if system == GCJ02:
        return wgs84_to_gcj02(lng, lat)
    if system in (WGS84, CGCS2000):
        return lng, lat
    raise ValueError(f"unknown coordinate system {system!r}")


def to_wgs84(lng: float, lat: float, system: str) -> tuple[float, float]:
    """A point drawn on tiles in `system` (the boundary editor) back to stored WGS-84."""
    if system == GCJ02:
        return gcj02_to_wgs84(lng, lat)
    if system in (WGS84, CGCS2000):
        return lng, lat
    raise ValueError(f"unknown coordinate system {system!r}")
