"""The ranking step on the database: each theme's polarity and split, the pain side of a mixed
theme counted alone in every part, strengths ranked apart, parents over their sub-themes, and
themes that are not active left unranked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.models import Theme
from insights.services.theme_ranking import themes_rank
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory

pytestmark = pytest.mark.django_db

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"


def said(theme, sentiment: str, n: int = 1, *, customer=None, nps=None, days_ago: int = 1):
    """`n` feedback items in `theme` with this sentiment, received `days_ago` days ago."""
    kwargs = {"customer": customer} if customer is not None else {}
    return FeedbackFactory.create_batch(
        n,
        theme=theme,
        sentiment_label=sentiment,
        nps=nps,
        received_at=timezone.now() - dt.timedelta(days=days_ago),
        **kwargs,
    )


def fresh(theme: Theme) -> Theme:
    theme.refresh_from_db()
    return theme


def test_a_theme_of_praise_is_a_strength_with_no_impact_and_its_own_ranking():
    # Given a theme that is mostly praise, with promoters, beside a plain pain point
    praise = ThemeFactory(label="Onboarding works")
    said(praise, POSITIVE, 8, nps=10)
    said(praise, NEUTRAL, 1, nps=8)
    said(praise, NEGATIVE, 1, nps=2)
    pain = ThemeFactory(label="Exports time out")
    said(pain, NEGATIVE, 4, nps=3)
    said(pain, NEUTRAL, 1, nps=7)

    # When the themes are ranked
    assert themes_rank() == 2

    # Then the praise is a strength: no impact score, no parts, its split and its own figures
    praise, pain = fresh(praise), fresh(pain)
    assert praise.polarity == Theme.Polarity.STRENGTH
    assert (praise.impact, praise.statistics["parts"], praise.emerging) == (0, {}, False)
    stats = praise.statistics
    assert (stats["positive"], stats["neutral"], stats["negative"]) == (8, 1, 1)
    assert (stats["positive_share"], stats["neutral_share"], stats["negative_share"]) == (
        0.8,
        0.1,
        0.1,
    )
    assert (stats["praise_90"], stats["pain_90"], stats["volume_90"]) == (8, 2, 10)
    # NPS lift: its 10 answers (8 promoters, 1 detractor: NPS 70) against everyone's 15
    # (8 promoters, 5 detractors: NPS 20)
    assert stats["nps_lift"] == pytest.approx(50.0)
    assert stats["strength_score"] == 100.0
    # and the pain point is one, with an impact
    assert pain.polarity == Theme.Polarity.PAIN
    assert pain.impact > 0
    assert pain.statistics["strength_score"] == 0.0
    assert pain.statistics["negative_share"] == 0.8


def test_every_part_of_a_mixed_theme_counts_only_its_not_positive_feedback():
    # Given a theme with 5 not-positive items from a small account and 5 praising ones from a
    # big account (one of them an NPS detractor: its comment was still positive)
    small = CustomerFactory(arr=Decimal("10000"))
    big = CustomerFactory(arr=Decimal("1000000"))
    mixed = ThemeFactory(label="Dashboards")
    said(mixed, NEGATIVE, 3, customer=small, nps=2)
    said(mixed, NEUTRAL, 2, customer=small, days_ago=45)
    said(mixed, POSITIVE, 4, customer=big, nps=10)
    said(mixed, POSITIVE, 1, customer=big, nps=5)

    themes_rank()

    # Then volume, trend, accounts, ARR, NPS impact and the weekly series see the pain side only
    stats = fresh(mixed).statistics
    assert fresh(mixed).polarity == Theme.Polarity.PAIN  # 5 of 10 positive: mixed, not praise
    assert (stats["volume_90"], stats["pain_90"], stats["praise_90"]) == (10, 5, 5)
    assert (stats["volume_30"], stats["volume_previous_30"]) == (3, 2)
    assert stats["accounts"] == 1
    assert stats["arr_affected"] == 10_000
    # 3 detractors among its not-positive feedback (not the praising one), of 8 NPS answers
    assert stats["nps_impact"] == pytest.approx(100 * 3 / 8)
    assert sum(stats["weekly"]) == 5
    # the split still shows both sides
    assert (stats["positive"], stats["neutral"], stats["negative"]) == (5, 2, 3)
    assert stats["positive_share"] == 0.5


def test_a_parent_is_ranked_over_its_sub_themes_and_they_are_ranked_on_its_scale():
    # Given a parent whose feedback sits in two active sub-themes, a dismissed one and a retired
    # one
    parent = ThemeFactory(label="Mobile app")
    crashes = ThemeFactory(label="App crashes on upload", parent=parent)
    login = ThemeFactory(label="App logs me out", parent=parent)
    dismissed = ThemeFactory(label="App icon", parent=parent, status=Theme.Status.DISMISSED)
    retired = ThemeFactory(label="Old app", parent=parent, status=Theme.Status.RETIRED)
    said(crashes, NEGATIVE, 6, nps=1)
    said(login, NEGATIVE, 3, nps=4)
    said(dismissed, NEGATIVE, 5)
    other = ThemeFactory(label="Invoices")
    said(other, NEGATIVE, 4)

    themes_rank()

    # Then the parent's figures are its active sub-themes' added up
    parent, crashes, login = fresh(parent), fresh(crashes), fresh(login)
    assert parent.statistics["pain_90"] == 9
    assert parent.statistics["members"] == 9
    assert parent.statistics["children"] == 2
    assert parent.statistics["negative"] == 9
    # and the sub-themes are ranked too, below their parent, each against the parent's scale
    assert parent.impact > crashes.impact > login.impact > 0
    assert crashes.statistics["parts"]["volume"] == pytest.approx(20 * 6 / 9, abs=0.01)
    assert fresh(other).impact < parent.impact
    # Dismissed and retired themes keep their counts but get no score
    for theme in (fresh(dismissed), fresh(retired)):
        assert theme.impact == 0
        assert theme.statistics["parts"] == {}
    assert fresh(dismissed).statistics["pain_90"] == 5


def test_merged_dismissed_and_retired_themes_are_not_ranked():
    target = ThemeFactory(label="Target")
    said(target, NEGATIVE, 2)
    merged = ThemeFactory(label="Merged", status=Theme.Status.MERGED, merged_into=target)
    dismissed = ThemeFactory(label="Dismissed", status=Theme.Status.DISMISSED, impact=40)
    retired = ThemeFactory(label="Retired", status=Theme.Status.RETIRED, impact=30)
    said(dismissed, NEGATIVE, 5)
    said(retired, POSITIVE, 6)

    assert themes_rank() == 1

    for theme in (merged, dismissed, retired):
        assert fresh(theme).impact == 0
        assert fresh(theme).statistics["strength_score"] == 0
    # the retired theme's polarity is still known, for its page
    assert fresh(retired).polarity == Theme.Polarity.STRENGTH


def test_a_theme_that_turns_to_praise_becomes_a_strength_on_the_next_ranking():
    theme = ThemeFactory(label="Search")
    said(theme, NEGATIVE, 5)
    themes_rank()
    assert fresh(theme).polarity == Theme.Polarity.PAIN

    said(theme, POSITIVE, 20)
    themes_rank()

    assert fresh(theme).polarity == Theme.Polarity.STRENGTH
    assert fresh(theme).impact == 0
