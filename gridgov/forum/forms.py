from __future__ import annotations

from django import forms

from gridgov.core.forms import SafeForm, text_field
from gridgov.forum.models import ALIAS_MAX, BODY_MAX, TITLE_MAX


class TopicForm(SafeForm):
    title = text_field("标题", TITLE_MAX, required=True)
    body = forms.CharField(
        label="内容",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "请填写内容", "max_length": f"内容不能超过{BODY_MAX}个字"},
    )


class ReplyForm(SafeForm):
    body = forms.CharField(
        label="回复内容",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写回复内容", "max_length": f"回复内容不能超过{BODY_MAX}个字"},
    )


class AliasForm(SafeForm):
    display_name = text_field("昵称", ALIAS_MAX, required=True)


class BoardForm(SafeForm):
    place = forms.TypedChoiceField(label="社区/小区", coerce=int, choices=())
    name = text_field("版块名称", 40, required=True)
    description = text_field("说明", 200)
    hold_first_posts = forms.IntegerField(label="新用户前几帖需审核", min_value=0, max_value=20, initial=2)


class WordForm(SafeForm):
    word = text_field("敏感词", 40, required=True)
