"""有事好商量 over JSON: thin calls into consult.selectors and consult.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from gridgov.accounts import capabilities as caps
from gridgov.consult import selectors, services
from gridgov.consult.models import Comment, Stage
from gridgov.consult.schemas import (
    AdvanceIn,
    CommentIn,
    CommentOut,
    ConsultationCreateIn,
    ConsultationDetailOut,
    ConsultationOut,
    PaperVoteIn,
    ReceiptIn,
    ReceiptOut,
    ResultsOut,
    VoteIn,
    VoteOut,
)
from gridgov.core.errors import NotFound
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.people.selectors import resident_for
from gridgov.places.selectors import household_for, place_for

router = Router(tags=["有事好商量"])


class ConsultationFilter(Schema):
    stage: Stage | None = None


@router.get("/consult/consultations", response=list[ConsultationOut], summary="协商议题列表")
@paged
def consultation_list(request: HttpRequest, filters: Query[ConsultationFilter]):
    return selectors.consultation_list(api_user(request), stage=filters.stage or "")


@router.get("/consult/consultations/{consultation_id}", response=ConsultationDetailOut, summary="议题详情")
def consultation_detail(request: HttpRequest, consultation_id: int):
    return selectors.consultation_for(api_user(request), consultation_id)


@router.post("/consult/consultations", response={201: ConsultationDetailOut}, summary="发起协商议题（草稿）")
def consultation_create(request: HttpRequest, payload: ConsultationCreateIn):
    user = api_user(request)
    consultation = services.consultation_create(
        by=user,
        place=place_for(user, payload.place, caps.CONSULT_MANAGE),
        places=[place_for(user, place_id, caps.CONSULT_MANAGE) for place_id in payload.places],
        **payload.dict(exclude={"place", "places"}),
    )
    return Status(201, consultation)


@router.post(
    "/consult/consultations/{consultation_id}/advance", response=ConsultationDetailOut, summary="进入下一阶段"
)
def consultation_advance(request: HttpRequest, consultation_id: int, payload: AdvanceIn):
    user = api_user(request)
    consultation = selectors.consultation_for(user, consultation_id)
    return services.consultation_advance(by=user, consultation=consultation, to=payload.to)


@router.post(
    "/consult/consultations/{consultation_id}/comments", response={201: CommentOut}, summary="发表意见或建议"
)
def comment_add(request: HttpRequest, consultation_id: int, payload: CommentIn):
    user = api_user(request)
    consultation = selectors.consultation_for(user, consultation_id)
    return Status(
        201,
        services.comment_add(
            by=user, consultation=consultation, text=payload.text, is_proposal=payload.is_proposal
        ),
    )


@router.get(
    "/consult/consultations/{consultation_id}/comments", response=list[CommentOut], summary="意见与建议"
)
@paged
def comment_list(request: HttpRequest, consultation_id: int):
    return selectors.comments_of(selectors.consultation_for(api_user(request), consultation_id))


@router.post("/consult/comments/{comment_id}/support", response=CommentOut, summary="支持建议")
def comment_support(request: HttpRequest, comment_id: int):
    user = api_user(request)
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        raise NotFound()
    selectors.consultation_for(user, comment.consultation_id)
    return services.comment_support(by=user, comment=comment)


@router.post("/consult/consultations/{consultation_id}/vote", response=VoteOut, summary="投票或修改投票")
def vote(request: HttpRequest, consultation_id: int, payload: VoteIn):
    user = api_user(request)
    consultation = selectors.consultation_for(user, consultation_id)
    result = services.vote_cast(
        by=user, consultation=consultation, option_ids=payload.options, receipt=payload.receipt
    )
    return {"changed": result.changed, "receipt": result.receipt}


@router.post(
    "/consult/consultations/{consultation_id}/paper-votes", response={201: VoteOut}, summary="录入纸质票"
)
def paper_vote(request: HttpRequest, consultation_id: int, payload: PaperVoteIn):
    user = api_user(request)
    consultation = selectors.consultation_for(user, consultation_id)
    result = services.paper_vote_enter(
        by=user,
        consultation=consultation,
        household=household_for(user, payload.household),
        option_ids=payload.options,
        voter=resident_for(user, payload.voter) if payload.voter else None,
    )
    return Status(201, {"changed": False, "receipt": result.receipt})


@router.get("/consult/consultations/{consultation_id}/results", response=ResultsOut, summary="表决结果")
def results(request: HttpRequest, consultation_id: int):
    r = selectors.results_of(selectors.consultation_for(api_user(request), consultation_id))
    return {
        "eligible": r.eligible,
        "voted": r.voted,
        "turnout": r.turnout,
        "counts": [{"option_id": o.pk, "label": o.label, "votes": n} for o, n in r.counts],
        "buildings": [{"name": b.name, "eligible": b.eligible, "voted": b.voted} for b in r.buildings],
        "passed": r.passed,
        "reasons": r.reasons,
        "receipt_hashes": [h for h, _ in r.receipts],
    }


@router.post(
    "/consult/consultations/{consultation_id}/receipt", response=ReceiptOut, summary="用回执码核对选票已计入"
)
def receipt_check(request: HttpRequest, consultation_id: int, payload: ReceiptIn):
    consultation = selectors.consultation_for(api_user(request), consultation_id)
    labels = services.receipt_counted(consultation, payload.receipt)
    return {"counted": labels is not None, "choices": labels or ""}
