"""Phone and ID numbers typed into free text, in the many ways people write them, are masked
before the text is shown to the public."""

from __future__ import annotations

import pytest

from gridgov.core.masking import mask_numbers_in_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("联系我13800138000", "13800138000"),
        ("电话 138-0013-8001 找王阿姨", "0013-8001"),
        ("电话 138 0013 8002", "0013 8002"),
        ("电话 +86 138 0013 8003", "0013 8003"),
        ("电话+8613800138004", "00138004"),
        ("电话 +86-13800138005", "00138005"),
        ("电话 0086 13800138006", "00138006"),
        ("电话１３８００１３８００７", "００１３８００７"),
        ("电话：１３８－００１３－８００８", "００１３－８００８"),
        ("电话138.0013.8009", "0013.8009"),
    ],
)
def test_mobile_numbers_in_every_spelling(text: str, secret: str):
    masked = mask_numbers_in_text(text)
    assert secret not in masked
    digits = [c for c in secret if c.isdigit()]
    # Nothing past the first three digits of the number survives (the last four are a secret
    # too: they prove a tracking code).
    assert "".join(digits)[-4:] not in "".join(c for c in masked if c.isdigit())
    assert "*" in masked


def test_mobile_mask_keeps_the_text_and_the_prefix():
    assert mask_numbers_in_text("联系我13800138000，谢谢") == "联系我138********，谢谢"
    assert mask_numbers_in_text("电话 138-0013-8001") == "电话 138-****-****"
    assert mask_numbers_in_text("电话 +86 138 0013 8002") == "电话 +86 138 **** ****"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("身份证430102195001010018", "430102195001010018"),
        ("身份证 43010219500101001X", "43010219500101001X"),
        ("身份证 430102 19500101 0018", "19500101 0018"),
        ("身份证 4301 0219 5001 0100 18", "5001 0100 18"),
        ("身份证 430102-19500101-0018", "19500101-0018"),
        ("身份证４３０１０２１９５００１０１００１８", "１９５００１０１００１８"),
    ],
)
def test_id_numbers_with_and_without_spaces(text: str, secret: str):
    masked = mask_numbers_in_text(text)
    assert secret not in masked
    assert not any(c.isdigit() for c in masked), masked


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("座机0731-8888 6666", "8888 6666"),
        ("座机(0731)88886666", "88886666"),
        ("座机（0731）88886667", "88886667"),
        ("座机 0731 8888 6668", "8888 6668"),
        ("座机073188886669", "88886669"),
        ("座机010-6552 8888", "6552 8888"),
        ("座机0731-5888666", "5888666"),
    ],
)
def test_landlines(text: str, secret: str):
    masked = mask_numbers_in_text(text)
    assert secret not in masked
    assert "*" in masked


def test_landline_keeps_the_area_code():
    assert mask_numbers_in_text("座机0731-8888 6666") == "座机0731-**** ****"
    assert mask_numbers_in_text("座机(0731)88886666") == "座机(0731)********"


@pytest.mark.parametrize(
    "text",
    [
        "2026年1月5日10:30，3栋2单元502室楼上漏水",
        "小区共1200户，停车位300个",
        "编号2026010512",
        "",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str):
    assert mask_numbers_in_text(text) == text
