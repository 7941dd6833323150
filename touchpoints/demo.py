"""The demo organisation's engineers and the customers they met, for `manage.py seed_demo`.

Thirty engineers in four teams, this year's organisation-wide touchpoint goal, two customer
hackathons and 24 months of touchpoints whose observations echo the pain points customers were
loudest about at the time. This year is staged so that the goal pages have a story: a few
engineers are done, many are on track, some are behind and two have not met a customer yet.
"""

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from insights.demo_text import (
    PAIN_POINTS,
    PAIN_POINTS_BY_KEY,
    months_before,
    observation_compose,
    pain_point_weight,
)
from insights.models import Customer
from insights.roles import Role
from touchpoints.models import (
    Hackathon,
    Observation,
    PartnerTeam,
    Team,
    Touchpoint,
    TouchpointGoal,
    TouchpointKind,
)

BATCH_SIZE = 2000
WINDOW_MONTHS = 24
GOAL_TARGET_COUNT = 4
GOAL_MIN_DISTINCT_KINDS = 2
GOAL_PARTNER_TEAMS = [PartnerTeam.SALES.value, PartnerTeam.SUPPORT.value]

# team → engineers as "First Last"; the first one leads. The `engineer` demo login joins
# Integrations, so that signing in as it shows a team with a lead who is someone else.
_TEAMS = {
    "Platform": (
        "Nadia Petrova", "Ben Okoye", "Hiro Matsuda", "Clara Jensen", "Mateus Costa",
        "Ines Duarte", "Ryan Walsh", "Lina Haddad",
    ),
    "Mobile": (
        "Kwame Asante", "Julia Novak", "Arash Karimi", "Megan Doyle", "Tomas Lindgren",
        "Yara Nasser", "Ethan Cole",
    ),
    "Billing": (
        "Sofia Alvarez", "Daniel Weiss", "Aiko Tanaka", "Omar Farouk", "Grace Mwangi",
        "Luca Romano", "Hannah Kim",
    ),
    "Integrations": (
        "Ravi Iyer", "Elena Sokolova", "Marcus Obi", "Chloe Martin", "Felix Braun",
        "Amina Diallo", "Jonas Berg",
    ),
}  # fmt: skip

_KIND_WEIGHTS = {
    TouchpointKind.CUSTOMER_CALL: 30,
    TouchpointKind.EMPATHY_SESSION: 18,
    TouchpointKind.EMBEDDED_SUPPORT: 17,
    TouchpointKind.RIDE_ALONG: 15,
    TouchpointKind.SITE_VISIT: 10,
    TouchpointKind.HACKATHON: 10,
}
_PARTNER_OF_KIND = {
    TouchpointKind.CUSTOMER_CALL: (PartnerTeam.SUCCESS, PartnerTeam.SALES, PartnerTeam.PRODUCT),
    TouchpointKind.EMPATHY_SESSION: (PartnerTeam.DESIGN, PartnerTeam.PRODUCT),
    TouchpointKind.EMBEDDED_SUPPORT: (PartnerTeam.SUPPORT,),
    TouchpointKind.RIDE_ALONG: (PartnerTeam.SALES, PartnerTeam.SUCCESS),
    TouchpointKind.SITE_VISIT: (PartnerTeam.SUCCESS, PartnerTeam.SALES, PartnerTeam.DESIGN),
    TouchpointKind.HACKATHON: (PartnerTeam.PRODUCT, PartnerTeam.DESIGN),
}
_DURATION = {
    TouchpointKind.CUSTOMER_CALL: (30, 60),
    TouchpointKind.EMPATHY_SESSION: (60, 90),
    TouchpointKind.EMBEDDED_SUPPORT: (240, 480),
    TouchpointKind.RIDE_ALONG: (90, 240),
    TouchpointKind.SITE_VISIT: (180, 480),
    TouchpointKind.HACKATHON: (480, 960),
}
_SUMMARIES = {
    TouchpointKind.CUSTOMER_CALL: (
        "Joined a call with {customers} about {topic}.",
        "Call with {customers}; most of the hour went on {topic}.",
    ),
    TouchpointKind.EMPATHY_SESSION: (
        "Digital empathy session: watched {customers} work through a normal week.",
        "Screen-share with {customers} while they did month-end; {topic} came up twice.",
    ),
    TouchpointKind.EMBEDDED_SUPPORT: (
        "Half a day on the support queue, mostly tickets from {customers} about {topic}.",
        "Support shift; took the calls from {customers} myself.",
    ),
    TouchpointKind.RIDE_ALONG: (
        "Rode along on a renewal conversation with {customers}.",
        "Sat in on a demo and Q&A with {customers}; they pushed hard on {topic}.",
    ),
    TouchpointKind.SITE_VISIT: (
        "Visited {customers} on site and shadowed their operations team.",
        "Spent the day at {customers}, watching crews use the mobile app in the field.",
    ),
    TouchpointKind.HACKATHON: (
        "Paired with {customers} at the customer hackathon on {topic}.",
        "Hackathon team with {customers}: prototyped a fix for {topic}.",
    ),
}
_FOLLOW_UPS = (
    "Filed a bug with steps to reproduce.",
    "Shared a workaround with their admin.",
    "Asked product to add this to the next discovery round.",
    "Send them the release notes when the fix ships.",
    "Book a follow-up call in a month.",
)


