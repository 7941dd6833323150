"""Reading pain points: the ranking, one theme's page (quotes, timeline, accounts, edits) and the
latest analysis run."""

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from insights.models import (
    Customer,
    Feedback,
    ModelRun,
    Theme,
    ThemeEdit,
)
from insights.selectors.feedback import FeedbackFilters, day_start, feedback_filtered


def theme_list_with_volume(*, since: dt.datetime) -> QuerySet[Theme]:
    """Active pain points, biggest first: `recent_volume` counts feedback received since `since`,
    `total_volume` all of it."""
    return (
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .annotate(
            recent_volume=Count("feedback", filter=Q(feedback__received_at__gte=since)),
            total_volume=Count("feedback"),
        )
        .order_by("-recent_volume", "-total_volume", "label", "id")
    )


def pain_points_top(*, since: dt.datetime, limit: int = 5) -> list[Theme]:
    """The pain points with the most feedback since `since`; empty before any analysis ran."""
    return list(theme_list_with_volume(since=since).filter(recent_volume__gt=0)[:limit])


def theme_get(*, theme_id: int) -> Theme | None:
    return Theme.objects.filter(pk=theme_id).select_related("merged_into").first()


def theme_feedback(*, theme: Theme) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(theme=theme)
        .select_related("customer")
        .order_by("-received_at", "-id")
    )


# --- pain points ----------------------------------------------------------------------------------


@dataclass
class PainPoint:
    """An active theme in the ranking, with what the pain-points pages show beside it."""

    theme: Theme
    rank: int
    top_quote: Feedback | None = None
    filtered_count: int | None = None  # its feedback among the filtered feedback, when filtered
    backlog_items: list = dataclasses.field(default_factory=list)  # filled in by the roadmap

    @property
    def statistics(self) -> dict:
        return self.theme.statistics or {}


def pain_point_filters_set(filters: FeedbackFilters | None) -> bool:
    return filters is not None and filters != FeedbackFilters()


def feedback_count_by_theme(*, filters: FeedbackFilters) -> dict[int, int]:
    """Theme id → how many of the filtered feedback it holds (themed feedback only)."""
    return dict(
        feedback_filtered(Feedback.objects.filter(theme__isnull=False), filters)
        .order_by()
        .values("theme_id")
        .annotate(n=Count("pk"))
        .values_list("theme_id", "n")
    )


def pain_points_ranked(
    *, filters: FeedbackFilters | None = None, with_quotes: bool = True
) -> list[PainPoint]:
    """Active themes with volume, highest impact first. With filters, only the themes holding
    some of the filtered feedback, each with that count, in the same order."""
    themes = list(
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .filter(Q(impact__gt=0) | Q(statistics__volume_90__gt=0))
        .defer("centroid")
        .order_by("-impact", "label", "id")
    )
    counts = None
    if pain_point_filters_set(filters):
        counts = feedback_count_by_theme(filters=filters)
        themes = [theme for theme in themes if counts.get(theme.pk)]
    quotes = _first_quotes(themes) if with_quotes else {}
    return [
        PainPoint(
            theme=theme,
            rank=rank,
            top_quote=quotes.get(theme.pk),
            filtered_count=None if counts is None else counts[theme.pk],
        )
        for rank, theme in enumerate(themes, start=1)
    ]


def _quote_ids(theme: Theme) -> list[int]:
    return [pk for pk in (theme.quotes or []) if isinstance(pk, int)]


def _first_quotes(themes: list[Theme], *, tries: int = 3) -> dict[int, Feedback]:
    """Each theme's first representative feedback that still exists (one query for all)."""
    wanted = {theme.pk: _quote_ids(theme)[:tries] for theme in themes}
    ids = {pk for pks in wanted.values() for pk in pks}
    if not ids:
        return {}
    found = Feedback.objects.only("pk", "text", "redacted_text").in_bulk(ids)
    first = {}
    for theme_id, pks in wanted.items():
        for pk in pks:
            if pk in found:
                first[theme_id] = found[pk]
                break
    return first


def theme_quotes(*, theme: Theme, limit: int = 5) -> list[Feedback]:
    """The theme's representative feedback, in the analysis's order."""
    ids = _quote_ids(theme)[: limit * 2]
    found = Feedback.objects.select_related("customer").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found][:limit]


def analysis_run_latest() -> ModelRun | None:
    return (
        ModelRun.objects.filter(kind=ModelRun.Kind.THEMES)
        .defer("artifact")
        .order_by("-created_at", "-id")
        .first()
    )


def analysis_run_get(*, run_id: int) -> ModelRun | None:
    return ModelRun.objects.filter(pk=run_id, kind=ModelRun.Kind.THEMES).defer("artifact").first()


def theme_weekly_volume(*, theme: Theme, weeks: int = 52) -> list[tuple[dt.date, int]]:
    """(Monday, feedback received that week) for the last `weeks` weeks, oldest first, zeros
    included."""
    today = timezone.localdate()
    this_monday = today - dt.timedelta(days=today.weekday())
    first_monday = this_monday - dt.timedelta(weeks=weeks - 1)
    rows = (
        Feedback.objects.filter(theme=theme, received_at__gte=day_start(first_monday))
        .annotate(week=TruncWeek("received_at"))
        .order_by()
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    counts: dict[dt.date, int] = {}
    for week, n in rows:
        day = timezone.localtime(week).date() if isinstance(week, dt.datetime) else week
        counts[day] = counts.get(day, 0) + n
    return [
        (monday, counts.get(monday, 0))
        for monday in (first_monday + dt.timedelta(weeks=i) for i in range(weeks))
    ]


def theme_accounts_top(*, theme: Theme, limit: int = 10) -> list[Customer]:
    """The accounts that raised the theme, biggest ARR first, each with `theme_feedback`: how
    much of the theme's feedback is theirs."""
    return list(
        Customer.objects.filter(feedback__theme=theme)
        .annotate(theme_feedback=Count("feedback"))
        .order_by("-arr", "name", "id")[:limit]
    )


def theme_edit_list(*, theme: Theme, limit: int = 50) -> list[ThemeEdit]:
    return list(
        ThemeEdit.objects.filter(theme=theme)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )


def theme_list_active(*, exclude: Theme | None = None) -> list[Theme]:
    """Active themes by name, for choosing where to merge or move to."""
    queryset = Theme.objects.filter(status=Theme.Status.ACTIVE).defer("centroid")
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return list(queryset.order_by("label", "id"))


def theme_map_themes() -> list[Theme]:
    """Active themes that have a centroid, for the theme map."""
    return list(
        Theme.objects.filter(status=Theme.Status.ACTIVE, centroid__isnull=False).order_by(
            "-impact", "label", "id"
        )
    )
