from __future__ import annotations

import pytest

from gridgov.command import coords


def test_wgs84_to_gcj02_matches_the_published_test_vector_and_goes_back():
    # eviltransform's vector (Shanghai): WGS-84 → GCJ-02.
    lng, lat = coords.wgs84_to_gcj02(121.5272106, 31.1774276)
    assert lng == pytest.approx(121.531541859215, abs=1e-9)
    assert lat == pytest.approx(31.17530398364597, abs=1e-9)
    back = coords.gcj02_to_wgs84(lng, lat)
    assert back == pytest.approx((121.5272106, 31.1774276), abs=1e-7)  # about a centimetre


def test_tiananmen_shifts_about_half_a_kilometre_east():
    lng, lat = coords.wgs84_to_gcj02(116.397477, 39.908692)
    assert (lng, lat) == pytest.approx((116.403721, 39.910095), abs=2e-6)


def test_no_shift_outside_china_and_for_cgcs2000():
    assert coords.wgs84_to_gcj02(2.3522, 48.8566) == (2.3522, 48.8566)
    assert coords.from_wgs84(112.98, 28.2, coords.CGCS2000) == (112.98, 28.2)
    assert coords.to_wgs84(*coords.from_wgs84(112.98, 28.2, coords.GCJ02), coords.GCJ02) == pytest.approx(
        (112.98, 28.2), abs=1e-7
    )
    with pytest.raises(ValueError):
        coords.from_wgs84(1, 1, "bd09")
