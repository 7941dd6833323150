"""A product manager works a pain point from the ranking to the backlog; an executive reads."""

import re

import pytest
from playwright.sync_api import expect

from insights.models import Feedback
from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory
from tests.insights.test_theme_views import ranked_theme

PASSWORD = "backlight-test-pass"
ORIGINAL = "Email jane.doe@example.com: the CSV export times out"
REDACTED = "Email [EMAIL]: the CSV export times out"


@pytest.fixture
def pain_points(transactional_db):
    customer = CustomerFactory(name="Big Corp")
    quote = FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED, customer=customer)
    exports = ranked_theme(label="export csv timeout", impact=72.5, quotes=[quote], emerging=True)
    Feedback.objects.filter(pk=quote.pk).update(theme=exports)
    FeedbackFactory.create_batch(3, theme=exports, customer=customer, redacted_text="Slow export")
    sso = ranked_theme(label="SSO login loops", impact=31.0)
    FeedbackFactory(theme=sso, customer=customer, redacted_text="Login loops")
    return exports, sso


def test_a_product_manager_renames_a_pain_point_and_promotes_it(
    pain_points, live_server, page, login
):
    # Given a product manager signed in
    user = user_with_role(Role.PRODUCT_MANAGER, username="e2e_pm")
    login(page, user.username, PASSWORD)

    # When they open the pain points, ranked by impact
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pain points").click()
    ranked = page.get_by_test_id("pain-point")
    expect(ranked).to_have_count(2)
    expect(ranked.first).to_contain_text("export csv timeout")
    expect(ranked.first).to_contain_text("Emerging")
    expect(ranked.first).to_contain_text(REDACTED)
    expect(page.get_by_test_id("analyse-now")).to_be_visible()

    # And open the first one
    ranked.first.get_by_role("link", name="export csv timeout").click()
    expect(page.get_by_test_id("theme-label")).to_have_text("export csv timeout")

    # And rename it
    page.fill("#rename-label", "CSV exports time out")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_test_id("theme-label")).to_have_text("CSV exports time out")
    expect(page.locator(".messages")).to_contain_text("Renamed to “CSV exports time out”.")
    expect(page.get_by_test_id("edit-history")).to_contain_text("Renamed")

    # And promote it to the backlog
    page.get_by_test_id("promote").click()

    # Then its backlog item opens, named after it, quoting the redacted feedback
    expect(page).to_have_url(re.compile(r"/roadmap/items/\d+/$"))
    expect(page.locator("h1")).to_have_text("CSV exports time out")
    expect(page.locator("main")).to_contain_text("is on the backlog as an idea")
    expect(page.locator("main")).to_contain_text(REDACTED)
    expect(page.locator("main")).not_to_contain_text("jane.doe")

    # And the roadmap's pain view shows it addressed, the other one not
    page.goto(f"{live_server.url}/roadmap/pain-points/")
    expect(page.get_by_test_id("unaddressed")).to_have_count(1)
    expect(page.get_by_test_id("unaddressed")).to_contain_text("SSO login loops")


def test_an_executive_reads_the_ranking_and_a_theme_without_edit_controls(
    pain_points, live_server, page, login
):
    # Given an executive signed in
    user = user_with_role(Role.EXECUTIVE, username="e2e_exec")
    login(page, user.username, PASSWORD)

    # When they open the pain points
    page.goto(f"{live_server.url}/insights/pain-points/")

    # Then they see the ranking, redacted, and no analysis button
    ranked = page.get_by_test_id("pain-point")
    expect(ranked).to_have_count(2)
    expect(ranked.nth(1)).to_contain_text("SSO login loops")
    expect(page.locator("main")).not_to_contain_text("jane.doe")
    expect(page.get_by_test_id("analyse-now")).to_have_count(0)

    # And a theme's page has its chart and feedback but no edit controls
    ranked.first.get_by_role("link", name="export csv timeout").click()
    expect(page.get_by_test_id("theme-label")).to_have_text("export csv timeout")
    expect(page.locator("#timeline-chart .main-svg").first).to_be_attached()
    expect(page.get_by_test_id("theme-feedback")).to_contain_text("Slow export")
    expect(page.get_by_test_id("theme-edit")).to_have_count(0)
    expect(page.get_by_test_id("promote")).to_have_count(0)
    expect(page.locator("input[name=feedback]")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("jane.doe")
