from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.core.masking import mask_id_number, mask_phone, mask_value
from gridgov.core.validation import id_check_char, normalize_phone, parse_id_number


def test_valid_id_number_gives_birth_date_and_gender():
    info = parse_id_number("430102195001010018")
    assert info.birth_date == dt.date(1950, 1, 1)
    assert info.gender == "M"
    assert parse_id_number("430102198002020027").gender == "F"


def test_lowercase_x_check_digit_is_accepted_and_normalised():
    base = "11010519491231002"
    number = base + id_check_char(base)
    assert number.endswith("X")
    assert parse_id_number(number.lower()).number == number


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("430102195001010017", "身份证号校验位错误，请核对后重新填写"),
        ("43010219500101001", "身份证号应为18位，当前为17位"),
        ("430102500101001", "这是15位旧身份证号，请填写18位身份证号"),
        ("99010219500101001X", "身份证号前两位不是有效的省级行政区划代码"),
        ("43010219500230001X", "身份证号中的出生日期不存在"),
        ("4301021950010100A8", "身份证号前17位须为数字，最后一位为数字或X"),
    ],
)
def test_bad_id_numbers_are_rejected_with_a_reason(raw, message):
    with pytest.raises(ValidationError) as caught:
        parse_id_number(raw)
    assert caught.value.messages == [message]


def test_future_birth_date_in_id_is_rejected():
    base = "43010220990101001"
    with pytest.raises(ValidationError, match="出生日期不合理"):
        parse_id_number(base + id_check_char(base), today=dt.date(2026, 11, 23))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("138 1234 5678", "13812345678"), ("+86 13812345678", "13812345678"), ("0731-84561234", "073184561234")],
)
def test_phone_normalisation(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1381234567", "手机号应为11位，当前为10位"),
        ("138123456789", "手机号应为11位，当前为12位"),
        ("12812345678", "手机号号段无效"),
        ("138abc45678", "电话号码只能包含数字"),
        ("84561234", "电话号码格式不正确：手机号为11位，座机须带区号"),
    ],
)
def test_bad_phones(raw, message):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw)
    assert caught.value.messages == [message]


def test_masks_keep_only_last_four():
    assert mask_id_number("0018") == "**************0018"
    assert mask_phone("5678") == "*******5678"
    assert mask_value("13812345678") == "*******5678"
    assert mask_id_number("") == ""
