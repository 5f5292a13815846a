from __future__ import annotations

from gridgov.services.tests.conftest import place_order, sw, window  # noqa: F401  (the same world)