@dataclass(frozen=True)
class DemoTouchpointsResult:
    teams: dict[str, Team]
    engineers: list[AbstractUser]
    goal: TouchpointGoal
    hackathons: int
    touchpoints: int
    observations: int


@transaction.atomic
def demo_touchpoints_seed(
    *, rng: random.Random, today: dt.date, customers: Sequence[Customer], engineer: AbstractUser
) -> DemoTouchpointsResult:
    """Teams, engineers, this year's goal and 24 months of touchpoints up to `today`. The
    `engineer` demo login becomes one of the thirty and is on track this year."""
    teams, engineers = _teams_ensure(engineer=engineer)
    goal, _ = TouchpointGoal.objects.get_or_create(
        year=today.year,
        scope=TouchpointGoal.Scope.ORGANISATION,
        team=None,
        engineer=None,
        effective_from=dt.date(today.year, 1, 1),
        defaults={
            "target_count": GOAL_TARGET_COUNT,
            "min_distinct_kinds": GOAL_MIN_DISTINCT_KINDS,
            "required_partner_teams": GOAL_PARTNER_TEAMS,
        },
    )
    hackathons = _hackathons_create(rng=rng, today=today, customers=customers)
    team_of = {user.pk: name for name, members in engineers.items() for user in members}
    everyone = [user for members in engineers.values() for user in members]

    new_year = dt.date(today.year, 1, 1)
    plans = []  # (engineer, day, kind, partner team)
    window_start = months_before(today, WINDOW_MONTHS)
    for year in range(window_start.year, today.year):
        first = max(window_start, dt.date(year, 1, 1))
        share = ((dt.date(year, 12, 31) - first).days + 1) / 365
        for user in everyone:
            for _ in range(max(0, round(4.5 * share + rng.uniform(-2, 2)))):
                kind = _kind_pick(rng)
                day = first + dt.timedelta(
                    days=rng.randint(0, (dt.date(year, 12, 31) - first).days)
                )
                plans.append((user, day, kind, rng.choice(_PARTNER_OF_KIND[kind])))
    standing = _this_year_standing(rng=rng, engineers=everyone, engineer=engineer)
    kinds = [k for k in _KIND_WEIGHTS if k != TouchpointKind.HACKATHON] + [
        TouchpointKind.HACKATHON for h in hackathons if new_year <= h.starts_on <= today
    ]
    for user in everyone:
        plans.extend(
            _this_year_plan(
                rng=rng, today=today, user=user, standing=standing[user.pk], kinds=kinds
            )
        )

    touchpoints, engineer_links, customer_links, observations = [], [], [], []
    for user, day, kind, partner in sorted(plans, key=lambda p: (p[1], p[0].username)):
        hackathon = None
        if kind == TouchpointKind.HACKATHON:
            hackathon = next((h for h in hackathons if h.starts_on.year == day.year), None)
            if hackathon is None or hackathon.starts_on > today:
                kind, hackathon = TouchpointKind.CUSTOMER_CALL, None
                partner = PartnerTeam.SUCCESS
            else:
                day = hackathon.starts_on + dt.timedelta(days=rng.randint(0, 1))
        met = _customers_pick(rng=rng, customers=customers, day=day)
        if not met:
            continue
        pain_points = _pain_points_pick(rng=rng, day=day, today=today, customer=met[0])
        colleagues = [user]
        if day.year < today.year and rng.random() < 0.25:
            same_team = [u for u in everyone if team_of[u.pk] == team_of[user.pk] and u != user]
            colleagues.append(rng.choice(same_team))
        touchpoint = Touchpoint(
            kind=kind,
            occurred_on=day,
            duration_minutes=rng.randint(*_DURATION[kind]) // 15 * 15,
            partner_team=partner,
            logged_by=user,
            hackathon=hackathon,
            summary=rng.choice(_SUMMARIES[kind]).format(
                customers=_names_join([c.name for c in met]),
                topic=PAIN_POINTS_BY_KEY[pain_points[0]].label.lower(),
            ),
            follow_ups=rng.choice(_FOLLOW_UPS) if rng.random() < 0.4 else "",
        )
        touchpoints.append(touchpoint)
        engineer_links.append((touchpoint, colleagues))
        customer_links.append((touchpoint, met))
        for key in pain_points:
            severity = PAIN_POINTS_BY_KEY[key].severity
            observations.append(
                Observation(
                    touchpoint=touchpoint,
                    text=observation_compose(rng, pain_point=key),
                    severity=rng.choice(
                        (Observation.Severity.HIGH, Observation.Severity.MEDIUM)
                        if severity >= 0.8
                        else (Observation.Severity.MEDIUM, Observation.Severity.LOW)
                    ),
                )
            )

    Touchpoint.objects.bulk_create(touchpoints, batch_size=BATCH_SIZE)
    Touchpoint.engineers.through.objects.bulk_create(
        [
            Touchpoint.engineers.through(touchpoint_id=t.pk, user_id=u.pk)
            for t, users in engineer_links
            for u in users
        ],
        batch_size=BATCH_SIZE,
    )
    Touchpoint.customers.through.objects.bulk_create(
        [
            Touchpoint.customers.through(touchpoint_id=t.pk, customer_id=c.pk)
            for t, met in customer_links
            for c in met
        ],
        batch_size=BATCH_SIZE,
    )
    Observation.objects.bulk_create(observations, batch_size=BATCH_SIZE)
    return DemoTouchpointsResult(
        teams=teams,
        engineers=everyone,
        goal=goal,
        hackathons=len(hackathons),
        touchpoints=len(touchpoints),
        observations=len(observations),
    )


