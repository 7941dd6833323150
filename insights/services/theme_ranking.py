"""Ranking the themes: each theme's polarity (pain point or strength), and the impact score of the
pain points or the strength score of the strengths, with their parts, from the feedback of the last
90 days (the fifth step of an analysis run, `insights.services.analysis`). The rules themselves
are `insights.ml.ranking`; this gathers their figures from the database and stores the result on
the themes, where the pages read it (`insights.selectors.pain_points_ranked`,
`strengths_ranked`).

Figures of a parent theme are its own feedback's and its active sub-themes' added up. Only active
themes are ranked; dismissed, merged and retired ones keep their counts (their pages show them)
with no score.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from insights.models import Customer, Feedback, Theme
from insights.selectors.churn import churn_probabilities_latest
from insights.selectors.themes import theme_listed_alone

WEEKS_SHOWN = 16  # the trend sparkline, and the baseline an emerging theme spikes against

POSITIVE = Feedback.SentimentLabel.POSITIVE
NEGATIVE = Feedback.SentimentLabel.NEGATIVE
NEUTRAL = Feedback.SentimentLabel.NEUTRAL


def themes_rank(*, today: dt.date | None = None) -> int:
    """Compute every theme's polarity, and the score of every active one with its parts; returns
    how many themes were ranked."""
    from insights.ml.ranking import (
        DEFAULT_WEIGHTS,
        STRENGTH,
        StrengthStats,
        ThemeStats,
        impact_scores,
        nps_impact,
        nps_lift,
        nps_score,
        strength_scores,
        theme_polarity,
    )

    now = timezone.now() if today is None else _day_start(today)
    themes = list(Theme.objects.defer("centroid"))
    if not themes:
        return 0
    by_id = {theme.pk: theme for theme in themes}
    members_of = _members_of(themes)
    own_counts = _counts_by_theme(now=now)
    counts = {pk: _added_up(own_counts, pks) for pk, pks in members_of.items()}
    own_accounts = _pain_accounts_by_theme(now=now)
    own_weekly = _weekly_pain_counts(now=now)
    organisation = _organisation_nps(now=now)
    organisation_nps = nps_score(**organisation)
    arr = dict(Customer.objects.values_list("pk", "arr"))
    risk = _churn_risk_latest()

    polarity: dict[int, str] = {}
    pain_stats: dict[int, ThemeStats] = {}
    strength_stats: dict[int, StrengthStats] = {}
    accounts: dict[int, set[int]] = {}
    for theme in themes:
        row = counts[theme.pk]
        polarity[theme.pk] = theme_polarity(
            positive=row["positive"],
            negative=row["negative"],
            neutral=row["neutral"],
            promoters=row["promoters"],
            detractors=row["detractors"],
            passives=row["passives"],
        )
        customers = set().union(*(own_accounts.get(pk, set()) for pk in members_of[theme.pk]))
        accounts[theme.pk] = customers
        pain_stats[theme.pk] = ThemeStats(
            theme_id=theme.pk,
            volume_90=row["pain_90"],
            volume_30=row["pain_30"],
            volume_previous_30=row["pain_previous_30"],
            negative_share=row["negative_90"] / row["scored_90"] if row["scored_90"] else 0.0,
            nps_impact=nps_impact(
                theme_detractors=row["pain_detractors_90"],
                respondents=organisation["respondents"],
            ),
            arr_affected=float(sum(arr.get(pk) or 0 for pk in customers)),
            churn_risk=_churn_risk(customers, arr=arr, risk=risk),
            weekly=_added_up_weekly(own_weekly, members_of[theme.pk]),
        )
        strength_stats[theme.pk] = StrengthStats(
            theme_id=theme.pk,
            volume_90=row["praise_90"],
            nps_lift=nps_lift(
                promoters=row["promoters_90"],
                detractors=row["detractors_90"],
                respondents=row["respondents_90"],
                organisation_nps=organisation_nps,
            ),
        )

    # Which themes are scored, and against which: a list's scale is set by the themes it lists on
    # their own (top-level ones, and sub-themes whose polarity differs from their parent's).
    scored, listed = _scored_and_listed(themes, by_id=by_id, polarity=polarity)
    weights = {**DEFAULT_WEIGHTS, **settings.BACKLIGHT_RANKING_WEIGHTS}
    impacts = impact_scores(
        [pain_stats[pk] for pk in scored if polarity[pk] != STRENGTH],
        weights=weights,
        reference=[pain_stats[pk] for pk in listed if polarity[pk] != STRENGTH],
    )
    strengths = strength_scores(
        [strength_stats[pk] for pk in scored if polarity[pk] == STRENGTH],
        reference=[strength_stats[pk] for pk in listed if polarity[pk] == STRENGTH],
    )
    with transaction.atomic():
        for theme in themes:
            impact = impacts.get(theme.pk)
            strength = strengths.get(theme.pk)
            theme.polarity = polarity[theme.pk]
            theme.impact = impact.score if impact else 0.0
            theme.emerging = impact.emerging if impact else False
            theme.statistics = _statistics(
                counts[theme.pk],
                pain=pain_stats[theme.pk],
                strength=strength_stats[theme.pk],
                accounts=len(accounts[theme.pk]),
                impact=impact,
                strength_score=strength,
                children=len(members_of[theme.pk]) - 1,
                now=now,
            )
            theme.save(update_fields=["polarity", "impact", "emerging", "statistics", "updated_at"])
    return len(impacts) + len(strengths)


def _statistics(
    row: Counter, *, pain, strength, accounts, impact, strength_score, children, now
) -> dict:
    with_sentiment = row["positive"] + row["neutral"] + row["negative"]

    def share(count: int) -> float:
        return round(count / with_sentiment, 4) if with_sentiment else 0.0

    return {
        # The split of all its feedback (and its sub-themes'), which decides its polarity.
        "members": row["members"],
        "positive": row["positive"],
        "neutral": row["neutral"],
        "negative": row["negative"],
        "positive_share": share(row["positive"]),
        "neutral_share": share(row["neutral"]),
        "negative_share": share(row["negative"]),
        "promoters": row["promoters"],
        "passives": row["passives"],
        "detractors": row["detractors"],
        "children": children,
        # The last 90 days: both sides, then the pain side's figures the impact score weighs.
        "volume_90": row["volume_90"],
        "pain_90": pain.volume_90,
        "praise_90": strength.volume_90,
        "volume_30": pain.volume_30,
        "volume_previous_30": pain.volume_previous_30,
        "negative_share_90": round(pain.negative_share, 4),
        "nps_impact": round(pain.nps_impact, 2),
        "arr_affected": round(pain.arr_affected, 2),
        "accounts": accounts,
        "churn_risk": None if pain.churn_risk is None else round(pain.churn_risk, 4),
        "weekly": list(pain.weekly),
        "parts": impact.parts if impact else {},
        # A strength's own ranking: its praise and how much happier its customers are.
        "respondents_90": row["respondents_90"],
        "nps_lift": None if strength.nps_lift is None else round(strength.nps_lift, 1),
        "strength_score": strength_score.score if strength_score else 0.0,
        "strength_parts": strength_score.parts if strength_score else {},
        "ranked_at": now.isoformat(),
    }


def _members_of(themes: list[Theme]) -> dict[int, list[int]]:
    """Theme id → the themes whose feedback counts for it: itself and its active sub-themes."""
    members = {theme.pk: [theme.pk] for theme in themes}
    for theme in themes:
        if theme.parent_id in members and theme.status == Theme.Status.ACTIVE:
            members[theme.parent_id].append(theme.pk)
    return members


def _scored_and_listed(
    themes: list[Theme], *, by_id: dict[int, Theme], polarity: dict[int, str]
) -> tuple[list[int], list[int]]:
    """The active themes that get a score, and those of them listed on their own (the rest are
    shown under their parent). Sub-themes of a dismissed parent went with it."""
    scored, listed = [], []
    for theme in themes:
        if theme.status != Theme.Status.ACTIVE:
            continue
        parent = by_id.get(theme.parent_id) if theme.parent_id else None
        if parent is not None and parent.status == Theme.Status.DISMISSED:
            continue
        scored.append(theme.pk)
        parent_polarity = polarity.get(parent.pk) if parent is not None else None
        if theme_listed_alone(
            polarity=polarity[theme.pk],
            parent_status=parent.status if parent is not None else None,
            parent_polarity=parent_polarity,
        ):
            listed.append(theme.pk)
    return scored, listed


def _added_up(counts: dict[int, Counter], theme_ids: Iterable[int]) -> Counter:
    total: Counter = Counter()
    for pk in theme_ids:
        total.update(counts.get(pk, {}))
    return total


def _added_up_weekly(weekly: dict[int, list[int]], theme_ids: Iterable[int]) -> list[int]:
    total = [0] * WEEKS_SHOWN
    for pk in theme_ids:
        for week, count in enumerate(weekly.get(pk, ())):
            total[week] += count
    return total


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _windows(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    return tuple(now - dt.timedelta(days=days) for days in (30, 60, 90))


# Pain is what customers did not say happily: praise that sits in a pain theme adds nothing to
# its volume, trend, detractors, accounts or revenue.
PAIN = ~Q(sentiment_label=POSITIVE)
PROMOTER = Q(nps__gte=9, nps__lte=10)
PASSIVE = Q(nps__gte=7, nps__lte=8)
DETRACTOR = Q(nps__lte=6)


def _counts_by_theme(*, now: dt.datetime) -> dict[int, Counter]:
    """Each theme's own feedback counted every way the ranking needs, in one grouped query."""
    d30, d60, d90 = _windows(now)
    recent = Q(received_at__gte=d90)
    rows = (
        Feedback.objects.filter(theme__isnull=False, received_at__lt=now)
        .order_by()
        .values("theme")
        .annotate(
            members=Count("pk"),
            positive=Count("pk", filter=Q(sentiment_label=POSITIVE)),
            neutral=Count("pk", filter=Q(sentiment_label=NEUTRAL)),
            negative=Count("pk", filter=Q(sentiment_label=NEGATIVE)),
            promoters=Count("pk", filter=PROMOTER),
            passives=Count("pk", filter=PASSIVE),
            detractors=Count("pk", filter=DETRACTOR),
            volume_90=Count("pk", filter=recent),
            pain_90=Count("pk", filter=recent & PAIN),
            praise_90=Count("pk", filter=recent & ~PAIN),
            pain_30=Count("pk", filter=Q(received_at__gte=d30) & PAIN),
            pain_previous_30=Count(
                "pk", filter=Q(received_at__gte=d60, received_at__lt=d30) & PAIN
            ),
            scored_90=Count("pk", filter=recent & ~Q(sentiment_label="")),
            negative_90=Count("pk", filter=recent & Q(sentiment_label=NEGATIVE)),
            pain_detractors_90=Count("pk", filter=recent & PAIN & DETRACTOR),
            respondents_90=Count("pk", filter=recent & Q(nps__isnull=False)),
            promoters_90=Count("pk", filter=recent & PROMOTER),
            detractors_90=Count("pk", filter=recent & DETRACTOR),
        )
    )
    return {row.pop("theme"): Counter(row) for row in rows}


