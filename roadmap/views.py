"""Pages for the backlog. Thin: selectors read, templates show."""

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from insights.permissions import user_can_view_original_text
from roadmap.selectors import backlog_board, backlog_item_get


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
        },
    )
