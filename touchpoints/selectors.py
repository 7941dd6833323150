"""Reading touchpoints and the goals they count towards."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from touchpoints.models import Observation, Touchpoint, TouchpointGoal

# A narrower scope overrides a wider one.
GOAL_SCOPE_PRIORITY = {
    TouchpointGoal.Scope.ENGINEER: 0,
    TouchpointGoal.Scope.TEAM: 1,
    TouchpointGoal.Scope.ORGANISATION: 2,
}


@dataclass(frozen=True)
class TouchpointProgress:
    """How far one engineer is with this year's goal. `goal` is None when no goal applies."""

    year: int
    done: int
    distinct_kinds: int
    goal: TouchpointGoal | None

    @property
    def target(self) -> int | None:
        return self.goal.target_count if self.goal else None

    @property
    def percent(self) -> int | None:
        if not self.goal or not self.goal.target_count:
            return None
        return min(round(self.done / self.goal.target_count * 100), 100)

    @property
    def met(self) -> bool:
        if self.goal is None:
            return False
        return (
            self.done >= self.goal.target_count
            and self.distinct_kinds >= self.goal.min_distinct_kinds
        )


def _year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def touchpoint_list(*, engineer=None, year: int | None = None) -> QuerySet[Touchpoint]:
    """Touchpoints, newest first, with engineers and accounts prefetched and observations counted.
    `engineer` keeps those the user took part in."""
    queryset = Touchpoint.objects.all()
    if engineer is not None:
        queryset = queryset.filter(engineers=engineer)
    if year is not None:
        queryset = queryset.filter(occurred_on__range=_year_range(year))
    return (
        queryset.select_related("hackathon")
        .prefetch_related("engineers", "customers")
        .annotate(observation_count=Count("observations", distinct=True))
        .order_by("-occurred_on", "-id")
    )


def touchpoint_get(*, touchpoint_id: int) -> Touchpoint | None:
    return (
        Touchpoint.objects.filter(pk=touchpoint_id)
        .select_related("hackathon", "logged_by")
        .prefetch_related(
            "engineers",
            "customers",
            Prefetch(
                "observations",
                queryset=Observation.objects.select_related("feedback__theme").order_by("id"),
            ),
            # The backlog items each observation's pain point now supports. Read through the
            # relation roadmap's link model declares on Theme, without importing roadmap (which
            # stands above touchpoints in the house).
            "observations__feedback__theme__backlog_links__item",
        )
        .first()
    )


def touchpoint_goal_for_engineer(*, engineer, on: dt.date) -> TouchpointGoal | None:
    """The goal that applies to `engineer` on the day `on`: their own override, else one of their
    teams', else the organisation's — in each scope the latest with effective_from ≤ on."""
    candidates = TouchpointGoal.objects.filter(year=on.year, effective_from__lte=on).filter(
        Q(scope=TouchpointGoal.Scope.ENGINEER, engineer=engineer)
        | Q(scope=TouchpointGoal.Scope.TEAM, team__members=engineer)
        | Q(scope=TouchpointGoal.Scope.ORGANISATION)
    )
    ranked = sorted(
        candidates.distinct(),
        key=lambda goal: (
            GOAL_SCOPE_PRIORITY[goal.scope],
            -goal.effective_from.toordinal(),
            -goal.target_count,
        ),
    )
    return ranked[0] if ranked else None


def touchpoint_progress(*, engineer, on: dt.date) -> TouchpointProgress:
    counts = Touchpoint.objects.filter(
        engineers=engineer, occurred_on__range=_year_range(on.year)
    ).aggregate(done=Count("id", distinct=True), kinds=Count("kind", distinct=True))
    return TouchpointProgress(
        year=on.year,
        done=counts["done"],
        distinct_kinds=counts["kinds"],
        goal=touchpoint_goal_for_engineer(engineer=engineer, on=on),
    )


def user_logs_own_touchpoints(user) -> bool:
    """True for people who log their own touchpoints but do not manage everyone's (engineers):
    their pages start from "mine"; people who manage all touchpoints start from everyone's."""
    return user.has_perm("touchpoints.add_touchpoint") and not user.has_perm(
        "touchpoints.change_all_touchpoints"
    )


def touchpoints_for_themes(*, theme_ids, limit: int = 20) -> list[Touchpoint]:
    """The touchpoints whose observations landed in these pain points, newest first: the
    engineers who saw the problem first-hand."""
    return list(
        Touchpoint.objects.filter(observations__feedback__theme_id__in=list(theme_ids))
        .distinct()
        .prefetch_related("engineers")
        .order_by("-occurred_on", "-pk")[:limit]
    )
