"""Pages for the backlog. Thin: selectors read, services write, templates show."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from insights.models import Segment, Theme
from insights.permissions import user_can_view_original_text
from insights.selectors import theme_get
from roadmap.exports import TRACKERS, backlog_csv_download
from roadmap.forms import BacklogItemForm, BacklogMoveForm, theme_link_formset
from roadmap.models import BacklogItem
from roadmap.selectors import (
    BOARD_ORDERS,
    GATED_STATUSES,
    BoardFilters,
    backlog_board,
    backlog_column_items,
    backlog_item_evidence,
    backlog_item_get,
    backlog_item_open_for_theme,
    backlog_items_ranked,
    board_column_of,
    pain_points_with_backlog,
    status_choices_by_column,
)
from roadmap.services import (
    READINESS,
    BacklogItemNotReady,
    backlog_item_create,
    backlog_item_missing_for_now,
    backlog_item_move,
    backlog_item_promote_from_outcome,
    backlog_item_promote_from_theme,
    backlog_item_update,
)
from touchpoints.hackathons import hackathon_outcome_get
from touchpoints.selectors import touchpoints_for_themes


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _board_filters(query) -> BoardFilters:
    segment = query.get("segment", "")
    return BoardFilters(
        team=_int_or_none(query.get("team")),
        theme=_int_or_none(query.get("theme")),
        segment=segment if segment in Segment.values else "",
    )


def _filter_query(filters: BoardFilters) -> str:
    pairs = {"team": filters.team, "theme": filters.theme, "segment": filters.segment}
    return urlencode({key: value for key, value in pairs.items() if value})


@permission_required("roadmap.view_backlogitem", raise_exception=True)
@require_safe
def backlog_list(request: HttpRequest) -> HttpResponse:
    """The board: columns, filters, the lane of unaddressed pain and, for PMs, moving cards."""
    filters = _board_filters(request.GET)
    order = request.GET.get("order", "board")
    board = backlog_board(
        filters=filters, order=order, with_lane=request.user.has_perm("insights.view_theme")
    )
    return render(
        request,
        "roadmap/backlog_list.html",
        {
            "board": board,
            "columns": board.columns,
            "item_count": board.item_count,
            "shown_count": sum(len(column.items) for column in board.columns),
            "filters": filters,
            "filter_query": _filter_query(filters),
            "orders": BOARD_ORDERS,
            "can_move": request.user.has_perm("roadmap.change_backlogitem"),
            "can_add": request.user.has_perm("roadmap.add_backlogitem"),
            "move_choices": status_choices_by_column(),
            "export_formats": TRACKERS,
        },
    )


def _item_or_404(pk: int) -> BacklogItem:
    item = backlog_item_get(item_id=pk)
    if item is None:
        raise Http404("No such backlog item.")
    return item


@permission_required("roadmap.view_backlogitem", raise_exception=True)
@require_safe
def backlog_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(pk)
    can_move = request.user.has_perm("roadmap.change_backlogitem")
    return render(
        request,
        "roadmap/backlog_detail.html",
        {
            "item": item,
            "column": board_column_of(item.status),
            "evidence": backlog_item_evidence(item=item),
            "show_accounts": request.user.has_perm("insights.view_customer"),
            "show_evidence": request.user.has_perm("insights.view_feedback"),
            "show_original": user_can_view_original_text(request.user),
            "touchpoints": touchpoints_for_themes(
                theme_ids=[link.theme_id for link in item.theme_links.all()]
            )
            if request.user.has_perm("touchpoints.view_touchpoint")
            else [],
            "can_edit": request.user.has_perm("roadmap.change_backlogitem"),
            "can_move": can_move,
            "move_form": BacklogMoveForm(initial={"status": item.status}) if can_move else None,
            "missing_for_now": []
            if item.status in GATED_STATUSES
            else [READINESS[name] for name in backlog_item_missing_for_now(values=item)],
        },
    )


def _not_ready_errors(form: BacklogItemForm, error: ValidationError) -> None:
    if isinstance(error, BacklogItemNotReady):
        for name in error.missing:
            if name in form.fields:
                form.add_error(name, "Needed before the item can be in Now or beyond.")
    form.add_error(None, error.messages)


def _form_page(request, form, links, *, item=None, status=200) -> HttpResponse:
    return render(
        request,
        "roadmap/backlog_form.html",
        {"form": form, "links": links, "item": item},
        status=status,
    )


@permission_required("roadmap.add_backlogitem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def backlog_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = BacklogItemForm(request.POST, creating=True)
        links = theme_link_formset(item=None, data=request.POST)
        if form.is_valid() and links.is_valid():
            try:
                item = backlog_item_create(
                    user=request.user,
                    fields=form.item_fields(),
                    theme_links=links.links(),
                    status=form.cleaned_data["status"],
                )
            except ValidationError as error:
                _not_ready_errors(form, error)
            else:
                messages.success(request, f"“{item.title}” is on the backlog.")
                return redirect("roadmap:backlog-detail", pk=item.pk)
        return _form_page(request, form, links, status=400)
    form = BacklogItemForm(creating=True, initial={"owner": request.user.pk})
    return _form_page(request, form, theme_link_formset(item=None))


@permission_required("roadmap.change_backlogitem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def backlog_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(pk)
    if request.method == "POST":
        form = BacklogItemForm(request.POST, instance=item, creating=False)
        links = theme_link_formset(item=item, data=request.POST)
        if form.is_valid() and links.is_valid():
            try:
                backlog_item_update(item=item, fields=form.item_fields(), theme_links=links.links())
            except ValidationError as error:
                _not_ready_errors(form, error)
            else:
                messages.success(request, "Backlog item saved.")
                return redirect("roadmap:backlog-detail", pk=item.pk)
        return _form_page(request, form, links, item=item, status=400)
    form = BacklogItemForm(instance=item, creating=False)
    return _form_page(request, form, theme_link_formset(item=item), item=item)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _move_reply(request, *, ok: bool, message: str, payload: dict | None = None, default: str):
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {"ok": ok, "message": message, **(payload or {})}, status=200 if ok else 400
        )
    (messages.success if ok else messages.error)(request, message)
    return redirect(_safe_next(request, default))


@permission_required("roadmap.change_backlogitem", raise_exception=True)
@require_POST
def backlog_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card: to a column (or a stage of one) and a place in it. The board's drag and
    drop, its keyboard moves and its plain form all post here; the answer is JSON when asked
    for, with the new order of the columns touched, else a redirect back with a message."""
    item = _item_or_404(pk)
    board_url = reverse("roadmap:backlog-list")
    form = BacklogMoveForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _move_reply(request, ok=False, message=f"Not moved: {errors}", default=board_url)
    previous = board_column_of(item.status)
    try:
        moved = backlog_item_move(
            item=item,
            status=form.cleaned_data["status"],
            position=form.cleaned_data["position"],
            after=form.cleaned_data["after"],
            before=form.cleaned_data["before"],
            shipped_on=form.cleaned_data["shipped_on"],
        )
    except ValidationError as error:
        return _move_reply(request, ok=False, message=" ".join(error.messages), default=board_url)
    column = board_column_of(moved.status)
    orders = {key: backlog_column_items(status=key) for key in {previous.key, column.key}}
    size = len(orders[column.key])
    stage = f" ({moved.get_status_display().lower()})" if moved.status != column.key else ""
    message = (
        f"“{moved.title}” moved to {column.label}{stage}, position {moved.position} of {size}."
    )
    return _move_reply(
        request,
        ok=True,
        message=message,
        payload={
            "item": {
                "id": moved.pk,
                "status": moved.status,
                "status_label": moved.get_status_display(),
                "column": column.key,
                "position": moved.position,
            },
            "columns": {key: [row.pk for row in rows] for key, rows in orders.items()},
        },
        default=board_url,
    )


