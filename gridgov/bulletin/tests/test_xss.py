"""No script gets through: payloads fed through every rich-text and plain-text field of notices,
activities, groups and the forum, and every page that shows them is checked for live script,
event handlers and javascript: URLs."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from gridgov.activities import services as activity_services
from gridgov.activities.models import GroupKind
from gridgov.bulletin import services as bulletin_services
from gridgov.bulletin.models import Column
from gridgov.core import clock
from gridgov.forum import services as forum_services

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">点我</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="expression(alert(1))">x</p>',
    "<input onfocus=alert(1) autofocus>",
    "<select onchange=alert(1)><option>1</select>",
    "<textarea onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<style>@import 'javascript:alert(1)';</style>",
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    "<img src=x onerror=alert(1)//",
    "<img/src=x/onerror=alert(1)>",
    "<img src=`x` onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '<p onclick="alert(1)">点击</p>',
    "<p onmouseover=alert(1)>悬停</p>",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<img src="/bulletin/files/1/" onerror=alert(1)>',
    '<img src="//evil.example/track.png">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    "{{ 7|add:7 }}{% csrf_token %}<b>模板</b>",
]


class _Live(HTMLParser):
    """Collect what a browser would run: script elements (other than the app's own static files),
    on* attributes, and javascript:/vbscript:/data: URLs in href/src/action/formaction."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> {values}")
        if tag in ("iframe", "object", "embed", "base", "meta") and tag != "meta":
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "refresh" in (values.get("http-equiv") or "").lower():
            self.problems.append("<meta refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "background", "data", "style"):
                cleaned = "".join((value or "").split()).lower()
                if any(
                    scheme in cleaned for scheme in ("javascript:", "vbscript:", "data:text", "expression(")
                ):
                    self.problems.append(f"<{tag} {name}={value}>")
            if tag == "img" and name == "src" and (value or "").startswith("//"):
                self.problems.append(f"<img src={value}> (remote)")


def assert_no_live_script(html: str, where: str) -> None:
    parser = _Live()
    parser.feed(html)
    assert not parser.problems, (where, parser.problems)


def _try(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValidationError:
        return None  # refused with a message: nothing stored, nothing shown


def test_no_payload_becomes_live_script_on_any_page(client, world):
    column = Column.objects.get(name="通知公告")
    board = forum_services.board_save(
        by=world.carol, place=world.community, name="XSS测试", hold_first_posts=0
    )
    now = clock.now()
    pages: list[tuple[object, str]] = []
    for index, payload in enumerate(PAYLOADS):
        short = payload[:50]
        col = _try(
            bulletin_services.column_save,
            by=world.carol,
            name=f"{index}{payload}"[:30],
            description=payload[:200],
        )
        notice = _try(
            bulletin_services.notice_save,
            by=world.carol,
            column=col or column,
            place=world.community,
            title=short,
            summary=payload[:300],
            body_html=f"<p>正文{index}</p>{payload}",
            needs_receipt=True,
        )
        if notice is not None:
            bulletin_services.notice_publish(by=world.carol, notice=notice)
            pages += [
                (world.erin, f"/bulletin/n/{notice.pk}/"),
                (world.carol, f"/bulletin/staff/{notice.pk}/"),
            ]
        group = _try(
            activity_services.group_create,
            by=world.carol,
            name=f"{index}{short}"[:60],
            kind=GroupKind.CULTURE,
            place=world.community,
            description=payload[:500],
        )
        activity = _try(
            activity_services.activity_create,
            by=world.carol,
            place=world.community,
            group=group,
            title=short,
            description=payload,
            location=payload[:100],
            starts_at=now + dt.timedelta(days=1, minutes=index),
            ends_at=now + dt.timedelta(days=1, hours=2),
        )
        if activity is not None:
            _try(activity_services.activity_report, by=world.carol, activity=activity, report=payload)
            pages += [
                (world.erin, f"/activities/a/{activity.pk}/"),
                (world.carol, f"/activities/staff/a/{activity.pk}/"),
            ]
        if group is not None:
            _try(activity_services.group_join, by=world.erin, group=group, note=payload[:200])
            pages += [
                (world.carol, f"/activities/groups/{group.pk}/"),
                (world.erin, f"/activities/groups/{group.pk}/"),
            ]
        topic = _try(forum_services.topic_create, by=world.erin, board=board, title=short, body=payload)
        if topic is not None:
            _try(forum_services.reply_create, by=world.erin, topic=topic, body=payload)
            _try(forum_services.post_report, by=world.erin, topic=topic, reason=payload[:200])
            pages += [(world.erin, f"/forum/t/{topic.pk}/"), (world.carol, f"/forum/t/{topic.pk}/")]
        _try(forum_services.poster_rename, by=world.erin, display_name=f"{index}{payload}"[:20])
    assert len(PAYLOADS) >= 50
    assert len(pages) >= 6 * len(PAYLOADS)  # nearly every payload was stored and shown, not just refused
    month = (now + dt.timedelta(days=1)).astimezone(activity_services.SHANGHAI).strftime("%Y-%m")
    pages += [
        (world.erin, "/bulletin/"),
        (world.carol, "/bulletin/staff/"),
        (world.carol, "/bulletin/staff/columns/"),
        (world.erin, f"/activities/?month={month}"),
        (world.carol, f"/activities/staff/?month={month}"),
        (world.erin, "/activities/groups/"),
        (world.carol, "/activities/groups/"),
        (world.erin, f"/forum/b/{board.pk}/"),
        (world.carol, f"/forum/b/{board.pk}/"),
        (world.carol, "/forum/moderation/"),
        (world.erin, "/forum/"),
    ]
    current = None
    for user, url in pages:
        if user is not current:
            client.force_login(user)
            current = user
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_live_script(response.content.decode(), url)


def test_the_checker_itself_catches_live_script():
    for live in (
        '<img src=x onerror="alert(1)">',
        "<script>alert(1)</script>",
        '<a href=" javascript:alert(1)">x</a>',
        '<svg onload="x()"></svg>',
        '<img src="//evil.example/x.png">',
    ):
        with pytest.raises(AssertionError):
            assert_no_live_script(live, "self-test")
    assert_no_live_script(
        '<script src="/static/gridgov/app.js" defer></script><p>&lt;script&gt;</p>', "self-test"
    )
