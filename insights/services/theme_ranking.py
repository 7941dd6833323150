"""Ranking the themes: each theme's impact score and its parts, from the feedback of the last 90
days (the fifth step of an analysis run, `insights.services.analysis`). The score itself is
`insights.ml.ranking`; this gathers its figures from the database and stores the result on the
themes, where the pages read it.
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from insights.models import Customer, Feedback, Theme
from insights.selectors.churn import churn_probabilities_latest

WEEKS_SHOWN = 16  # the trend sparkline, and the baseline an emerging theme spikes against


def themes_rank(*, today: dt.date | None = None) -> int:
    """Compute every theme's impact score and its parts; returns how many themes were ranked."""
    from insights.ml.ranking import DEFAULT_WEIGHTS, ThemeStats, impact_scores, nps_impact

    now = timezone.now() if today is None else _day_start(today)
    d30, d60, d90 = (now - dt.timedelta(days=days) for days in (30, 60, 90))
    themes = list(Theme.objects.all())
    if not themes:
        return 0
    recent = Feedback.objects.filter(received_at__gte=d90, received_at__lt=now)
    respondents = recent.filter(nps__isnull=False).count()
    # Pain is what customers did not say happily: praise that clusters into a theme of its own
    # (or sits in a pain theme) adds nothing to volume, trend or the revenue affected.
    pain = ~Q(sentiment_label=Feedback.SentimentLabel.POSITIVE)
    counts = {
        row["theme"]: row
        for row in Feedback.objects.filter(theme__isnull=False, received_at__lt=now)
        .values("theme")
        .annotate(
            volume_90=Count("pk", filter=Q(received_at__gte=d90)),
            pain_90=Count("pk", filter=Q(received_at__gte=d90) & pain),
            volume_30=Count("pk", filter=Q(received_at__gte=d30) & pain),
            previous_30=Count("pk", filter=Q(received_at__gte=d60, received_at__lt=d30) & pain),
            scored=Count("pk", filter=Q(received_at__gte=d90) & ~Q(sentiment_label="")),
            negative=Count("pk", filter=Q(received_at__gte=d90, sentiment_label="negative")),
            detractors=Count("pk", filter=Q(received_at__gte=d90, nps__lte=6)),
        )
    }
    accounts: dict[int, set[int]] = defaultdict(set)
    for theme_id, customer_id in (
        recent.filter(pain, theme__isnull=False, customer__isnull=False)
        .values_list("theme", "customer")
        .distinct()
    ):
        accounts[theme_id].add(customer_id)
    arr = dict(Customer.objects.values_list("pk", "arr"))
    risk = _churn_risk_latest()
    weekly = _weekly_counts(now=now)
    stats = []
    for theme in themes:
        row = counts.get(theme.pk, {})
        customers = accounts.get(theme.pk, set())
        affected = float(sum(arr.get(pk) or 0 for pk in customers))
        scored = [pk for pk in customers if pk in risk]
        churn = None
        if scored:
            weight = sum(float(arr.get(pk) or 0) for pk in scored)
            churn = (
                sum(risk[pk] * float(arr.get(pk) or 0) for pk in scored) / weight
                if weight
                else sum(risk[pk] for pk in scored) / len(scored)
            )
        stats.append(
            ThemeStats(
                theme_id=theme.pk,
                volume_90=row.get("pain_90", 0),
                volume_30=row.get("volume_30", 0),
                volume_previous_30=row.get("previous_30", 0),
                negative_share=(row.get("negative", 0) / row["scored"])
                if row.get("scored")
                else 0.0,
                nps_impact=nps_impact(
                    theme_detractors=row.get("detractors", 0), respondents=respondents
                ),
                arr_affected=affected,
                churn_risk=churn,
                weekly=weekly.get(theme.pk, [0] * WEEKS_SHOWN),
            )
        )
    ranked = [
        item
        for item, theme in zip(stats, themes, strict=True)
        if theme.status == Theme.Status.ACTIVE
    ]
    weights = {**DEFAULT_WEIGHTS, **settings.BACKLIGHT_RANKING_WEIGHTS}
    scores = impact_scores(ranked, weights=weights)
    with transaction.atomic():
        for theme, item in zip(themes, stats, strict=True):
            impact = scores.get(theme.pk)
            theme.impact = impact.score if impact else 0.0
            theme.emerging = impact.emerging if impact else False
            theme.statistics = {
                "volume_90": counts.get(theme.pk, {}).get("volume_90", 0),
                "pain_90": item.volume_90,
                "volume_30": item.volume_30,
                "volume_previous_30": item.volume_previous_30,
                "negative_share": round(item.negative_share, 4),
                "nps_impact": round(item.nps_impact, 2),
                "arr_affected": round(item.arr_affected, 2),
                "accounts": len(accounts.get(theme.pk, ())),
                "churn_risk": None if item.churn_risk is None else round(item.churn_risk, 4),
                "weekly": list(item.weekly),
                "parts": impact.parts if impact else {},
                "ranked_at": now.isoformat(),
            }
            theme.save(update_fields=["impact", "emerging", "statistics", "updated_at"])
    return len(scores)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _churn_risk_latest() -> dict[int, float]:
    """Each active account's churn probability from the latest churn scoring run."""
    return churn_probabilities_latest()


def _weekly_counts(*, now: dt.datetime) -> dict[int, list[int]]:
    start = now - dt.timedelta(weeks=WEEKS_SHOWN)
    weekly: dict[int, list[int]] = defaultdict(lambda: [0] * WEEKS_SHOWN)
    for theme_id, received_at in Feedback.objects.filter(
        theme__isnull=False, received_at__gte=start, received_at__lt=now
    ).values_list("theme_id", "received_at"):
        week = min(WEEKS_SHOWN - 1, int((received_at - start).total_seconds() // (7 * 86_400)))
        weekly[theme_id][week] += 1
    return weekly
