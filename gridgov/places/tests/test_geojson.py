"""GeoJSON: boundaries and building points matched by path, code or name under a root place."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.core.errors import NotFound
from gridgov.places.geojson import geojson_import
from gridgov.places.models import Place

SQUARE = [[[112.98, 28.2], [112.99, 28.2], [112.99, 28.21], [112.98, 28.21], [112.98, 28.2]]]


def feature(properties, geometry):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def sample(world) -> bytes:
    world.building1.code = "JJY-1"
    world.building1.save()
    return collection(
        feature({"name": "第一网格"}, {"type": "Polygon", "coordinates": SQUARE}),
        feature({"path": "金泰路社区/第一网格/聚江苑"}, {"type": "MultiPolygon", "coordinates": [SQUARE]}),
        feature({"code": "JJY-1"}, {"type": "Point", "coordinates": [112.985, 28.205]}),
        feature({"name": "不存在的苑"}, {"type": "Polygon", "coordinates": SQUARE}),
        feature(
            {"name": "鸿江苑"},
            {"type": "Polygon", "coordinates": [[[112.98, 28.2], [112.99, 28.2], [112.98, 28.2]]]},
        ),
        feature({"name": "第二网格"}, {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
        feature({"name": "8栋"}, {"type": "Point", "coordinates": [512.0, 28.0]}),
    )


def test_service_sets_boundaries_and_points_and_reports(world):
    report = geojson_import(by=world.carol, root=world.community, raw=sample(world), source_name="jt.geojson")
    assert report.features == 7
    assert [place.name for place, _ in report.matched] == ["第一网格", "聚江苑", "1栋"]
    assert report.unmatched == [(4, "name=不存在的苑", "导入目标“金泰路社区”下没有名为“不存在的苑”的地点")]
    reasons = {number: reason for number, _, reason in report.invalid}
    assert reasons[5] == "多边形的每个环至少需要4个坐标点"
    assert "不支持的几何类型“LineString”" in reasons[6]
    assert reasons[7].startswith("坐标超出范围")
    grid1 = Place.objects.get(pk=world.grid1.pk)
    assert grid1.boundary == {"type": "Polygon", "coordinates": SQUARE}
    assert Place.objects.get(pk=world.estate1.pk).boundary["type"] == "MultiPolygon"
    building = Place.objects.get(pk=world.building1.pk)
    assert (building.latitude, building.longitude) == (28.205, 112.985)
    assert Place.objects.get(pk=world.estate2.pk).boundary is None
    summary = AuditEntry.objects.get(action=AuditAction.IMPORT, target_type="places.place")
    assert (
        summary.changes["已对应"] == 3 and summary.changes["未对应"] == 1 and summary.changes["几何无效"] == 3
    )
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(world.grid1.pk)).exists()


def test_service_scope_and_bad_files(world):
    with pytest.raises(NotFound):
        geojson_import(by=world.frank, root=world.grid2, raw=collection())
    with pytest.raises(ValidationError) as bad_json:
        geojson_import(by=world.carol, root=world.community, raw=b"{not json")
    assert "不是有效的GeoJSON文件" in str(bad_json.value)
    with pytest.raises(ValidationError) as empty:
        geojson_import(by=world.carol, root=world.community, raw=collection())
    assert "没有要素" in str(empty.value)
    with pytest.raises(ValidationError) as wrong_top:
        geojson_import(by=world.carol, root=world.community, raw=b'{"type": "Polygon", "coordinates": []}')
    assert "FeatureCollection或Feature" in str(wrong_top.value)
    # The name match stays under the root: grid 1's root cannot reach 鸿江苑 in grid 2.
    report = geojson_import(
        by=world.carol,
        root=world.grid1,
        raw=collection(feature({"name": "鸿江苑"}, {"type": "Polygon", "coordinates": SQUARE})),
    )
    assert report.matched == [] and "没有名为“鸿江苑”" in report.unmatched[0][2]


def test_command(world, tmp_path, capsys):
    path = tmp_path / "jt.geojson"
    path.write_bytes(sample(world))
    call_command("import_geojson", str(path), "--root", str(world.community.pk))
    out = capsys.readouterr().out
    assert "共7个要素：已对应3个，未对应1个，几何无效3个" in out
    assert "未对应  第4个要素（name=不存在的苑）" in out
    with pytest.raises(CommandError, match="地点ID 987654 不存在"):
        call_command("import_geojson", str(path), "--root", "987654")
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_geojson", str(tmp_path / "none.json"), "--root", str(world.community.pk))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_upload_page(world):
    client = _client(world.carol)
    assert client.get(reverse("places:geojson")).status_code == 200
    upload = SimpleUploadedFile("jt.geojson", sample(world))
    response = client.post(reverse("places:geojson"), {"root": world.community.pk, "file": upload})
    page = response.content.decode()
    assert (
        response.status_code == 200 and "已对应3个，未对应1个，几何无效3个" in page and "不存在的苑" in page
    )
    bad = client.post(
        reverse("places:geojson"),
        {"root": world.community.pk, "file": SimpleUploadedFile("x.json", b"[1,2")},
    )
    assert bad.status_code == 400 and "不是有效的GeoJSON文件" in bad.content.decode()
    missing = client.post(reverse("places:geojson"), {"root": world.community.pk})
    assert missing.status_code == 400 and "请选择GeoJSON文件" in missing.content.decode()


def test_upload_page_permissions(world):
    from gridgov.accounts.models import Role
    from gridgov.accounts.scope import SYSTEM
    from gridgov.accounts.services import role_grant, user_create

    # 网格长: no places.manage, so not even the page.
    frank = _client(world.frank)
    assert frank.get(reverse("places:geojson")).status_code == 403
    empty = SimpleUploadedFile("x.json", b"{}")
    assert frank.post(reverse("places:geojson"), {"root": world.grid1.pk, "file": empty}).status_code == 403
    # Places manager of grid 1 only: grid 2 is out of sight.
    gina = user_create(by=SYSTEM, username="gina", password=world.password, validate=False)
    role_grant(by=SYSTEM, user=gina, role=Role.objects.get(code="community_secretary"), place=world.grid1)
    outside = {"root": world.grid2.pk, "file": SimpleUploadedFile("x.json", b"{}")}
    assert _client(gina).post(reverse("places:geojson"), outside).status_code == 404


def test_old_transfer_address_still_works(world):
    """/transfer/geojson/ is where users and scripts knew it: a 308 keeps the POST a POST."""
    client = _client(world.carol)
    assert reverse("transfer:geojson") == "/transfer/geojson/"
    moved = client.get("/transfer/geojson/")
    assert moved.status_code == 308 and moved["Location"] == reverse("places:geojson")
    upload = SimpleUploadedFile("jt.geojson", sample(world))
    posted = client.post("/transfer/geojson/", {"root": world.community.pk, "file": upload})
    assert posted.status_code == 308 and posted["Location"] == reverse("places:geojson")
    index = client.get(reverse("transfer:index")).content.decode()
    assert reverse("places:geojson") in index
