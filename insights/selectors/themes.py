"""Reading pain points and strengths: the one ranking every page reads, one theme's page (its
sentiment split, sub-themes, quotes, timeline, accounts, edits) and the latest analysis run.

`pain_points_ranked` is the only order of pain points: the pain-points list, Home's panel, the
roadmap, the executive report, alerts, digests and `manage.py pain_points` all read it. It lists
active themes whose polarity is pain (`insights.ml.ranking.theme_polarity`), highest impact
first; a theme of praise is a strength and is read through `strengths_ranked` instead.

A theme is listed on its own when it is top-level. A sub-theme is shown under its parent when
they share a polarity, and listed on its own when they do not (a problem inside a theme of
praise is still a pain point; praise inside a pain point is still a strength), or when its parent
was merged away or retired. Sub-themes of a dismissed parent went with it."""

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


def theme_get(*, theme_id: int) -> Theme | None:
    return Theme.objects.filter(pk=theme_id).select_related("merged_into", "parent").first()


def theme_feedback(*, theme: Theme) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(theme=theme)
        .select_related("customer")
        .order_by("-received_at", "-id")
    )


# --- pain points ----------------------------------------------------------------------------------


def theme_listed_alone(
    *, polarity: str, parent_status: str | None, parent_polarity: str | None
) -> bool:
    """Whether a theme is a row of its own in its list (pain points or strengths) rather than
    one of its parent's sub-themes; `parent_status` is None for a top-level theme."""
    if parent_status is None or parent_status in (Theme.Status.MERGED, Theme.Status.RETIRED):
        return True
    if parent_status == Theme.Status.DISMISSED:
        return False
    return polarity != parent_polarity


@dataclass
class PainPoint:
    """An active pain point in the ranking, with what the pain-points pages show beside it."""

    theme: Theme
    rank: int
    top_quote: Feedback | None = None
    filtered_count: int | None = None  # its feedback among the filtered feedback, when filtered
    backlog_items: list = dataclasses.field(default_factory=list)  # filled in by the roadmap
    # Its sub-themes that are pain points too, highest impact first (the expanded view).
    children: list["PainPoint"] = dataclasses.field(default_factory=list)

    @property
    def statistics(self) -> dict:
        return self.theme.statistics or {}

    @property
    def volume(self) -> int:
        """Its not-positive feedback of the last 90 days: the volume the score counts."""
        statistics = self.statistics
        return int(statistics.get("pain_90", statistics.get("volume_90")) or 0)


@dataclass
class Strength:
    """An active theme of praise: what customers value, with its praise and NPS lift."""

    theme: Theme
    rank: int
    top_quote: Feedback | None = None

    @property
    def statistics(self) -> dict:
        return self.theme.statistics or {}

    @property
    def volume(self) -> int:
        """Its positive feedback of the last 90 days."""
        return int(self.statistics.get("praise_90") or 0)

    @property
    def nps_lift(self) -> float | None:
        return self.statistics.get("nps_lift")

    @property
    def parent(self) -> Theme | None:
        """The pain point it is praise within, when it is a sub-theme listed on its own."""
        return self.theme.parent


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


def _feedback_count_with_children(*, filters: FeedbackFilters) -> dict[int, int]:
    """Theme id → its filtered feedback, a parent's counting its sub-themes' too."""
    counts: dict[int, int] = {}
    for theme_id, parent_id, n in (
        feedback_filtered(Feedback.objects.filter(theme__isnull=False), filters)
        .order_by()
        .values("theme_id", "theme__parent_id")
        .annotate(n=Count("pk"))
        .values_list("theme_id", "theme__parent_id", "n")
    ):
        counts[theme_id] = counts.get(theme_id, 0) + n
        if parent_id is not None:
            counts[parent_id] = counts.get(parent_id, 0) + n
    return counts


def _ranked_themes(polarity: str, *, listed: Q) -> QuerySet[Theme]:
    """Active themes of one polarity that the last ranking found with feedback, each with its
    parent (one query: whether a sub-theme is listed on its own depends on its parent)."""
    return (
        Theme.objects.filter(status=Theme.Status.ACTIVE, polarity=polarity)
        .filter(listed)
        .select_related("parent")
        .defer("centroid", "parent__centroid", "parent__statistics", "parent__quotes")
    )


def _alone(theme: Theme) -> bool:
    parent = theme.parent
    return theme_listed_alone(
        polarity=theme.polarity,
        parent_status=parent.status if parent is not None else None,
        parent_polarity=parent.polarity if parent is not None else None,
    )


