"""The demo organisation's customers and what they told us, for `manage.py seed_demo`.

About 400 accounts with contacts, 24 months of survey answers and support tickets that carry the
planted pain points of `insights.demo_text`, and monthly usage in which the accounts that churn
decline first — including a few still with us that will leave within three months, the ones the
churn model should put on top of the at-risk list. Everything is drawn from the caller's random
generators, so one seed gives one organisation, on SQLite as on PostgreSQL. Rows are built in
memory and written with `bulk_create`; primary keys come back from the insert (PostgreSQL,
SQLite ≥ 3.35), so the children can point at their parents without a query per row.
"""

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import transaction

from insights.demo_text import (
    PAIN_POINTS,
    PAIN_POINTS_BY_KEY,
    comment_compose,
    export_fix_shipped_on,
    months_before,
    pain_point_weight,
    ticket_compose,
)
from insights.models import Contact, Customer, Feedback, Plan, Region, Segment, UsageSnapshot
from insights.roles import Role, roles_sync

DEMO_PASSWORD = "backlight-demo"  # noqa: S105 -- documented demo login, never used outside a laptop
DEMO_MARKER_EXTERNAL_ID = "DEMO-0001"
WINDOW_MONTHS = 24
FEATURES = ("export", "dashboards", "mobile_upload", "search", "integrations", "bulk_edit")
# Big enough to keep round trips few, small enough for SQLite's limit on query parameters.
BATCH_SIZE = 2000
NPS_QUESTION = "How likely are you to recommend us to a friend or colleague?"

_ACCOUNTS = 400
_SURVEY_RESPONSES = 8000
_TICKETS = 3000
_CHURN_SHARE = 0.135
_LEAVING_SHARE = 0.03  # accounts declining now that will leave within the next three months


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    first_name: str
    last_name: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMIN, "Morgan", "Lee"),
    DemoLogin("pm", Role.PRODUCT_MANAGER, "Priya", "Menon"),
    DemoLogin("engineer", Role.ENGINEER, "Sam", "Rivera"),
    DemoLogin("exec", Role.EXECUTIVE, "Dana", "Whitfield"),
)


@dataclass
class DemoAccount:
    """One account while it is being built, with what the generators need to know about it."""

    customer: Customer
    contacts: list[Contact]
    mood: float
    nemesis: str | None  # the pain point that drives a churning account away
    # An account on its way out that has not left yet: it will leave on this day after today, and
    # its usage, mood and tickets already show it — what the churn model should catch.
    leaving_on: dt.date | None = None

    @property
    def active_until(self) -> dt.date | None:
        """The day the account stops (or will stop) being a customer; None while it stays."""
        return self.customer.churned_on or self.leaving_on


@dataclass(frozen=True)
class DemoCustomersResult:
    customers: list[Customer]
    # Still customers, declining now, leaving within three months: the at-risk list's top.
    leaving: list[Customer]
    contacts: int
    survey_responses: int
    tickets: int
    usage_snapshots: int
    # pain point → first day of month → mentions in surveys and tickets
    mentions_by_month: dict[str, dict[dt.date, int]] = field(default_factory=dict)
    # pain point → NPS (−100…100) of the survey answers that mention it, in the last six months
    nps_of_mentions: dict[str, int] = field(default_factory=dict)
    # feature → share of active users who used it in the last complete month
    adoption_last_month: dict[str, float] = field(default_factory=dict)


def demo_organisation_exists() -> bool:
    return Customer.objects.filter(external_id=DEMO_MARKER_EXTERNAL_ID).exists()


@transaction.atomic
def demo_users_ensure() -> dict[str, AbstractUser]:
    """The four demo logins in their role groups. Existing users keep their passwords."""
    roles_sync(group_model=Group, permission_model=Permission)
    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    users = {}
    for login in DEMO_LOGINS:
        user, created = get_user_model().objects.get_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "email": f"{login.username}@backlight.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        if login.role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
        if created or login.role == Role.ADMIN:
            user.save()
        user.groups.add(groups[login.role])
        users[login.username] = user
    return users


