"""Accounts: the list and one account's page."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from insights import selectors
from insights.permissions import user_can_view_original_text
from insights.views.common import PAGE_SIZE


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
