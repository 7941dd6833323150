"""One ranking everywhere (issue #13): Home's pain panel, the pain-points list, the roadmap, the
executive report, alerts, digests and `manage.py pain_points` all read
`insights.selectors.pain_points_ranked`, in its order, and a theme of praise is on none of them —
it is under "What customers value" instead. The themes are ranked by the real ranking step."""

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from insights.models import Theme
from insights.roles import Role
from insights.selectors import pain_points_ranked, strengths_ranked
from insights.services.theme_ranking import themes_rank
from metrics.reports import pain_points_rising
from roadmap.selectors import pain_points_unaddressed
from roadmap.sharing.alerts import theme_spikes
from roadmap.sharing.digests import weekly_digest_build
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory

pytestmark = pytest.mark.django_db

HOME_TOP = 5


def said(theme, sentiment: str, n: int, *, arr: int, nps=None, days_ago: int = 1) -> None:
    customer = CustomerFactory(arr=Decimal(arr))
    FeedbackFactory.create_batch(
        n,
        theme=theme,
        customer=customer,
        sentiment_label=sentiment,
        nps=nps,
        received_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def ranked():
    """Seven pain points whose order by volume differs from their order by impact (the loud
    ones are neutral grumbles from small accounts, the costly ones angry detractors at big
    ones), and a theme of praise bigger than any of them that also has a few recent neutral
    comments — enough to rise, spike and lead by volume if it were counted as pain."""
    themes = {}
    for label, n, sentiment, arr, nps in (
        ("Loud grumble", 30, "neutral", 1_000, None),
        ("Noisy wish", 25, "neutral", 2_000, None),
        ("Chatty request", 20, "neutral", 1_500, None),
        ("SSO login loops", 6, "negative", 900_000, 0),
        ("Invoices wrong", 8, "negative", 400_000, 2),
        ("Exports time out", 10, "negative", 150_000, 3),
        ("Search misses", 12, "negative", 20_000, 5),
    ):
        themes[label] = ThemeFactory(label=label)
        said(themes[label], sentiment, n, arr=arr, nps=nps)
    praise = ThemeFactory(label="Onboarding works")
    said(praise, "positive", 60, arr=500_000, nps=10)
    said(praise, "neutral", 6, arr=3_000)
    themes_rank()
    praise.refresh_from_db()
    assert praise.polarity == Theme.Polarity.STRENGTH
    return {"themes": themes, "praise": praise}


def ids_in(html: str, testid: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'data-testid="{testid}" data-theme="(\d+)"', html)]


def page(client, role, name: str) -> str:
    client.force_login(user_with_role(role))
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_homes_top_pain_points_are_the_lists_top_in_the_same_order(client, ranked):
    # Given pain points whose volume order is not their impact order
    ranking = [point.theme.pk for point in pain_points_ranked()]
    by_volume = sorted(ranking, key=lambda pk: -Theme.objects.get(pk=pk).statistics["pain_90"])
    assert by_volume[:HOME_TOP] != ranking[:HOME_TOP]

    # When a product manager opens Home and the pain-points list
    home = page(client, Role.PRODUCT_MANAGER, "home")
    listed = page(client, Role.PRODUCT_MANAGER, "insights:theme-list")

    # Then Home's top N is the list's top N: the same ids in the same order, the ranking's
    home_top = ids_in(home, "home-pain-point")
    assert len(home_top) == HOME_TOP
    assert home_top == ids_in(listed, "pain-point")[:HOME_TOP] == ranking[:HOME_TOP]
    # and the costliest pain leads, not the loudest
    assert ranking[0] == ranked["themes"]["SSO login loops"].pk


def test_a_theme_of_praise_is_on_no_pain_surface_but_under_strengths(client, ranked):
    praise = ranked["praise"]
    pain_ids = {theme.pk for theme in ranked["themes"].values()}

    # The ranking itself, and the pages a PM reads
    assert praise.pk not in [point.theme.pk for point in pain_points_ranked()]
    home = page(client, Role.PRODUCT_MANAGER, "home")
    listed = page(client, Role.PRODUCT_MANAGER, "insights:theme-list")
    roadmap = page(client, Role.PRODUCT_MANAGER, "roadmap:pain")
    assert praise.pk not in ids_in(home, "home-pain-point")
    assert praise.pk not in ids_in(listed, "pain-point")
    assert set(ids_in(listed, "pain-point")) == pain_ids
    assert "Onboarding works" not in roadmap
    assert "SSO login loops" in roadmap
    # the roadmap's unaddressed-pain lane
    lane = [point.theme.pk for point in pain_points_unaddressed(limit=20)]
    assert lane
    assert praise.pk not in lane
    # the executive report's rising pain points
    rising = [item.theme_id for item in pain_points_rising(limit=20)]
    assert rising
    assert praise.pk not in rising
    # alerts and the weekly digest
    spikes = [item.theme_id for item in theme_spikes()]
    assert spikes
    assert praise.pk not in spikes
    digest = weekly_digest_build(today=timezone.localdate())
    assert digest.rising
    assert praise.pk not in [item.theme_id for item in digest.rising]
    # the command line
    out = io.StringIO()
    call_command("pain_points", "--json", stdout=out)
    assert praise.pk not in [row["id"] for row in json.loads(out.getvalue())]

    # But it is what customers value: in the list's section and on Home, for PMs and executives
    assert [strength.theme.pk for strength in strengths_ranked()] == [praise.pk]
    assert ids_in(listed, "strength") == [praise.pk]
    assert 'data-testid="panel-strengths"' in home
    panel = page(client, Role.EXECUTIVE, "home").split('data-testid="panel-strengths"')[1]
    assert "Onboarding works" in panel
    # its 60 promoters (NPS 100) against everyone's 60 promoters and 36 detractors (NPS 25)
    assert "60 praise · NPS lift +75" in panel
