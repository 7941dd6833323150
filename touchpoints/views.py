"""Pages for touchpoints. Thin: selectors read, templates show."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from insights.permissions import feedback_text_for, user_can_view_original_text
from touchpoints import selectors

PAGE_SIZE = 50
SCOPES = ("mine", "all")


@permission_required("touchpoints.view_touchpoint", raise_exception=True)
@require_safe
def touchpoint_list(request: HttpRequest) -> HttpResponse:
    default_scope = "mine" if selectors.user_logs_own_touchpoints(request.user) else "all"
    scope = request.GET.get("scope", default_scope)
    if scope not in SCOPES:
        scope = default_scope
    queryset = selectors.touchpoint_list(engineer=request.user if scope == "mine" else None)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "touchpoints/touchpoint_list.html", {"page_obj": page, "scope": scope})


@permission_required("touchpoints.view_touchpoint", raise_exception=True)
@require_safe
def touchpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    touchpoint = selectors.touchpoint_get(touchpoint_id=pk)
    if touchpoint is None:
        raise Http404("No such touchpoint.")
    show_original = user_can_view_original_text(request.user)
    # An observation that became feedback is shown as that feedback is: redacted for most people.
    observations = [
        (
            observation,
            feedback_text_for(observation.feedback, show_original=show_original)
            if observation.feedback
            else observation.text,
        )
        for observation in touchpoint.observations.all()
    ]
    return render(
        request,
        "touchpoints/touchpoint_detail.html",
        {"touchpoint": touchpoint, "observations": observations},
    )