@transaction.atomic
def demo_customers_seed(
    *, rng: random.Random, np_rng: np.random.Generator, today: dt.date, scale: float = 1.0
) -> DemoCustomersResult:
    """Accounts, contacts, survey answers, tickets and usage for the 24 months up to `today`.
    `scale` shrinks the organisation (and every volume with it) for fast tests."""
    accounts = _accounts_build(rng=rng, np_rng=np_rng, today=today, count=round(_ACCOUNTS * scale))
    Customer.objects.bulk_create([a.customer for a in accounts], batch_size=BATCH_SIZE)
    for account in accounts:
        for contact in account.contacts:
            contact.customer = account.customer
    contacts = [c for a in accounts for c in a.contacts]
    Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)

    mentions: dict[str, Counter] = defaultdict(Counter)
    surveys, nps_of_mentions = _surveys_build(
        rng=rng,
        np_rng=np_rng,
        today=today,
        accounts=accounts,
        mentions=mentions,
        target=_SURVEY_RESPONSES * scale,
    )
    tickets = _tickets_build(
        rng=rng,
        np_rng=np_rng,
        today=today,
        accounts=accounts,
        mentions=mentions,
        target=_TICKETS * scale,
    )
    Feedback.objects.bulk_create(surveys + tickets, batch_size=BATCH_SIZE)
    snapshots = _usage_build(np_rng=np_rng, today=today, accounts=accounts)
    UsageSnapshot.objects.bulk_create(snapshots, batch_size=BATCH_SIZE)

    last_period = _month_start(months_before(today, 1))
    last = [s for s in snapshots if s.period == last_period]
    users = sum(s.active_users for s in last) or 1
    return DemoCustomersResult(
        customers=[a.customer for a in accounts],
        leaving=[a.customer for a in accounts if a.leaving_on],
        contacts=len(contacts),
        survey_responses=len(surveys),
        tickets=len(tickets),
        usage_snapshots=len(snapshots),
        mentions_by_month={key: dict(sorted(counts.items())) for key, counts in mentions.items()},
        nps_of_mentions=nps_of_mentions,
        adoption_last_month={
            f: round(sum(s.feature_adoption[f] for s in last) / users, 3) for f in FEATURES
        },
    )


# --- accounts --------------------------------------------------------------------------------

