"""Each role signs in, sees its home with real figures, and walks its navigation."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from insights.roles import Role
from metrics.selectors import QUARTER, period_start
from metrics.services import metric_snapshots_compute
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory
from tests.touchpoints.factories import TouchpointFactory, TouchpointGoalFactory

PASSWORD = "backlight-test-pass"

NAV_BY_ROLE = {
    Role.ADMIN: [
        "Home",
        "Feedback",
        "Pain points",
        "At risk",
        "Roadmap",
        "Touchpoints",
        "Reports",
        "Imports",
        "Admin",
    ],
    Role.PRODUCT_MANAGER: [
        "Home",
        "Feedback",
        "Pain points",
        "At risk",
        "Roadmap",
        "Touchpoints",
        "Reports",
    ],
    Role.ENGINEER: ["Home", "Feedback", "Pain points", "At risk", "Roadmap", "Touchpoints"],
    Role.EXECUTIVE: [
        "Home",
        "Feedback",
        "Pain points",
        "At risk",
        "Roadmap",
        "Touchpoints",
        "Reports",
    ],
}


@pytest.fixture
def customer_data(transactional_db):
    """Three accounts and ten recent NPS answers this quarter: 5 promoters, 3 passives, 2
    detractors (NPS 30); the metric snapshots computed, as the worker does."""
    customers = [CustomerFactory() for _ in range(3)]
    now = timezone.now()
    quarter_start = timezone.make_aware(
        dt.datetime.combine(period_start(timezone.localdate(), QUARTER), dt.time(0, 1))
    )
    for i, score in enumerate([10, 9, 9, 10, 9, 8, 7, 7, 3, 5]):
        FeedbackFactory(
            customer=customers[i % 3],
            nps=score,
            # In the last ten days and in this quarter, whatever the day the test runs.
            received_at=max(now - dt.timedelta(days=i + 1), min(quarter_start, now)),
            text=f"Answer number {i}: exports are slow but support is great",
        )
    metric_snapshots_compute(force=True)
    return customers


@pytest.mark.parametrize("role", list(NAV_BY_ROLE))
def test_each_role_sees_real_figures_and_walks_its_navigation(
    role, customer_data, live_server, page, login
):
    # Given a user of this role (an engineer with a touchpoint this year and a goal)
    user = user_with_role(role, username=f"e2e_{role.name.lower()}")
    if role == Role.ENGINEER:
        today = timezone.localdate()
        TouchpointGoalFactory(
            year=today.year, effective_from=dt.date(today.year, 1, 1), target_count=4
        )
        TouchpointFactory(logged_by=user, occurred_on=today)

    # When they sign in
    login(page, user.username, PASSWORD)

    # Then their home shows the figures of the data, not placeholders
    assert page.url == f"{live_server.url}/"
    stats = page.locator("main")
    expect(page.get_by_test_id("stat-feedback")).to_contain_text("10")
    expect(page.get_by_test_id("stat-nps")).to_contain_text("30.0")
    expect(page.get_by_test_id("stat-accounts")).to_contain_text("3")
    if role == Role.ENGINEER:
        expect(stats).to_contain_text(re.compile(r"1\s*of 4"))
    expect(stats).not_to_contain_text(re.compile("coming soon", re.I))

    # And the navigation offers exactly what the role may open
    nav = page.get_by_role("navigation", name="Main")
    labels = [text.strip() for text in nav.get_by_role("link").all_inner_texts()]
    assert labels == NAV_BY_ROLE[role]

    # And every entry opens a working page
    for label in labels:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()
        page.wait_for_load_state()
        expect(page.locator("h1").first).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(re.compile("Server Error|Forbidden"))
        if label != "Admin":
            current = page.get_by_role("navigation", name="Main").get_by_role("link", name=label)
            expect(current).to_have_attribute("aria-current", "page")
