"""Logging touchpoints: the services, the form, the pages and the customer search."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.forms import ValidationError
from django.urls import reverse
from django.utils import timezone

from insights.models import Feedback
from insights.roles import Role
from insights.services.touchpoint_feedback import ObservationInput, feedback_for_observations
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, ThemeFactory
from tests.touchpoints.factories import TouchpointFactory
from touchpoints.forms import observations_parse
from touchpoints.models import PartnerTeam, Touchpoint, TouchpointKind
from touchpoints.services import touchpoint_log, touchpoint_update

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def engineer():
    return user_with_role(Role.ENGINEER, username="eng_a")


@pytest.fixture
def other_engineer():
    return user_with_role(Role.ENGINEER, username="eng_b")


def _log(*, engineer, customers=(), co_attendees=(), observations=None):
    return touchpoint_log(
        logged_by=engineer,
        kind=TouchpointKind.CUSTOMER_CALL,
        occurred_on=DAY,
        duration_minutes=45,
        partner_team=PartnerTeam.SUPPORT,
        customers=list(customers),
        co_attendees=list(co_attendees),
        observations=observations
        if observations is not None
        else [("Exports time out", "high"), ("Date picker is fiddly", "")],
        summary="Call with support.",
    )


def _texts(touchpoint):
    return [(o.text, o.severity, o.feedback.text) for o in touchpoint.observations.order_by("id")]


def _update(touchpoint, *, user, observations):
    return touchpoint_update(
        touchpoint=touchpoint,
        user=user,
        kind=touchpoint.kind,
        occurred_on=touchpoint.occurred_on,
        duration_minutes=touchpoint.duration_minutes,
        partner_team=touchpoint.partner_team,
        customers=list(touchpoint.customers.all()),
        co_attendees=[],
        observations=observations,
    )


# ---- services ----------------------------------------------------------------------------------


def test_log_creates_the_touchpoint_and_one_feedback_per_observation(engineer, other_engineer):
    # Given two customers and a co-attendee
    first, second = CustomerFactory(), CustomerFactory()

    # When the engineer logs a touchpoint with two observations
    touchpoint = _log(engineer=engineer, customers=[first, second], co_attendees=[other_engineer])

    # Then both engineers are on it, the logger included, and each observation has its feedback
    assert set(touchpoint.engineers.all()) == {engineer, other_engineer}
    assert touchpoint.logged_by == engineer
    assert set(touchpoint.customers.all()) == {first, second}
    observations = list(touchpoint.observations.order_by("id"))
    assert [(o.text, o.severity) for o in observations] == [
        ("Exports time out", "high"),
        ("Date picker is fiddly", ""),
    ]
    feedback = observations[0].feedback
    assert feedback.source == Feedback.Source.TOUCHPOINT
    assert feedback.customer == first
    assert feedback.text == "Exports time out"
    assert feedback.metadata == {
        "touchpoint": touchpoint.pk,
        "engineer": "eng_a",
        "severity": "high",
    }
    midnight = dt.datetime(2026, 3, 10, tzinfo=timezone.get_current_timezone())
    assert feedback.received_at == midnight
    assert Feedback.objects.filter(source=Feedback.Source.TOUCHPOINT).count() == 2


def test_log_without_customers_stores_feedback_without_a_customer(engineer):
    touchpoint = _log(engineer=engineer, observations=[("Onboarding is confusing", "low")])

    assert touchpoint.observations.get().feedback.customer is None


def test_feedback_ids_come_back_in_order_and_analysis_is_queued_on_commit(settings):
    # Given analysis on arrival
    settings.BACKLIGHT_ANALYZE_ON_ARRIVAL = True
    items = [
        ObservationInput(
            text=text,
            severity="",
            occurred_on=DAY,
            customer_id=None,
            engineer_username="eng",
            touchpoint_id=1,
        )
        for text in ("one", "two")
    ]

    # When the feedback is stored and the transaction commits
    with (
        mock.patch("insights.tasks.feedback_analyze_new.delay") as delay,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("django.db.transaction.on_commit", lambda func, **kwargs: func())
        ids = feedback_for_observations(items=items)

    # Then the ids follow the items and the new feedback is queued for analysis
    assert [Feedback.objects.get(pk=pk).text for pk in ids] == ["one", "two"]
    delay.assert_called_once_with(feedback_ids=ids)


def test_editing_resyncs_observations_with_their_feedback(engineer):
    # Given a touchpoint with three observations
    touchpoint = _log(
        engineer=engineer,
        observations=[("Keeps", "low"), ("Changes", "medium"), ("Goes away", "high")],
    )
    kept, changed, removed = touchpoint.observations.order_by("id")
    Feedback.objects.filter(pk=changed.feedback_id).update(redacted_text="old", text_version="v1")

    # When one line is kept, one changed, one removed and one added
    _update(
        touchpoint,
        user=engineer,
        observations=[("Keeps", "low"), ("Changed now", "high"), ("Brand new", "")],
    )

    # Then the kept one keeps its feedback, the changed one updates it, the removed one's goes
    assert _texts(touchpoint) == [
        ("Keeps", "low", "Keeps"),
        ("Changed now", "high", "Changed now"),
        ("Brand new", "", "Brand new"),
    ]
    assert touchpoint.observations.get(text="Keeps").feedback_id == kept.feedback_id
    changed_feedback = Feedback.objects.get(pk=changed.feedback_id)
    assert (changed_feedback.redacted_text, changed_feedback.text_version) == ("", "")
    assert not Feedback.objects.filter(text="Goes away").exists()
    assert Feedback.objects.filter(source=Feedback.Source.TOUCHPOINT).count() == 3


def test_an_engineer_edits_only_touchpoints_they_took_part_in(engineer, other_engineer):
    # Given another engineer's touchpoint
    touchpoint = _log(engineer=other_engineer)

    # When the engineer tries to edit it, then it is refused and nothing changes
    with pytest.raises(PermissionDenied):
        _update(touchpoint, user=engineer, observations=[])
    assert touchpoint.observations.count() == 2


def test_a_co_attendee_may_edit(engineer, other_engineer):
    touchpoint = _log(engineer=other_engineer, co_attendees=[engineer])

    _update(touchpoint, user=engineer, observations=[("Only this", "")])

    assert [o.text for o in touchpoint.observations.all()] == ["Only this"]
    assert set(touchpoint.engineers.all()) == {other_engineer}


def test_a_product_manager_edits_every_touchpoint(other_engineer):
    pm = user_with_role(Role.PRODUCT_MANAGER, username="pm")
    touchpoint = _log(engineer=other_engineer)

    _update(touchpoint, user=pm, observations=[])

    assert touchpoint.observations.count() == 0
    assert Feedback.objects.filter(source=Feedback.Source.TOUCHPOINT).count() == 0
    assert pm not in touchpoint.engineers.all()


# ---- the form's parsing ------------------------------------------------------------------------


def test_observation_lines_are_parsed_with_optional_severities():
    text = (
        "high: Exports time out\n\n  - low - fiddly date picker\nMEDIUM:slow search\n"
        "No prefix here\n"
    )

    assert observations_parse(text) == [
        ("Exports time out", "high"),
        ("fiddly date picker", "low"),
        ("slow search", "medium"),
        ("No prefix here", ""),
    ]


def test_a_severity_without_text_is_an_error():
    with pytest.raises(ValidationError, match="no observation after it"):
        observations_parse("high:   ")


def test_a_word_that_only_starts_like_a_severity_is_not_one():
    assert observations_parse("Lowering prices: customers asked") == [
        ("Lowering prices: customers asked", "")
    ]


# ---- the pages ---------------------------------------------------------------------------------


def _post_data(**overrides):
    data = {
        "kind": TouchpointKind.SITE_VISIT,
        "occurred_on": "2026-03-10",
        "duration_minutes": "90",
        "partner_team": PartnerTeam.SALES,
        "customers": [],
        "observations": "high: Exports time out\nlow: Date picker is fiddly",
        "summary": "",
        "follow_ups": "Send the export fix timeline",
    }
    data.update(overrides)
    return data


def test_the_form_logs_a_touchpoint_and_shows_it(client, engineer):
    # Given a customer
    customer = CustomerFactory(name="Acme Corp")
    client.force_login(engineer)

    # When the engineer posts the form
    response = client.post(
        reverse("touchpoints:touchpoint-new"), _post_data(customers=["acme corp", ""])
    )

    # Then the touchpoint exists and its page lists the observations
    touchpoint = Touchpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("touchpoints:touchpoint-detail", args=[touchpoint.pk])
    assert list(touchpoint.customers.all()) == [customer]
    assert touchpoint.duration_minutes == 90
    assert [(o.text, o.severity) for o in touchpoint.observations.all()] == [
        ("Exports time out", "high"),
        ("Date picker is fiddly", "low"),
    ]
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-testid="observation-text"') == 2
    assert "High severity" in page


def test_the_new_form_defaults_to_today_an_hour_and_the_last_kind(client, engineer):
    TouchpointFactory(logged_by=engineer, kind=TouchpointKind.RIDE_ALONG, partner_team="design")
    client.force_login(engineer)

    response = client.get(reverse("touchpoints:touchpoint-new"))

    form = response.context["form"]
    assert response.status_code == 200
    assert form["kind"].value() == TouchpointKind.RIDE_ALONG
    assert form["partner_team"].value() == "design"
    assert form["duration_minutes"].value() == 60
    assert form["occurred_on"].value() == timezone.localdate()


def test_the_new_form_defaults_to_a_customer_call(client, engineer):
    client.force_login(engineer)

    response = client.get(reverse("touchpoints:touchpoint-new"))

    assert response.context["form"]["kind"].value() == TouchpointKind.CUSTOMER_CALL


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"customers": ["Nobody Inc"]}, "No customer named “Nobody Inc”"),
        ({"occurred_on": "10/03/26x"}, "Enter the date as YYYY-MM-DD."),
        ({"occurred_on": "2999-01-01"}, "The date is in the future"),
        ({"duration_minutes": "0"}, "at least 5 minutes"),
        ({"duration_minutes": "abc"}, "whole number of minutes"),
        ({"duration_minutes": "5000"}, "at most 24 hours"),
        ({"observations": "high:"}, "has a severity but no observation"),
        ({"kind": "party"}, "Select a valid choice"),
    ],
)
def test_bad_input_comes_back_with_a_clear_message(client, engineer, overrides, message):
    client.force_login(engineer)

    response = client.post(reverse("touchpoints:touchpoint-new"), _post_data(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Touchpoint.objects.exists()


def test_an_executive_may_not_open_the_form(client):
    client.force_login(user_with_role(Role.EXECUTIVE, username="exec"))

    assert client.get(reverse("touchpoints:touchpoint-new")).status_code == 403
    assert client.post(reverse("touchpoints:touchpoint-new"), _post_data()).status_code == 403


def test_an_engineer_may_not_open_another_engineers_edit_form(client, engineer, other_engineer):
    touchpoint = _log(engineer=other_engineer)
    client.force_login(engineer)

    response = client.get(reverse("touchpoints:touchpoint-edit", args=[touchpoint.pk]))

    assert response.status_code == 403


def test_the_edit_form_shows_and_saves_the_observations(client, engineer):
    # Given the engineer's touchpoint
    touchpoint = _log(engineer=engineer)
    client.force_login(engineer)
    url = reverse("touchpoints:touchpoint-edit", args=[touchpoint.pk])

    # When they open it, then the observations are there as lines with their severities
    form = client.get(url).context["form"]
    assert form["observations"].value() == "high: Exports time out\nDate picker is fiddly"

    # And when they save a change, the feedback follows
    response = client.post(url, _post_data(observations="high: Exports time out"))
    assert response.status_code == 302
    assert [o.feedback.text for o in touchpoint.observations.all()] == ["Exports time out"]


def test_the_touchpoint_page_shows_each_observations_pain_point(client, engineer):
    # Given an observation whose feedback landed in a pain point
    touchpoint = _log(engineer=engineer, observations=[("Exports time out", "high")])
    theme = ThemeFactory(label="Slow exports")
    Feedback.objects.filter(pk=touchpoint.observations.get().feedback_id).update(theme=theme)
    client.force_login(engineer)

    # When the engineer opens the touchpoint
    response = client.get(reverse("touchpoints:touchpoint-detail", args=[touchpoint.pk]))

    # Then it links to the pain point
    body = response.content.decode()
    assert "Slow exports" in body
    assert reverse("insights:theme-detail", args=[theme.pk]) in body
    assert reverse("touchpoints:touchpoint-edit", args=[touchpoint.pk]) in body


# ---- customer search ---------------------------------------------------------------------------


def test_customer_search_returns_up_to_ten_matches_with_ids(client, engineer):
    for i in range(12):
        CustomerFactory(name=f"Globex {i:02d}")
    CustomerFactory(name="Initech")
    client.force_login(engineer)

    response = client.get(reverse("touchpoints:customer-search"), {"q": "glob"})

    results = response.json()["results"]
    assert len(results) == 10
    assert results[0]["name"] == "Globex 00"
    assert set(results[0]) == {"id", "name"}


def test_customer_search_answers_htmx_with_options(client, engineer):
    CustomerFactory(name="Initech <b>")
    client.force_login(engineer)

    response = client.get(
        reverse("touchpoints:customer-search"), {"customers": "init"}, HTTP_HX_REQUEST="true"
    )

    assert response.content.decode() == '<option value="Initech &lt;b&gt;"></option>'


def test_customer_search_without_a_query_returns_nothing(client, engineer):
    client.force_login(engineer)

    assert client.get(reverse("touchpoints:customer-search")).json() == {"results": []}


def test_the_touchpoint_page_shows_the_backlog_items_its_pain_points_support(client, engineer):
    # Given a logged touchpoint whose first observation sits in a pain point that a backlog item
    # addresses
    from roadmap.models import BacklogThemeLink
    from tests.insights.factories import ThemeFactory
    from tests.roadmap.factories import BacklogItemFactory

    touchpoint = _log(engineer=engineer)
    theme = ThemeFactory(label="Exports time out")
    item = BacklogItemFactory(title="Stream exports")
    BacklogThemeLink.objects.create(item=item, theme=theme)
    Feedback.objects.filter(pk=touchpoint.observations.order_by("id")[0].feedback_id).update(
        theme=theme
    )

    # When the engineer opens it
    client.force_login(engineer)
    content = client.get(
        reverse("touchpoints:touchpoint-detail", args=[touchpoint.pk])
    ).content.decode()

    # Then the observation names its pain point and the backlog item it supports
    assert reverse("insights:theme-detail", args=[theme.pk]) in content
    assert reverse("roadmap:backlog-detail", args=[item.pk]) in content
    assert "Stream exports" in content


def test_the_backlog_item_page_lists_the_touchpoints_that_surfaced_its_pain(client, engineer):
    from roadmap.models import BacklogThemeLink
    from tests.insights.factories import ThemeFactory
    from tests.roadmap.factories import BacklogItemFactory

    touchpoint = _log(engineer=engineer)
    theme = ThemeFactory()
    item = BacklogItemFactory(title="Stream exports")
    BacklogThemeLink.objects.create(item=item, theme=theme)
    Feedback.objects.filter(pk=touchpoint.observations.order_by("id")[0].feedback_id).update(
        theme=theme
    )
    elsewhere = _log(engineer=engineer)  # its observations are in no pain point

    client.force_login(user_with_role(Role.PRODUCT_MANAGER, username="pm_seen"))
    content = client.get(reverse("roadmap:backlog-detail", args=[item.pk])).content.decode()

    assert "Seen in touchpoints" in content
    assert reverse("touchpoints:touchpoint-detail", args=[touchpoint.pk]) in content
    assert reverse("touchpoints:touchpoint-detail", args=[elsewhere.pk]) not in content
