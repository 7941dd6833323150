"""The pages and the read API, seen by each role: real figures, redaction, filters, query counts."""

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.models import Feedback, RunStatus
from insights.roles import Role
from insights.services.theme_ranking import themes_rank
from metrics.selectors import QUARTER, period_start
from metrics.services import metric_snapshots_compute
from roadmap.models import BacklogItem
from tests.conftest import user_with_role
from tests.insights.factories import (
    CustomerFactory,
    FeedbackFactory,
    ImportJobFactory,
    ThemeFactory,
    UsageSnapshotFactory,
)
from tests.roadmap.factories import BacklogItemFactory
from tests.touchpoints.factories import TouchpointFactory, TouchpointGoalFactory, UserFactory

pytestmark = pytest.mark.django_db

ORIGINAL = "Call me on +44 7700 900123 about the export"
REDACTED = "Call me on [PHONE] about the export"


class _TextOf(HTMLParser):
    """The text inside the element carrying data-testid=<testid>."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid = testid
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("data-testid") == self.testid:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(response, testid: str) -> str:
    parser = _TextOf(testid)
    parser.feed(response.content.decode())
    text = " ".join(" ".join(parser.parts).split())
    assert text, f"no element with data-testid={testid!r} on the page"
    return text


def signed_in(client, role):
    user = user_with_role(role)
    client.force_login(user)
    return user


def given_a_customer_base():
    """Three accounts (one churned 60 days ago), ten NPS answers this quarter (NPS 30) and four
    the quarter before (NPS −50), CSAT 75 % this quarter against 50 % before; the metric
    snapshots computed, as the worker does after data arrives."""
    today = timezone.localdate()
    now = timezone.now()
    acme = CustomerFactory(name="Acme", arr=Decimal("30000"))
    CustomerFactory(name="Globex", arr=Decimal("18000"))
    CustomerFactory(
        name="Initech",
        arr=Decimal("12000"),
        churned=True,
        churned_on=today - dt.timedelta(days=60),
    )
    quarter_start = timezone.make_aware(
        dt.datetime.combine(period_start(today, QUARTER), dt.time(0, 1))
    )
    # In the last ten days and in this quarter, whatever the day the test runs.
    recent = max(now - dt.timedelta(days=10), min(quarter_start, now))
    for score in (9, 10, 9, 10, 9, 7, 8, 7, 3, 6):
        FeedbackFactory(nps=score, received_at=recent, customer=acme)
    for score in (5, 4, 4, 1):
        FeedbackFactory(csat=score, received_at=recent, customer=acme)
    before = quarter_start - dt.timedelta(days=40)
    for score in (10, 0, 0, 0):
        FeedbackFactory(nps=score, received_at=before, customer=acme)
    for score in (5, 1):
        FeedbackFactory(csat=score, received_at=before, customer=acme)
    FeedbackFactory(
        text=ORIGINAL,
        redacted_text=REDACTED,
        received_at=now - dt.timedelta(hours=1),
        customer=acme,
    )
    metric_snapshots_compute(force=True)


# ------------------------------------------------------------------------------------------------
# Home
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER, Role.ENGINEER, Role.EXECUTIVE])
def test_home_shows_everyone_the_customer_pulse(client, role):
    given_a_customer_base()
    signed_in(client, role)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert text_of(response, "stat-accounts").startswith("Accounts 2 active · 3 in total")
    # 10 NPS answers, 4 CSAT answers and the redacted one in the last 30 days.
    assert "Feedback, last 30 days 15" in text_of(response, "stat-feedback")
    nps = text_of(response, "stat-nps")
    assert "30.0" in nps
    assert "n = 10" in nps
    assert "95 % CI -18 to 78" in nps


def test_home_says_so_when_there_is_no_data(client):
    signed_in(client, Role.EXECUTIVE)

    response = client.get(reverse("home"))

    assert "No answers" in text_of(response, "stat-nps")
    assert "No feedback yet" in text_of(response, "panel-recent-feedback")
    assert "coming soon" not in response.content.decode().lower()


def test_home_recent_feedback_is_redacted_for_everyone_but_admins(client):
    given_a_customer_base()

    signed_in(client, Role.PRODUCT_MANAGER)
    pm_view = text_of(client.get(reverse("home")), "panel-recent-feedback")
    client.logout()
    signed_in(client, Role.ADMIN)
    admin_view = text_of(client.get(reverse("home")), "panel-recent-feedback")

    assert REDACTED in pm_view
    assert "7700" not in pm_view
    assert ORIGINAL in admin_view


def test_home_engineer_sees_own_touchpoints_and_goal(client):
    engineer = signed_in(client, Role.ENGINEER)
    today = timezone.localdate()
    TouchpointGoalFactory(year=today.year, effective_from=dt.date(today.year, 1, 1), target_count=4)
    TouchpointFactory(logged_by=engineer, occurred_on=today, summary="Mine, today")
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(today.year, 1, 1))
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(today.year - 1, 12, 31))
    TouchpointFactory(occurred_on=today)  # a colleague's

    response = client.get(reverse("home"))

    panel = text_of(response, "panel-touchpoints")
    assert f"My touchpoints in {today.year}" in panel
    assert "2 of 4" in panel
    assert "organisation goal" in panel
    assert response.content.decode().count('href="/touchpoints/') >= 2
    for testid in ("panel-pain-points", "panel-backlog", "panel-executive", "panel-imports"):
        assert f'data-testid="{testid}"' not in response.content.decode()


def test_home_engineer_without_a_goal_is_told_so(client):
    signed_in(client, Role.ENGINEER)

    panel = text_of(client.get(reverse("home")), "panel-touchpoints")

    assert "No touchpoint goal applies to you this year." in panel
    assert "You have not logged a touchpoint this year." in panel


def test_home_product_manager_sees_pain_points_and_backlog(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ThemeFactory(label="Slow report exports")
    FeedbackFactory.create_batch(3, theme=theme)
    BacklogItemFactory.create_batch(2, status=BacklogItem.Status.NOW)
    BacklogItemFactory(status=BacklogItem.Status.IDEA)
    themes_rank()

    response = client.get(reverse("home"))

    assert "Slow report exports 3 items" in text_of(response, "panel-pain-points")
    backlog = text_of(response, "panel-backlog")
    assert "Idea 1" in backlog
    assert "Now 2" in backlog
    assert "Measured 0" in backlog
    assert 'data-testid="panel-touchpoints"' not in response.content.decode()


def test_home_product_manager_before_any_analysis(client):
    signed_in(client, Role.PRODUCT_MANAGER)

    panel = text_of(client.get(reverse("home")), "panel-pain-points")

    assert "Pain points appear once the text analysis has grouped feedback" in panel


def test_home_executive_sees_trend_revenue_and_churn(client):
    given_a_customer_base()
    signed_in(client, Role.EXECUTIVE)

    panel = text_of(client.get(reverse("home")), "panel-executive")

    # NPS: last quarter's −50 lies outside this quarter's interval, so the change is flagged
    assert "NPS, this quarter so far 30.0" in panel
    assert "+80.0 pts vs -50.0 last quarter" in panel
    assert "n = 10 / 4" in panel
    # CSAT: four answers give a wide interval that holds last quarter's 50 %: within noise
    assert "CSAT, this quarter so far 75.0%" in panel
    assert "25.0 pts, within noise vs 50.0% last quarter" in panel
    assert "ARR, active accounts $48,000 across 2 accounts" in panel
    assert "Churned, last 12 months 1 account $12,000 ARR lost" in panel


def test_home_admin_sees_imports_and_users_per_role(client):
    signed_in(client, Role.ADMIN)
    user_with_role(Role.ENGINEER, username="e1")
    user_with_role(Role.ENGINEER, username="e2")
    ImportJobFactory(
        original_name="nps-export-march.csv", status=RunStatus.SUCCEEDED, created_count=1150
    )

    response = client.get(reverse("home"))

    imports = text_of(response, "panel-imports")
    assert "nps-export-march.csv" in imports
    assert "1,150 created" in imports
    assert "Succeeded" in imports
    roles = text_of(response, "panel-roles")
    assert "Admin 1" in roles
    assert "Engineer 2" in roles


def test_home_for_a_user_without_a_role(client):
    signed_in(client, None)

    response = client.get(reverse("home"))

    assert "Your account has no role" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 8])
@pytest.mark.parametrize(
    ("role", "queries"),
    [
        # Each with the wins feed: 1 query while there is no win (2 with some).
        (Role.ENGINEER, 20),  # + progress, status and what is missing: 5 queries
        # Product managers, executives and admins: + what customers value, 1 query.
        (Role.PRODUCT_MANAGER, 16),
        (Role.EXECUTIVE, 14),
        (Role.ADMIN, 19),
    ],
)
def test_home_query_count_does_not_grow_with_data(
    client, django_assert_num_queries, role, queries, rows
):
    user = signed_in(client, role)
    today = timezone.localdate()
    TouchpointGoalFactory(year=today.year, effective_from=dt.date(today.year, 1, 1))
    for n in range(rows):
        customer = CustomerFactory()
        touchpoint = TouchpointFactory(logged_by=user, occurred_on=today)
        touchpoint.customers.set([customer, CustomerFactory()])
        FeedbackFactory(customer=customer, theme=ThemeFactory(), nps=n)
        ImportJobFactory()
        BacklogItemFactory()

    with django_assert_num_queries(queries):
        response = client.get(reverse("home"))

    assert response.status_code == 200


# ------------------------------------------------------------------------------------------------
# Feedback list
# ------------------------------------------------------------------------------------------------


def test_feedback_list_redacts_for_non_admins(client):
    FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED)

    signed_in(client, Role.ENGINEER)
    engineer_view = text_of(client.get(reverse("insights:feedback-list")), "feedback-results")
    client.logout()
    signed_in(client, Role.ADMIN)
    admin_view = text_of(client.get(reverse("insights:feedback-list")), "feedback-results")

    assert REDACTED in engineer_view
    assert "7700" not in engineer_view
    assert ORIGINAL in admin_view


def test_feedback_list_filters_by_source_dates_and_score(client):
    # An admin: the feedback below has no redacted text, which others see as a placeholder.
    signed_in(client, Role.ADMIN)
    march = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)
    FeedbackFactory(
        text="survey detractor", source=Feedback.Source.SURVEY, nps=2, received_at=march
    )
    FeedbackFactory(
        text="survey promoter", source=Feedback.Source.SURVEY, nps=10, received_at=march
    )
    FeedbackFactory(
        text="review detractor", source=Feedback.Source.REVIEW, nps=1, received_at=march
    )
    FeedbackFactory(
        text="april detractor",
        source=Feedback.Source.SURVEY,
        nps=0,
        received_at=march + dt.timedelta(days=20),
    )

    response = client.get(
        reverse("insights:feedback-list"),
        {
            "source": "survey",
            "received_from": "2026-03-01",
            "received_to": "2026-03-31",
            "score": "detractor",
        },
    )

    results = text_of(response, "feedback-results")
    assert "survey detractor" in results
    assert "promoter" not in results
    assert "review" not in results
    assert "april" not in results
    assert "1 item matches the filters" in response.content.decode()


def test_feedback_list_reports_an_impossible_date_range(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    FeedbackFactory()

    response = client.get(
        reverse("insights:feedback-list"),
        {"received_from": "2026-03-31", "received_to": "2026-03-01"},
    )

    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()


def test_feedback_list_pages_by_fifty(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    FeedbackFactory.create_batch(51)

    first = client.get(reverse("insights:feedback-list"))
    second = client.get(reverse("insights:feedback-list"), {"page": 2})

    assert len(first.context["page_obj"].object_list) == 50
    assert len(second.context["page_obj"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize("rows", [3, 40])
def test_feedback_list_query_count_does_not_grow_with_rows(client, django_assert_num_queries, rows):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ThemeFactory()
    for _ in range(rows):
        FeedbackFactory(theme=theme, customer=CustomerFactory())

    # session, user, savepoint ×2, permissions ×2, the user's groups, count, page
    with django_assert_num_queries(9):
        response = client.get(reverse("insights:feedback-list"))

    assert response.status_code == 200


# ------------------------------------------------------------------------------------------------
# Other pages
# ------------------------------------------------------------------------------------------------


def test_theme_list_explains_where_pain_points_come_from(client):
    signed_in(client, Role.PRODUCT_MANAGER)

    response = client.get(reverse("insights:theme-list"))

    assert "Pain points come from the text analysis" in response.content.decode()


def test_theme_detail_lists_its_feedback_redacted(client):
    signed_in(client, Role.EXECUTIVE)
    theme = ThemeFactory(label="SSO login loops")
    FeedbackFactory(theme=theme, text=ORIGINAL, redacted_text=REDACTED)
    FeedbackFactory(text="elsewhere")

    content = client.get(reverse("insights:theme-detail", args=[theme.pk])).content.decode()

    assert "SSO login loops" in content
    assert REDACTED in content
    assert "7700" not in content
    assert "elsewhere" not in content


def test_missing_objects_are_404(client):
    signed_in(client, Role.ADMIN)

    for name in (
        "insights:theme-detail",
        "insights:customer-detail",
        "touchpoints:touchpoint-detail",
        "roadmap:backlog-detail",
    ):
        assert client.get(reverse(name, args=[999_999])).status_code == 404


def test_customer_detail_shows_facts_feedback_and_usage(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    customer = CustomerFactory(name="Acme", arr=Decimal("123456"), seats=40)
    FeedbackFactory(
        customer=customer, text="Exports time out", redacted_text="Exports time out", nps=4
    )
    UsageSnapshotFactory(
        customer=customer, period=dt.date(2026, 1, 1), active_users=31, task_successes=90
    )

    content = client.get(reverse("insights:customer-detail", args=[customer.pk])).content.decode()

    assert "Acme" in content
    assert "$123,456" in content
    assert "Exports time out" in content
    assert "31" in content
    assert "90%" in content


def test_import_list_shows_jobs_with_counts(client):
    signed_in(client, Role.ADMIN)
    ImportJobFactory(
        original_name="zendesk.xlsx",
        status=RunStatus.FAILED,
        error="Column missing",
        rejected_count=7,
    )

    content = client.get(reverse("insights:import-list")).content.decode()

    assert "zendesk.xlsx" in content
    assert "Failed" in content
    assert "Column missing" in content


def test_roadmap_groups_items_by_status(client):
    signed_in(client, Role.ENGINEER)
    BacklogItemFactory(title="Stream large exports", status=BacklogItem.Status.NOW)
    BacklogItemFactory(title="Dark mode", status=BacklogItem.Status.IDEA)

    response = client.get(reverse("roadmap:backlog-list"))

    columns = {c.status: [i.title for i in c.items] for c in response.context["columns"]}
    assert columns["now"] == ["Stream large exports"]
    assert columns["idea"] == ["Dark mode"]
    assert "Stream large exports" in text_of(response, "board")


def test_backlog_detail_shows_problem_and_redacted_evidence(client):
    signed_in(client, Role.EXECUTIVE)
    item = BacklogItemFactory(title="Fix SSO loop", customer_problem="Users bounce at login.")
    item.evidence.set([FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED)])

    content = client.get(reverse("roadmap:backlog-detail", args=[item.pk])).content.decode()

    assert "Fix SSO loop" in content
    assert "Users bounce at login." in content
    assert REDACTED in content
    assert "7700" not in content


def test_touchpoints_engineers_start_from_their_own(client):
    engineer = signed_in(client, Role.ENGINEER)
    TouchpointFactory(logged_by=engineer, summary="mine")
    TouchpointFactory(logged_by=UserFactory(username="colleague"), summary="theirs")

    mine = client.get(reverse("touchpoints:touchpoint-list"))
    everyone = client.get(reverse("touchpoints:touchpoint-list"), {"scope": "all"})

    assert mine.context["scope"] == "mine"
    assert len(mine.context["page_obj"].object_list) == 1
    assert len(everyone.context["page_obj"].object_list) == 2


def test_touchpoints_product_managers_start_from_everyones(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    TouchpointFactory.create_batch(2)

    response = client.get(reverse("touchpoints:touchpoint-list"))

    assert response.context["scope"] == "all"
    assert len(response.context["page_obj"].object_list) == 2


def test_touchpoint_detail_shows_observations(client):
    signed_in(client, Role.ENGINEER)
    touchpoint = TouchpointFactory(summary="Watched an export fail")
    touchpoint.observations.create(text="40k rows timed out", severity="high")

    content = client.get(
        reverse("touchpoints:touchpoint-detail", args=[touchpoint.pk])
    ).content.decode()

    assert "Watched an export fail" in content
    assert "40k rows timed out" in content
    assert "High severity" in content


def test_report_has_charts_and_the_table_of_figures(client):
    given_a_customer_base()
    signed_in(client, Role.EXECUTIVE)

    response = client.get(reverse("metrics:report"))

    content = response.content.decode()
    assert 'id="nps-chart-data" type="application/json"' in content
    assert 'id="csat-chart-data" type="application/json"' in content
    assert "/static/vendor/plotly/plotly.min.js" in content
    this_month = response.context["periods"][0]
    assert this_month.start == timezone.localdate().replace(day=1)
    assert len(response.context["periods"]) == 24
    recent_month = next(p for p in response.context["periods"] if p.nps.n == 10)
    assert recent_month.nps.value == pytest.approx(30.0)
    assert f"{recent_month.start:%b %Y} 30.0 -18.4 to 78.4 10" in text_of(response, "report-table")


def test_report_without_answers_says_so_and_loads_no_plotly(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    metric_snapshots_compute(force=True)

    content = client.get(reverse("metrics:report")).content.decode()

    assert "No survey answers in the last 24 months" in content
    assert "plotly" not in content


def test_pages_without_charts_do_not_load_plotly(client):
    signed_in(client, Role.ADMIN)

    assert "plotly" not in client.get(reverse("home")).content.decode()


def test_shell_is_accessible_and_signs_out_by_post(client):
    signed_in(client, Role.PRODUCT_MANAGER)

    content = client.get(reverse("insights:feedback-list")).content.decode()

    assert '<a class="skip-link" href="#main">' in content
    assert '<main class="main" id="main"' in content
    assert '<nav class="nav" aria-label="Main">' in content
    assert 'href="/insights/feedback/" aria-current="page"' in content
    assert f'<form method="post" action="{reverse("logout")}">' in content
    assert "Imports" not in content  # PMs have no import pages
    assert "htmx-2.min.js" in content
    assert "https://" not in content
    assert "http://" not in content


# ------------------------------------------------------------------------------------------------
# Read API
# ------------------------------------------------------------------------------------------------


def test_feedback_api_redacts_unless_allowed(client):
    FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED)

    signed_in(client, Role.EXECUTIVE)
    executive = client.get(reverse("api:feedback-list")).json()
    client.logout()
    signed_in(client, Role.ADMIN)
    admin = client.get(reverse("api:feedback-list")).json()

    assert executive["results"][0]["text"] == REDACTED
    assert executive["results"][0]["redacted"] is True
    assert admin["results"][0]["text"] == ORIGINAL
    assert admin["results"][0]["redacted"] is False


def test_feedback_api_filters_and_nests_the_account(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    acme = CustomerFactory(external_id="ACME-7", name="Acme")
    march = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)
    wanted = FeedbackFactory(customer=acme, source=Feedback.Source.REVIEW, received_at=march)
    FeedbackFactory(customer=acme, source=Feedback.Source.SURVEY, received_at=march)
    FeedbackFactory(source=Feedback.Source.REVIEW, received_at=march)
    FeedbackFactory(
        customer=acme, source=Feedback.Source.REVIEW, received_at=march + dt.timedelta(days=30)
    )

    body = client.get(
        reverse("api:feedback-list"),
        {
            "source": "review",
            "customer": "ACME-7",
            "received_from": "2026-03-01",
            "received_to": "2026-03-31",
        },
    ).json()

    assert body["count"] == 1
    result = body["results"][0]
    assert result["id"] == wanted.pk
    assert result["customer"] == {"id": acme.pk, "external_id": "ACME-7", "name": "Acme"}
    assert result["theme"] is None


def test_feedback_api_rejects_bad_filters(client):
    signed_in(client, Role.PRODUCT_MANAGER)

    bad_source = client.get(reverse("api:feedback-list"), {"source": "carrier-pigeon"})
    backwards = client.get(
        reverse("api:feedback-list"), {"received_from": "2026-03-31", "received_to": "2026-03-01"}
    )

    assert bad_source.status_code == 400
    assert backwards.status_code == 400


def test_feedback_api_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    signed_in(client, Role.PRODUCT_MANAGER)
    for _ in range(12):
        FeedbackFactory(theme=ThemeFactory(), customer=CustomerFactory())

    # session, user, savepoint ×2, permissions ×2, count, page
    with django_assert_num_queries(8):
        response = client.get(reverse("api:feedback-list"))

    assert response.json()["count"] == 12


def test_customer_api_lists_accounts_with_filters(client):
    signed_in(client, Role.ENGINEER)
    CustomerFactory(name="Active", external_id="A-1")
    CustomerFactory(name="Gone", external_id="G-1", churned=True, churned_on=dt.date(2026, 1, 1))

    everyone = client.get(reverse("api:customer-list")).json()
    churned = client.get(reverse("api:customer-list"), {"churned": "true"}).json()

    assert [c["external_id"] for c in everyone["results"]] == ["A-1", "G-1"]
    assert [c["external_id"] for c in churned["results"]] == ["G-1"]
    assert churned["results"][0]["arr"] == "24000.00"
