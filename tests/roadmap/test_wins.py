"""Wins: shipped items whose latest impact review met the target, in the customers' words before
and after, crediting the engineers whose touchpoints surfaced the pain."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.models import Feedback
from insights.roles import Role
from roadmap.impact import impact_reviews_measure_due, impact_reviews_schedule
from roadmap.models import BacklogItem, ImpactReview
from roadmap.wins import wins_recent
from tests.conftest import user_with_role
from tests.roadmap.impact_builders import (
    ALL_DUE,
    SHIPPED_ON,
    fading_pain_point,
    mentions,
    shipped_item,
)
from tests.touchpoints.factories import TouchpointFactory, UserFactory
from touchpoints.models import Observation

pytestmark = pytest.mark.django_db


def _surfaced_by(theme, engineer, *, on: dt.date) -> None:
    """A touchpoint of `engineer` on `on` whose observation landed in `theme`."""
    touchpoint = TouchpointFactory(logged_by=engineer, occurred_on=on)
    [feedback] = mentions(theme=theme, start=on, days=1, count=1, text="Saw exports time out")
    Observation.objects.create(touchpoint=touchpoint, text=feedback.text, feedback=feedback)


def given_a_measured_win(*, title="Background exports") -> BacklogItem:
    theme = fading_pain_point()
    ada = UserFactory(username="ada", first_name="Ada", last_name="Lovelace")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Later")
    _surfaced_by(theme, ada, on=SHIPPED_ON - dt.timedelta(days=50))
    _surfaced_by(theme, ada, on=SHIPPED_ON - dt.timedelta(days=20))
    _surfaced_by(theme, bob, on=SHIPPED_ON + dt.timedelta(days=20))  # after the fix: no credit
    item = shipped_item(themes=(theme,), title=title)
    impact_reviews_schedule(item=item)
    impact_reviews_measure_due(today=ALL_DUE)
    return item


def test_a_met_target_is_a_win_with_quotes_and_credits(django_assert_num_queries):
    # Given a shipped item whose pain point faded beyond its target
    item = given_a_measured_win()
    # When the wins are read
    with django_assert_num_queries(2):
        wins = wins_recent()
    # Then it is the one win, with its figures, quotes before and after, and its engineer
    [win] = wins
    assert win.item == item
    assert win.review.days_after == 90
    assert win.observed == pytest.approx(-90, abs=2)
    assert win.unit == " %"
    assert win.quotes_before[0].startswith("Exports time out again")
    assert win.quotes_after
    assert [(e["name"], e["touchpoints"]) for e in win.engineers] == [("Ada Lovelace", 2)]


def test_quotes_are_the_redacted_text_as_it_is_now_never_the_original():
    item = given_a_measured_win()
    review = item.impact_reviews.get(days_after=90)
    first = review.evidence["quotes"]["before"][0]["feedback_id"]
    Feedback.objects.filter(pk=first).update(
        text="Call Jane on +1 555 0100, exports time out", redacted_text="Call [NAME] on [PHONE]"
    )
    [win] = wins_recent()
    assert win.quotes_before[0] == "Call [NAME] on [PHONE]"
    assert not any("555" in quote for quote in win.quotes_before + win.quotes_after)


def test_only_the_latest_done_review_counts():
    # Given a win whose 90-day review later turned out not met
    item = given_a_measured_win()
    item.impact_reviews.filter(days_after=90).update(verdict=ImpactReview.Verdict.NOT_MET)
    # Then it is no win, although its earlier reviews were met
    assert wins_recent() == []


def test_an_item_back_in_progress_is_no_win():
    item = given_a_measured_win()
    BacklogItem.objects.filter(pk=item.pk).update(status=BacklogItem.Status.IN_PROGRESS)
    assert wins_recent() == []


def test_since_and_limit():
    given_a_measured_win(title="First")
    ImpactReview.objects.update(measured_at=timezone.now() - dt.timedelta(days=10))
    given_a_measured_win(title="Second")
    assert [w.item.title for w in wins_recent()] == ["Second", "First"]
    assert [w.item.title for w in wins_recent(limit=1)] == ["Second"]
    week_ago = timezone.now() - dt.timedelta(days=7)
    assert [w.item.title for w in wins_recent(since=week_ago)] == ["Second"]
    assert [w.item.title for w in wins_recent(since=timezone.localdate())] == ["Second"]


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ENGINEER, Role.PRODUCT_MANAGER])
def test_the_wins_page_shows_them_to_everyone_who_reads_the_backlog(client, role):
    item = given_a_measured_win(title="Background <exports>")
    client.force_login(user_with_role(role))

    response = client.get(reverse("roadmap:wins"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Background &lt;exports&gt;" in content
    assert reverse("roadmap:backlog-detail", args=[item.pk]) in content
    assert "Exports time out again" in content
    assert "Ada Lovelace" in content


def test_the_wins_page_says_when_there_are_none(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    content = client.get(reverse("roadmap:wins")).content.decode()
    assert "No wins yet" in content


def test_the_home_page_shows_the_latest_wins_to_everyone_who_reads_the_backlog(client):
    # Given a measured win
    given_a_measured_win(title="Background exports")
    for role in (Role.EXECUTIVE, Role.ENGINEER, Role.PRODUCT_MANAGER):
        client.force_login(user_with_role(role, username=f"home_{role}".replace(" ", "_")))
        # When they open the home page
        content = client.get(reverse("home")).content.decode()
        # Then the win is there, with who surfaced the pain
        assert 'data-testid="panel-wins"' in content
        assert "Background exports" in content
        assert "Ada Lovelace" in content


def test_the_executive_report_shows_the_wins_through_its_panel(client):
    # Given a measured win
    given_a_measured_win(title="Background exports")
    client.force_login(user_with_role(Role.EXECUTIVE, username="report_exec"))
    # When an executive opens the executive report
    content = client.get(reverse("metrics:executive-report")).content.decode()
    # Then roadmap's wins panel is on it, with the win and who surfaced the pain
    assert 'data-testid="report-wins"' in content
    assert "Background exports" in content
    assert "Ada Lovelace" in content
