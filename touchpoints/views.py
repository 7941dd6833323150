"""Pages for touchpoints. Thin: selectors read, services write, templates show."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.views.decorators.http import require_http_methods, require_safe

from insights.models import Customer
from insights.permissions import feedback_text_for, user_can_view_original_text
from touchpoints import selectors, services
from touchpoints.forms import (
    CUSTOMER_INPUTS,
    DURATION_CHOICES,
    TouchpointForm,
    observations_as_text,
)
from touchpoints.models import Touchpoint, TouchpointKind

PAGE_SIZE = 50
SCOPES = ("mine", "all")
CUSTOMER_SEARCH_LIMIT = 10


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
    observation_list = list(touchpoint.observations.all())
    prefetch_related_objects(observation_list, "feedback__theme")
    # An observation that became feedback is shown as that feedback is: redacted for most people.
    observations = [
        (
            observation,
            feedback_text_for(observation.feedback, show_original=show_original)
            if observation.feedback
            else observation.text,
        )
        for observation in observation_list
    ]
    return render(
        request,
        "touchpoints/touchpoint_detail.html",
        {
            "touchpoint": touchpoint,
            "observations": observations,
            "can_edit": services.touchpoint_can_edit(touchpoint=touchpoint, user=request.user),
        },
    )


def _last_logged(user) -> dict:
    return Touchpoint.objects.filter(logged_by=user).order_by("-created_at", "-id").values(
        "kind", "partner_team"
    ).first() or {"kind": TouchpointKind.CUSTOMER_CALL, "partner_team": ""}


def _form_page(request, form, *, touchpoint=None, status=200) -> HttpResponse:
    raw_customers = form["customers"].value() or []
    if isinstance(raw_customers, str):
        raw_customers = [raw_customers]
    customer_values = list(raw_customers)
    customer_values += [""] * max(CUSTOMER_INPUTS - len(customer_values), 1)
    return render(
        request,
        "touchpoints/touchpoint_form.html",
        {
            "form": form,
            "touchpoint": touchpoint,
            "duration_choices": DURATION_CHOICES,
            "customer_values": customer_values,
        },
        status=status,
    )


@permission_required("touchpoints.add_touchpoint", raise_exception=True)
@require_http_methods(["GET", "POST"])
def touchpoint_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TouchpointForm(request.POST, user=request.user)
        if form.is_valid():
            touchpoint = services.touchpoint_log(logged_by=request.user, **form.touchpoint_fields())
            messages.success(request, "Touchpoint logged. Thank you!")
            return redirect("touchpoints:touchpoint-detail", pk=touchpoint.pk)
        return _form_page(request, form, status=400)
    form = TouchpointForm(user=request.user, initial=_last_logged(request.user))
    return _form_page(request, form)


@permission_required("touchpoints.change_touchpoint", raise_exception=True)
@require_http_methods(["GET", "POST"])
def touchpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    touchpoint = selectors.touchpoint_get(touchpoint_id=pk)
    if touchpoint is None:
        raise Http404("No such touchpoint.")
    if not services.touchpoint_can_edit(touchpoint=touchpoint, user=request.user):
        raise PermissionDenied("You can edit only touchpoints you took part in.")
    if request.method == "POST":
        form = TouchpointForm(request.POST, user=request.user)
        if form.is_valid():
            services.touchpoint_update(
                touchpoint=touchpoint, user=request.user, **form.touchpoint_fields()
            )
            messages.success(request, "Touchpoint saved.")
            return redirect("touchpoints:touchpoint-detail", pk=touchpoint.pk)
        return _form_page(request, form, touchpoint=touchpoint, status=400)
    form = TouchpointForm(
        user=request.user,
        initial={
            "kind": touchpoint.kind,
            "occurred_on": touchpoint.occurred_on,
            "duration_minutes": touchpoint.duration_minutes,
            "partner_team": touchpoint.partner_team,
            "customers": [customer.name for customer in touchpoint.customers.all()],
            "co_attendees": [e.pk for e in touchpoint.engineers.all() if e.pk != request.user.pk],
            "observations": observations_as_text(touchpoint.observations.all()),
            "summary": touchpoint.summary,
            "follow_ups": touchpoint.follow_ups,
        },
    )
    return _form_page(request, form, touchpoint=touchpoint)


@permission_required("insights.view_customer", raise_exception=True)
@require_safe
def customer_search(request: HttpRequest) -> HttpResponse:
    """Up to ten customers whose name contains `q`: JSON, or `<option>`s for htmx."""
    query = (request.GET.get("q") or request.GET.get("customers") or "").strip()
    matches = []
    if query:
        matches = list(
            Customer.objects.filter(name__icontains=query)
            .order_by("name", "pk")
            .values("id", "name")[:CUSTOMER_SEARCH_LIMIT]
        )
    if request.htmx:
        return HttpResponse(
            format_html_join("", '<option value="{}"></option>', ((m["name"],) for m in matches))
        )
    return JsonResponse({"results": matches})
