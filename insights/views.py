"""Pages for feedback, pain points, accounts and imports. Thin: selectors read, templates show."""

import datetime as dt

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from insights import selectors
from insights.forms import FeedbackFilterForm
from insights.permissions import user_can_view_original_text
from insights.selectors import FeedbackFilters

PAGE_SIZE = 50
PAIN_POINT_WINDOW = dt.timedelta(days=90)


@permission_required("insights.view_feedback", raise_exception=True)
@require_safe
def feedback_list(request: HttpRequest) -> HttpResponse:
    form = FeedbackFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else FeedbackFilters()
    page = Paginator(selectors.feedback_list(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "insights/feedback_list.html",
        {
            "form": form,
            "page_obj": page,
            "filtered": filters != FeedbackFilters(),
            "show_original": user_can_view_original_text(request.user),
        },
    )


@permission_required("insights.view_theme", raise_exception=True)
@require_safe
def theme_list(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - PAIN_POINT_WINDOW
    page = Paginator(selectors.theme_list_with_volume(since=since), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "insights/theme_list.html",
        {"page_obj": page, "window_days": PAIN_POINT_WINDOW.days},
    )


@permission_required(("insights.view_theme", "insights.view_feedback"), raise_exception=True)
@require_safe
def theme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    theme = selectors.theme_get(theme_id=pk)
    if theme is None:
        raise Http404("No such pain point.")
    page = Paginator(selectors.theme_feedback(theme=theme), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "insights/theme_detail.html",
        {
            "theme": theme,
            "page_obj": page,
            "show_original": user_can_view_original_text(request.user),
        },
    )


@permission_required("insights.view_customer", raise_exception=True)
@require_safe
def customer_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.customer_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/customer_list.html", {"page_obj": page})


@permission_required("insights.view_customer", raise_exception=True)
@require_safe
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id=pk)
    if customer is None:
        raise Http404("No such account.")
    can_view_feedback = request.user.has_perm("insights.view_feedback")
    return render(
        request,
        "insights/customer_detail.html",
        {
            "customer": customer,
            "feedback": selectors.customer_feedback(customer=customer)
            if can_view_feedback
            else None,
            "usage": selectors.customer_usage(customer=customer),
            "churn_score": selectors.customer_churn_score_latest(customer=customer)
            if request.user.has_perm("insights.view_churnscore")
            else None,
            "show_original": user_can_view_original_text(request.user),
        },
    )


@permission_required("insights.view_importjob", raise_exception=True)
@require_safe
def import_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.import_job_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/import_list.html", {"page_obj": page})
