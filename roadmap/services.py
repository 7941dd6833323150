"""Writing the backlog. Every change to a backlog item goes through here: creating, editing,
moving on the board (status and position) and shipping, promoting a pain point or a hackathon
outcome."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from insights.models import Theme
from insights.selectors import theme_quotes
from roadmap.impact import impact_reviews_cancel, impact_reviews_schedule
from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.selectors import (
    GATED_STATUSES,
    SHIPPED_STATUSES,
    backlog_item_open_for_theme,
    board_column_of,
)
from touchpoints.hackathons import hackathon_outcome_get

PROMOTE_QUOTES = 3
Status = BacklogItem.Status

# What an item needs before it moves to Now or beyond, with how to say it is missing.
READINESS = {
    "customer_problem": "the customer problem",
    "desired_outcome": "the desired outcome",
    "metric_kind": "what the success metric measures",
    "metric_description": "the success metric's description",
    "target": "the success metric's target",
}
# The fields a person edits on the item's form (status and position move on the board).
EDITABLE_FIELDS = (
    "title",
    "customer_problem",
    "desired_outcome",
    "metric_kind",
    "metric_description",
    "metric_feature",
    "baseline",
    "target",
    "metric_window_days",
    "impact_level",
    "effort_weeks",
    "confidence",
    "team",
    "owner",
    "tracker_url",
    "tracker_key",
)


class BacklogItemNotReady(ValidationError):
    """The item lacks what it needs for the status asked for; `missing` names the fields."""

    def __init__(self, *, title: str, status: str, missing: Sequence[str]):
        self.missing = list(missing)
        parts = [READINESS[name] for name in self.missing]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        super().__init__(
            f"“{title}” cannot be in {Status(status).label} yet: an item needs a customer "
            f"problem, a desired outcome and a success metric (what it measures, a description "
            f"and a target) before Now. Missing: {listed}.",
            code="not_ready",
        )


@dataclass(frozen=True)
class ThemeLinkInput:
    theme_id: int
    rationale: str


def backlog_item_missing_for_now(*, values) -> list[str]:
    """The readiness fields that `values` (an item, or anything with those attributes) lacks."""
    missing = []
    for name in READINESS:
        value = getattr(values, name, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    return missing


def _check_ready(item: BacklogItem, status: str) -> None:
    if status in GATED_STATUSES:
        missing = backlog_item_missing_for_now(values=item)
        if missing:
            raise BacklogItemNotReady(title=item.title, status=status, missing=missing)


# --- the board ----------------------------------------------------------------------------------


def _board_lock() -> list[BacklogItem]:
    """Every item, locked in id order, fresh. Moves renumber whole columns: locking every row
    (not only the two columns') means an item moved into a column by a concurrent move cannot
    slip past the renumbering, and the one lock order keeps two moves from deadlocking."""
    return list(BacklogItem.objects.select_for_update().order_by("pk"))


def _column_order(items: list[BacklogItem], status: str) -> list[BacklogItem]:
    column = board_column_of(status)
    in_column = [item for item in items if item.status in column.statuses]
    return sorted(in_column, key=lambda i: (i.position, -i.created_at.timestamp(), -i.pk))


def _renumber(items: list[BacklogItem]) -> list[BacklogItem]:
    """Positions 1…n in list order; returns the items whose position changed."""
    changed = []
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            changed.append(item)
    return changed


def _place(column: list[BacklogItem], *, position, after, before) -> int:
    """The index to insert at: right after `after` or before `before` (item ids, as a board
    that shows only some cards knows them), else at `position` (1-based), else at the end."""
    ids = [row.pk for row in column]
    if after is not None and after in ids:
        return ids.index(after) + 1
    if before is not None and before in ids:
        return ids.index(before)
    if position is None:
        return len(column)
    return min(max(position, 1) - 1, len(column))


@transaction.atomic
def backlog_item_move(
    *,
    item: BacklogItem,
    status: str,
    position: int | None = None,
    after: int | None = None,
    before: int | None = None,
    shipped_on: dt.date | None = None,
) -> BacklogItem:
    """Put the item at `position` (1 = top; None or past the end = last) of the column of
    `status` — or right after the item `after`, or before the item `before` — with that
    status, renumbering both columns 1…n in one transaction. An item moves to Now or beyond
    only with a problem, an outcome and a success metric (BacklogItemNotReady otherwise).
    Becoming shipped dates it (`shipped_on`, else the date it has, else today) and schedules its
    impact reviews, as a new `shipped_on` for a shipped item moves them; leaving shipped clears
    the date and cancels the reviews not yet done."""
    if status not in Status.values:
        raise ValidationError(f"Unknown status “{status}”.", code="invalid")
    board = _board_lock()
    by_pk = {row.pk: row for row in board}
    if item.pk not in by_pk:
        raise BacklogItem.DoesNotExist("The backlog item no longer exists.")
    moving = by_pk[item.pk]
    previous = moving.status
    if status != previous:
        _check_ready(moving, status)
    was_shipped = previous in SHIPPED_STATUSES
    now_shipped = status in SHIPPED_STATUSES
    source = [row for row in _column_order(board, previous) if row.pk != moving.pk]
    target = source if board_column_of(previous) == board_column_of(status) else None
    if target is None:
        target = [row for row in _column_order(board, status) if row.pk != moving.pk]
    target.insert(_place(target, position=position, after=after, before=before), moving)
    moving.status = status
    redated = False
    if now_shipped and not was_shipped:
        moving.shipped_on = shipped_on or moving.shipped_on or timezone.localdate()
    elif was_shipped and not now_shipped:
        moving.shipped_on = None
    elif now_shipped and shipped_on is not None and shipped_on != moving.shipped_on:
        moving.shipped_on, redated = shipped_on, True
    changed = {row.pk: row for row in _renumber(target)}
    if target is not source:
        changed.update({row.pk: row for row in _renumber(source)})
    changed.pop(moving.pk, None)
    if changed:
        BacklogItem.objects.bulk_update(list(changed.values()), ["position"])
    moving.save(update_fields=["status", "position", "shipped_on", "updated_at"])
    if now_shipped and (redated or not was_shipped):
        impact_reviews_schedule(item=moving)
    elif was_shipped and not now_shipped:
        impact_reviews_cancel(item=moving)
    return moving


def backlog_item_ship(*, item: BacklogItem, shipped_on: dt.date | None = None) -> BacklogItem:
    """Ship the item on `shipped_on` (today by default), on top of the Shipped column."""
    return backlog_item_move(item=item, status=Status.SHIPPED, position=1, shipped_on=shipped_on)


# --- creating and editing -----------------------------------------------------------------------


def _theme_links_set(*, item: BacklogItem, links: Sequence[ThemeLinkInput]) -> None:
    wanted: dict[int, str] = {}
    for link in links:
        wanted.setdefault(link.theme_id, link.rationale.strip())
    known = set(Theme.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True))
    unknown = set(wanted) - known
    if unknown:
        raise ValidationError("A linked pain point no longer exists.", code="invalid")
    existing = {link.theme_id: link for link in item.theme_links.all()}
    BacklogThemeLink.objects.filter(item=item).exclude(theme_id__in=list(wanted)).delete()
    for theme_id, rationale in wanted.items():
        link = existing.get(theme_id)
        if link is None:
            BacklogThemeLink.objects.create(item=item, theme_id=theme_id, rationale=rationale)
        elif link.rationale != rationale:
            link.rationale = rationale
            link.save(update_fields=["rationale", "updated_at"])


@transaction.atomic
def backlog_item_create(
    *,
    user,
    fields: dict,
    theme_links: Sequence[ThemeLinkInput] = (),
    status: str = Status.IDEA,
) -> BacklogItem:
    """A new item at the bottom of its column. `fields` are EDITABLE_FIELDS (others refused);
    an item created straight into Now or beyond must be ready for it."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    if status in SHIPPED_STATUSES:
        raise ValidationError("Create the item first, then ship it from the board.", code="invalid")
    item = BacklogItem(**fields, status=status, created_by=user)
    _check_ready(item, status)
    board = _board_lock()
    item.position = len(_column_order(board, status)) + 1
    item.save()
    _theme_links_set(item=item, links=theme_links)
    return item


@transaction.atomic
def backlog_item_update(
    *, item: BacklogItem, fields: dict, theme_links: Sequence[ThemeLinkInput] | None = None
) -> BacklogItem:
    """Change what the form edits. An item in Now or beyond keeps what it needs to be there."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    item = BacklogItem.objects.select_for_update().get(pk=item.pk)
    for name, value in fields.items():
        setattr(item, name, value)
    _check_ready(item, item.status)
    item.save(update_fields=[*fields, "updated_at"])
    if theme_links is not None:
        _theme_links_set(item=item, links=theme_links)
    return item


def _money(amount: float) -> str:
    return f"${amount:,.0f}"


def _promotion_rationale(theme: Theme) -> str:
    statistics = theme.statistics or {}
    accounts = int(statistics.get("accounts") or 0)
    return (
        f"Promoted from the pain point “{theme.label}” (impact {theme.impact:.1f}, "
        f"{accounts} account{'s' if accounts != 1 else ''}, "
        f"ARR {_money(float(statistics.get('arr_affected') or 0))})."
    )


def _customer_problem(theme: Theme, quotes: list) -> str:
    statistics = theme.statistics or {}
    volume = int(statistics.get("volume_90") or 0)
    sentence = f"Customers keep raising “{theme.label}”"
    sentence += (
        f": {volume} mention{'s' if volume != 1 else ''} in the last 90 days." if volume else "."
    )
    lines = [sentence]
    # Redacted text only: the backlog is read by everyone, the original by admins alone.
    lines += [f"“{feedback.redacted_text.strip()}”" for feedback in quotes]
    return "\n\n".join(lines)


@transaction.atomic
def backlog_item_promote_from_theme(*, theme: Theme, user) -> BacklogItem:
    """A backlog idea for a pain point, linked to it, with its representative quotes as evidence.
    Promoting a theme that an open item already addresses returns that item."""
    # The theme row's lock makes two promotions of the same theme queue, so the second one
    # finds the first one's item instead of making a duplicate.
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    existing = backlog_item_open_for_theme(theme_id=theme.pk)
    if existing is not None:
        return existing
    quotes = [
        feedback
        for feedback in theme_quotes(theme=theme, limit=PROMOTE_QUOTES * 2)
        if feedback.redacted_text.strip()
    ][:PROMOTE_QUOTES]
    item = BacklogItem.objects.create(
        title=theme.label[:200],
        customer_problem=_customer_problem(theme, quotes),
        status=BacklogItem.Status.IDEA,
        metric_kind=BacklogItem.MetricKind.THEME_VOLUME,
        owner=user,
        created_by=user,
    )
    BacklogThemeLink.objects.create(item=item, theme=theme, rationale=_promotion_rationale(theme))
    if quotes:
        item.evidence.add(*quotes)
    return item


def _outcome_rationale(outcome) -> str:
    team = outcome.team
    return f"From hackathon “{team.hackathon.name}”, team “{team.name}”: “{outcome.title}”."


@transaction.atomic
def backlog_item_promote_from_outcome(*, outcome, user) -> BacklogItem:
    """A backlog idea from a hackathon outcome, linked to the pain point of the team's problem.
    An outcome that already became an item returns that item, whatever its status."""
    outcome = hackathon_outcome_get(outcome_id=outcome.pk)
    existing = BacklogItem.objects.filter(hackathon_outcome=outcome).first()
    if existing is not None:
        return existing
    problem = outcome.team.problem
    theme = problem.theme if problem is not None else None
    customer_problem = (
        problem.statement if problem is not None else outcome.description
    ) or outcome.title
    try:
        # The one-to-one column is unique: a promotion racing this one makes the insert fail,
        # and the savepoint lets us return the winner's item instead of a duplicate.
        with transaction.atomic():
            item = BacklogItem.objects.create(
                title=outcome.title[:200],
                customer_problem=customer_problem,
                desired_outcome=outcome.description if problem is not None else "",
                status=BacklogItem.Status.IDEA,
                metric_kind=BacklogItem.MetricKind.THEME_VOLUME if theme is not None else "",
                hackathon_outcome=outcome,
                owner=user,
                created_by=user,
            )
    except IntegrityError:
        return BacklogItem.objects.get(hackathon_outcome=outcome)
    if theme is not None:
        BacklogThemeLink.objects.create(
            item=item, theme=theme, rationale=_outcome_rationale(outcome)
        )
    return item
