"""Churn: the at-risk list (sortable, filtered, exportable), the model card, and the button that
retrains. Thin: `insights.selectors.churn` reads, `insights.services.churn` starts runs."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from insights import charts
from insights.exports import csv_download
from insights.models import Plan, Region, Segment
from insights.selectors import churn as churn_selectors
from insights.services import churn as churn_services
from insights.views.common import PAGE_SIZE

VIEW_PERMISSION = "insights.view_churnscore"
RETRAIN_PERMISSION = "insights.add_modelrun"
CSV_COLUMNS = (
    "Account",
    "External id",
    "Segment",
    "Plan",
    "Region",
    "ARR",
    "Churn probability",
    "ARR at risk",
    "Previous probability",
    "Drivers",
    "Scored at",
)


class ChurnFilterForm(forms.Form):
    """Which accounts the at-risk list shows, and in which order."""

    segment = forms.ChoiceField(required=False, choices=[("", "All segments"), *Segment.choices])
    plan = forms.ChoiceField(required=False, choices=[("", "All plans"), *Plan.choices])
    region = forms.ChoiceField(required=False, choices=[("", "All regions"), *Region.choices])
    order = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[(key, label) for key, (label, _) in churn_selectors.AT_RISK_ORDERS.items()],
    )

    def filters(self) -> churn_selectors.ChurnFilters:
        if not self.is_bound or not self.is_valid():
            return churn_selectors.ChurnFilters()
        data = self.cleaned_data
        return churn_selectors.ChurnFilters(
            segment=data["segment"], plan=data["plan"], region=data["region"]
        )

    def ordering(self) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data["order"]:
            return self.cleaned_data["order"]
        return churn_selectors.DEFAULT_ORDER


def _reasons(drivers, *, top: int = 2) -> list[dict]:
    """What raises an account's risk, largest first: the list shows why it is on it."""
    raising = [d for d in drivers or [] if (d.get("effect") or 0) > 0]
    return sorted(raising, key=lambda d: -d["effect"])[:top]


def _sort_links(request: HttpRequest, current: str) -> list[dict]:
    links = []
    for key, (label, _) in churn_selectors.AT_RISK_ORDERS.items():
        query = request.GET.copy()
        query["order"] = key
        query.pop("page", None)
        links.append(
            {"key": key, "label": label, "query": query.urlencode(), "active": key == current}
        )
    return links


@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_safe
def churn_at_risk(request: HttpRequest) -> HttpResponse:
    form = ChurnFilterForm(request.GET or None)
    run = churn_selectors.churn_score_run_latest()
    order = form.ordering()
    filters = form.filters()
    scores = churn_selectors.churn_at_risk(run=run, filters=filters, order=order)
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    for score in page.object_list:
        score.reasons = _reasons(score.drivers)
    export = request.GET.copy()
    export.pop("page", None)
    return render(
        request,
        "insights/churn_at_risk.html",
        {
            "form": form,
            "page_obj": page,
            "run": run,
            "latest": churn_selectors.churn_run_latest(),
            "forecast": churn_selectors.churn_forecast(run=run) if run else None,
            "filtered": filters != churn_selectors.ChurnFilters(),
            "sort_links": _sort_links(request, order),
            "export_query": export.urlencode(),
            "high_risk": churn_selectors.HIGH_RISK,
            "horizon_days": churn_selectors.HORIZON_DAYS,
            "can_retrain": request.user.has_perm(RETRAIN_PERMISSION),
            "can_view_model": request.user.has_perm("insights.view_modelrun"),
        },
    )


@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_safe
def churn_at_risk_csv(request: HttpRequest) -> HttpResponse:
    form = ChurnFilterForm(request.GET or None)
    run = churn_selectors.churn_score_run_latest()
    scores = churn_selectors.churn_at_risk(run=run, filters=form.filters(), order=form.ordering())
    rows = (
        [
            score.customer.name,
            score.customer.external_id,
            score.customer.get_segment_display(),
            score.customer.get_plan_display(),
            score.customer.get_region_display(),
            score.customer.arr,
            round(score.probability, 4),
            round(score.arr_at_risk, 2),
            "" if score.previous_probability is None else round(score.previous_probability, 4),
            "; ".join(driver.get("text", "") for driver in score.drivers or []),
            timezone.localtime(score.scored_at).isoformat(timespec="minutes"),
        ]
        for score in scores.iterator(chunk_size=2_000)
    )
    stamp = timezone.localdate().isoformat()
    return csv_download(f"accounts-at-risk-{stamp}.csv", CSV_COLUMNS, rows)


@permission_required((VIEW_PERMISSION, "insights.view_modelrun"), raise_exception=True)
@require_safe
def churn_model(request: HttpRequest) -> HttpResponse:
    card = churn_selectors.churn_model_card()
    calibration = None
    if card is not None and card.calibration:
        calibration = charts.figure_spec(charts.churn_calibration_figure(card.calibration))
    return render(
        request,
        "insights/churn_model.html",
        {
            "card": card,
            "calibration": calibration,
            "importance": charts.importance_rows(card.importance) if card else [],
            "latest": churn_selectors.churn_run_latest(),
            "horizon_days": churn_selectors.HORIZON_DAYS,
            "can_retrain": request.user.has_perm(RETRAIN_PERMISSION),
        },
    )


@permission_required((VIEW_PERMISSION, RETRAIN_PERMISSION), raise_exception=True)
@require_POST
def churn_retrain(request: HttpRequest) -> HttpResponse:
    already = churn_selectors.churn_run_active_exists()
    churn_services.churn_run_request(user=request.user, reason="requested on the at-risk list")
    if already:
        messages.info(
            request, "The churn model is already being trained; it was not started twice."
        )
    else:
        messages.success(
            request, "The churn model is being trained; the risks update when it finishes."
        )
    return redirect("insights:churn-at-risk")
