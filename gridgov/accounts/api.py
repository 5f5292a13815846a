"""The caller's own account over JSON: who am I, and personal API tokens."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from gridgov.accounts import capabilities as caps
from gridgov.accounts import selectors, services
from gridgov.accounts.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut
from gridgov.accounts.scope import capabilities_anywhere
from gridgov.core.http import api_user
from gridgov.core.paging import paged

router = Router(tags=["账号与令牌"])


@router.get("/me", response=MeOut, summary="当前用户、角色与权限")
def me(request: HttpRequest):
    user = api_user(request)
    held = capabilities_anywhere(user)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "phone_masked": user.phone_masked,
        "is_superuser": user.is_superuser,
        "resident_id": user.resident_id,
        "roles": list(selectors.assignments_of(user)),
        "capabilities": [{"code": code, "label": caps.LABELS[code]} for code in caps.ALL if code in held],
    }


@router.get("/tokens", response=list[TokenOut], summary="我的API令牌")
@paged
def token_list(request: HttpRequest):
    return selectors.api_tokens_of(api_user(request))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="创建API令牌（完整令牌只返回这一次）")
def token_create(request: HttpRequest, payload: TokenIn):
    token, key = services.api_token_create(user=api_user(request), name=payload.name)
    token.key = key
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None}, summary="撤销API令牌")
def token_revoke(request: HttpRequest, token_id: int):
    user = api_user(request)
    services.api_token_revoke(by=user, token=selectors.api_token_for(user, token_id))
    return Status(204, None)
