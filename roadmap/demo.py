"""The demo organisation, top to bottom: `demo_organisation_seed` builds it for `seed_demo`.

Roadmap sits at the top of the house, so it is where the floors below are seeded in order
(customers, then engineers and touchpoints, then the backlog). The backlog holds one item per
column; the shipped one fixed the pain point that fades in the feedback after its ship date.
Pain points are not linked as themes: themes come from the NLP pipeline, so each item names the
pain point it addresses in its metric description instead.

The shipped item is the exception, because its impact review needs the pain point it fixed:
`demo_impact_seed` (run by `seed_demo` after the organisation) files the export complaints under
a pain point a PM curated by hand (pinned, so the nightly clustering keeps it), links it to the
item, logs the demo engineer's customer call that surfaced it, and measures the reviews that are
due — the fix shipped five months ago, so all three are, and the item ends up measured, "met".
"""

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from insights.demo import (
    DEMO_LOGINS,
    DemoCustomersResult,
    demo_customers_seed,
    demo_organisation_exists,
    demo_users_ensure,
)
from insights.demo_text import (
    PAIN_POINTS_BY_KEY,
    export_fix_shipped_on,
    months_before,
    observation_compose,
)
from insights.models import Theme
from insights.selectors import day_start, feedback_list
from insights.services.themes import feedback_move
from roadmap.impact import impact_reviews_measure_due, impact_reviews_schedule
from roadmap.models import BacklogItem, BacklogThemeLink
from touchpoints.demo import demo_touchpoints_seed
from touchpoints.models import PartnerTeam, Team, TouchpointKind
from touchpoints.services import touchpoint_log


@dataclass(frozen=True)
class DemoSummary:
    created: bool  # False: the organisation was already there and only the logins were ensured
    logins: tuple[str, ...]
    customers: int = 0
    churned: int = 0
    contacts: int = 0
    survey_responses: int = 0
    tickets: int = 0
    usage_snapshots: int = 0
    engineers: int = 0
    teams: int = 0
    touchpoints: int = 0
    observations: int = 0
    backlog_items: int = 0
    # Customers still with us, declining now, that will leave within three months.
    leaving_ids: tuple[int, ...] = ()


@transaction.atomic
def demo_organisation_seed(*, seed: int, today: dt.date, scale: float = 1.0) -> DemoSummary:
    """The whole demo organisation, the same for the same seed and `today`. On a database that
    already has it, only makes sure the demo logins and role groups exist. `scale` below 1 makes
    a smaller organisation for fast tests."""
    users = demo_users_ensure()
    logins = tuple(login.username for login in DEMO_LOGINS)
    if demo_organisation_exists():
        return DemoSummary(created=False, logins=logins)
    rng = random.Random(seed)  # noqa: S311 -- reproducible demo data, not a secret
    np_rng = np.random.default_rng(seed)
    customers = demo_customers_seed(rng=rng, np_rng=np_rng, today=today, scale=scale)
    touchpoints = demo_touchpoints_seed(
        rng=rng, today=today, customers=customers.customers, engineer=users["engineer"]
    )
    items = demo_backlog_seed(
        today=today, owner=users["pm"], teams=touchpoints.teams, customers=customers
    )
    return DemoSummary(
        created=True,
        logins=logins,
        customers=len(customers.customers),
        churned=sum(c.churned for c in customers.customers),
        contacts=customers.contacts,
        survey_responses=customers.survey_responses,
        tickets=customers.tickets,
        usage_snapshots=customers.usage_snapshots,
        engineers=len(touchpoints.engineers),
        teams=len(touchpoints.teams),
        touchpoints=touchpoints.touchpoints,
        observations=touchpoints.observations,
        backlog_items=len(items),
        leaving_ids=tuple(customer.pk for customer in customers.leaving),
    )


