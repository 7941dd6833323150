import re

from playwright.sync_api import expect

from tests.touchpoints.factories import UserFactory

PASSWORD = "backlight-test-pass"
LOGOUT = re.compile(r"log ?out|sign ?out", re.I)


def test_a_user_logs_in_and_lands_on_the_home_page(live_server, page, login):
    # Given a user
    UserFactory(username="dana")

    # When she signs in through the form
    login(page, "dana", PASSWORD)

    # Then she is on the home page, signed in
    assert page.url == f"{live_server.url}/"
    expect(page).to_have_title(re.compile("Backlight"))
    expect(page.get_by_role("button", name=LOGOUT)).to_be_visible()


def test_a_wrong_password_shows_an_error(live_server, page, login):
    UserFactory(username="dana")

    login(page, "dana", "not-the-password")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text(re.compile("correct username and password", re.I))).to_be_visible()
    expect(page.get_by_role("button", name=LOGOUT)).to_have_count(0)


def test_pages_need_a_login(live_server, page):
    page.goto(f"{live_server.url}/")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")


def test_the_live_server_serves_static_files(live_server, page):
    # plotly.js comes from the plotly package through config.finders.PlotlyFinder, not from a CDN.
    response = page.request.get(f"{live_server.url}/static/vendor/plotly/plotly.min.js")

    assert response.status == 200
    assert "javascript" in response.headers["content-type"]
