"""Filing a GeoReport v2 service request: a case through the open311 channel, plus what the
client sent that a case does not hold (its media URL, device and account ids, an email)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Channel
from gridgov.cases.services import SubmitResult, case_submit_result
from gridgov.core import crypto
from gridgov.core.errors import field_error
from gridgov.open311.models import Open311Request

if TYPE_CHECKING:
    from gridgov.cases.models import ApiKey, Category
    from gridgov.places.models import Place

_URL = URLValidator(schemes=["http", "https"])


@transaction.atomic
def request_submit(
    *,
    api_key: ApiKey,
    service: Category,
    place: Place,
    description: str,
    latitude: float | None = None,
    longitude: float | None = None,
    address_string: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    email: str = "",
    media_url: str = "",
    device_id: str = "",
    account_id: str = "",
    media: Iterable[Any] = (),
    client_key: str = "",
) -> SubmitResult:
    """A new case from an Open311 client (the key's scope and rate were checked by the caller
    through `apikey_use`); a retried `client_key` returns the first case."""
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise field_error("email", "邮箱格式不正确") from None
    media_url = (media_url or "").strip()
    if media_url:
        if len(media_url) > 500:
            raise field_error("media_url", "图片地址不能超过500个字符")
        try:
            _URL(media_url)
        except ValidationError:
            raise field_error("media_url", "图片地址须为http或https网址") from None
    # Chinese order: family name first.
    name = f"{(last_name or '').strip()}{(first_name or '').strip()}"
    result = case_submit_result(
        by=SYSTEM,
        text=description,
        channel=Channel.OPEN311,
        place=place,
        category=service,
        latitude=latitude,
        longitude=longitude,
        address_detail=(address_string or "").strip()[:200],
        reporter_name=name,
        reporter_phone=phone,
        photos=media,
        client_key=client_key,
        api_key=api_key,
    )
    if result.created:
        Open311Request.objects.create(
            case=result.case,
            media_url=media_url,
            account_id=(account_id or "").strip()[:100],
            device_id=(device_id or "").strip()[:100],
            email_enc=crypto.encrypt(email) if email else "",
        )
    return result