_COMPANY_WORDS = (
    "Northwind Bluepeak Ironbark Cedarline Harborview Silverpine Redwood Brightwater Stonebridge "
    "Oakridge Clearwater Summit Granite Maple Falcon Evergreen Lighthouse Riverside Westfield "
    "Pinecrest Copperleaf Kestrel Alder Juniper Tidewater Meridian Larkspur Foxglove Driftwood "
    "Quarry Beacon Heron Saltmarsh Windmill Ashford Birchwood Crescent Halcyon Lakeshore Marigold "
    "Orchard Pioneer Rowan Sequoia Thistle Upland Valley Willow Yarrow Zenith Aurora Bramble "
    "Cobalt Dovetail Ember Fairway Glacier Hollow Indigo Keystone"
).split()
_INDUSTRIES = {
    "logistics": ("Logistics", "Freight", "Couriers"),
    "healthcare": ("Dental", "Health", "Clinics"),
    "construction": ("Builders", "Construction", "Roofing"),
    "property management": ("Facilities", "Property Group", "Estates"),
    "retail": ("Foods", "Retail", "Outfitters"),
    "utilities": ("Energy", "Solar", "Water"),
    "manufacturing": ("Engineering", "Manufacturing", "Fabrication"),
    "hospitality": ("Hospitality", "Hotels"),
    "field service": ("Plumbing", "HVAC", "Landscaping", "Security"),
    "agency": ("Studios", "Partners", "Labs"),
}
_INDUSTRY_OF = {noun: industry for industry, nouns in _INDUSTRIES.items() for noun in nouns}
_LEGAL_SUFFIXES = {
    Region.NORTH_AMERICA: ("Inc.", "LLC", "Co.", "", ""),
    Region.EMEA: ("Ltd", "GmbH", "BV", "SA", "AB", ""),
    Region.APAC: ("Pty Ltd", "Pte Ltd", "K.K.", ""),
    Region.LATAM: ("S.A.", "Ltda", "S.A. de C.V.", ""),
}
_FIRST_NAMES = (
    "Olivia Liam Emma Noah Ava Lucas Mia Mateo Sofia Ethan Amara Kofi Yuki Hiroshi Mei Wei Aisha "
    "Omar Fatima Ahmed Priya Arjun Ananya Ravi Sven Ingrid Lars Freya Chloe Hugo Camille Louis "
    "Isabella Diego Valentina Santiago Lucia Pablo Grace Jack Ruby Oscar Zara Leo Nia Tariq Elena "
    "Marco Giulia Sean Siobhan Tomasz Zofia Chen Hana Jin Ana Joao Beatriz Kwame Adaeze"
).split()
_LAST_NAMES = (
    "Smith Johnson Garcia Martinez Brown Nguyen Kim Patel Singh Okafor Mensah Tanaka Suzuki Wang "
    "Li Chen Haddad Rahman Khan Ivanova Novak Kowalski Nielsen Johansson Larsen Dubois Martin "
    "Rossi Bianchi Muller Schmidt Fischer Silva Santos Oliveira Fernandez Lopez Hughes Murphy "
    "Kelly Walsh Campbell Stewart Moreau Costa Yilmaz Demir Sato Park Choi Adeyemi Osei Alvarez"
).split()
_TITLES = (
    "Operations Manager, Head of Finance, IT Administrator, Field Supervisor, COO, Office Manager, "
    "Sales Ops Lead, Project Manager, Customer Success Lead, Controller"
).split(", ")
_CSMS = ("Hannah Brooks", "Tobias Reed", "Leila Farouk", "Marcus Chen", "Sofia Lindqvist")

# segment → (share of accounts, ARR range, plans, contacts range, feedback weight)
_SEGMENTS = {
    Segment.SMB: (0.55, (5_000, 20_000), (Plan.STARTER, Plan.GROWTH), (2, 3), 1.0),
    Segment.MID_MARKET: (0.32, (20_000, 120_000), (Plan.GROWTH, Plan.BUSINESS), (3, 5), 1.5),
    Segment.ENTERPRISE: (0.13, (120_000, 1_200_000), (Plan.BUSINESS, Plan.ENTERPRISE), (4, 7), 2.3),
}
_SEAT_PRICE = {Plan.STARTER: 240, Plan.GROWTH: 420, Plan.BUSINESS: 600, Plan.ENTERPRISE: 780}
_REGIONS = {Region.NORTH_AMERICA: 45, Region.EMEA: 35, Region.APAC: 12, Region.LATAM: 8}
_CHURN_PROPENSITY = {Segment.SMB: 1.6, Segment.MID_MARKET: 1.0, Segment.ENTERPRISE: 0.45}