@transaction.atomic
def demo_backlog_seed(
    *, today: dt.date, owner: AbstractUser, teams: dict[str, Team], customers: DemoCustomersResult
) -> list[BacklogItem]:
    """One backlog item per column, baselines taken from the seeded feedback and usage."""
    shipped_on = export_fix_shipped_on(today)
    shipped_month = shipped_on.replace(day=1)
    before_ship = [months_before(shipped_month, m) for m in range(1, 7)]
    last_three = [months_before(today.replace(day=1), m) for m in range(1, 4)]

    def volume(key: str, months: list[dt.date]) -> float:
        counts = customers.mentions_by_month.get(key, {})
        return round(sum(counts.get(m, 0) for m in months) / len(months), 1)

    def addresses(key: str, measure: str) -> str:
        return f"Pain point: {PAIN_POINTS_BY_KEY[key].label}. {measure}"

    exports_before = volume("slow_exports", before_ship)
    mobile_adoption = round(100 * customers.adoption_last_month.get("mobile_upload", 0.0), 1)
    crm_now = volume("crm_sync_delays", last_three)
    permissions_nps = customers.nps_of_mentions.get("coarse_permissions", -40)
    api_now = volume("api_rate_limits", last_three)
    invoices_now = volume("confusing_invoices", last_three)
    Status, Metric = BacklogItem.Status, BacklogItem.MetricKind
    items = [
        BacklogItem(
            title="Background exports with a download link",
            customer_problem=(
                "“Exporting the monthly revenue report to CSV takes 25 minutes, then times out.” "
                "Large CSV and Excel exports block the page and fail, so finance and ops teams "
                "split them into date ranges or give up."
            ),
            desired_outcome=(
                "Any export runs in the background and arrives by email with a download link; "
                "nobody waits on a spinner."
            ),
            metric_kind=Metric.THEME_VOLUME,
            metric_description=addresses(
                "slow_exports", "Mentions per month −50 % within 60 days of shipping."
            ),
            metric_feature="export",
            baseline=exports_before,
            target=-50,
            metric_window_days=60,
            status=Status.SHIPPED,
            shipped_on=shipped_on,
            team=teams["Platform"],
            effort_weeks=6,
            confidence=80,
        ),
        BacklogItem(
            title="Reliable photo uploads in the mobile app",
            customer_problem=(
                "“Attach five photos and the app just quits.” Field technicians lose job notes "
                "when the app crashes during photo upload, and fall back to emailing photos."
            ),
            desired_outcome="Uploads survive weak networks and retries; a draft is never lost.",
            metric_kind=Metric.ADOPTION,
            metric_description=addresses(
                "mobile_upload_crash", "Share of active users uploading photos from mobile."
            ),
            metric_feature="mobile_upload",
            baseline=mobile_adoption,
            target=round(mobile_adoption + 8, 1),
            status=Status.IN_PROGRESS,
            team=teams["Mobile"],
            effort_weeks=8,
            confidence=70,
        ),
        BacklogItem(
            title="Near real-time CRM sync with failure alerts",
            customer_problem=(
                "“Changes in Salesforce take hours to show up, our reps see stale data.” The "
                "sync falls behind or stops silently, and nobody notices for days."
            ),
            desired_outcome="CRM changes appear within minutes; a failed sync alerts the admin.",
            metric_kind=Metric.THEME_VOLUME,
            metric_description=addresses("crm_sync_delays", "Mentions per month halved."),
            metric_feature="integrations",
            baseline=crm_now,
            target=round(crm_now * 0.5, 1),
            status=Status.NOW,
            team=teams["Integrations"],
            effort_weeks=5,
            confidence=60,
        ),
        BacklogItem(
            title="Custom roles and field-level permissions",
            customer_problem=(
                "“We had to make 20 people admins just so they could approve timesheets.” Roles "
                "are all or nothing, so larger customers over-grant access."
            ),
            desired_outcome="Admins compose roles from permissions and hide sensitive fields.",
            metric_kind=Metric.NPS,
            metric_description=addresses(
                "coarse_permissions", "NPS of accounts that raise it up by 25 points."
            ),
            baseline=permissions_nps,
            target=permissions_nps + 25,
            status=Status.NEXT,
            team=teams["Platform"],
            effort_weeks=10,
            confidence=50,
        ),
        BacklogItem(
            title="Higher API limits and a bulk endpoint",
            customer_problem=(
                "“The API returns 429 during our nightly sync and the integration falls over.” "
                "Limits are undocumented and too low for large accounts."
            ),
            desired_outcome="Nightly syncs of large accounts finish without throttling.",
            metric_kind=Metric.THEME_VOLUME,
            metric_description=addresses("api_rate_limits", "Mentions per month −50 %."),
            metric_feature="integrations",
            baseline=api_now,
            target=round(api_now * 0.5, 1),
            status=Status.LATER,
            team=teams["Integrations"],
            effort_weeks=4,
            confidence=40,
        ),
        BacklogItem(
            title="Invoices finance teams can reconcile",
            customer_problem=(
                "“I can't reconcile the invoice with the number of seats we actually use.” "
                "Proration, missing PO numbers and duplicate charges send finance to support."
            ),
            desired_outcome="Every invoice line maps to seats and dates a finance team can check.",
            metric_kind=Metric.THEME_VOLUME,
            metric_description=addresses("confusing_invoices", "Billing tickets per month −40 %."),
            baseline=invoices_now,
            target=round(invoices_now * 0.6, 1),
            status=Status.DISCOVERY,
            team=teams["Billing"],
            effort_weeks=None,
            confidence=30,
        ),
    ]
    for item in items:
        item.owner = item.created_by = owner
    items = BacklogItem.objects.bulk_create(items)
    for item in items:
        if item.status == Status.SHIPPED:
            impact_reviews_schedule(item=item)
    return items


