"""Pages: residents vote on the phone, staff organise and publish on the PC. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.consult import policy, selectors, services
from gridgov.consult.forms import ConsultationForm, PaperVoteForm
from gridgov.consult.models import RollEntry, Stage
from gridgov.core.errors import Forbidden
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.models import Household, PlaceKind
from gridgov.places.selectors import places_for

PER_PAGE = 30


@page_access("consult:list")
@require_GET
def consultation_list(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.consultation_list(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "consult/list.html", {"page": page})


@page_access("consult:create")
@require_http_methods(["GET", "POST"])
def consultation_create(request: AuthedHttpRequest) -> HttpResponse:
    form = ConsultationForm(request.POST or None)
    scope = (
        places_for(request.user, caps.CONSULT_MANAGE)
        .filter(kind__in=[PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.ESTATE, PlaceKind.BUILDING])
        .order_by("path")
    )
    form.model_choice_field("place").queryset = scope
    form.model_choice_field("places").queryset = scope.filter(kind__in=[PlaceKind.ESTATE, PlaceKind.BUILDING])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consultation = services.consultation_create(
                by=request.user,
                place=data["place"],
                places=list(data["places"]),
                title=data["title"],
                background=data["background"],
                ballot_kind=data["ballot_kind"],
                options=data["options"].splitlines(),
                max_choices=data["max_choices"],
                unit=data["unit"],
                adults_only=data["adults_only"],
                secret=data["secret"],
                pass_rule=data["pass_rule"],
                quorum_percent=data["quorum_percent"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "议题已创建（草稿）")
            return redirect("consult:detail", consultation.pk)
    return render(request, "consult/form.html", {"form": form})


def _paper_form(request: AuthedHttpRequest, consultation, data=None) -> PaperVoteForm:
    form = PaperVoteForm(data)
    form.model_choice_field("household").queryset = Household.objects.filter(
        pk__in=RollEntry.objects.filter(consultation=consultation, participation__isnull=True).values(
            "household_id"
        )
    ).select_related("place")
    form.choice_field("options").choices = [(str(o.pk), o.label) for o in consultation.options.all()]
    return form


@page_access("consult:list")
@require_GET
def consultation_detail(request: AuthedHttpRequest, consultation_id: int) -> HttpResponse:
    consultation = selectors.consultation_for(request.user, consultation_id)
    return render(
        request,
        "consult/detail.html",
        {
            "c": consultation,
            "results": selectors.results_of(consultation)
            if consultation.stage in (Stage.VOTING, Stage.CLOSED)
            else None,
            "comments": selectors.comments_of(consultation)[:100],
            "allowed": policy.allowed(request.user, consultation),
            "paper_form": _paper_form(request, consultation) if consultation.stage == Stage.VOTING else None,
            "next_stage": _next_stage(consultation.stage),
        },
    )


def _next_stage(stage: str) -> tuple[str, str] | None:
    return {
        Stage.DRAFT: (Stage.DISCUSSION, "开始讨论"),
        Stage.DISCUSSION: (Stage.VOTING, "开始投票"),
        Stage.VOTING: (Stage.CLOSED, "结束投票并公布结果"),
    }.get(Stage(stage))


@page_access("consult:list")
@require_POST
def consultation_advance(request: AuthedHttpRequest, consultation_id: int) -> HttpResponse:
    consultation = selectors.consultation_for(request.user, consultation_id)
    try:
        services.consultation_advance(
            by=request.user, consultation=consultation, to=request.POST.get("to", "")
        )
    except (ValidationError, Forbidden) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, "议题阶段已更新")
    return redirect("consult:detail", consultation.pk)


@page_access("consult:list")
@require_POST
def paper_vote(request: AuthedHttpRequest, consultation_id: int) -> HttpResponse:
    consultation = selectors.consultation_for(request.user, consultation_id)
    form = _paper_form(request, consultation, request.POST)
    if form.is_valid():
        try:
            result = services.paper_vote_enter(
                by=request.user,
                consultation=consultation,
                household=form.cleaned_data["household"],
                option_ids=[int(v) for v in form.cleaned_data["options"]],
            )
        except (ValidationError, Forbidden) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            text = "纸质票已录入"
            if result.receipt:
                text += f"，请将回执码交给投票人：{result.receipt}"
            messages.success(request, text)
    else:
        messages.error(request, "请选择投票户和所投选项")
    return redirect("consult:detail", consultation.pk)


@page_access("consult:list")
@require_GET
def consultation_notice(request: AuthedHttpRequest, consultation_id: int) -> HttpResponse:
    consultation = selectors.consultation_for(request.user, consultation_id)
    if consultation.stage != Stage.CLOSED:
        messages.error(request, "投票结束后才能打印表决结果公告")
        return redirect("consult:detail", consultation.pk)
    return render(
        request, "consult/notice.html", {"c": consultation, "results": selectors.results_of(consultation)}
    )


# --- residents, on the phone -------------------------------------------------------------


@page_access("consult:mine")
@require_GET
def mine(request: AuthedHttpRequest) -> HttpResponse:
    items = list(selectors.consultation_list(request.user).exclude(stage=Stage.DRAFT)[:50])
    return render(request, "consult/m_list.html", {"items": items})


@page_access("consult:mine")
@require_http_methods(["GET", "POST"])
def vote_page(request: AuthedHttpRequest, consultation_id: int) -> HttpResponse:
    consultation = selectors.consultation_for(request.user, consultation_id)
    error = ""
    receipt = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "comment":
                services.comment_add(
                    by=request.user,
                    consultation=consultation,
                    text=request.POST.get("text", ""),
                    is_proposal=request.POST.get("is_proposal") == "1",
                )
                messages.success(request, "意见已发表")
                return redirect("consult:vote", consultation.pk)
            if request.POST.get("action") == "support":
                comment = (
                    selectors.comments_of(consultation).filter(pk=request.POST.get("comment") or 0).first()
                )
                if comment is not None:
                    services.comment_support(by=request.user, comment=comment)
                return redirect("consult:vote", consultation.pk)
            if request.POST.get("action") == "check":
                labels = services.receipt_counted(consultation, request.POST.get("receipt", "")[:19])
                messages.info(
                    request, f"您的选票已计入：{labels}" if labels else "没有找到这张回执码对应的选票"
                )
                return redirect("consult:vote", consultation.pk)
            options = [int(v) for v in request.POST.getlist("options") if v.isdigit()]
            result = services.vote_cast(
                by=request.user,
                consultation=consultation,
                option_ids=options,
                receipt=request.POST.get("receipt", "")[:19],
            )
            receipt = result.receipt
            if not receipt:
                messages.success(request, "投票已修改" if result.changed else "投票成功")
                return redirect("consult:vote", consultation.pk)
        except ValidationError as exc:
            error = "；".join(exc.messages)
        except Forbidden as exc:
            error = str(exc)
    resident = request.user.resident if request.user.resident_id else None
    entry, participation = selectors.my_vote(consultation, resident) if resident else (None, None)
    mine_choices: list[int] = []
    if participation is not None and not consultation.secret and hasattr(participation, "vote"):
        mine_choices = participation.vote.choices
    return render(
        request,
        "consult/m_vote.html",
        {
            "c": consultation,
            "options": selectors.options_of(consultation),
            "comments": selectors.comments_of(consultation)[:50],
            "entry": entry,
            "participation": participation,
            "own_vote": participation is not None
            and resident is not None
            and participation.voter_id == resident.pk,
            "mine_choices": mine_choices,
            "error": error,
            "receipt": receipt,
            "results": selectors.results_of(consultation) if consultation.stage == Stage.CLOSED else None,
        },
    )
