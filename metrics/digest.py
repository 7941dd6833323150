"""The weekly executive digest: the report's headline figures by email, for people who opt in.

Opting in is a `ReportSubscription` (off by default), set from the form on the executive report.
The digest goes to subscribers who are active, have an email address and may still read the
reports (`metrics.view_metricsnapshot`: executives, product managers, admins), at most once per
person per ISO week: the claim is a cache key that lives 8 days, so a rerun of the weekly job (a
retry, a second beat) sends nothing twice. Its figures are the executive report's own
(`metrics.reports.executive_report`: the quarter so far against the last), so the email and the
page never disagree.

Beat runs `executive_digest_weekly` on Monday mornings (config/settings/base.py); this module is
imported by `metrics.apps.MetricsConfig.ready` so that workers know the task.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from insights.tasking import Queue, backlight_task
from metrics.models import ReportSubscription
from metrics.reports import HEADLINE_METRICS, executive_report
from metrics.selectors import QUARTER, org_today

SENT_TTL = dt.timedelta(days=8)
REPORT_PERMISSION = ("metrics", "view_metricsnapshot")


@dataclass(frozen=True)
class DigestResult:
    sent: int = 0
    already_sent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "already_sent": self.already_sent}


# --- the opt-in ----------------------------------------------------------------------------------


def report_subscription_weekly(*, user) -> bool:
    """Whether `user` gets the weekly digest (one query; False until they opt in)."""
    return ReportSubscription.objects.filter(user=user, weekly_digest=True).exists()


@transaction.atomic
def report_subscription_update(*, user, weekly_digest: bool) -> ReportSubscription:
    subscription, _ = ReportSubscription.objects.update_or_create(
        user=user, defaults={"weekly_digest": weekly_digest}
    )
    return subscription


def digest_recipients() -> list:
    """Active subscribers with an email address who may read the reports, by username."""
    app_label, codename = REPORT_PERMISSION
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()
    may_read = Q(is_superuser=True)
    if permission is not None:
        may_read |= Q(groups__permissions=permission) | Q(user_permissions=permission)
    return list(
        get_user_model()
        .objects.filter(may_read, is_active=True, report_subscription__weekly_digest=True)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


# --- sending -------------------------------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.BACKLIGHT_SITE_URL.rstrip("/") + path


def _week_key(*, user_id: int, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"metrics:digest:{user_id}:{year}-W{week:02d}"


def _send_once(*, user, today: dt.date, subject: str, body: str) -> bool:
    """Send unless already sent to `user` this ISO week. `cache.add` is atomic, so two concurrent
    runs cannot both claim; a failed send gives the claim back so that a retry can send."""
    key = _week_key(user_id=user.pk, today=today)
    if not cache.add(key, True, timeout=int(SENT_TTL.total_seconds())):
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:
        cache.delete(key)
        raise
    return True


def digest_subject(report) -> str:
    nps = report.tile(HEADLINE_METRICS[0])
    return f"Customer figures for {report.period_name} so far: NPS {nps.value}"


def executive_digest_send(*, today: dt.date | None = None) -> DigestResult:
    """The weekly run: the digest to every recipient (`digest_recipients`), nobody twice in one
    ISO week."""
    today = today or org_today()
    recipients = digest_recipients()
    if not recipients:
        return DigestResult()
    report = executive_report(period_kind=QUARTER, today=today)
    report_path = reverse("metrics:executive-report")
    context = {
        "report": report,
        "report_url": _site_url(report_path),
        "csv_url": _site_url(reverse("metrics:executive-report-csv")),
        "pdf_url": _site_url(reverse("metrics:executive-report-pdf")),
        "dashboard_url": _site_url(reverse("metrics:dashboard")),
        "settings_url": _site_url(report_path + "#digest"),
    }
    subject = digest_subject(report)
    sent = already = 0
    for user in recipients:
        body = render_to_string("metrics/executive_digest.txt", {**context, "user": user})
        if _send_once(user=user, today=today, subject=subject, body=body):
            sent += 1
        else:
            already += 1
    return DigestResult(sent=sent, already_sent=already)


@backlight_task(
    queue=Queue.DEFAULT, name="metrics.digest.executive_digest_weekly", expires=6 * 3600
)
def executive_digest_weekly(*, today: str | None = None) -> dict[str, int]:
    """The weekly executive digest. `today` (ISO date) is for reruns and tests; safe to run twice,
    since nobody is emailed twice in one ISO week."""
    result = executive_digest_send(today=dt.date.fromisoformat(today) if today else None)
    return result.as_dict()
