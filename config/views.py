"""The home page, which draws on every app, and the health check."""

import datetime as dt
import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from insights.permissions import user_can_view_original_text
from insights.selectors import (
    customer_summary,
    feedback_count_since,
    feedback_recent,
    import_job_list,
    pain_points_ranked,
    role_member_counts,
    strengths_ranked,
)
from metrics.selectors import headline
from roadmap.selectors import backlog_counts_by_status
from roadmap.wins import wins_recent
from touchpoints.adherence import adherence_report
from touchpoints.selectors import touchpoint_list, user_logs_own_touchpoints

logger = logging.getLogger(__name__)

SCORE_WINDOW_DAYS = 90
FEEDBACK_WINDOW_DAYS = 30
CHURN_WINDOW_DAYS = 365
HOME_WINS = 3
HOME_PAIN_POINTS = 5
HOME_STRENGTHS = 3


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What each person needs first: everyone sees the pulse of the customer base; engineers
    their touchpoints, product managers pain points and the backlog, executives the trend and
    revenue, admins imports and users. Panels follow permissions, not role names."""
    user = request.user
    today = timezone.localdate()
    now = timezone.now()
    context: dict = {"today": today, "score_window_days": SCORE_WINDOW_DAYS}

    can_view_customers = user.has_perm("insights.view_customer")
    can_view_feedback = user.has_perm("insights.view_feedback")
    if can_view_customers:
        context["customers"] = customer_summary(
            churned_since=today - dt.timedelta(days=CHURN_WINDOW_DAYS)
        )
    if can_view_feedback:
        # NPS and CSAT come from the metric snapshots (this quarter so far against the last), as
        # the reports read them: no page aggregates raw feedback.
        context["nps"] = headline("nps")
        context["feedback_recent_count"] = feedback_count_since(
            since=now - dt.timedelta(days=FEEDBACK_WINDOW_DAYS)
        )
        context["feedback_window_days"] = FEEDBACK_WINDOW_DAYS
        context["recent_feedback"] = feedback_recent(limit=5)
        context["show_original"] = user_can_view_original_text(user)

    if user_logs_own_touchpoints(user) and user.has_perm("touchpoints.view_touchpoint"):
        context["my_touchpoints"] = list(touchpoint_list(engineer=user, year=today.year)[:5])
        # Progress, status and what is still missing, as the adherence page and the CLI compute
        # them.
        report = adherence_report(year=today.year, as_of=today, engineer_ids=[user.pk])
        context["adherence"] = next(
            (row for row in report.engineers if row.engineer_id == user.pk), None
        )

    if user.has_perm("roadmap.change_backlogitem"):
        if user.has_perm("insights.view_theme"):
            # The pain-points list's own ranking, cut to its top: Home and the list agree.
            context["pain_points"] = pain_points_ranked(with_quotes=False, limit=HOME_PAIN_POINTS)
        context["backlog_counts"] = backlog_counts_by_status()

    if user.has_perm("insights.view_theme") and user.has_perm("metrics.view_metricsnapshot"):
        # What customers value, beside what hurts: for the people who decide what to keep.
        context["strengths"] = strengths_ranked(with_quotes=False, limit=HOME_STRENGTHS)

    if user.has_perm("metrics.view_metricsnapshot") and can_view_feedback:
        context["csat"] = headline("csat")
        context["show_health"] = True

    if user.has_perm("roadmap.view_backlogitem"):
        # Shipped items that met their target: shown when there are some, to everyone.
        context["wins"] = wins_recent(limit=HOME_WINS)

    if user.has_perm("insights.view_importjob"):
        context["recent_imports"] = list(import_job_list()[:5])
    if user.has_perm("auth.view_user"):
        context["role_counts"] = role_member_counts()

    return render(request, "home.html", context)


@login_not_required
@transaction.non_atomic_requests
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and orchestrators: the process answers and the database does too.
    Outside ATOMIC_REQUESTS, so that a broken database gives a clean 503 rather than a 500."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
