from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    # Uploaded rosters hold ID numbers: keep the tests' copies out of the data folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def wang(world):
    """A 社区工作者 of grid 1 only: may import and export there, cannot see grid 2, no PII right."""
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create

    user = user_create(by=SYSTEM, username="wang", password=world.password, display_name="王", validate=False)
    role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="community_worker"), place=world.grid1)
    return user
