"""Pages for the backlog. Thin: selectors read, services write, templates show."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from insights.models import Theme
from insights.permissions import user_can_view_original_text
from insights.selectors import theme_get
from roadmap.selectors import (
    backlog_board,
    backlog_item_get,
    backlog_item_open_for_theme,
    pain_points_with_backlog,
)
from roadmap.services import backlog_item_promote_from_outcome, backlog_item_promote_from_theme
from touchpoints.hackathons import hackathon_outcome_get
from touchpoints.selectors import touchpoints_for_themes


@permission_required("roadmap.view_backlogitem", raise_exception=True)
@require_safe
def backlog_list(request: HttpRequest) -> HttpResponse:
    columns = backlog_board()
    return render(
        request,
        "roadmap/backlog_list.html",
        {"columns": columns, "item_count": sum(len(column.items) for column in columns)},
    )


@permission_required("roadmap.view_backlogitem", raise_exception=True)
@require_safe
def backlog_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = backlog_item_get(item_id=pk)
    if item is None:
        raise Http404("No such backlog item.")
    return render(
        request,
        "roadmap/backlog_detail.html",
        {
            "item": item,
            "show_evidence": request.user.has_perm("insights.view_feedback"),
            "show_original": user_can_view_original_text(request.user),
            "touchpoints": touchpoints_for_themes(
                theme_ids=[link.theme_id for link in item.theme_links.all()]
            )
            if request.user.has_perm("touchpoints.view_touchpoint")
            else [],
        },
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