def _accounts_build(
    *, rng: random.Random, np_rng: np.random.Generator, today: dt.date, count: int
) -> list[DemoAccount]:
    window_start = months_before(today, WINDOW_MONTHS)
    names = rng.sample([(w, n) for w in _COMPANY_WORDS for n in _INDUSTRY_OF], k=count)
    accounts = []
    for index, (word, noun) in enumerate(names, start=1):
        segment = rng.choices(list(_SEGMENTS), weights=[s[0] for s in _SEGMENTS.values()])[0]
        _, (low, high), plans, (min_contacts, max_contacts), _ = _SEGMENTS[segment]
        region = rng.choices(list(_REGIONS), weights=list(_REGIONS.values()))[0]
        plan = rng.choice(plans)
        arr = round(math.exp(np_rng.uniform(math.log(low), math.log(high))), -2)
        seats = max(3, round(arr / _SEAT_PRICE[plan] * np_rng.uniform(0.8, 1.2)))
        suffix = rng.choice(_LEGAL_SUFFIXES[region])
        domain = f"{word}{noun}".lower().replace(" ", "") + ".example"
        customer = Customer(
            external_id=f"DEMO-{index:04d}",
            name=f"{word} {noun} {suffix}".strip(),
            domain=domain,
            segment=segment,
            plan=plan,
            region=region,
            arr=Decimal(arr).quantize(Decimal("0.01")),
            seats=seats,
            customer_since=today - dt.timedelta(days=int(np_rng.integers(60, 5 * 365))),
            attributes={"industry": _INDUSTRY_OF[noun], "csm": rng.choice(_CSMS)},
        )
        contacts = []
        for _ in range(rng.randint(min_contacts, max_contacts)):
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            email = f"{first}.{last}@{domain}".lower()
            if any(c.email == email for c in contacts):
                email = f"{first}.{last}{len(contacts) + 1}@{domain}".lower()
            contacts.append(Contact(email=email, name=f"{first} {last}", title=rng.choice(_TITLES)))
        mood = float(np_rng.normal(0.3, 0.7))
        accounts.append(DemoAccount(customer=customer, contacts=contacts, mood=mood, nemesis=None))

    # Unhappy small accounts leave first. Efraimidis–Spirakis keys: a weighted sample without
    # replacement that depends on nothing but the seed.
    last_churn_day = today - dt.timedelta(days=10)
    candidates = []
    for account in accounts:
        first_day = max(
            window_start + dt.timedelta(days=20),
            account.customer.customer_since + dt.timedelta(days=120),
        )
        if first_day < last_churn_day:
            propensity = _CHURN_PROPENSITY[account.customer.segment] * math.exp(-account.mood)
            candidates.append((rng.random() ** (1 / propensity), account, first_day))
    candidates.sort(key=lambda c: c[0], reverse=True)
    for _, account, first_day in candidates[: round(count * _CHURN_SHARE)]:
        span = (last_churn_day - first_day).days
        account.customer.churned = True
        account.customer.churned_on = first_day + dt.timedelta(days=rng.randint(0, span))
        account.mood -= 0.3
        account.nemesis = _nemesis(rng, account)
    # A few of those who stay are on their way out now: declining, not gone yet. Drawn after the
    # churned accounts, so the rest of the organisation is the same with or without them.
    staying = [
        (rng.random(), account)
        for account in accounts
        if not account.customer.churned
        and (today - account.customer.customer_since).days > 365
        and account.mood < 0.5
    ]
    staying.sort(key=lambda pair: pair[0])
    for _, account in staying[: max(1, round(count * _LEAVING_SHARE))]:
        account.leaving_on = today + dt.timedelta(days=rng.randint(20, 80))
        account.mood -= 0.3
        account.nemesis = _nemesis(rng, account)
    return accounts


def _nemesis(rng: random.Random, account: DemoAccount) -> str:
    return rng.choices(
        [p.key for p in PAIN_POINTS],
        weights=[p.severity * p.segment_affinity[account.customer.segment] for p in PAIN_POINTS],
    )[0]


# --- feedback --------------------------------------------------------------------------------


