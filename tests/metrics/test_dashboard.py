"""The product managers' dashboard: NPS and detractor share by pain point, volume by source and
sentiment over time, for the feedback the explorer's filters choose; cached, and linked back to
the explorer with the same feedback."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights.models import Feedback, Segment
from insights.roles import Role
from insights.selectors import FeedbackFilters, day_start
from metrics.calculations import nps
from metrics.dashboards import NOT_THEMED, dashboard_window, pm_dashboard
from metrics.selectors import month_start, months_back, org_today, snapshots_cache_invalidate
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory

pytestmark = pytest.mark.django_db

URL = "metrics:dashboard"


@pytest.fixture
def pm_client(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER, username="pm_dashboard"))
    return client


def _days_ago(days: int) -> dt.datetime:
    return day_start(org_today() - dt.timedelta(days=days)) + dt.timedelta(hours=12)


@pytest.fixture
def feedback():
    """Exports: NPS 10, 9, 3, 0 (SMB, surveys, negative/neutral); SSO: NPS 8 and a ticket without
    a score (enterprise); one unthemed survey; one export answer 14 months ago."""
    smb = CustomerFactory(segment=Segment.SMB)
    big = CustomerFactory(segment=Segment.ENTERPRISE)
    exports = ThemeFactory(label="Exports time out")
    sso = ThemeFactory(label="SSO loops")
    survey, ticket = Feedback.Source.SURVEY, Feedback.Source.SUPPORT_TICKET
    for score, label, sentiment in ((10, "positive", 0.8), (9, "neutral", 0.1)):
        FeedbackFactory(
            theme=exports,
            customer=smb,
            nps=score,
            source=survey,
            sentiment_label=label,
            sentiment=sentiment,
            received_at=_days_ago(3),
        )
    for score in (3, 0):
        FeedbackFactory(
            theme=exports,
            customer=smb,
            nps=score,
            source=survey,
            sentiment_label="negative",
            sentiment=-0.6,
            received_at=_days_ago(40),
        )
    FeedbackFactory(theme=sso, customer=big, nps=8, source=survey, received_at=_days_ago(5))
    FeedbackFactory(theme=sso, customer=big, source=ticket, received_at=_days_ago(6))
    FeedbackFactory(theme=None, customer=smb, nps=10, source=survey, received_at=_days_ago(7))
    FeedbackFactory(theme=exports, customer=smb, nps=0, source=survey, received_at=_days_ago(430))
    return exports, sso


def test_the_dashboard_shows_nps_and_detractors_by_pain_point(feedback, pm_client):
    exports, sso = feedback

    response = pm_client.get(reverse(URL))

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    themes = {theme.label: theme for theme in dashboard.themes}
    # Exports: 10, 9, 3, 0 in the last 12 months (the answer of 14 months ago is out)
    expected = nps([10, 9, 3, 0])
    assert themes["Exports time out"].responses == 4
    assert themes["Exports time out"].nps == expected
    assert themes["Exports time out"].detractor_share.value == 50.0
    assert themes["SSO loops"].responses == 2
    assert themes["SSO loops"].nps.value == 0.0
    assert themes["SSO loops"].detractor_share.value == 0.0
    assert [theme.label for theme in dashboard.themes] == [
        "Exports time out",
        "SSO loops",
        NOT_THEMED,
    ]
    assert dashboard.total == 7
    assert dashboard.nps == nps([10, 9, 3, 0, 8, 10])
    html = response.content.decode()
    assert "Exports time out" in html
    assert f"{expected.value:.1f}" in html
    assert "No dates chosen: the last 12 months" in html


def test_volume_by_source_and_sentiment_by_month(feedback, pm_client):
    dashboard = pm_client.get(reverse(URL)).context["dashboard"]

    assert dashboard.sources == (("survey", "Survey", 6), ("support_ticket", "Support ticket", 1))
    assert len(dashboard.months) == 12
    assert sum(month.total for month in dashboard.volume) == 7
    this_month = month_start(org_today())
    by_month = {month.month: month for month in dashboard.sentiment}
    recent = by_month[month_start(org_today() - dt.timedelta(days=3))]
    assert recent.counts.get("positive") == 1
    assert recent.counts.get("neutral") == 1
    assert this_month in by_month
    assert sum(month.counts.get("negative", 0) for month in dashboard.sentiment) == 2
    assert sum(month.unscored for month in dashboard.sentiment) == 3


def test_the_explorers_filters_choose_the_feedback(feedback, pm_client):
    # Source and segment, as in the explorer
    response = pm_client.get(reverse(URL), {"source": "survey", "segment": "enterprise"})
    dashboard = response.context["dashboard"]
    assert dashboard.total == 1
    assert [theme.label for theme in dashboard.themes] == ["SSO loops"]
    assert response.context["filtered"] is True

    # Dates reach back further than the default window
    start = (org_today() - dt.timedelta(days=500)).isoformat()
    response = pm_client.get(reverse(URL), {"received_from": start})
    assert response.context["dashboard"].total == 8
    assert response.context["dashboard"].dates_chosen is True

    # An invalid form shows its error and filters nothing, as in the explorer
    response = pm_client.get(
        reverse(URL), {"received_from": "2026-05-01", "received_to": "2026-04-01"}
    )
    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()
    assert response.context["dashboard"].total == 7


def test_a_pain_point_links_to_the_same_feedback_in_the_explorer(feedback, pm_client):
    exports, _ = feedback
    response = pm_client.get(reverse(URL), {"source": "survey"})
    theme = next(t for t in response.context["dashboard"].themes if t.theme_id == exports.pk)
    links = re.findall(r'href="(/insights/feedback/\?[^"]+)"', response.content.decode())
    link = next(link for link in links if f"theme={exports.pk}" in link)

    explorer = pm_client.get(html.unescape(link))

    assert explorer.status_code == 200
    assert explorer.context["facets"].total == theme.responses == 4
    everything = pm_client.get(html.unescape(links[0]))
    assert everything.context["facets"].total == response.context["dashboard"].total == 6


def test_the_window_defaults_to_twelve_months_and_follows_the_dates():
    today = dt.date(2026, 11, 28)

    assert dashboard_window(FeedbackFilters(), today=today) == (dt.date(2025, 12, 1), today)
    to = dt.date(2026, 3, 10)
    assert dashboard_window(FeedbackFilters(received_to=to), today=today) == (
        months_back(to, 11),
        to,
    )
    start = dt.date(2020, 1, 1)
    assert dashboard_window(FeedbackFilters(received_from=start), today=today) == (start, today)


def test_the_dashboard_is_cached_until_the_next_snapshot_computation(
    feedback, pm_client, django_assert_max_num_queries
):
    pm_client.get(reverse(URL))
    FeedbackFactory(nps=10, received_at=_days_ago(1))

    # A second visit reads the cache: no feedback query, the same figures
    with CaptureQueriesContext(connection) as captured:
        response = pm_client.get(reverse(URL))
    assert not [q for q in captured.captured_queries if "insights_feedback" in q["sql"]]
    assert response.context["dashboard"].total == 7

    # After a computation the new feedback shows
    snapshots_cache_invalidate()
    assert pm_client.get(reverse(URL)).context["dashboard"].total == 8


def test_one_grouped_query_whatever_the_filters(feedback, django_assert_num_queries):
    with django_assert_num_queries(1):
        pm_dashboard(filters=FeedbackFilters(source="survey", q="export"))


def test_no_feedback_says_so(pm_client):
    response = pm_client.get(reverse(URL))

    assert response.status_code == 200
    assert b'data-testid="dashboard-empty"' in response.content
    assert response.context["page"]["has_charts"] is False
    assert b"plotly" not in response.content


def test_charts_are_embedded_as_json(feedback, pm_client):
    response = pm_client.get(reverse(URL))

    html = response.content.decode()
    for chart_id in ("themes-chart", "volume-chart", "sentiment-chart"):
        assert f'id="{chart_id}-data" type="application/json"' in html
    assert "vendor/plotly/plotly.min.js" in html


def test_engineers_may_not_open_it(client):
    client.force_login(user_with_role(Role.ENGINEER, username="eng_dashboard"))

    assert client.get(reverse(URL)).status_code == 403


def test_received_at_days_follow_the_time_zone(pm_client):
    # A day's feedback is in the window when it is on the window's last day
    FeedbackFactory(nps=9, received_at=timezone.now())

    assert pm_client.get(reverse(URL)).context["dashboard"].total == 1


def test_a_strength_is_not_counted_among_pain_points(feedback, pm_client):
    # Given one of the two themes is a strength (what customers value)
    exports, sso = feedback
    sso.polarity = sso.Polarity.STRENGTH
    sso.save(update_fields=["polarity"])

    # When the dashboard is built
    dashboard = pm_dashboard(filters=FeedbackFilters(), today=org_today())

    # Then it still shows the strength's scores, but counts one pain point
    assert {theme.label for theme in dashboard.themes} >= {"Exports time out", "SSO loops"}
    assert dashboard.pain_points == 1
