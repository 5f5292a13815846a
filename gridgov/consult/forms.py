from __future__ import annotations

from django import forms

from gridgov.consult.models import BallotKind, PassRule, VoteUnit
from gridgov.core.forms import SafeForm, text_field
from gridgov.places.models import Household, Place


class ConsultationForm(SafeForm):
    title = text_field("议题", 100, required=True)
    background = forms.CharField(
        label="背景说明", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    place = forms.ModelChoiceField(label="所属地点", queryset=Place.objects.none(), empty_label=None)
    places = forms.ModelMultipleChoiceField(
        label="参与范围（楼栋或小区）", queryset=Place.objects.none(), required=False
    )
    ballot_kind = forms.ChoiceField(label="表决方式", choices=BallotKind.choices)
    options = forms.CharField(
        label="选项（每行一个，同意/反对表决不必填）",
        max_length=2100,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    max_choices = forms.IntegerField(label="最多可选", min_value=1, max_value=20, initial=1)
    unit = forms.ChoiceField(label="计票单位", choices=VoteUnit.choices)
    adults_only = forms.BooleanField(label="仅限成年人", required=False, initial=True)
    secret = forms.BooleanField(label="无记名投票（选举、敏感事项）", required=False)
    pass_rule = forms.ChoiceField(label="通过规则", choices=PassRule.choices)
    quorum_percent = forms.IntegerField(label="最低参与率(%)", min_value=0, max_value=100, initial=50)


class PaperVoteForm(SafeForm):
    household = forms.ModelChoiceField(label="投票户", queryset=Household.objects.none())
    options = forms.MultipleChoiceField(label="所投选项", choices=(), widget=forms.CheckboxSelectMultiple)
