"""Accounts: the list and one account's page."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from insights import charts, selectors
from insights.permissions import user_can_view_original_text
from insights.selectors import churn as churn_selectors
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
    user = request.user
    can_view_feedback = user.has_perm("insights.view_feedback")
    feedback = selectors.customer_feedback(customer=customer) if can_view_feedback else None
    # The timeline's items name their account unless told not to, and ask for it first: give
    # them this one rather than a query each.
    for item in feedback or ():
        item.customer = customer
    return render(
        request,
        "insights/customer_detail.html",
        {
            "customer": customer,
            "feedback": feedback,
            "usage": selectors.customer_usage(customer=customer),
            "churn": _churn_context(customer)
            if user.has_perm("insights.view_churnscore")
            else None,
            "themes": churn_selectors.customer_feedback_themes(customer=customer)
            if can_view_feedback and user.has_perm("insights.view_theme")
            else None,
            "touchpoints": churn_selectors.customer_touchpoints(customer=customer)
            if user.has_perm("touchpoints.view_touchpoint")
            else None,
            "show_original": user_can_view_original_text(user),
        },
    )


def _churn_context(customer) -> dict:
    """The account's risk: the latest score with its drivers, ARR at risk, the change since the
    score before, and the trend over the last runs."""
    history = churn_selectors.customer_churn_history(customer=customer)
    latest = history[-1] if history else None
    previous = history[-2] if len(history) > 1 else None
    return {
        "latest": latest,
        "history": history,
        "arr_at_risk": latest.probability * float(customer.arr) if latest else None,
        "change": round(100 * (latest.probability - previous.probability), 1) if previous else None,
        "sparkline": charts.risk_sparkline_points([score.probability for score in history]),
        "spark": {"width": charts.SPARK_WIDTH, "height": charts.SPARK_HEIGHT},
        "high_risk": churn_selectors.HIGH_RISK,
    }