def _teams_ensure(
    *, engineer: AbstractUser
) -> tuple[dict[str, Team], dict[str, list[AbstractUser]]]:
    """The four teams and their engineers, in the Engineer group. Engineers other than the demo
    login cannot sign in: they exist to own touchpoints."""
    user_model = get_user_model()
    wanted = {_username(name): name for names in _TEAMS.values() for name in names}
    existing = set(
        user_model.objects.filter(username__in=wanted).values_list("username", flat=True)
    )
    new_users = []
    for username, name in wanted.items():
        if username in existing:
            continue
        first, last = name.split(" ", 1)
        user = user_model(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@backlight.example",
        )
        user.set_unusable_password()
        new_users.append(user)
    user_model.objects.bulk_create(new_users, batch_size=BATCH_SIZE)
    by_username = {u.username: u for u in user_model.objects.filter(username__in=wanted)}

    engineers = {
        team: [by_username[_username(name)] for name in names] for team, names in _TEAMS.items()
    }
    engineers["Integrations"].append(engineer)
    group = Group.objects.get(name=Role.ENGINEER)
    user_model.groups.through.objects.bulk_create(
        [
            user_model.groups.through(user_id=u.pk, group_id=group.pk)
            for members in engineers.values()
            for u in members
        ],
        ignore_conflicts=True,
    )
    teams = {}
    for name, members in engineers.items():
        team, _ = Team.objects.get_or_create(name=name, defaults={"lead": members[0]})
        teams[name] = team
        Team.members.through.objects.bulk_create(
            [Team.members.through(team_id=team.pk, user_id=u.pk) for u in members],
            ignore_conflicts=True,
        )
    return teams, engineers


