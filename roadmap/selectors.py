"""Reading the backlog."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from insights.selectors import PainPoint, feedback_list, pain_points_ranked
from roadmap.models import BacklogItem, BacklogThemeLink

# Statuses of work not yet delivered: a pain point with such an item is being addressed.
OPEN_STATUSES = tuple(
    status
    for status in BacklogItem.Status.values
    if status not in (BacklogItem.Status.SHIPPED, BacklogItem.Status.MEASURED)
)


@dataclass(frozen=True)
class BacklogColumn:
    status: str
    label: str
    items: list[BacklogItem]


def backlog_item_list() -> QuerySet[BacklogItem]:
    return (
        BacklogItem.objects.select_related("owner", "team")
        .annotate(theme_count=Count("themes", distinct=True))
        .order_by("status", "position", "-created_at", "-id")
    )


def backlog_board() -> list[BacklogColumn]:
    """Every status as a column, in workflow order, each with its items in board order."""
    by_status: dict[str, list[BacklogItem]] = {status: [] for status in BacklogItem.Status.values}
    for item in backlog_item_list():
        by_status[item.status].append(item)
    return [
        BacklogColumn(status=status, label=label, items=by_status[status])
        for status, label in BacklogItem.Status.choices
    ]


def backlog_counts_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zeros included, in workflow order."""
    counts = dict(
        BacklogItem.objects.order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(status, label, counts.get(status, 0)) for status, label in BacklogItem.Status.choices]


def backlog_item_get(*, item_id: int) -> BacklogItem | None:
    return (
        BacklogItem.objects.filter(pk=item_id)
        .select_related("owner", "team", "created_by")
        .prefetch_related(
            Prefetch(
                "theme_links",
                queryset=BacklogThemeLink.objects.select_related("theme").order_by("theme__label"),
            ),
            Prefetch("evidence", queryset=feedback_list()),
        )
        .first()
    )


def pain_points_with_backlog() -> list[PainPoint]:
    """The ranked pain points, each with the backlog items linked to it (open ones first) in
    `backlog_items` and `addressed` set when one of them is still open."""
    points = pain_points_ranked(with_quotes=False)
    links = BacklogThemeLink.objects.filter(
        theme_id__in=[point.theme.pk for point in points]
    ).select_related("item")
    by_theme: dict[int, list[BacklogItem]] = {}
    for link in links:
        by_theme.setdefault(link.theme_id, []).append(link.item)
    for point in points:
        items = sorted(
            by_theme.get(point.theme.pk, []),
            key=lambda item: (item.status not in OPEN_STATUSES, item.created_at, item.pk),
        )
        point.backlog_items = items
        point.addressed = any(item.status in OPEN_STATUSES for item in items)
    return points


def backlog_item_open_for_theme(*, theme_id: int) -> BacklogItem | None:
    """The oldest open backlog item that addresses the theme."""
    return (
        BacklogItem.objects.filter(theme_links__theme_id=theme_id, status__in=OPEN_STATUSES)
        .order_by("created_at", "id")
        .first()
    )
