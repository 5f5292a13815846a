"""Pages: residents read and post on the phone; moderators work the queue on the PC."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import scope_q
from gridgov.core.errors import NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.forum import policy, selectors, services
from gridgov.forum.forms import AliasForm, BoardForm, ReplyForm, TopicForm, WordForm
from gridgov.forum.models import PostImage
from gridgov.places.models import Place

PAGE_SIZE = 20


def _template(request: AuthedHttpRequest, name: str) -> str:
    # Residents on the phone, staff on the PC: the same pages in two frames.
    return f"forum/{name}.html" if request.user.resident_id else f"forum/staff_{name}.html"


@page_access("forum:index")
def index(request: AuthedHttpRequest) -> HttpResponse:
    alias = AliasForm(request.POST or None)
    if request.method == "POST" and alias.is_valid():
        try:
            services.poster_rename(by=request.user, display_name=alias.cleaned_data["display_name"])
            messages.success(request, "昵称已更新")
            return redirect("forum:index")
        except ValidationError as exc:
            apply_service_errors(alias, exc)
    poster = selectors.poster_of(request.user)
    return render(
        request,
        _template(request, "index"),
        {
            "boards": list(selectors.boards_for(request.user)),
            "alias": alias,
            "poster": poster,
        },
    )


@page_access("forum:index")
def board(request: AuthedHttpRequest, board_id: int) -> HttpResponse:
    item = selectors.board_for(request.user, board_id)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(
                by=request.user,
                board=item,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                photos=request.FILES.getlist("photos"),
            )
            if topic.state == "held":
                messages.warning(request, f"已提交，等待管理员审核后显示（{topic.held_reason}）")
            else:
                messages.success(request, "发布成功")
            return redirect("forum:topic", topic_id=topic.pk)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    page = Paginator(selectors.topics_for(request.user, item), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, _template(request, "board"), {"board": item, "page": page, "form": form})


@page_access("forum:index")
def topic(request: AuthedHttpRequest, topic_id: int) -> HttpResponse:
    item = selectors.topic_for(request.user, topic_id)
    actions = policy.allowed(request.user, item)
    form = ReplyForm()
    if request.method == "POST":
        action = request.POST.get("action", "reply")
        try:
            if action == "reply":
                form = ReplyForm(request.POST)
                if form.is_valid():
                    reply = services.reply_create(
                        by=request.user,
                        topic=item,
                        body=form.cleaned_data["body"],
                        photos=request.FILES.getlist("photos"),
                    )
                    if reply.state == "held":
                        messages.warning(request, f"回复已提交，等待审核（{reply.held_reason}）")
                    return redirect("forum:topic", topic_id=item.pk)
            elif action == "report":
                reply = None
                if request.POST.get("reply", "").isdigit():
                    reply = selectors.reply_for(request.user, item, int(request.POST["reply"]))
                services.post_report(
                    by=request.user,
                    topic=item,
                    reply=reply,
                    reason=request.POST.get("reason", "")[:200] or "不当内容",
                )
                messages.success(request, "已举报，管理员会尽快处理")
                return redirect("forum:topic", topic_id=item.pk)
            elif action in services.TOPIC_ACTIONS:
                services.topic_moderate(
                    by=request.user, topic=item, action=action, note=request.POST.get("note", "")[:200]
                )
                messages.success(request, f"已{services.TOPIC_ACTIONS[action]}")
                return redirect("forum:topic", topic_id=item.pk)
            elif action.startswith("reply_") and request.POST.get("reply", "").isdigit():
                reply = selectors.reply_for(request.user, item, int(request.POST["reply"]))
                services.reply_moderate(by=request.user, reply=reply, action=action.removeprefix("reply_"))
                messages.success(request, "已处理")
                return redirect("forum:topic", topic_id=item.pk)
            elif action == "ban":
                days = (
                    int(request.POST.get("days", "0") or 0) if request.POST.get("days", "").isdigit() else 0
                )
                services.user_ban(
                    by=request.user, topic=item, days=days, reason=request.POST.get("reason", "")[:200]
                )
                messages.success(request, f"已禁言{days}天")
                return redirect("forum:topic", topic_id=item.pk)
            elif action == "to_case":
                item = services.topic_to_case(by=request.user, topic=item)
                messages.success(request, "已转为事件")
                return redirect("forum:topic", topic_id=item.pk)
        except ValidationError as exc:
            if action == "reply":
                apply_service_errors(form, exc)
            else:
                messages.error(request, "；".join(exc.messages))
                return redirect("forum:topic", topic_id=item.pk)
    identity = "identity" in actions
    return render(
        request,
        _template(request, "topic"),
        {
            "topic": item,
            "replies": list(selectors.replies_for(request.user, item)),
            "form": form,
            "actions": actions,
            "identity": identity,
            "images": list(item.images.filter(reply__isnull=True)),
        },
    )


@login_required
@require_GET
def image(request: AuthedHttpRequest, image_id: int) -> FileResponse:
    item = PostImage.objects.filter(pk=image_id).first()
    if item is None:
        raise NotFound()
    selectors.topic_for(request.user, item.topic_id)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@page_access("forum:moderation")
@require_GET
def moderation(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "forum/moderation.html",
        {
            "topics": list(selectors.held_topics(request.user)[:200]),
            "replies": list(selectors.held_replies(request.user)[:200]),
            "reports": list(selectors.open_reports(request.user)[:200]),
            "recent": list(selectors.topics_for(request.user)[:30]),
        },
    )


@page_access("forum:config")
def config(request: AuthedHttpRequest) -> HttpResponse:
    places = Place.objects.filter(
        scope_q(request.user, caps.FORUM_CONFIGURE, "path"), kind__in=["community", "estate"]
    ).order_by("path")
    board_form = BoardForm(request.POST if request.POST.get("action") == "board" else None)
    board_form.choice_field("place").choices = [(p.pk, f"{p.get_kind_display()}·{p.name}") for p in places]
    word_form = WordForm(request.POST if request.POST.get("action") == "word" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "board" and board_form.is_valid():
                data = dict(board_form.cleaned_data)
                place = places.filter(pk=data.pop("place")).first()
                if place is None:
                    raise NotFound()
                services.board_save(by=request.user, place=place, **data)
                messages.success(request, "版块已保存")
                return redirect("forum:config")
            if request.POST.get("action") == "word" and word_form.is_valid():
                services.word_add(by=request.user, word=word_form.cleaned_data["word"])
                messages.success(request, "已添加")
                return redirect("forum:config")
            if request.POST.get("action") == "unword" and request.POST.get("word", "").isdigit():
                word = selectors.sensitive_words().filter(pk=int(request.POST["word"])).first()
                if word is None:
                    raise NotFound()
                services.word_remove(by=request.user, word=word)
                return redirect("forum:config")
        except ValidationError as exc:
            apply_service_errors(board_form if request.POST.get("action") == "board" else word_form, exc)
    return render(
        request,
        "forum/config.html",
        {
            "boards": list(selectors.config_boards(request.user)),
            "words": list(selectors.sensitive_words()),
            "board_form": board_form,
            "word_form": word_form,
        },
    )
