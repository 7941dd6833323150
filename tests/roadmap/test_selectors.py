import datetime as dt

import pytest

from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.selectors import backlog_board, backlog_counts_by_status, backlog_item_get
from tests.insights.factories import FeedbackFactory, ThemeFactory
from tests.roadmap.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db
Status = BacklogItem.Status


def test_board_has_its_columns_in_workflow_order_with_items_in_position():
    second = BacklogItemFactory(status=Status.NOW, position=2)
    first = BacklogItemFactory(status=Status.NOW, position=1)
    shipped = BacklogItemFactory(status=Status.SHIPPED, shipped_on=dt.date(2026, 5, 1))

    board = backlog_board(with_lane=False)

    assert [column.status for column in board.columns] == [
        Status.IDEA,
        Status.DISCOVERY,
        Status.NOW,
        Status.NEXT,
        Status.LATER,
        Status.SHIPPED,
    ]
    by_status = {column.status: column.items for column in board.columns}
    assert by_status[Status.NOW] == [first, second]
    assert by_status[Status.SHIPPED] == [shipped]
    assert by_status[Status.IDEA] == []


def test_board_folds_in_progress_into_now_and_measured_into_shipped():
    now = BacklogItemFactory(status=Status.NOW, position=2)
    building = BacklogItemFactory(status=Status.IN_PROGRESS, position=1)
    measured = BacklogItemFactory(status=Status.MEASURED, shipped_on=dt.date(2026, 5, 1))

    by_status = {c.status: c.items for c in backlog_board(with_lane=False).columns}

    assert by_status[Status.NOW] == [building, now]
    assert by_status[Status.SHIPPED] == [measured]


def test_board_reads_items_owners_and_teams_in_one_query(django_assert_num_queries):
    BacklogItemFactory.create_batch(4, status=Status.NEXT)

    # items with owners and teams, their links, the teams for the filter (no links: no accounts)
    with django_assert_num_queries(3):
        board = backlog_board(with_lane=False)
        [(item.owner, item.team, item.theme_count) for c in board.columns for item in c.items]


def test_counts_by_status_include_zeros():
    BacklogItemFactory.create_batch(2, status=Status.IDEA)
    BacklogItemFactory(status=Status.LATER)

    counts = {status: n for status, _, n in backlog_counts_by_status()}

    assert counts[Status.IDEA] == 2
    assert counts[Status.LATER] == 1
    assert counts[Status.MEASURED] == 0
    assert len(counts) == len(Status.values)


def test_backlog_item_get_prefetches_themes_and_evidence(django_assert_num_queries):
    item = BacklogItemFactory()
    theme = ThemeFactory(label="Slow exports")
    BacklogThemeLink.objects.create(item=item, theme=theme, rationale="Removes it")
    item.evidence.set(FeedbackFactory.create_batch(3))

    with django_assert_num_queries(3):
        found = backlog_item_get(item_id=item.pk)
        labels = [link.theme.label for link in found.theme_links.all()]
        customers = [feedback.customer.name for feedback in found.evidence.all()]

    assert labels == ["Slow exports"]
    assert len(customers) == 3


def test_backlog_item_get_of_a_missing_id_is_none():
    assert backlog_item_get(item_id=999_999) is None
