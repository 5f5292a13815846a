"""Residents in the admin appear masked: no ciphertext, no hash, no full number."""

from __future__ import annotations

from django.urls import reverse

from gridgov.people.models import Resident


def test_resident_admin_shows_masked_numbers_only(client, world):
    client.force_login(world.admin)
    stored = Resident.objects.get(pk=world.zhang.pk)
    for url in (
        reverse("admin:people_resident_changelist"),
        reverse("admin:people_resident_change", args=[world.zhang.pk]),
    ):
        body = client.get(url).content.decode()
        assert "**************0018" in body and "*******5678" in body
        assert "430102195001010018" not in body and "13812345678" not in body
        assert stored.id_number_enc[:24] not in body and stored.id_number_hash not in body
        assert stored.phone_enc[:24] not in body and stored.phone_hash not in body


def test_resident_admin_is_only_for_superusers(client, world):
    client.force_login(world.carol)
    response = client.get(reverse("admin:people_resident_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