def _organisation_nps(*, now: dt.datetime) -> dict[str, int]:
    """The organisation's NPS answers over the ranking's 90 days: what NPS impact divides by and
    NPS lift compares with."""
    _, _, d90 = _windows(now)
    return Feedback.objects.filter(received_at__gte=d90, received_at__lt=now).aggregate(
        respondents=Count("pk", filter=Q(nps__isnull=False)),
        promoters=Count("pk", filter=PROMOTER),
        detractors=Count("pk", filter=DETRACTOR),
    )


def _pain_accounts_by_theme(*, now: dt.datetime) -> dict[int, set[int]]:
    """Theme id → the accounts behind its not-positive feedback of the last 90 days."""
    _, _, d90 = _windows(now)
    accounts: dict[int, set[int]] = defaultdict(set)
    for theme_id, customer_id in (
        Feedback.objects.filter(
            PAIN,
            received_at__gte=d90,
            received_at__lt=now,
            theme__isnull=False,
            customer__isnull=False,
        )
        .order_by()
        .values_list("theme", "customer")
        .distinct()
    ):
        accounts[theme_id].add(customer_id)
    return accounts


def _churn_risk(customers: set[int], *, arr: dict, risk: dict[int, float]) -> float | None:
    """ARR-weighted churn probability of the scored accounts among `customers`."""
    scored = [pk for pk in customers if pk in risk]
    if not scored:
        return None
    weight = sum(float(arr.get(pk) or 0) for pk in scored)
    if weight:
        return sum(risk[pk] * float(arr.get(pk) or 0) for pk in scored) / weight
    return sum(risk[pk] for pk in scored) / len(scored)


def _churn_risk_latest() -> dict[int, float]:
    """Each active account's churn probability from the latest churn scoring run."""
    return churn_probabilities_latest()


def _weekly_pain_counts(*, now: dt.datetime) -> dict[int, list[int]]:
    """Theme id → its not-positive feedback in each of the last `WEEKS_SHOWN` weeks, oldest
    first: the sparkline, the emerging test and the alerts count pain, as the volume does."""
    start = now - dt.timedelta(weeks=WEEKS_SHOWN)
    weekly: dict[int, list[int]] = defaultdict(lambda: [0] * WEEKS_SHOWN)
    for theme_id, received_at in (
        Feedback.objects.filter(
            PAIN, theme__isnull=False, received_at__gte=start, received_at__lt=now
        )
        .order_by()
        .values_list("theme_id", "received_at")
    ):
        week = min(WEEKS_SHOWN - 1, int((received_at - start).total_seconds() // (7 * 86_400)))
        weekly[theme_id][week] += 1
    return weekly
