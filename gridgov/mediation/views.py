"""Staff pages for mediation. Thin: selectors read (and audit each record view), services write."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.services import client_ip
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.mediation import policy, selectors, services
from gridgov.mediation.forms import AgreementForm, CloseForm, DisputeForm, MediatorForm, SessionForm
from gridgov.mediation.models import Exclusion
from gridgov.places.models import PlaceKind
from gridgov.places.selectors import places_for

PER_PAGE = 30


def _places(user):
    return places_for(user, caps.MEDIATION_HANDLE).exclude(kind=PlaceKind.UNIT).order_by("path")


@page_access("mediation:list")
@require_GET
def dispute_list(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.dispute_list(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "mediation/list.html", {"page": page, "figures": selectors.figures(request.user, months=6)}
    )


@page_access("mediation:list")
@require_http_methods(["GET", "POST"])
def dispute_create(request: AuthedHttpRequest) -> HttpResponse:
    form = DisputeForm(
        request.POST or None,
        initial={
            k: v
            for k, v in request.GET.items()
            if k in ("title", "dispute_type", "arrival", "arrival_ref", "applicant", "summary", "place")
        },
    )
    form.model_choice_field("place").queryset = _places(request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parties = [{"side": "applicant", "name": data["applicant"]}]
        if data["respondent"]:
            parties.append({"side": "respondent", "name": data["respondent"]})
        try:
            dispute = services.dispute_create(
                by=request.user,
                place=data["place"],
                title=data["title"],
                dispute_type=data["dispute_type"],
                summary=data["summary"],
                arrival=data["arrival"],
                arrival_ref=data["arrival_ref"],
                urgent=data["urgent"],
                parties=parties,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "调解案件已登记")
            return redirect("mediation:detail", dispute.pk)
    return render(request, "mediation/form.html", {"form": form})


@page_access("mediation:case")
@require_GET
def dispute_detail(request: AuthedHttpRequest, dispute_id: int) -> HttpResponse:
    dispute = selectors.dispute_view(request.user, dispute_id, ip=client_ip(request))
    allowed = policy.allowed(request.user, dispute)
    agreement_form = AgreementForm(
        initial={"terms": getattr(getattr(dispute, "agreement", None), "terms", "")}
    )
    agreement_form.choice_field("signed").choices = [(str(p.pk), str(p)) for p in dispute.parties.all()]
    return render(
        request,
        "mediation/detail.html",
        {
            "d": dispute,
            "allowed": allowed,
            "parties": list(dispute.parties.all()),
            "assignments": list(dispute.assignments.filter(active=True).select_related("mediator")),
            "exclusions": list(dispute.exclusions.select_related("mediator")),
            "proposals": selectors.proposals_for(dispute) if "assign" in allowed else [],
            "sessions": list(dispute.sessions.all()),
            "followups": list(dispute.followups.all()),
            "referrals": list(dispute.referrals.all()),
            "agreement": getattr(dispute, "agreement", None),
            "session_form": SessionForm(
                initial={"held_at": timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")}
            ),
            "close_form": CloseForm(),
            "agreement_form": agreement_form,
        },
    )


def _done(request: AuthedHttpRequest, dispute_id: int, text: str, call: Callable[[], object]) -> HttpResponse:
    try:
        call()
    except (ValidationError, Forbidden) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        messages.success(request, text)
    return redirect("mediation:detail", dispute_id)


@page_access("mediation:case")
@require_POST
def dispute_action(request: AuthedHttpRequest, dispute_id: int, action: str) -> HttpResponse:
    dispute = selectors.dispute_for(request.user, dispute_id)
    post = request.POST
    user = request.user
    if action == "assign":
        mediator = (
            selectors.mediator_for(user, int(post.get("mediator") or 0))
            if (post.get("mediator") or "").isdigit()
            else None
        )
        if mediator is None:
            raise NotFound()
        chosen = mediator
        return _done(
            request,
            dispute.pk,
            f"已指派{chosen.name}",
            lambda: services.mediator_assign(by=user, dispute=dispute, mediator=chosen),
        )
    if action == "exclude":
        mediator = (
            selectors.mediator_for(user, int(post.get("mediator") or 0))
            if (post.get("mediator") or "").isdigit()
            else None
        )
        if mediator is None:
            raise NotFound()
        party = (
            dispute.parties.filter(pk=post.get("party") or 0).first()
            if (post.get("party") or "").isdigit()
            else None
        )
        reason = Exclusion.Reason.OBJECTION if party else Exclusion.Reason.CONFLICT
        return _done(
            request,
            dispute.pk,
            "已记录回避",
            lambda: services.mediator_exclude(
                by=user,
                dispute=dispute,
                mediator=mediator,
                reason=reason,
                party=party,
                note=post.get("note", "")[:200],
            ),
        )
    if action == "session":
        form = SessionForm(post)
        if not form.is_valid():
            messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
            return redirect("mediation:detail", dispute.pk)
        d = form.cleaned_data
        return _done(
            request,
            dispute.pk,
            "调解记录已保存",
            lambda: services.session_record(
                by=user,
                dispute=dispute,
                held_at=d["held_at"],
                location=d["location"],
                attendance=d["attendance"],
                record=d["record"],
            ),
        )
    if action == "close":
        return _done(
            request,
            dispute.pk,
            "已结案",
            lambda: services.dispute_close(by=user, dispute=dispute, outcome=post.get("outcome", "")),
        )
    if action == "agreement":
        signed = list(dispute.parties.filter(pk__in=[v for v in post.getlist("signed") if v.isdigit()]))
        return _done(
            request,
            dispute.pk,
            "调解协议书已保存",
            lambda: services.agreement_save(
                by=user, dispute=dispute, terms=post.get("terms", ""), signed=signed
            ),
        )
    if action == "followup":
        followup = (
            dispute.followups.filter(pk=post.get("followup") or 0).first()
            if (post.get("followup") or "").isdigit()
            else None
        )
        if followup is None:
            raise NotFound()
        return _done(
            request,
            dispute.pk,
            "回访已记录",
            lambda: services.followup_record(
                by=user, followup=followup, kept=post.get("kept") == "1", note=post.get("note", "")[:300]
            ),
        )
    if action == "refer":
        return _done(
            request,
            dispute.pk,
            "移交函已生成",
            lambda: services.referral_create(
                by=user, dispute=dispute, to_body=post.get("to_body", ""), letter=post.get("letter", "")
            ),
        )
    raise NotFound()


@page_access("mediation:case")
@require_GET
def agreement_pdf(request: AuthedHttpRequest, dispute_id: int) -> HttpResponse:
    from gridgov.mediation.pdf import agreement_pdf as render_pdf

    dispute = selectors.dispute_view(
        request.user, dispute_id, ip=client_ip(request), purpose="打印调解协议书"
    )
    try:
        data = render_pdf(dispute)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("mediation:detail", dispute.pk)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{dispute.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@page_access("mediation:experts")
@require_http_methods(["GET", "POST"])
def experts(request: AuthedHttpRequest) -> HttpResponse:
    form = MediatorForm(request.POST or None)
    form.model_choice_field("place").queryset = _places(request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.mediator_create(
                by=request.user,
                place=d["place"],
                name=d["name"],
                kind=d["kind"],
                specialities=d["specialities"],
            )
        except (ValidationError, Forbidden) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, "已加入调解专家库")
            return redirect("mediation:experts")
    mediators = selectors.mediators_for(request.user).select_related("place").prefetch_related("serves")[:300]
    return render(request, "mediation/experts.html", {"mediators": mediators, "form": form})
