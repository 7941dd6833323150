"""The board: moving and reordering cards (the service renumbers columns under a lock), who may,
the filters, the lane of unaddressed pain, and a query count that does not grow with the items."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insights.models import Segment
from insights.roles import Role
from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.services import backlog_item_move
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory
from tests.insights.test_theme_views import ranked_theme
from tests.roadmap.factories import BacklogItemFactory
from tests.roadmap.test_items import READY, ready_item
from tests.touchpoints.factories import TeamFactory

Status = BacklogItem.Status


def column(status: str) -> list[tuple[str, int]]:
    """(title, position) of a status's items in board order."""
    return list(
        BacklogItem.objects.filter(status=status)
        .order_by("position", "-created_at", "-id")
        .values_list("title", "position")
    )


def given_columns():
    later = [ready_item(title=f"L{n}", status=Status.LATER, position=n) for n in (1, 2, 3)]
    now = [ready_item(title=f"N{n}", status=Status.NOW, position=n) for n in (1, 2)]
    return later, now


# --- the service ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_moving_to_another_column_renumbers_both():
    later, _ = given_columns()

    backlog_item_move(item=later[0], status=Status.NOW, position=2)

    assert column(Status.NOW) == [("N1", 1), ("L1", 2), ("N2", 3)]
    assert column(Status.LATER) == [("L2", 1), ("L3", 2)]


@pytest.mark.django_db
def test_reordering_within_a_column():
    later, _ = given_columns()

    backlog_item_move(item=later[2], status=Status.LATER, position=1)

    assert column(Status.LATER) == [("L3", 1), ("L1", 2), ("L2", 3)]


@pytest.mark.django_db
@pytest.mark.parametrize("position", [None, 99])
def test_no_position_or_one_past_the_end_puts_it_last(position):
    later, _ = given_columns()

    backlog_item_move(item=later[0], status=Status.NOW, position=position)

    assert column(Status.NOW) == [("N1", 1), ("N2", 2), ("L1", 3)]


@pytest.mark.django_db
def test_after_and_before_place_it_beside_a_card():
    later, now = given_columns()

    backlog_item_move(item=later[0], status=Status.NOW, after=now[0].pk)
    backlog_item_move(item=later[1], status=Status.NOW, before=now[0].pk)

    assert column(Status.NOW) == [("L2", 1), ("N1", 2), ("L1", 3), ("N2", 4)]


@pytest.mark.django_db
def test_gaps_and_ties_are_closed_by_a_move():
    a = ready_item(title="A", status=Status.NEXT, position=5)
    ready_item(title="B", status=Status.NEXT, position=5)
    ready_item(title="C", status=Status.NEXT, position=9)

    backlog_item_move(item=a, status=Status.NEXT, position=3)

    assert [position for _, position in column(Status.NEXT)] == [1, 2, 3]


@pytest.mark.django_db
def test_in_progress_shares_the_now_column_and_keeps_its_stage_there():
    building = ready_item(title="Building", status=Status.IN_PROGRESS, position=1)
    ready_item(title="Planned", status=Status.NOW, position=2)

    backlog_item_move(item=building, status=Status.IN_PROGRESS, position=2)

    now_column = BacklogItem.objects.filter(status__in=[Status.NOW, Status.IN_PROGRESS])
    assert list(now_column.order_by("position").values_list("title", "status")) == [
        ("Planned", Status.NOW),
        ("Building", Status.IN_PROGRESS),
    ]


