import datetime as dt

from django.urls import reverse
from django.utils import timezone

from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory
from tests.touchpoints.factories import TouchpointFactory
from touchpoints.calendar import ical_escape, ical_fold
from touchpoints.models import TouchpointKind
from touchpoints.notifications import engineer_settings_get


def test_escaping_and_folding():
    # given / when / then
    assert ical_escape("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = ical_fold("DESCRIPTION:" + "é" * 100)
    lines = folded.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert "".join(line.removeprefix(" ") if i else line for i, line in enumerate(lines)) == (
        "DESCRIPTION:" + "é" * 100
    )


def test_feed_lists_recent_touchpoints_without_a_login(client, db):
    # given
    engineer = user_with_role(Role.ENGINEER)
    today = timezone.localdate()
    customer = CustomerFactory(name="Acme, Inc; EU")
    recent = TouchpointFactory(
        engineers=[engineer],
        occurred_on=today - dt.timedelta(days=3),
        kind=TouchpointKind.CUSTOMER_CALL,
        duration_minutes=90,
        summary="Slow exports,\nagain; " + "x" * 100,
    )
    recent.customers.set([customer])
    TouchpointFactory(engineers=[engineer], occurred_on=today - dt.timedelta(days=40))
    token = engineer_settings_get(user=engineer).calendar_token

    # when
    response = client.get(reverse("touchpoints:calendar-feed", kwargs={"token": token}))

    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert body.count("BEGIN:VEVENT") == 1
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert f"UID:touchpoint-{recent.pk}@backlight" in unfolded
    assert f"DTSTART:{recent.occurred_on:%Y%m%d}T090000" in unfolded
    assert "DURATION:PT1H30M" in unfolded
    assert "SUMMARY:Customer call with Acme\\, Inc\\; EU" in unfolded
    assert "DESCRIPTION:Slow exports\\,\\nagain\\; x" in unfolded
    assert "DTSTAMP:" in unfolded


def test_unknown_token_is_404(client, db):
    # when / then
    assert client.get("/touchpoints/calendar/not-a-token.ics").status_code == 404


def test_settings_page_saves_opt_outs_and_rotates_the_secret(client, db):
    # given
    engineer = user_with_role(Role.ENGINEER)
    client.force_login(engineer)
    old_token = engineer_settings_get(user=engineer).calendar_token

    # when
    page = client.get(reverse("touchpoints:settings"))
    saved = client.post(reverse("touchpoints:settings"), {"team_digest": "on"})
    rotated = client.post(reverse("touchpoints:calendar-rotate"))

    # then
    assert old_token in page.content.decode()
    assert saved.status_code == rotated.status_code == 302
    settings_row = engineer_settings_get(user=engineer)
    assert (settings_row.reminders, settings_row.team_digest) == (False, True)
    assert settings_row.calendar_token != old_token
    old_feed = client.get(reverse("touchpoints:calendar-feed", kwargs={"token": old_token}))
    assert old_feed.status_code == 404
