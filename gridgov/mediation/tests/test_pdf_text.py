"""The printed agreement states the dispute once: the title is only a shortened summary."""

from __future__ import annotations

from types import SimpleNamespace

from django.template.loader import render_to_string


def test_the_summary_is_printed_once_and_the_title_only_when_there_is_no_summary():
    summary = "楼上201装修噪音，晚上十点还在施工，多次沟通无果"
    dispute = SimpleNamespace(title=summary[:12], summary=summary)
    html = render_to_string("mediation/agreement_pdf.html", {"d": dispute, "a": SimpleNamespace(terms="")})
    assert html.count("楼上201装修噪音") == 1
    dispute.summary = ""
    html = render_to_string("mediation/agreement_pdf.html", {"d": dispute, "a": SimpleNamespace(terms="")})
    assert html.count("楼上201装修噪音") == 1
