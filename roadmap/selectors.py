"""Reading the backlog: the board, one item with its evidence, and the customer-impact score.

Affected accounts (the accounts whose feedback is in an item's linked pain points) are read here
for many items at once, in a fixed number of queries: insights offers a theme's top accounts one
theme at a time, and the board needs them for every item.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from insights.models import Customer, Feedback, Segment
from insights.selectors import (
    PainPoint,
    customer_summary,
    feedback_list,
    pain_points_ranked,
)
from insights.selectors.churn import HIGH_RISK, churn_probabilities_latest
from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.scoring import AffectedAccount, RiceScore, rice_score
from touchpoints.models import Team

Status = BacklogItem.Status

# Statuses of work not yet delivered: a pain point with such an item is being addressed.
OPEN_STATUSES = tuple(
    status for status in Status.values if status not in (Status.SHIPPED, Status.MEASURED)
)
SHIPPED_STATUSES = (Status.SHIPPED, Status.MEASURED)
# An item reaches these only with a problem, a desired outcome and a success metric.
GATED_STATUSES = (Status.NOW, Status.IN_PROGRESS, Status.SHIPPED, Status.MEASURED)


@dataclass(frozen=True)
class BoardColumnSpec:
    key: str  # the column's main status: where a card dropped into it from elsewhere lands
    label: str
    statuses: tuple[str, ...]


# The board's columns. Ideas wait in an inbox; "In progress" is a stage of Now and "Measured" one
# of Shipped, shown as badges on their cards. Positions count within a column, across its statuses.
BOARD_COLUMNS: tuple[BoardColumnSpec, ...] = (
    BoardColumnSpec(Status.IDEA, "Inbox", (Status.IDEA,)),
    BoardColumnSpec(Status.DISCOVERY, "Discovery", (Status.DISCOVERY,)),
    BoardColumnSpec(Status.NOW, "Now", (Status.NOW, Status.IN_PROGRESS)),
    BoardColumnSpec(Status.NEXT, "Next", (Status.NEXT,)),
    BoardColumnSpec(Status.LATER, "Later", (Status.LATER,)),
    BoardColumnSpec(Status.SHIPPED, "Shipped", (Status.SHIPPED, Status.MEASURED)),
)
COLUMN_OF_STATUS: dict[str, BoardColumnSpec] = {
    status: column for column in BOARD_COLUMNS for status in column.statuses
}
BOARD_ORDERS = {"board": "Board order", "impact": "Customer impact"}
UNADDRESSED_SHOWN = 5


def board_column_of(status: str) -> BoardColumnSpec:
    return COLUMN_OF_STATUS[status]


def status_choices_by_column() -> list[tuple[str, str]]:
    """(status, label) for a "move to" select: the column's name, and the stage when it is one."""
    choices = []
    for column in BOARD_COLUMNS:
        for status in column.statuses:
            label = column.label
            if status != column.key:
                label = f"{column.label} · {Status(status).label.lower()}"
            choices.append((status, label))
    return choices


@dataclass(frozen=True)
class BoardFilters:
    team: int | None = None
    theme: int | None = None
    segment: str = ""

    @property
    def active(self) -> bool:
        return bool(self.team or self.theme or self.segment)


@dataclass
class BacklogColumn:
    status: str  # the column's key, its main status
    label: str
    statuses: tuple[str, ...]
    items: list[BacklogItem]


@dataclass
class Board:
    columns: list[BacklogColumn]
    unaddressed: list[PainPoint]
    teams: list[Team]
    themes: list[tuple[int, str]]  # (id, label) of the pain points linked to some item
    segments: list[tuple[str, str]]
    item_count: int  # before filtering
    order: str = "board"


@dataclass(frozen=True)
class AccountImpact:
    """An account affected by an item: its feedback is in the item's linked pain points."""

    customer: Customer
    feedback: int  # its feedback in those pain points
    churn_risk: float | None

    @property
    def high_risk(self) -> bool:
        return self.churn_risk is not None and self.churn_risk >= HIGH_RISK


@dataclass
class ItemEvidence:
    rice: RiceScore
    accounts: list[AccountImpact]  # biggest ARR first, up to the limit asked for
    account_count: int
    arr_affected: Decimal
    quotes: list[Feedback] = field(default_factory=list)  # the linked pain points' own quotes


# --- the backlog ------------------------------------------------------------------------------


def backlog_item_list() -> QuerySet[BacklogItem]:
    return (
        BacklogItem.objects.select_related("owner", "team")
        .annotate(theme_count=Count("themes", distinct=True))
        .order_by("status", "position", "-created_at", "-id")
    )


def _board_sort_key(item: BacklogItem) -> tuple:
    return (item.position, -item.created_at.timestamp(), -item.pk)