def _arrivals(
    *,
    np_rng: np.random.Generator,
    accounts: list[DemoAccount],
    start: dt.date,
    today: dt.date,
    target: float,
    weight: dict[str, float],
) -> list[tuple[dt.datetime, DemoAccount]]:
    """When each account speaks: a Poisson process per account over its active days, with the
    rate set so that the whole organisation says about `target` things."""
    spans = []
    for account in accounts:
        first = max(start, account.customer.customer_since)
        last = min(account.active_until or today, today)
        spans.append((account, first, max(0, (last - first).days)))
    total = sum(weight[a.customer.segment] * days for a, _, days in spans) or 1
    arrivals = []
    for account, first, days in spans:
        count = int(np_rng.poisson(target * weight[account.customer.segment] * days / total))
        offsets = np_rng.integers(0, days + 1, size=count)
        minutes = np.clip(np_rng.normal(13 * 60, 180, size=count), 6 * 60, 22 * 60 - 1)
        for offset, minute in zip(offsets.tolist(), minutes.tolist(), strict=True):
            moment = dt.datetime.combine(
                first + dt.timedelta(days=offset), dt.time(int(minute) // 60, int(minute) % 60)
            )
            arrivals.append((moment.replace(tzinfo=dt.UTC), account))
    arrivals.sort(key=lambda arrival: (arrival[0], arrival[1].customer.external_id))
    return arrivals


class _Voice:
    """How an account feels on a given day, and which pain points it is likely to bring up."""

    def __init__(self, *, today: dt.date):
        self.today = today
        self._curves: dict[dt.date, dict[str, float]] = {}

    def mood(self, account: DemoAccount, day: dt.date) -> float:
        churned_on = account.active_until
        if churned_on is None:
            return account.mood
        months_left = (churned_on - day).days / 30.44
        return account.mood - 2.0 * max(0.0, 1 - months_left / 6)

    def loudness(self, day: dt.date) -> float:
        """1.0 on an average day; above it when pain points are loud."""
        return sum(self._curve(day).values()) / 8.0

    def pain_weights(self, account: DemoAccount, day: dt.date) -> list[float]:
        customer = account.customer
        tenure_days = (day - customer.customer_since).days
        weights = []
        for pain in PAIN_POINTS:
            weight = self._curve(day)[pain.key] * pain.segment_affinity[customer.segment]
            if pain.key == "onboarding_confusion" and tenure_days < 180:
                weight *= 3
            if pain.key == account.nemesis:
                weight *= 4
            weights.append(weight)
        return weights

    def _curve(self, day: dt.date) -> dict[str, float]:
        if day not in self._curves:
            self._curves[day] = {
                p.key: pain_point_weight(p.key, on=day, today=self.today) for p in PAIN_POINTS
            }
        return self._curves[day]


_TONE_CENTRE = {"praise": 9.5, "generic": 8.2, None: 8.5}


def _surveys_build(
    *,
    rng: random.Random,
    np_rng: np.random.Generator,
    today: dt.date,
    accounts: list[DemoAccount],
    mentions: dict[str, Counter],
    target: float,
) -> tuple[list[Feedback], dict[str, int]]:
    voice = _Voice(today=today)
    start = months_before(today, WINDOW_MONTHS)
    recent = months_before(today, 6)
    weight = {segment: spec[4] for segment, spec in _SEGMENTS.items()}
    recent_scores: dict[str, list[int]] = defaultdict(list)
    keys = [p.key for p in PAIN_POINTS]
    feedback = []
    arrivals = _arrivals(
        np_rng=np_rng, accounts=accounts, start=start, today=today, target=target, weight=weight
    )
    for number, (received_at, account) in enumerate(arrivals, start=1):
        day = received_at.date()
        mood = voice.mood(account, day)
        tone = pain_point = None
        if rng.random() > 0.17:
            p_pain = min(0.85, max(0.08, 0.3 + 0.08 * (voice.loudness(day) - 1) - 0.12 * mood))
            p_praise = min(0.6, max(0.04, 0.3 + 0.12 * mood))
            tone = rng.choices(
                ("pain", "mixed", "praise", "generic"), weights=(p_pain, 0.16, p_praise, 0.12)
            )[0]
        if tone in ("pain", "mixed"):
            pain_point = rng.choices(keys, weights=voice.pain_weights(account, day))[0]
            severity = PAIN_POINTS_BY_KEY[pain_point].severity
            centre = 4.6 - 0.9 * severity if tone == "pain" else 7.3 - 0.3 * severity
        else:
            centre = _TONE_CENTRE[tone]
        nps = _clamp(round(centre + 1.2 * mood + rng.gauss(0, 1.2)), 0, 10)
        text = comment_compose(rng, tone=tone, pain_point=pain_point, mood=mood) if tone else ""
        csat = ces = None
        if rng.random() < 0.35:
            csat = _clamp(round(1 + 0.4 * nps + rng.gauss(0, 0.6)), 1, 5)
        if rng.random() < 0.15:
            ces = _clamp(round(1 + 0.6 * nps + rng.gauss(0, 0.9)), 1, 7)
        if pain_point:
            mentions[pain_point][_month_start(day)] += 1
            if day >= recent:
                recent_scores[pain_point].append(nps)
        feedback.append(
            Feedback(
                text=text,
                source=Feedback.Source.SURVEY,
                channel="In-app NPS" if rng.random() < 0.6 else "Email survey",
                question=NPS_QUESTION,
                received_at=received_at,
                customer=account.customer,
                contact=rng.choice(account.contacts),
                nps=nps,
                csat=csat,
                ces=ces,
                external_id=f"demo-nps-{number:06d}",
                metadata={"demo_truth": {"tone": tone, "pain_point": pain_point}},
            )
        )
    nps_of_mentions = {
        key: round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores))
        for key, scores in sorted(recent_scores.items())
    }
    return feedback, nps_of_mentions