def _hackathons_create(
    *, rng: random.Random, today: dt.date, customers: Sequence[Customer]
) -> list[Hackathon]:
    hackathons = []
    for months_ago, name, topic in (
        (13, "Customer hackathon: reporting", "exports, dashboards and scheduled reports"),
        (4, "Customer hackathon: field work", "the mobile app, photo uploads and offline mode"),
    ):
        starts_on = months_before(today, months_ago)
        hackathon = Hackathon.objects.create(
            name=f"{name} ({starts_on:%B %Y})",
            starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=1),
            description=f"Two days of building with customers on {topic}.",
        )
        guests = [c for c in customers if _active_on(c, starts_on) and c.segment != "smb"]
        hackathon.customers.set(rng.sample(guests, k=min(5, len(guests))))
        hackathons.append(hackathon)
    return hackathons


def _this_year_standing(
    *, rng: random.Random, engineers: list[AbstractUser], engineer: AbstractUser
) -> dict[int, str]:
    others = [u for u in engineers if u != engineer]
    rng.shuffle(others)
    standing = {engineer.pk: "on_track"}
    counts = (("done", 6), ("none", 2), ("behind", 10))
    for state, count in counts:
        for user in others[:count]:
            standing[user.pk] = state
        others = others[count:]
    standing.update({user.pk: "on_track" for user in others})
    return standing


def _this_year_plan(
    *, rng: random.Random, today: dt.date, user: AbstractUser, standing: str, kinds: list[str]
) -> list[tuple]:
    """This year's touchpoints for one engineer. Done: the goal is met. On track: as many as the
    elapsed part of the year asks for, with the right mix. Behind: too few, or all of one kind
    and never with sales or support."""
    new_year = dt.date(today.year, 1, 1)
    elapsed = ((today - new_year).days + 1) / (366 if today.year % 4 == 0 else 365)
    due = math.ceil(GOAL_TARGET_COUNT * elapsed)
    if standing == "none":
        return []
    if standing == "done":
        count = rng.randint(GOAL_TARGET_COUNT, GOAL_TARGET_COUNT + 2)
    elif standing == "on_track":
        count = max(1, min(GOAL_TARGET_COUNT - 1, due))
    else:
        count = min(rng.choice((1, 1, 2)), max(1, due - 1))
    days = sorted(
        new_year + dt.timedelta(days=rng.randint(0, (today - new_year).days)) for _ in range(count)
    )
    if standing == "behind":
        kind = rng.choice((TouchpointKind.CUSTOMER_CALL, TouchpointKind.EMPATHY_SESSION))
        partner = rng.choice((PartnerTeam.DESIGN, PartnerTeam.PRODUCT, PartnerTeam.SUCCESS))
        return [(user, day, kind, partner) for day in days]
    picked = [_kind_pick(rng, kinds) for _ in days]
    if len(days) > 1 and len(set(picked)) < 2:
        picked[-1] = rng.choice([k for k in kinds if k != picked[0]])
    plan = [
        (user, day, kind, rng.choice(_PARTNER_OF_KIND[kind]))
        for day, kind in zip(days, picked, strict=True)
    ]
    if not any(p[3] in GOAL_PARTNER_TEAMS for p in plan):
        kind = rng.choice((TouchpointKind.RIDE_ALONG, TouchpointKind.EMBEDDED_SUPPORT))
        partner = PartnerTeam.SALES if kind == TouchpointKind.RIDE_ALONG else PartnerTeam.SUPPORT
        plan[0] = (user, plan[0][1], kind, partner)
    return plan


def _kind_pick(rng: random.Random, kinds: Sequence[str] = tuple(_KIND_WEIGHTS)) -> str:
    return rng.choices(kinds, weights=[_KIND_WEIGHTS[k] for k in kinds])[0]


def _customers_pick(
    *, rng: random.Random, customers: Sequence[Customer], day: dt.date
) -> list[Customer]:
    active = [c for c in customers if _active_on(c, day)]
    return rng.sample(active, k=min(len(active), rng.choice((1, 1, 1, 2, 2, 3))))


def _pain_points_pick(
    *, rng: random.Random, day: dt.date, today: dt.date, customer: Customer
) -> list[str]:
    weights = [
        pain_point_weight(p.key, on=day, today=today) * p.segment_affinity[customer.segment]
        for p in PAIN_POINTS
    ]
    picked = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        key = rng.choices([p.key for p in PAIN_POINTS], weights=weights)[0]
        if key not in picked:
            picked.append(key)
    return picked


def _active_on(customer: Customer, day: dt.date) -> bool:
    return customer.customer_since <= day and (
        customer.churned_on is None or customer.churned_on > day
    )


def _names_join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _username(name: str) -> str:
    return name.lower().replace(" ", ".")