def backlog_column_items(*, status: str) -> list[BacklogItem]:
    """The items of the status's board column in board order (no joins)."""
    column = board_column_of(status)
    items = list(BacklogItem.objects.filter(status__in=column.statuses).order_by())
    return sorted(items, key=_board_sort_key)


def backlog_board(
    *, filters: BoardFilters | None = None, order: str = "board", with_lane: bool = True
) -> Board:
    """The board: its columns in workflow order, each card with its score (`item.rice`), its
    linked pain points (`item.theme_labels`) and its place in its column (`item.board_position`);
    beside it the top pain points that no open item addresses yet. A fixed number of queries,
    however many items."""
    filters = filters or BoardFilters()
    items = list(backlog_item_list())
    links = list(
        BacklogThemeLink.objects.filter(item__in=[item.pk for item in items])
        .order_by("theme__label", "theme_id")
        .values_list("item_id", "theme_id", "theme__label")
    )
    themes_by_item: dict[int, list[tuple[int, str]]] = {}
    for item_id, theme_id, label in links:
        themes_by_item.setdefault(item_id, []).append((theme_id, label))
    reach = _rice_by_item(items, {k: [t for t, _ in v] for k, v in themes_by_item.items()})
    by_column: dict[str, list[BacklogItem]] = {column.key: [] for column in BOARD_COLUMNS}
    for item in sorted(items, key=_board_sort_key):
        by_column[board_column_of(item.status).key].append(item)
    for column_items in by_column.values():
        for position, item in enumerate(column_items, start=1):
            item.board_position = position
            item.column_size = len(column_items)
    for item in items:
        item.rice = reach.scores[item.pk]
        item.theme_labels = [label for _, label in themes_by_item.get(item.pk, [])]
        item.segments = reach.segments[item.pk]
    columns = []
    for column in BOARD_COLUMNS:
        shown = [item for item in by_column[column.key] if _matches(item, filters, themes_by_item)]
        if order == "impact":
            shown.sort(key=lambda item: item.rice.sort_key)
        columns.append(BacklogColumn(column.key, column.label, column.statuses, shown))
    return Board(
        columns=columns,
        unaddressed=pain_points_unaddressed(limit=UNADDRESSED_SHOWN) if with_lane else [],
        teams=list(backlog_team_choices()),
        themes=sorted({theme for pairs in themes_by_item.values() for theme in pairs}, key=_label),
        segments=list(Segment.choices),
        item_count=len(items),
        order=order if order in BOARD_ORDERS else "board",
    )


def _label(pair: tuple[int, str]) -> tuple[str, int]:
    return (pair[1].lower(), pair[0])


def _matches(item: BacklogItem, filters: BoardFilters, themes_by_item: dict) -> bool:
    if filters.team and item.team_id != filters.team:
        return False
    if filters.theme and filters.theme not in {t for t, _ in themes_by_item.get(item.pk, [])}:
        return False
    return not (filters.segment and filters.segment not in item.segments)


def backlog_items_ranked(*, filters: BoardFilters | None = None) -> list[BacklogItem]:
    """Every item the filters keep, highest customer-impact score first, with its linked pain
    points (`theme_links`, each with its theme) prefetched: the export's rows."""
    board = backlog_board(filters=filters, with_lane=False)
    items = sorted(
        (item for column in board.columns for item in column.items),
        key=lambda item: (*item.rice.sort_key, item.pk),
    )
    prefetch_related_objects(
        items,
        Prefetch(
            "theme_links",
            queryset=BacklogThemeLink.objects.select_related("theme").order_by("theme__label"),
        ),
    )
    return items


def backlog_counts_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zeros included, in workflow order."""
    counts = dict(
        BacklogItem.objects.order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(status, label, counts.get(status, 0)) for status, label in Status.choices]


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


def backlog_item_open_for_theme(*, theme_id: int) -> BacklogItem | None:
    """The oldest open backlog item that addresses the theme."""
    return (
        BacklogItem.objects.filter(theme_links__theme_id=theme_id, status__in=OPEN_STATUSES)
        .order_by("created_at", "id")
        .first()
    )


def backlog_team_choices() -> QuerySet[Team]:
    # touchpoints has no team-list selector; the board and the form only read names.
    return Team.objects.order_by("name", "pk")


def backlog_owner_choices(*, include=None) -> QuerySet:
    """Who may own an item: active people allowed to change backlog items (and the current
    owner, so that editing an item never drops its owner)."""
    condition = (
        Q(
            groups__permissions__codename="change_backlogitem",
            groups__permissions__content_type__app_label="roadmap",
        )
        | Q(
            user_permissions__codename="change_backlogitem",
            user_permissions__content_type__app_label="roadmap",
        )
        | Q(is_superuser=True)
    )
    condition &= Q(is_active=True)
    if include is not None:
        condition |= Q(pk=include.pk)
    return (
        get_user_model()
        .objects.filter(condition)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# --- pain points and the backlog --------------------------------------------------------------


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


def pain_points_unaddressed(*, limit: int = UNADDRESSED_SHOWN) -> list[PainPoint]:
    """The highest-ranked pain points with no open backlog item, for the board's lane."""
    return [point for point in pain_points_with_backlog() if not point.addressed][:limit]