def _tickets_build(
    *,
    rng: random.Random,
    np_rng: np.random.Generator,
    today: dt.date,
    accounts: list[DemoAccount],
    mentions: dict[str, Counter],
    target: float,
) -> list[Feedback]:
    voice = _Voice(today=today)
    start = months_before(today, WINDOW_MONTHS)
    weight = {Segment.SMB: 1.0, Segment.MID_MARKET: 1.8, Segment.ENTERPRISE: 3.0}
    arrivals = _arrivals(
        np_rng=np_rng, accounts=accounts, start=start, today=today, target=target, weight=weight
    )
    # Accounts on their way out open more tickets in their last four months.
    for account in (a for a in accounts if a.active_until):
        arrivals.extend(
            _arrivals(
                np_rng=np_rng,
                accounts=[account],
                start=max(start, account.active_until - dt.timedelta(days=120)),
                today=today,
                target=2.0,
                weight=weight,
            )
        )
    arrivals.sort(key=lambda arrival: (arrival[0], arrival[1].customer.external_id))

    keys = [p.key for p in PAIN_POINTS]
    affinity = [p.ticket_affinity for p in PAIN_POINTS]
    feedback = []
    for number, (received_at, account) in enumerate(arrivals, start=1):
        day = received_at.date()
        mood = voice.mood(account, day)
        pain_point = None
        if rng.random() < 0.84:
            weights = [
                w * a for w, a in zip(voice.pain_weights(account, day), affinity, strict=True)
            ]
            pain_point = rng.choices(keys, weights=weights)[0]
            mentions[pain_point][_month_start(day)] += 1
        contact = rng.choice(account.contacts)
        severity = PAIN_POINTS_BY_KEY[pain_point].severity if pain_point else 0.0
        csat = None
        if rng.random() < 0.45:
            centre = 4.5 if pain_point is None else 3.8 + 0.5 * mood - 0.5 * severity
            csat = _clamp(round(centre + rng.gauss(0, 0.8)), 1, 5)
        feedback.append(
            Feedback(
                text=ticket_compose(
                    rng,
                    pain_point=pain_point,
                    requester=contact.name,
                    requester_email=contact.email,
                ),
                source=Feedback.Source.SUPPORT_TICKET,
                channel="Zendesk",
                received_at=received_at,
                customer=account.customer,
                contact=contact,
                csat=csat,
                external_id=f"demo-ticket-{number:06d}",
                metadata={
                    "priority": "high" if severity >= 1 else "normal",
                    "demo_truth": {
                        "tone": "pain" if pain_point else "how_to",
                        "pain_point": pain_point,
                    },
                },
            )
        )
    return feedback


