"""`order_figures`, the 生活快车 figures of the command centre's dashboards: orders received,
completed and rated through the real services, hours credited, per grid, scoped, two queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gridgov.core import clock
from gridgov.services import selectors, services
from gridgov.services.selectors import OrderFigures

pytestmark = pytest.mark.django_db


def test_order_figures_count_the_period_per_grid_within_the_scope(sw, place_order, django_assert_num_queries):
    done = place_order()
    services.order_dispatch(by=sw.lei, order=done, volunteer=sw.wu_v)
    services.order_arrive(by=sw.wu, order=done)
    services.order_complete(by=sw.wu, order=done, note="理发完成")
    services.order_rate(by=sw.zhang_user, order=done, rating=5)
    place_order()  # still open
    now = clock.now()
    span = {"since": now - dt.timedelta(days=1), "until": now + dt.timedelta(minutes=1)}
    children = [sw.grid1, sw.grid2]
    found = selectors.order_figures(user=sw.carol, place=sw.community, children=children, **span)
    assert found is not None
    assert found.total == OrderFigures(received=2, completed=1, rated=1, satisfied=1, hours=Decimal("0.50"))
    assert found.total.satisfaction_rate == 1.0
    assert found.children[sw.grid1.pk].received == 2 and found.children[sw.grid2.pk] == OrderFigures()
    # The grid-2 worker sees nothing of grid 1, and only (empty) grid 2 of the community.
    assert selectors.order_figures(user=sw.bob, place=sw.grid1, **span) is None
    assert selectors.order_figures(user=sw.bob, place=sw.community, **span).total.received == 0
    # Before the orders, nothing; and two grouped queries whatever the number of orders.
    earlier = {"since": now - dt.timedelta(days=9), "until": now - dt.timedelta(days=1)}
    assert selectors.order_figures(user=sw.carol, place=sw.community, **earlier).total == OrderFigures()
    for _ in range(5):
        place_order()
    with django_assert_num_queries(2):
        more = selectors.order_figures(user=sw.carol, place=sw.community, children=children, **span)
    assert more.total.received == 7
