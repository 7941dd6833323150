"""Reading the backlog."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from insights.selectors import feedback_list
from roadmap.models import BacklogItem, BacklogThemeLink


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