# --- the shipped fix's impact -------------------------------------------------------------------

SHIPPED_TITLE = "Background exports with a download link"
EXPORTS_PAIN_POINT = "slow_exports"
EVIDENCE_QUOTES = 3


@dataclass(frozen=True)
class DemoImpact:
    theme: Theme | None
    complaints: int  # export complaints filed under the curated pain point
    measured: int  # reviews measured
    verdict: str  # the verdict that stands ("" when none is done)


@transaction.atomic
def demo_impact_link(*, today: dt.date, seed: int = 7) -> tuple[Theme | None, int]:
    """File the demo's export complaints under a curated pain point linked to the shipped item,
    with the touchpoint that surfaced it. Once: nothing when the item already has a pain point."""
    item = BacklogItem.objects.filter(
        title=SHIPPED_TITLE, status=BacklogItem.Status.SHIPPED
    ).first()
    if item is None or item.theme_links.exists():
        return None, 0
    pain = PAIN_POINTS_BY_KEY[EXPORTS_PAIN_POINT]
    pm, engineer = item.owner, demo_users_ensure()["engineer"]
    complaints = feedback_list().filter(metadata__demo_truth__pain_point=EXPORTS_PAIN_POINT)
    before_ship = list(
        complaints.filter(received_at__lt=day_start(item.shipped_on)).order_by("-received_at")[:1]
    )
    observation_ids = []
    if before_ship:
        rng = random.Random(seed)  # noqa: S311 -- reproducible demo data, not a secret
        touchpoint = touchpoint_log(
            logged_by=engineer,
            kind=TouchpointKind.CUSTOMER_CALL,
            occurred_on=item.shipped_on - dt.timedelta(days=40),
            duration_minutes=45,
            partner_team=PartnerTeam.SUPPORT,
            customers=[before_ship[0].customer] if before_ship[0].customer else [],
            co_attendees=[],
            observations=[(observation_compose(rng, pain_point=EXPORTS_PAIN_POINT), "high")],
            summary=f"Call with support about {pain.label.lower()}.",
        )
        observation_ids = [
            o.feedback_id for o in touchpoint.observations.all() if o.feedback_id is not None
        ]
    ids = list(complaints.values_list("pk", flat=True)) + observation_ids
    # Themes are the clustering's to make; this one stands for a PM's hand-curated pain point
    # (insights has no service to create an empty theme, so the demo makes the row itself).
    theme = Theme.objects.create(
        label=pain.label, label_edited=True, keywords=list(pain.keywords)[:8]
    )
    feedback_move(feedback_ids=ids, theme=theme, user=pm)
    BacklogThemeLink.objects.create(
        item=item,
        theme=theme,
        rationale="Curated by the PM from the export complaints in surveys and tickets.",
    )
    evidence = complaints.filter(received_at__lt=day_start(item.shipped_on)).exclude(text="")
    item.evidence.add(*evidence.order_by("-received_at")[:EVIDENCE_QUOTES])
    return theme, len(ids)


def demo_impact_seed(*, today: dt.date, seed: int = 7) -> DemoImpact:
    """`demo_impact_link`, then the impact reviews that are due by `today` measured, as the
    daily task would."""
    theme, complaints = demo_impact_link(today=today, seed=seed)
    measured = 0
    while True:
        result = impact_reviews_measure_due(today=today)
        measured += result.measured
        if not result.remaining:
            break
    item = BacklogItem.objects.filter(title=SHIPPED_TITLE).first()
    latest = (
        item.impact_reviews.filter(status="done").order_by("-days_after").first() if item else None
    )
    return DemoImpact(theme, complaints, measured, latest.verdict if latest else "")
