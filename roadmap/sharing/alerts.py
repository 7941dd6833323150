"""Alerts on emerging pain points: a theme whose volume this week spikes against its own
baseline, to the people and teams who subscribed, through email or their team's webhook.

The figures are the analysis's own (`Theme.statistics["weekly"]`, written by
`insights.services.theme_ranking`: the not-positive feedback of 16 seven-day windows ending when
the ranking ran, oldest first). This week is the last window; the baseline is the mean of the
fifteen before it, at least one mention a week (so a theme from nothing has a ratio too). A
subscription is alerted when

    this week's mentions ≥ MIN_MENTIONS  and  this week ÷ baseline ≥ its threshold

— the floor keeps a quiet theme going from one mention to three from paging anyone. Only
statistics from a recent ranking count: a stale ranking would repeat last week's spike every week.

Each theme is sent once per subscription per ISO week (NotificationLog key
"alert.emerging:<year>-W<week>:sub<id>:theme<id>"), whatever the threshold and however often the
task runs; the themes that cross a subscription's threshold in one run go out in one message.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from insights.selectors import pain_points_ranked
from metrics.selectors import org_today
from roadmap.models import Subscription
from roadmap.sharing import selectors, services
from roadmap.sharing.services import Notification, SendResult, site_url, slack_escape, slack_link

EVENT = "alert.emerging"
MIN_MENTIONS = 5
STATISTICS_FRESH_FOR = dt.timedelta(days=2)
SLACK_THEMES_SHOWN = 10
LABEL_CHARS = 100


@dataclass(frozen=True)
class Spike:
    this_week: int
    baseline: float  # mean mentions a week over the weeks before this one
    ratio: float  # this week ÷ max(baseline, 1)


def theme_spike(weekly: Sequence[int]) -> Spike | None:
    """This week (the last window) against the weeks before it; None without a week before."""
    if len(weekly) < 2:
        return None
    this_week = int(weekly[-1])
    before = [int(value) for value in weekly[:-1]]
    baseline = sum(before) / len(before)
    return Spike(this_week=this_week, baseline=baseline, ratio=this_week / max(baseline, 1.0))


def spike_alerts(spike: Spike, *, threshold: float) -> bool:
    return spike.this_week >= MIN_MENTIONS and spike.ratio >= threshold


@dataclass(frozen=True)
class ThemeSpike:
    theme_id: int
    label: str
    url: str
    emerging: bool  # the analysis's own, stricter test (insights.ml.ranking.is_emerging)
    spike: Spike


def _ranked_at(statistics: dict) -> dt.datetime | None:
    try:
        ranked_at = dt.datetime.fromisoformat(str(statistics.get("ranked_at")))
    except ValueError:
        return None
    return ranked_at if timezone.is_aware(ranked_at) else None


def theme_spikes(*, min_mentions: int = 0, fresh_since: dt.datetime | None = None):
    """The ranked pain points (`insights.selectors.pain_points_ranked`: strengths are never
    alerted) with their spike, the steepest first: those with at least `min_mentions` this week
    and, with `fresh_since`, ranked since then. One query."""
    spikes = []
    for point in pain_points_ranked(with_quotes=False):
        statistics = point.statistics
        if fresh_since is not None:
            ranked_at = _ranked_at(statistics)
            if ranked_at is None or ranked_at < fresh_since:
                continue
        spike = theme_spike(statistics.get("weekly") or [])
        if spike is None or spike.this_week < max(min_mentions, 1):
            continue
        theme = point.theme
        spikes.append(
            ThemeSpike(
                theme_id=theme.pk,
                label=theme.label[:LABEL_CHARS],
                url=site_url(reverse("insights:theme-detail", args=[theme.pk])),
                emerging=theme.emerging,
                spike=spike,
            )
        )
    spikes.sort(key=lambda item: (-item.spike.ratio, -item.spike.this_week, item.label))
    return spikes


def alert_key(*, week: str, subscription_id: int, theme_id: int) -> str:
    return f"{EVENT}:{week}:sub{subscription_id}:theme{theme_id}"


def _describe(item: ThemeSpike) -> str:
    spike = item.spike
    return (
        f"{spike.this_week} mentions this week, {spike.ratio:.1f}× its weekly baseline of "
        f"{spike.baseline:.1f}" + (" (flagged emerging by the analysis)" if item.emerging else "")
    )


def alert_notification(*, themes: list[ThemeSpike], week: str) -> Notification:
    """One message for the themes that crossed a subscription's threshold."""
    if len(themes) == 1:
        subject = f"Emerging pain point: {themes[0].label}"
    else:
        subject = f"{len(themes)} emerging pain points"
    settings_url = site_url(reverse("roadmap:subscriptions"))
    footer = f"Backlight alert, {week} · {slack_link(settings_url, 'Subscriptions')}"
    lines = [f"• {slack_link(item.url, item.label)}: {_describe(item)}" for item in themes]
    shown = lines[:SLACK_THEMES_SHOWN]
    if len(lines) > len(shown):
        shown.append(f"…and {len(lines) - len(shown)} more in Backlight.")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(shown)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": footer,
                }
            ],
        },
    ]
    fallback = slack_escape(
        subject + ": " + "; ".join(f"{item.label} ({_describe(item)})" for item in themes)
    )
    text = render_to_string(
        "roadmap/sharing/email/alert.txt",
        {
            "themes": [{"item": item, "description": _describe(item)} for item in themes],
            "week": week,
            "settings_url": settings_url,
        },
    )
    return Notification(
        event=EVENT, subject=subject, text=text, payload={"text": fallback, "blocks": blocks}
    )


def emerging_alerts_send(*, today: dt.date | None = None) -> SendResult:
    """The periodic run: every active alert subscription gets the themes spiking past its
    threshold that it was not told about this ISO week. Safe to run twice."""
    today = today or org_today()
    week = services.week_label(today)
    spikes = theme_spikes(
        min_mentions=MIN_MENTIONS, fresh_since=timezone.now() - STATISTICS_FRESH_FOR
    )
    if not spikes:
        return SendResult()
    subscriptions = selectors.subscriptions_active(kind=Subscription.Kind.EMERGING_ALERTS)
    candidates = {
        subscription.pk: [
            item for item in spikes if spike_alerts(item.spike, threshold=subscription.threshold)
        ]
        for subscription in subscriptions
    }
    sent = selectors.notification_keys_sent(
        keys=[
            alert_key(week=week, subscription_id=subscription_id, theme_id=item.theme_id)
            for subscription_id, items in candidates.items()
            for item in items
        ]
    )
    batch = []
    already = 0
    for subscription in subscriptions:
        themes = [
            (key, item)
            for item in candidates[subscription.pk]
            if (
                key := alert_key(week=week, subscription_id=subscription.pk, theme_id=item.theme_id)
            )
            not in sent
        ]
        if themes:
            notification = alert_notification(themes=[item for _, item in themes], week=week)
            batch.append((subscription, [key for key, _ in themes], notification))
        elif candidates[subscription.pk]:
            already += 1
    return services.subscriptions_notify(batch) + SendResult(already_sent=already)