# --- affected accounts and the score ----------------------------------------------------------


def _average_arr() -> float:
    summary = customer_summary(churned_since=timezone.localdate() - dt.timedelta(days=1))
    if not summary.active_accounts:
        return 0.0
    return float(summary.active_arr) / summary.active_accounts


def _account_rows(theme_ids) -> list[tuple[int, int, Decimal, str, bool]]:
    """(theme id, account id, ARR, segment, churned) for every account with feedback in them."""
    if not theme_ids:
        return []
    return list(
        Customer.objects.filter(feedback__theme_id__in=list(theme_ids))
        .order_by()
        .values_list("feedback__theme_id", "pk", "arr", "segment", "churned")
        .distinct()
    )


@dataclass(frozen=True)
class _Reach:
    scores: dict[int, RiceScore]  # item id → its score
    segments: dict[int, set[str]]  # item id → the segments of its affected accounts


def _rice_by_item(items: list[BacklogItem], themes_by_item: dict[int, list[int]]) -> _Reach:
    rows = _account_rows({t for themes in themes_by_item.values() for t in themes})
    accounts_by_theme: dict[int, set[int]] = {}
    account_facts: dict[int, tuple[Decimal, str, bool]] = {}
    for theme_id, customer_id, arr, segment, churned in rows:
        accounts_by_theme.setdefault(theme_id, set()).add(customer_id)
        account_facts[customer_id] = (arr, segment, churned)
    risk = churn_probabilities_latest() if rows else {}
    average = _average_arr() if rows else 0.0
    reach = _Reach(scores={}, segments={})
    for item in items:
        customer_ids = set().union(
            *(accounts_by_theme.get(t, set()) for t in themes_by_item.get(item.pk, []))
        )
        reach.scores[item.pk] = _item_score(
            item,
            [
                AffectedAccount(
                    arr=float(account_facts[pk][0]),
                    churn_risk=risk.get(pk),
                    churned=account_facts[pk][2],
                )
                for pk in customer_ids
            ],
            average,
        )
        reach.segments[item.pk] = {
            account_facts[pk][1] for pk in customer_ids if account_facts[pk][1]
        }
    return reach


def _item_score(item: BacklogItem, accounts: list[AffectedAccount], average: float) -> RiceScore:
    return rice_score(
        accounts=accounts,
        average_arr=average,
        impact_level=item.impact_level,
        confidence_percent=item.confidence,
        effort_weeks=item.effort_weeks,
    )


def backlog_item_evidence(
    *, item: BacklogItem, accounts_shown: int = 25, quotes_per_theme: int = 2
) -> ItemEvidence:
    """What stands behind an item: its score with its parts, the accounts it would help (biggest
    ARR first, churned ones last; each with its feedback in the linked pain points and its churn
    risk) and the linked pain points' representative quotes not attached as evidence already.
    The item comes from `backlog_item_get` (its links and evidence prefetched)."""
    links = list(item.theme_links.all())
    theme_ids = [link.theme_id for link in links]
    customers: list[Customer] = []
    risk: dict[int, float] = {}
    average = 0.0
    if theme_ids:
        in_themes = Q(feedback__theme_id__in=theme_ids)
        customers = list(
            Customer.objects.filter(in_themes)
            .annotate(theme_feedback=Count("feedback", filter=in_themes))
            .order_by("churned", "-arr", "name", "pk")
        )
    if customers:
        risk = churn_probabilities_latest()
        average = _average_arr()
    rice = _item_score(
        item,
        [
            AffectedAccount(arr=float(c.arr), churn_risk=risk.get(c.pk), churned=c.churned)
            for c in customers
        ],
        average,
    )
    attached = {feedback.pk for feedback in item.evidence.all()}
    quote_ids: list[int] = []
    for link in links:
        ids = [pk for pk in (link.theme.quotes or []) if isinstance(pk, int) and pk not in attached]
        quote_ids += ids[:quotes_per_theme]
    quotes = list(feedback_list().filter(pk__in=quote_ids)) if quote_ids else []
    active = [customer for customer in customers if not customer.churned]
    return ItemEvidence(
        rice=rice,
        accounts=[
            AccountImpact(customer, customer.theme_feedback, risk.get(customer.pk))
            for customer in customers[:accounts_shown]
        ],
        account_count=len(active),
        arr_affected=sum((customer.arr for customer in active), Decimal(0)),
        quotes=quotes,
    )