@permission_required("roadmap.view_backlogitem", raise_exception=True)
@require_safe
def backlog_export(request: HttpRequest) -> HttpResponse:
    """The board's items (its filters apply) as a CSV for Jira (default) or Linear."""
    tracker = request.GET.get("format", "jira")
    if tracker not in TRACKERS:
        return HttpResponse("Export as ?format=jira or ?format=linear.", status=400)
    items = backlog_items_ranked(filters=_board_filters(request.GET))
    return backlog_csv_download(
        items=items,
        tracker=tracker,
        item_url=lambda item: request.build_absolute_uri(
            reverse("roadmap:backlog-detail", args=[item.pk])
        ),
    )


@permission_required(("roadmap.view_backlogitem", "insights.view_theme"), raise_exception=True)
@require_safe
def pain_points(request: HttpRequest) -> HttpResponse:
    """The ranked pain points beside the backlog items that address them."""
    points = pain_points_with_backlog()
    return render(
        request,
        "roadmap/pain_points.html",
        {
            "points": points,
            "unaddressed": sum(1 for point in points if not point.addressed),
            "can_promote": request.user.has_perm("roadmap.add_backlogitem"),
        },
    )


@permission_required("roadmap.add_backlogitem", raise_exception=True)
@require_POST
def promote_theme(request: HttpRequest, pk: int) -> HttpResponse:
    theme = theme_get(theme_id=pk)
    if theme is None:
        raise Http404("No such pain point.")
    if theme.status != Theme.Status.ACTIVE:
        messages.error(request, "Only an active pain point can be promoted to the backlog.")
        return redirect("insights:theme-detail", pk=theme.pk)
    already = backlog_item_open_for_theme(theme_id=theme.pk) is not None
    item = backlog_item_promote_from_theme(theme=theme, user=request.user)
    if already:
        messages.info(request, "This pain point is already on the backlog; here is its item.")
    else:
        messages.success(request, f"“{theme.label}” is on the backlog as an idea.")
    return redirect("roadmap:backlog-detail", pk=item.pk)


@permission_required("roadmap.add_backlogitem", raise_exception=True)
@require_POST
def promote_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = hackathon_outcome_get(outcome_id=pk)
    if outcome is None:
        raise Http404("No such hackathon outcome.")
    already = getattr(outcome, "backlog_item", None) is not None
    item = backlog_item_promote_from_outcome(outcome=outcome, user=request.user)
    if already:
        messages.info(request, "This outcome is already on the backlog; here is its item.")
    else:
        messages.success(request, f"“{outcome.title}” is on the backlog as an idea.")
    return redirect("roadmap:backlog-detail", pk=item.pk)
