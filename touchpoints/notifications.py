"""Touchpoint settings, weekly reminders and team digests.

Reminders go to engineers whose adherence status is `behind`; digests go to team leads and show
coverage (who is behind and with what), never a ranking. Both are sent at most once per person per
ISO week: the claim is a cache key that lives 8 days, so that a rerun of the weekly job (a retry, a
second beat) sends nothing twice without a model of its own.
"""

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from touchpoints.adherence import BEHIND, AdherenceReport, EngineerAdherence, adherence_report
from touchpoints.models import EngineerSettings, Team

SENT_TTL = dt.timedelta(days=8)
REMINDER = "reminder"
DIGEST = "digest"


@dataclass(frozen=True)
class ReminderResult:
    reminders_sent: int = 0
    digests_sent: int = 0
    already_sent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "reminders_sent": self.reminders_sent,
            "digests_sent": self.digests_sent,
            "already_sent": self.already_sent,
        }


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def engineer_settings_get(*, user) -> EngineerSettings:
    """The user's settings, created with a fresh calendar secret on first use."""
    settings_row, _ = EngineerSettings.objects.get_or_create(
        user=user, defaults={"calendar_token": _new_token()}
    )
    return settings_row


@transaction.atomic
def engineer_settings_update(*, user, reminders: bool, team_digest: bool) -> EngineerSettings:
    settings_row = engineer_settings_get(user=user)
    settings_row.reminders = reminders
    settings_row.team_digest = team_digest
    settings_row.save(update_fields=["reminders", "team_digest", "updated_at"])
    return settings_row


@transaction.atomic
def calendar_token_rotate(*, user) -> EngineerSettings:
    """A new secret address for the user's calendar feed; the old one stops working at once."""
    settings_row = engineer_settings_get(user=user)
    settings_row.calendar_token = _new_token()
    settings_row.save(update_fields=["calendar_token", "updated_at"])
    return settings_row


def engineer_settings_by_token(*, token: str) -> EngineerSettings | None:
    """The settings behind a calendar secret, for an active user only."""
    return (
        EngineerSettings.objects.select_related("user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )


def site_url(path: str) -> str:
    """An absolute address for emails, from BACKLIGHT_SITE_URL when the deployment sets it."""
    return settings.BACKLIGHT_SITE_URL.rstrip("/") + path


def _week_key(*, kind: str, user_id: int, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"touchpoints:{kind}:{user_id}:{year}-W{week:02d}"


def _opted_out(user_ids: Iterable[int], field: str) -> set[int]:
    return set(
        EngineerSettings.objects.filter(user_id__in=list(user_ids), **{field: False}).values_list(
            "user_id", flat=True
        )
    )


def _send_once(*, kind: str, user, today: dt.date, subject: str, template: str, context) -> bool:
    """Send unless already sent to `user` this ISO week. `cache.add` is atomic, so two concurrent
    runs cannot both claim; a failed send gives the claim back so that a retry can send."""
    key = _week_key(kind=kind, user_id=user.pk, today=today)
    if not cache.add(key, True, timeout=int(SENT_TTL.total_seconds())):
        return False
    try:
        send_mail(
            subject,
            render_to_string(template, context),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:
        cache.delete(key)
        raise
    return True


def _team_rows(report: AdherenceReport, team_name: str) -> list[EngineerAdherence]:
    return [row for row in report.engineers if team_name in row.teams]


def touchpoint_reminders_send(*, today: dt.date | None = None) -> ReminderResult:
    """The weekly run: a reminder to each engineer behind this year's goal, a digest to each team
    lead; nobody who opted out, nobody without an email address, nobody twice in one ISO week."""
    today = today or timezone.localdate()
    report = adherence_report(year=today.year, as_of=today)
    users = get_user_model().objects.in_bulk(
        [row.engineer_id for row in report.engineers if row.status == BEHIND]
    )
    context_base = {
        "year": report.year,
        "as_of": report.as_of,
        "log_url": site_url(reverse("touchpoints:touchpoint-new")),
        "settings_url": site_url(reverse("touchpoints:settings")),
        "adherence_url": site_url(reverse("touchpoints:adherence")),
    }
    reminders = digests = already = 0

    no_reminders = _opted_out(users, "reminders")
    for row in report.engineers:
        user = users.get(row.engineer_id)
        if row.status != BEHIND or user is None or not user.email or user.pk in no_reminders:
            continue
        sent = _send_once(
            kind=REMINDER,
            user=user,
            today=today,
            subject=f"Your customer touchpoints for {report.year}",
            template="touchpoints/email/reminder.txt",
            context={**context_base, "user": user, "row": row},
        )
        reminders += sent
        already += not sent

    groups = {group.name: group for group in report.teams}
    teams_by_lead: dict[int, list[Team]] = {}
    leads = {}
    for team in Team.objects.filter(lead__isnull=False, lead__is_active=True).select_related(
        "lead"
    ):
        if team.name in groups and team.lead.email:
            teams_by_lead.setdefault(team.lead_id, []).append(team)
            leads[team.lead_id] = team.lead
    no_digest = _opted_out(leads, "team_digest")
    for lead_id, teams in teams_by_lead.items():
        if lead_id in no_digest:
            continue
        team_summaries = [
            {
                "name": team.name,
                "group": groups[team.name],
                "behind": [r for r in _team_rows(report, team.name) if r.status == BEHIND],
            }
            for team in teams
        ]
        sent = _send_once(
            kind=DIGEST,
            user=leads[lead_id],
            today=today,
            subject=f"Touchpoint coverage of your team{'s' if len(teams) > 1 else ''}",
            template="touchpoints/email/team_digest.txt",
            context={**context_base, "user": leads[lead_id], "teams": team_summaries},
        )
        digests += sent
        already += not sent

    return ReminderResult(reminders_sent=reminders, digests_sent=digests, already_sent=already)
