"""The weekly digest: the pain points rising fastest, the wins of the week, and where NPS stands
— to every weekly-digest subscription, by email or through its team's webhook.

One digest is built per run, from precomputed figures only: the themes' weekly series from the
last analysis (`alerts.theme_spikes`), the wins measured in the last seven days
(`roadmap.wins.wins_recent`), and the NPS headline of the metric snapshots (the quarter so far
against the last one, as on the executive report). Each subscription gets it once per ISO week
(NotificationLog key "digest.weekly:<year>-W<week>:sub<id>"), however often the task runs.
"""

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from metrics.selectors import QUARTER, headline, org_today
from metrics.selectors.snapshots import Metric
from roadmap.models import Subscription
from roadmap.sharing import selectors, services
from roadmap.sharing.alerts import ThemeSpike, theme_spikes
from roadmap.sharing.services import Notification, SendResult, site_url, slack_escape, slack_link
from roadmap.wins import Win, wins_recent

EVENT = "digest.weekly"
RISING_LIMIT = 5
RISING_MIN_MENTIONS = 3  # this week, for a theme to count as rising in the digest
WINS_LIMIT = 5


@dataclass(frozen=True)
class DigestWin:
    title: str
    detail: str
    url: str


@dataclass(frozen=True)
class NpsChange:
    current: float
    previous: float | None
    change: float | None
    significant: bool
    period: str  # e.g. "Q3 2026 so far"
    previous_period: str


@dataclass(frozen=True)
class WeeklyDigest:
    week: str
    rising: tuple[ThemeSpike, ...]
    wins: tuple[DigestWin, ...]
    nps: NpsChange | None


def _quarter_name(day: dt.date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def _nps_change(*, today: dt.date) -> NpsChange | None:
    figures = headline(Metric.NPS, QUARTER, today=today)
    if figures.current.value is None:
        return None
    return NpsChange(
        current=figures.current.value,
        previous=figures.previous.value,
        change=figures.change,
        significant=figures.significant,
        period=_quarter_name(figures.current.period_start)
        + (" so far" if figures.current.partial else ""),
        previous_period=_quarter_name(figures.previous.period_start),
    )


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _win(win: Win) -> DigestWin:
    detail = win.metric
    if win.observed is not None:
        detail += f": {_number(win.observed)}{win.unit}"
        if win.target is not None:
            detail += f" against a target of {_number(win.target)}{win.unit}"
    if win.item.team is not None:
        detail += f" ({win.item.team.name})"
    return DigestWin(
        title=win.item.title,
        detail=detail,
        url=site_url(reverse("roadmap:backlog-detail", args=[win.item.pk])),
    )


def weekly_digest_build(*, today: dt.date) -> WeeklyDigest:
    rising = [
        item for item in theme_spikes(min_mentions=RISING_MIN_MENTIONS) if item.spike.ratio > 1.0
    ]
    since = timezone.now() - dt.timedelta(days=7)
    wins = wins_recent(since=since, limit=WINS_LIMIT)
    return WeeklyDigest(
        week=services.week_label(today),
        rising=tuple(sorted(rising, key=lambda item: not item.emerging)[:RISING_LIMIT]),
        wins=tuple(_win(item) for item in wins[:WINS_LIMIT]),
        nps=_nps_change(today=today),
    )


def _rising_line(item: ThemeSpike) -> str:
    spike = item.spike
    line = (
        f"{spike.this_week} mentions this week, {spike.ratio:.1f}× its weekly baseline "
        f"of {spike.baseline:.1f}"
    )
    return line + (" · emerging" if item.emerging else "")


def _nps_line(nps: NpsChange | None) -> str:
    if nps is None:
        return "No NPS figures yet."
    line = f"NPS {nps.current:.0f} in {nps.period}"
    if nps.change is not None:
        line += f", {nps.change:+.1f} on {nps.previous_period}"
        line += " (a significant change)" if nps.significant else " (within the noise)"
    return line + "."


def _slack_blocks(digest: WeeklyDigest, *, title: str, settings_url: str) -> list[dict]:
    if digest.rising:
        rising = "\n".join(
            f"• {slack_link(item.url, item.label)}: {_rising_line(item)}" for item in digest.rising
        )
    else:
        rising = "_Nothing rose above its baseline this week._"
    if digest.wins:
        wins = "\n".join(
            "• "
            + (slack_link(win.url, win.title) if win.url else slack_escape(win.title))
            + (f": {slack_escape(win.detail)}" if win.detail else "")
            for win in digest.wins
        )
    else:
        wins = "_No new wins this week._"

    def section(text: str) -> dict:
        return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}

    return [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        section(f"*Rising pain points*\n{rising}"),
        section(f"*New wins*\n{wins}"),
        section(f"*NPS*\n{slack_escape(_nps_line(digest.nps))}"),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Backlight · {slack_link(settings_url, 'Subscriptions')}",
                }
            ],
        },
    ]


def digest_notification(digest: WeeklyDigest) -> Notification:
    title = f"Backlight weekly digest, {digest.week}"
    settings_url = site_url(reverse("roadmap:subscriptions"))
    counts = (
        f"{len(digest.rising)} rising pain point{'s' if len(digest.rising) != 1 else ''}, "
        f"{len(digest.wins)} new win{'s' if len(digest.wins) != 1 else ''}. "
        + _nps_line(digest.nps)
    )
    text = render_to_string(
        "roadmap/sharing/email/digest.txt",
        {
            "digest": digest,
            "rising": [{"item": item, "line": _rising_line(item)} for item in digest.rising],
            "nps_line": _nps_line(digest.nps),
            "settings_url": settings_url,
            "site_url": site_url("/"),
        },
    )
    return Notification(
        event=EVENT,
        subject=title,
        text=text,
        payload={
            "text": slack_escape(f"{title}: {counts}"),
            "blocks": _slack_blocks(digest, title=title, settings_url=settings_url),
        },
    )


def digest_key(*, week: str, subscription_id: int) -> str:
    return f"{EVENT}:{week}:sub{subscription_id}"


def weekly_digests_send(*, today: dt.date | None = None) -> SendResult:
    """The weekly run: the digest to every active weekly-digest subscription that did not get it
    this ISO week. Safe to run twice."""
    today = today or org_today()
    subscriptions = selectors.subscriptions_active(kind=Subscription.Kind.WEEKLY_DIGEST)
    if not subscriptions:
        return SendResult()
    week = services.week_label(today)
    keys = {
        subscription.pk: digest_key(week=week, subscription_id=subscription.pk)
        for subscription in subscriptions
    }
    sent = selectors.notification_keys_sent(keys=list(keys.values()))
    due = [subscription for subscription in subscriptions if keys[subscription.pk] not in sent]
    if not due:
        return SendResult(already_sent=len(subscriptions))
    notification = digest_notification(weekly_digest_build(today=today))
    batch = [(subscription, [keys[subscription.pk]], notification) for subscription in due]
    return services.subscriptions_notify(batch) + SendResult(
        already_sent=len(subscriptions) - len(due)
    )