def pain_points_ranked(
    *,
    filters: FeedbackFilters | None = None,
    with_quotes: bool = True,
    limit: int | None = None,
) -> list[PainPoint]:
    """The ranked pain points: active themes of pain with some pain in the last 90 days, highest
    impact first, each with its pain sub-themes in `children` (same order). With filters, only
    the pain points holding some of the filtered feedback, each with that count, in the same
    order. Every page and report that lists pain points reads this, so they agree. Two queries
    (themes, quotes), three with filters."""
    themes = list(
        _ranked_themes(
            Theme.Polarity.PAIN, listed=Q(impact__gt=0) | Q(statistics__pain_90__gt=0)
        ).order_by("-impact", "label", "id")
    )
    top = [theme for theme in themes if _alone(theme)]
    top_ids = {theme.pk for theme in top}
    children: dict[int, list[Theme]] = {}
    for theme in themes:
        if theme.parent_id in top_ids and not _alone(theme):
            children.setdefault(theme.parent_id, []).append(theme)
    counts = None
    if pain_point_filters_set(filters):
        counts = _feedback_count_with_children(filters=filters)
        top = [theme for theme in top if counts.get(theme.pk)]
        children = {
            parent: [theme for theme in kids if counts.get(theme.pk)]
            for parent, kids in children.items()
        }
    if limit is not None:
        top = top[:limit]
    shown = top + [child for theme in top for child in children.get(theme.pk, [])]
    quotes = _first_quotes(shown) if with_quotes else {}

    def point(theme: Theme, rank: int) -> PainPoint:
        kids = children.get(theme.pk, [])
        return PainPoint(
            theme=theme,
            rank=rank,
            # A parent's feedback sits in its sub-themes: its quote may be its first child's.
            top_quote=quotes.get(theme.pk)
            or next((quotes[kid.pk] for kid in kids if kid.pk in quotes), None),
            filtered_count=None if counts is None else counts[theme.pk],
            children=[point(kid, n) for n, kid in enumerate(kids, start=1)],
        )

    return [point(theme, rank) for rank, theme in enumerate(top, start=1)]


def strengths_ranked(*, with_quotes: bool = True, limit: int | None = None) -> list[Strength]:
    """What customers value: active themes of praise with praise in the last 90 days, ranked by
    their strength score (half praise volume, half NPS lift; `insights.ml.ranking`), then by
    volume. Sub-themes of a strength are left to their parent's page. Two queries."""
    themes = [
        theme
        for theme in _ranked_themes(
            Theme.Polarity.STRENGTH,
            listed=Q(statistics__strength_score__gt=0) | Q(statistics__praise_90__gt=0),
        )
        if _alone(theme)
    ]
    themes.sort(
        key=lambda theme: (
            -float((theme.statistics or {}).get("strength_score") or 0),
            -int((theme.statistics or {}).get("praise_90") or 0),
            theme.label.lower(),
            theme.pk,
        )
    )
    if limit is not None:
        themes = themes[:limit]
    quotes = _first_quotes(themes) if with_quotes else {}
    return [
        Strength(theme=theme, rank=rank, top_quote=quotes.get(theme.pk))
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


# --- one theme's sentiment split and sub-themes ---------------------------------------------------


@dataclass(frozen=True)
class SentimentSplit:
    """How a theme's feedback splits by sentiment, as it stands (not as the last ranking saw
    it): what decides whether it is a pain point or a strength."""

    positive: int = 0
    neutral: int = 0
    negative: int = 0
    unscored: int = 0  # not analysed yet

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative + self.unscored

    @property
    def with_sentiment(self) -> int:
        return self.positive + self.neutral + self.negative

    def _share(self, count: int) -> float:
        return count / self.with_sentiment if self.with_sentiment else 0.0

    @property
    def positive_share(self) -> float:
        return self._share(self.positive)

    @property
    def neutral_share(self) -> float:
        return self._share(self.neutral)

    @property
    def negative_share(self) -> float:
        return self._share(self.negative)

    def __add__(self, other: "SentimentSplit") -> "SentimentSplit":
        return SentimentSplit(
            positive=self.positive + other.positive,
            neutral=self.neutral + other.neutral,
            negative=self.negative + other.negative,
            unscored=self.unscored + other.unscored,
        )


@dataclass(frozen=True)
class ThemeSplit:
    theme: Theme
    split: SentimentSplit  # its own feedback and, for a parent, its sub-themes' added up
    children: list["ThemeSplit"]


def theme_split(*, theme: Theme) -> ThemeSplit:
    """The theme's sentiment split and its active sub-themes' (highest impact first), for its
    page. Two queries."""
    children = list(
        Theme.objects.filter(parent=theme, status=Theme.Status.ACTIVE)
        .defer("centroid")
        .order_by("-impact", "label", "id")
    )
    counts: dict[int, dict[str, int]] = {}
    for theme_id, label, n in (
        Feedback.objects.filter(Q(theme=theme) | Q(theme__in=[child.pk for child in children]))
        .order_by()
        .values("theme_id", "sentiment_label")
        .annotate(n=Count("pk"))
        .values_list("theme_id", "sentiment_label", "n")
    ):
        key = label if label in Feedback.SentimentLabel.values else "unscored"
        counts.setdefault(theme_id, {})[key] = counts.get(theme_id, {}).get(key, 0) + n

    def split_of(theme_id: int) -> SentimentSplit:
        return SentimentSplit(**counts.get(theme_id, {}))

    child_splits = [
        ThemeSplit(theme=child, split=split_of(child.pk), children=[]) for child in children
    ]
    total = split_of(theme.pk)
    for child in child_splits:
        total = total + child.split
    return ThemeSplit(theme=theme, split=total, children=child_splits)
