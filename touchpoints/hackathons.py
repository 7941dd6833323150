"""Hackathons: their customer problems, the teams working on them and what the teams came up with.

Services write, selectors read. An outcome becomes a backlog item through `roadmap.services`, the
app above this one; here the outcome only shows the item it grew into.
"""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet

from insights.models import Customer, Theme
from touchpoints.models import Hackathon, HackathonOutcome, HackathonProblem, HackathonTeam

# ------------------------------------------------------------------------------------------------
# Services
# ------------------------------------------------------------------------------------------------


@transaction.atomic
def hackathon_create(
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    description: str = "",
    customers: Sequence[Customer] = (),
    user,
) -> Hackathon:
    """A hackathon with the customers taking part. `user` is who planned it (kept for the audit
    trail of the caller; the model has no field for it)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the hackathon a name."})
    if ends_on < starts_on:
        raise ValidationError(
            {"ends_on": "The hackathon ends before it starts: pick an end on or after the start."}
        )
    hackathon = Hackathon.objects.create(
        name=name[:200], starts_on=starts_on, ends_on=ends_on, description=description.strip()
    )
    if customers:
        hackathon.customers.set(customers)
    return hackathon


@transaction.atomic
def hackathon_problem_add(
    *, hackathon: Hackathon, statement: str, theme: Theme | None = None
) -> HackathonProblem:
    """A customer problem statement for the hackathon, optionally the pain point it comes from."""
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": "Write the customer problem the teams will work on."})
    return HackathonProblem.objects.create(hackathon=hackathon, statement=statement, theme=theme)


@transaction.atomic
def hackathon_team_add(
    *,
    hackathon: Hackathon,
    name: str,
    members: Sequence,
    problem: HackathonProblem | None = None,
) -> HackathonTeam:
    """A team of the hackathon, working on one of its problems (or none chosen yet)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    if problem is not None and problem.hackathon_id != hackathon.pk:
        raise ValidationError(
            {"problem": "That problem belongs to another hackathon: pick one of this hackathon’s."}
        )
    # The lock on the hackathon makes two teams added at once queue, so the name check holds.
    Hackathon.objects.select_for_update().filter(pk=hackathon.pk).first()
    if HackathonTeam.objects.filter(hackathon=hackathon, name__iexact=name).exists():
        raise ValidationError(
            {"name": f"This hackathon already has a team called “{name}”: choose another name."}
        )
    team = HackathonTeam.objects.create(hackathon=hackathon, name=name[:100], problem=problem)
    if members:
        team.members.set(members)
    return team


@transaction.atomic
def hackathon_outcome_add(
    *, team: HackathonTeam, title: str, description: str = ""
) -> HackathonOutcome:
    """What a team built or learned."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the outcome a title."})
    return HackathonOutcome.objects.create(
        team=team, title=title[:200], description=(description or "").strip()
    )


# ------------------------------------------------------------------------------------------------
# Selectors
# ------------------------------------------------------------------------------------------------


def hackathon_list() -> QuerySet[Hackathon]:
    """Every hackathon, newest first, with its teams and problems counted."""
    return Hackathon.objects.annotate(
        team_count=Count("teams", distinct=True), problem_count=Count("problems", distinct=True)
    ).order_by("-starts_on", "-id")


def hackathon_split(
    hackathons: Sequence[Hackathon], *, today: dt.date
) -> tuple[list[Hackathon], list[Hackathon]]:
    """(upcoming or running, soonest first; past, latest first)."""
    upcoming = sorted(
        (h for h in hackathons if h.ends_on >= today), key=lambda h: (h.starts_on, h.pk)
    )
    past = [h for h in hackathons if h.ends_on < today]
    return upcoming, past


def hackathon_get(*, hackathon_id: int) -> Hackathon | None:
    """One hackathon with everything its page shows: customers, problems with their pain point,
    teams with members, problem and outcomes, and each outcome's backlog item."""
    return (
        Hackathon.objects.prefetch_related(
            Prefetch("customers", queryset=Customer.objects.order_by("name", "pk")),
            Prefetch("problems", queryset=HackathonProblem.objects.select_related("theme")),
            Prefetch(
                "teams",
                queryset=HackathonTeam.objects.select_related("problem").prefetch_related(
                    "members",
                    Prefetch(
                        "outcomes",
                        # "backlog_item" is roadmap's reverse one-to-one: read, never written here.
                        queryset=HackathonOutcome.objects.select_related("backlog_item"),
                    ),
                ),
            ),
        )
        .filter(pk=hackathon_id)
        .first()
    )


def hackathon_find(*, hackathon_id: int) -> Hackathon | None:
    """Just the hackathon, for the forms that add to it."""
    return Hackathon.objects.filter(pk=hackathon_id).first()


def hackathon_outcome_get(*, outcome_id: int) -> HackathonOutcome | None:
    """An outcome with its team, the team's problem and its pain point, and the hackathon."""
    return (
        HackathonOutcome.objects.select_related("team__hackathon", "team__problem__theme")
        .filter(pk=outcome_id)
        .first()
    )


def hackathon_team_get(*, hackathon: Hackathon, team_id: int) -> HackathonTeam | None:
    return HackathonTeam.objects.filter(hackathon=hackathon, pk=team_id).first()


def hackathon_problem_get(*, problem_id: int) -> HackathonProblem | None:
    """A problem by id, from any hackathon: the service says when it is the wrong one."""
    return HackathonProblem.objects.filter(pk=problem_id).first()
