from __future__ import annotations

import json

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.command import selectors
from gridgov.places.services import place_update

LEFT = [[112.98, 28.20], [112.99, 28.20], [112.99, 28.19], [112.98, 28.19]]
RIGHT = [[112.99, 28.20], [113.00, 28.20], [113.00, 28.19], [112.99, 28.19]]


def _save(client, place, ring):
    return client.post(
        reverse("command:boundary_save", args=[place.pk]),
        json.dumps({"ring": ring}),
        content_type="application/json",
    )


def test_point_in_polygon_with_a_hole():
    square = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ],
    }
    assert selectors.polygon_contains(square, 1, 1)
    assert not selectors.polygon_contains(square, 5, 5)
    assert not selectors.polygon_contains(square, 11, 5)
    assert not selectors.polygon_contains(None, 1, 1)


def test_carol_redraws_grids_is_audited_and_warned_about_buildings(client, cw):
    place_update(by=SYSTEM, place=cw.building1, latitude=28.195, longitude=112.985)
    place_update(by=SYSTEM, place=cw.building2, latitude=28.195, longitude=112.995)
    client.force_login(cw.carol)
    first = _save(client, cw.grid1, LEFT)
    assert first.status_code == 200
    # Grid 2 has no boundary yet, so 8栋 is in no drawn grid.
    assert first.json()["warnings"] == ["鸿江苑8栋不在任何网格的边界内"]
    cw.grid1.refresh_from_db()
    assert cw.grid1.boundary["coordinates"][0][0] == cw.grid1.boundary["coordinates"][0][-1]
    assert AuditEntry.objects.filter(target_type="places.place", target_id=str(cw.grid1.pk)).exists()
    overlapping = [[112.984, 28.20], [113.00, 28.20], [113.00, 28.19], [112.984, 28.19]]
    second = _save(client, cw.grid2, overlapping)
    assert second.json()["warnings"] == ["聚江苑1栋同时落在第一网格、第二网格的边界内"]
    assert _save(client, cw.grid2, RIGHT).json()["warnings"] == []
    page = client.get(reverse("command:boundaries", args=[cw.community.pk])).content.decode()
    assert "每栋楼都恰好落在一个网格内" in page


@pytest.mark.parametrize(
    "ring, message",
    [
        ([[1, 2]], "边界须有3到500个点"),
        ([["a", 1], [2, 2], [3, 3]], "边界的点须是经纬度数字"),
        ([[200, 1], [2, 2], [3, 3]], "边界的点超出经纬度范围"),
    ],
)
def test_bad_outlines_are_refused_in_chinese(client, cw, ring, message):
    client.force_login(cw.carol)
    response = _save(client, cw.grid1, ring)
    assert response.status_code == 400 and response.json()["detail"] == message


def test_outside_the_scope_is_not_found_and_workers_may_not_draw(client, cw, other_street):
    from gridgov.places.models import Place

    client.force_login(cw.carol)
    other_grid = Place.objects.get(name="别的网格")
    assert _save(client, other_grid, LEFT).status_code == 404
    assert _save(client, cw.building1, LEFT).status_code == 404
    client.force_login(cw.alice)
    assert _save(client, cw.grid1, LEFT).status_code == 403