# --- usage -----------------------------------------------------------------------------------

# feature → range of the share of active users who use it in a healthy account
_ADOPTION = {
    "export": (0.15, 0.45),
    "dashboards": (0.4, 0.85),
    "mobile_upload": (0.05, 0.6),
    "search": (0.3, 0.7),
    "integrations": (0.05, 0.3),
    "bulk_edit": (0.05, 0.35),
}


def _usage_build(
    *, np_rng: np.random.Generator, today: dt.date, accounts: list[DemoAccount]
) -> list[UsageSnapshot]:
    """One snapshot per account and complete month. An account that churns fades out over its
    last three to six months: fewer active users, less adoption, more failed tasks."""
    periods = [_month_start(months_before(today, m)) for m in range(WINDOW_MONTHS, 0, -1)]
    shipped = export_fix_shipped_on(today)
    crash = np.array([pain_point_weight("mobile_upload_crash", on=p, today=today) for p in periods])
    export_boost = np.array([1.25 if p >= shipped else 1.0 for p in periods])
    seasonal = np.array([0.9 if p.month in (8, 12) else 1.0 for p in periods])
    snapshots = []
    for account in accounts:
        customer = account.customer
        utilisation = np_rng.uniform(0.45, 0.9)
        trend = np_rng.normal(0.004, 0.01)
        base_success = np_rng.uniform(0.86, 0.95)
        rates = {f: np_rng.uniform(*bounds) for f, bounds in _ADOPTION.items()}
        decline_months, depth = int(np_rng.integers(3, 7)), np_rng.uniform(0.45, 0.7)
        start = _month_start(customer.customer_since)
        active = [
            i
            for i, p in enumerate(periods)
            if p >= start and (customer.churned_on is None or p < customer.churned_on)
        ]
        if not active:
            continue
        index = np.array(active)
        tenure = np.array([_months_between(start, periods[i]) for i in active])
        ramp = np.clip(0.4 + 0.2 * tenure, 0.4, 1.0)
        health = np.ones(len(active))
        if account.active_until:
            churn_month = _month_start(account.active_until)
            left = np.array([_months_between(periods[i], churn_month) for i in active])
            health = 1 - depth * np.clip((decline_months - left) / decline_months, 0, 1)
        noise = np_rng.lognormal(0, 0.05, size=len(active))
        growth = 1 + trend * np.arange(len(active))
        users = customer.seats * utilisation * ramp * growth * seasonal[index] * health * noise
        users = np.clip(np.rint(users), 1, customer.seats).astype(int)
        adoption = {}
        for feature, rate in rates.items():
            share = rate * health**1.5
            if feature == "export":
                share = share * export_boost[index]
            elif feature == "mobile_upload":
                share = share * (1 - 0.15 * (crash[index] - 0.2))
            adoption[feature] = np_rng.binomial(users, np.clip(share, 0, 1))
        attempts = np_rng.poisson(users * 22)
        success = np.clip(base_success - 0.25 * (1 - health), 0.3, 0.99)
        successes = np_rng.binomial(attempts, success)
        for j, i in enumerate(active):
            snapshots.append(
                UsageSnapshot(
                    customer=customer,
                    period=periods[i],
                    active_users=int(users[j]),
                    feature_adoption={f: int(adoption[f][j]) for f in FEATURES},
                    task_attempts=int(attempts[j]),
                    task_successes=int(successes[j]),
                )
            )
    return snapshots


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
