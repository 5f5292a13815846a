from __future__ import annotations

from django import forms

from gridgov.core.forms import SafeForm, text_field
from gridgov.mediation.models import Arrival, DisputeType, MediatorKind, Outcome
from gridgov.places.models import Place


class DisputeForm(SafeForm):
    title = text_field("案由", 100, required=True)
    dispute_type = forms.ChoiceField(label="纠纷类型", choices=DisputeType.choices)
    place = forms.ModelChoiceField(label="发生地点", queryset=Place.objects.none())
    arrival = forms.ChoiceField(label="来源", choices=Arrival.choices)
    arrival_ref = text_field("来源编号", 60)
    applicant = text_field("申请人", 100, required=True)
    respondent = text_field("被申请人", 100)
    summary = forms.CharField(
        label="纠纷简况", max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    urgent = forms.BooleanField(label="有激化为暴力的风险（立即通知社区）", required=False)


class SessionForm(SafeForm):
    held_at = forms.DateTimeField(
        label="时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    location = text_field("调解地点", 100, required=True)
    attendance = text_field("到场人员", 300, required=True)
    record = forms.CharField(label="调解记录", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class CloseForm(SafeForm):
    outcome = forms.ChoiceField(label="调解结果", choices=Outcome.choices)


class AgreementForm(SafeForm):
    terms = forms.CharField(label="协议内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    signed = forms.MultipleChoiceField(
        label="已签字的当事人", choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )


class MediatorForm(SafeForm):
    name = text_field("姓名", 50, required=True)
    kind = forms.ChoiceField(label="类别", choices=MediatorKind.choices)
    specialities = forms.MultipleChoiceField(
        label="擅长类型", choices=DisputeType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    place = forms.ModelChoiceField(label="登记地点（服务其下各处）", queryset=Place.objects.none())
