"""Reading touchpoints: lists, one touchpoint with its trail, and which touchpoints saw a pain
point. Goals and adherence are computed in `touchpoints.adherence`."""

import datetime as dt

from django.db.models import Count, Prefetch, QuerySet

from touchpoints.models import Observation, Touchpoint


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