@pytest.mark.django_db
def test_the_move_locks_the_board_rows():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: it serialises writers instead")
    later, _ = given_columns()

    with CaptureQueriesContext(connection) as queries:
        backlog_item_move(item=later[0], status=Status.NOW)

    assert any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_leave_every_column_numbered_one_to_n():
    """Six people drop six cards on top of Now at the same moment: each move renumbers under the
    board's lock, so no two cards share a position and none is lost."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    cards = [ready_item(title=f"L{n}", status=Status.LATER, position=n) for n in range(1, 7)]
    ready_item(title="N1", status=Status.NOW, position=1)
    barrier = threading.Barrier(len(cards))
    errors: list[BaseException] = []

    def move(item):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                backlog_item_move(item=item, status=Status.NOW, position=1)
        except BaseException as error:  # noqa: BLE001 -- reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()

    assert errors == []
    assert [position for _, position in column(Status.NOW)] == list(range(1, 8))
    assert column(Status.NOW)[-1] == ("N1", 7)
    assert column(Status.LATER) == []


# --- the views ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_product_manager_moves_a_card_with_the_plain_form(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    later, _ = given_columns()
    board = reverse("roadmap:backlog-list") + "?team="

    response = client.post(
        reverse("roadmap:backlog-move", args=[later[1].pk]),
        {"status": Status.NOW, "position": "1", "next": board},
        follow=True,
    )

    assert response.redirect_chain == [(board, 302)]
    assert "“L2” moved to Now, position 1 of 3." in response.content.decode()
    assert column(Status.NOW)[0] == ("L2", 1)


@pytest.mark.django_db
def test_the_move_answers_json_with_the_new_order(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    later, now = given_columns()

    response = client.post(
        reverse("roadmap:backlog-move", args=[later[0].pk]),
        {"status": Status.NOW, "after": str(now[1].pk)},
        headers={"accept": "application/json"},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["ok"] is True
    assert body["item"] == {
        "id": later[0].pk,
        "status": Status.NOW,
        "status_label": "Now",
        "column": Status.NOW,
        "position": 3,
    }
    assert body["columns"] == {
        Status.NOW: [now[0].pk, now[1].pk, later[0].pk],
        Status.LATER: [later[1].pk, later[2].pk],
    }
    assert body["message"] == "“L1” moved to Now, position 3 of 3."


@pytest.mark.django_db
def test_a_move_to_now_without_a_metric_is_refused_with_the_reason(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    idea = BacklogItemFactory(title="Vague", metric_kind="", status=Status.IDEA)

    json_reply = client.post(
        reverse("roadmap:backlog-move", args=[idea.pk]),
        {"status": Status.NOW},
        headers={"accept": "application/json"},
    )
    page = client.post(
        reverse("roadmap:backlog-move", args=[idea.pk]), {"status": Status.NOW}, follow=True
    )

    assert json_reply.status_code == 400
    assert json_reply.json()["ok"] is False
    assert "“Vague” cannot be in Now yet" in json_reply.json()["message"]
    assert "cannot be in Now yet" in page.content.decode()
    idea.refresh_from_db()
    assert idea.status == Status.IDEA


@pytest.mark.django_db
def test_an_unsafe_next_is_ignored(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    item = ready_item()

    response = client.post(
        reverse("roadmap:backlog-move", args=[item.pk]),
        {"status": Status.NEXT, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("roadmap:backlog-list")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ENGINEER])
def test_readers_may_not_move_and_see_no_move_controls(client, role):
    client.force_login(user_with_role(role))
    item = ready_item(status=Status.LATER)

    refused = client.post(
        reverse("roadmap:backlog-move", args=[item.pk]), {"status": Status.NOW, "position": "1"}
    )
    content = client.get(reverse("roadmap:backlog-list")).content.decode()

    assert refused.status_code == 403
    item.refresh_from_db()
    assert item.status == Status.LATER
    assert item.title in content
    assert "data-board" not in content.replace("data-board-", "")
    assert "data-move-form" not in content
    assert "roadmap_board.js" not in content
    assert 'tabindex="0"' not in content
    assert reverse("roadmap:backlog-new") not in content


@pytest.mark.django_db
def test_product_managers_get_the_move_controls(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    ready_item(status=Status.LATER)

    content = client.get(reverse("roadmap:backlog-list")).content.decode()

    assert "data-board" in content
    assert "data-move-form" in content
    assert "roadmap_board.js" in content
    assert "aria-live" in content
    assert reverse("roadmap:backlog-new") in content


@pytest.mark.django_db
def test_the_board_shows_stages_as_badges(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    ready_item(title="Building", status=Status.IN_PROGRESS)

    response = client.get(reverse("roadmap:backlog-list"))

    now = next(c for c in response.context["columns"] if c.status == Status.NOW)
    assert [item.title for item in now.items] == ["Building"]
    assert ">In progress</span>" in response.content.decode()


def given_items_for_filters():
    platform, mobile = TeamFactory(name="Platform"), TeamFactory(name="Mobile")
    exports, uploads = ThemeFactory(label="Slow exports"), ThemeFactory(label="Upload crashes")
    FeedbackFactory(theme=exports, customer=CustomerFactory(segment=Segment.ENTERPRISE))
    FeedbackFactory(theme=uploads, customer=CustomerFactory(segment=Segment.SMB))
    big = ready_item(title="Background exports", team=platform)
    small = ready_item(title="Resumable uploads", team=mobile)
    BacklogThemeLink.objects.create(item=big, theme=exports, rationale="r")
    BacklogThemeLink.objects.create(item=small, theme=uploads, rationale="r")
    return platform, exports


def titles(response) -> list[str]:
    return sorted(item.title for c in response.context["columns"] for item in c.items)


@pytest.mark.django_db
def test_filters_by_team_theme_and_segment(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    platform, exports = given_items_for_filters()
    url = reverse("roadmap:backlog-list")

    assert titles(client.get(url)) == ["Background exports", "Resumable uploads"]
    assert titles(client.get(url, {"team": platform.pk})) == ["Background exports"]
    assert titles(client.get(url, {"theme": exports.pk})) == ["Background exports"]
    assert titles(client.get(url, {"segment": Segment.SMB})) == ["Resumable uploads"]
    assert titles(client.get(url, {"segment": Segment.MID_MARKET})) == []
    assert titles(client.get(url, {"team": "x", "segment": "nonsense"})) == [
        "Background exports",
        "Resumable uploads",
    ]
    assert "Showing 1 of 2 items." in client.get(url, {"team": platform.pk}).content.decode()


@pytest.mark.django_db
def test_impact_order_ranks_each_column_by_score(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    theme = ThemeFactory()
    for _ in range(3):
        FeedbackFactory(theme=theme, customer=CustomerFactory(arr=Decimal("10000")))
    first = ready_item(title="Low score", status=Status.NEXT, position=1, effort_weeks=10)
    second = ready_item(title="High score", status=Status.NEXT, position=2, effort_weeks=1)
    ready_item(title="No estimate", status=Status.NEXT, position=3, effort_weeks=None)
    for item in (first, second):
        BacklogThemeLink.objects.create(item=item, theme=theme, rationale="r")

    board_order = client.get(reverse("roadmap:backlog-list"))
    impact_order = client.get(reverse("roadmap:backlog-list"), {"order": "impact"})

    def next_column(response):
        return [
            i.title
            for i in next(c for c in response.context["columns"] if c.status == "next").items
        ]

    assert next_column(board_order) == ["Low score", "High score", "No estimate"]
    assert next_column(impact_order) == ["High score", "Low score", "No estimate"]
    # sorted by score, the board cannot be dragged (its order is not the board's)
    assert "data-board " not in impact_order.content.decode()


@pytest.mark.django_db
def test_the_unaddressed_lane_lists_pain_without_an_open_item(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    addressed = ranked_theme(label="Slow exports", impact=70)
    untouched = ranked_theme(label="SSO login loops", impact=30)
    BacklogThemeLink.objects.create(item=ready_item(status=Status.NOW), theme=addressed)

    content = client.get(reverse("roadmap:backlog-list")).content.decode()

    lane = content[content.index('data-testid="unaddressed-lane"') :]
    assert "SSO login loops" in lane
    assert "Slow exports" not in lane
    assert reverse("roadmap:promote-theme", args=[untouched.pk]) in lane


@pytest.mark.django_db
def test_executives_see_the_lane_without_promote_buttons(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    ranked_theme(label="SSO login loops", impact=30)

    content = client.get(reverse("roadmap:backlog-list")).content.decode()

    assert 'data-testid="unaddressed-lane"' in content
    assert "/promote/" not in content


def given_a_board_of(count: int) -> None:
    teams = [TeamFactory(), TeamFactory()]
    statuses = [Status.IDEA, Status.NOW, Status.SHIPPED]
    for n in range(count):
        theme = ranked_theme(label=f"Theme {n}", impact=50 - n)
        FeedbackFactory(theme=theme, customer=CustomerFactory(segment=Segment.SMB))
        status = statuses[n % 3]
        item = ready_item(
            status=status,
            team=teams[n % 2],
            shipped_on="2026-01-05" if status == Status.SHIPPED else None,
        )
        BacklogThemeLink.objects.create(item=item, theme=theme, rationale="r")
    ranked_theme(label="Nobody works on it", impact=1)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.EXECUTIVE])
def test_the_board_query_count_does_not_grow_with_the_items(client, role):
    client.force_login(user_with_role(role))
    url = reverse("roadmap:backlog-list")
    given_a_board_of(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"segment": Segment.SMB}).status_code == 200

    given_a_board_of(15)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"segment": Segment.SMB})

    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 20


@pytest.mark.django_db
def test_items_created_on_the_board_go_to_the_bottom_of_their_column(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    ready_item(status=Status.IDEA, position=1)
    ready_item(status=Status.IDEA, position=2)

    client.post(
        reverse("roadmap:backlog-new"),
        {
            "title": "Newest",
            "customer_problem": READY["customer_problem"],
            "impact_level": "medium",
            "confidence": "50",
            "metric_window_days": "60",
            "status": Status.IDEA,
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )

    assert column(Status.IDEA)[-1] == ("Newest", 3)
