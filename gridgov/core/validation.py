"""Chinese ID-card (GB 11643-1999) and phone validation, with messages users can act on."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# First two digits of the administrative division code (GB/T 2260): provinces, HK, MO, TW.
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
    "83",
}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


@dataclass(frozen=True)
class IdCardInfo:
    number: str
    birth_date: dt.date
    gender: str  # "M" / "F"
    region_code: str


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdCardInfo:
    """Validate an ID number and return what it encodes; raise ValidationError in Chinese."""
    number = (raw or "").strip().upper().replace(" ", "")
    if len(number) == 15 and number.isdigit():
        raise ValidationError("这是15位旧身份证号，请填写18位身份证号", code="id_old_format")
    if len(number) != 18:
        raise ValidationError(f"身份证号应为18位，当前为{len(number)}位", code="id_length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("身份证号前17位须为数字，最后一位为数字或X", code="id_chars")
    if number[:2] not in _PROVINCES:
        raise ValidationError("身份证号前两位不是有效的省级行政区划代码", code="id_region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期不存在", code="id_birth_date") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise ValidationError("身份证号中的出生日期不合理", code="id_birth_date")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError("身份证号校验位错误，请核对后重新填写", code="id_checksum")
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdCardInfo(number=number, birth_date=birth, gender=gender, region_code=number[:6])


def normalize_phone(raw: str) -> str:
    """Return the phone as digits only, or raise ValidationError naming the problem."""
    phone = re.sub(r"[\s\-()（）]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not phone.isdigit():
        raise ValidationError("电话号码只能包含数字", code="phone_chars")
    if phone.startswith("1"):
        if len(phone) != 11:
            raise ValidationError(f"手机号应为11位，当前为{len(phone)}位", code="phone_length")
        if not _MOBILE.match(phone):
            raise ValidationError("手机号号段无效", code="phone_prefix")
        return phone
    if _LANDLINE.match(phone):
        return phone
    raise ValidationError("电话号码格式不正确：手机号为11位，座机须带区号", code="phone_format")
