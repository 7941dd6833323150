"""From a ride-along to a pain point: what an engineer observed is themed by the analysis."""

import datetime as dt
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.demo_text import comment_compose, observation_compose
from insights.models import Feedback
from insights.roles import Role
from insights.services.analysis import analysis_run_now
from tests.conftest import user_with_role
from touchpoints.models import PartnerTeam, TouchpointKind
from touchpoints.services import touchpoint_log

pytestmark = pytest.mark.django_db


def test_a_touchpoint_s_observations_land_in_their_pain_point(client):
    # Given customers' comments about two pain points
    rng = random.Random(21)
    now = timezone.now()
    Feedback.objects.bulk_create(
        Feedback(
            source=Feedback.Source.SURVEY,
            text=comment_compose(rng, tone="pain", pain_point=key),
            received_at=now - dt.timedelta(days=index % 60),
            metadata={"truth": key},
        )
        for key in ("slow_exports", "sso_login_loops")
        for index in range(45)
    )
    # and an engineer's ride-along where they saw two of those problems
    engineer = user_with_role(Role.ENGINEER, username="sam")
    touchpoint = touchpoint_log(
        logged_by=engineer,
        kind=TouchpointKind.RIDE_ALONG,
        occurred_on=dt.date.today(),  # noqa: DTZ011
        duration_minutes=60,
        partner_team=PartnerTeam.SALES,
        customers=[],
        co_attendees=[],
        observations=[
            (observation_compose(rng, pain_point="slow_exports"), "high"),
            (observation_compose(rng, pain_point="sso_login_loops"), ""),
        ],
    )

    # When the analysis runs
    analysis_run_now()

    # Then each observation's feedback sits in the theme of its pain point
    exports_theme = (
        Feedback.objects.filter(metadata__truth="slow_exports")
        .values_list("theme", flat=True)
        .order_by("theme")
        .first()
    )
    observed = list(
        touchpoint.observations.order_by("pk").values_list("feedback__theme", flat=True)
    )
    assert observed[0] == exports_theme
    assert observed[1] is not None
    assert observed[1] != exports_theme
    # and the touchpoint's page names those pain points
    client.force_login(engineer)
    page = client.get(reverse("touchpoints:touchpoint-detail", args=[touchpoint.pk]))
    theme_url = reverse("insights:theme-detail", args=[exports_theme])
    assert theme_url in page.content.decode()
