"""A PM runs a hackathon's page: a team, an outcome, and the outcome onto the backlog."""

from playwright.sync_api import expect

from insights.roles import Role
from roadmap.models import BacklogItem
from tests.conftest import user_with_role
from tests.touchpoints.factories import HackathonFactory, HackathonProblemFactory

PASSWORD = "backlight-test-pass"


def test_a_pm_turns_a_hackathon_outcome_into_a_backlog_item(
    transactional_db, live_server, page, login
):
    # Given a hackathon with a problem statement, and a PM signed in
    pm = user_with_role(Role.PRODUCT_MANAGER, username="e2e_pm")
    hackathon = HackathonFactory(name="Exports week")
    HackathonProblemFactory(hackathon=hackathon, statement="Exports time out")
    page = login(page, pm.username, PASSWORD)

    # When they reach it from the touchpoints page
    page.goto(f"{live_server.url}/touchpoints/")
    page.get_by_role("link", name="Hackathons").click()
    page.get_by_role("link", name="Exports week").click()
    expect(page.get_by_role("heading", name="Exports week")).to_be_visible()

    # And add a team on the problem and an outcome of the team
    page.get_by_label("Team name").fill("Streamers")
    page.get_by_label("Problem", exact=True).select_option(label="Exports time out")
    with page.expect_navigation():
        page.get_by_role("button", name="Add team").click()
    page.get_by_label("Title").fill("Streaming export")
    with page.expect_navigation():
        page.get_by_role("button", name="Add outcome").click()

    # And make the outcome a backlog item
    with page.expect_navigation():
        page.get_by_role("button", name="Make it a backlog item").click()

    # Then they are on the new item, which carries the team's problem
    expect(page.get_by_role("heading", name="Streaming export")).to_be_visible()
    item = BacklogItem.objects.get()
    assert item.customer_problem == "Exports time out"
    assert page.url.endswith(f"/roadmap/items/{item.pk}/")
