"""In a real headless Chromium on a phone: a resident votes for her household on a lift
installation and her husband is refused; then a secret 业委会 election, after which no table
links a voter to a choice."""

from __future__ import annotations

import os

import pytest

from conftest import SCREENSHOT_DIR
from gridgov.consult.models import OpenVote, Participation, SecretBallot
from gridgov.consult.tests.conftest import make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _phone(browser, base, username, password):
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def _shot(page, name):
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"consult-{name}.png"), full_page=True)


def test_household_vote_and_secret_election(live_server, homes, chromium):
    lift = make(homes, title="1栋加装电梯", background="拟在1栋加装电梯一部，费用按楼层分摊。")
    election = make(
        homes,
        title="第二届业主委员会选举",
        secret=True,
        ballot_kind="multiple",
        options=["刘强", "陈静", "周伟"],
        max_choices=2,
        unit="person",
    )
    base = live_server.url

    ctx, page = _phone(chromium, base, "u_zhang", homes.password)
    page.goto(f"{base}/consult/m/")
    _shot(page, "1-list")
    page.click("text=1栋加装电梯")
    page.check("input[name=options] >> nth=0")
    page.click("button:has-text('投票')")
    assert "投票成功" in page.inner_text(".messages")
    _shot(page, "2-voted")
    ctx.close()

    ctx, page = _phone(chromium, base, "u_wang", homes.password)
    page.goto(f"{base}/consult/m/{lift.pk}/")
    assert "本户已由其他家庭成员投票" in page.inner_text("#household-voted")
    # Refused: no ballot to fill in for him (the service refuses a forged post alike, test_pages_api).
    assert page.locator("input[name=options]").count() == 0
    _shot(page, "3-second-member-refused")

    page.goto(f"{base}/consult/m/{election.pk}/")
    page.check("input[name=options] >> nth=1")
    page.check("input[name=options] >> nth=2")
    page.click("button:has-text('投票')")
    receipt = page.inner_text("#receipt code")
    _shot(page, "4-secret-receipt")
    page.fill("form:has(input[value=check]) input[name=receipt]", receipt)
    page.click("button:has-text('核对')")
    assert "您的选票已计入：陈静、周伟" in page.inner_text(".messages")
    ctx.close()

    ctx, page = _phone(chromium, base, "u_zhao", homes.password)
    page.goto(f"{base}/consult/m/{election.pk}/")
    page.check("input[name=options] >> nth=0")
    page.click("button:has-text('投票')")
    page.inner_text("#receipt code")
    ctx.close()

    assert OpenVote.objects.filter(consultation=election).count() == 0
    assert Participation.objects.filter(consultation=election).count() == 2
    assert SecretBallot.objects.filter(consultation=election).count() == 2
    # Nothing beside the ballots names them; the ballots name no one (test_secret_ballot reads every table).
    from gridgov.consult.tests.test_secret_ballot import _every_row_as_text

    dump = _every_row_as_text()
    others = "\n".join(r for label, rows in dump.items() if label != "consult.SecretBallot" for r in rows)
    for ballot_id, receipt_hash in SecretBallot.objects.values_list("id", "receipt_hash"):
        assert str(ballot_id) not in others and ballot_id.hex not in others and receipt_hash not in others
    assert receipt not in others
