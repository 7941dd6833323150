"""`manage.py pain_points`: the ranked pain points as the pages show them, from the one ranking."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from insights.selectors import pain_points_ranked
from insights.services.theme_ranking import themes_rank
from tests.insights.factories import FeedbackFactory, ThemeFactory

pytestmark = pytest.mark.django_db

KEYS = {"id", "label", "summary", "score", "volume", "negative_share", "positive_share", "parent"}


def said(theme, sentiment: str, n: int, nps=None) -> None:
    FeedbackFactory.create_batch(
        n,
        theme=theme,
        sentiment_label=sentiment,
        nps=nps,
        received_at=timezone.now() - dt.timedelta(days=2),
    )


@pytest.fixture
def ranked():
    exports = ThemeFactory(label="Exports time out", summary="The nightly export never ends.")
    said(exports, "negative", 9, nps=2)
    said(exports, "positive", 1)
    mobile = ThemeFactory(label="Mobile app")
    crashes = ThemeFactory(label="App crashes on upload", parent=mobile)
    logout = ThemeFactory(label="App logs me out", parent=mobile)
    said(crashes, "negative", 6, nps=1)
    said(logout, "neutral", 3)
    invoices = ThemeFactory(label="Invoices")
    said(invoices, "neutral", 2)
    praise = ThemeFactory(label="Support is great")
    said(praise, "positive", 40, nps=10)
    themes_rank()
    return {"exports": exports, "mobile": mobile, "crashes": crashes, "praise": praise}


def run(*args) -> str:
    out = io.StringIO()
    call_command("pain_points", *args, stdout=out)
    return out.getvalue()


def test_json_lists_the_ranking_in_its_order_with_sub_themes_after_their_parent(ranked):
    rows = json.loads(run("--json"))

    expected = []
    for point in pain_points_ranked(with_quotes=False):
        expected.append((point.theme.pk, None))
        expected.extend((child.theme.pk, point.theme.pk) for child in point.children)
    assert [(row["id"], row["parent"]) for row in rows] == expected
    assert all(set(row) == KEYS for row in rows)
    assert ranked["praise"].pk not in [row["id"] for row in rows]
    # each row's figures are the ranking's
    exports = next(row for row in rows if row["id"] == ranked["exports"].pk)
    assert exports["label"] == "Exports time out"
    assert exports["summary"] == "The nightly export never ends."
    assert exports["volume"] == 9  # its praise is not pain
    assert exports["negative_share"] == 0.9
    assert exports["positive_share"] == 0.1
    ranked["exports"].refresh_from_db()
    assert exports["score"] == pytest.approx(ranked["exports"].impact)
    crashes = next(row for row in rows if row["id"] == ranked["crashes"].pk)
    assert crashes["parent"] == ranked["mobile"].pk


def test_limit_keeps_the_top_pain_points_and_their_sub_themes(ranked):
    rows = json.loads(run("--json", "--limit", "1"))

    top = pain_points_ranked(with_quotes=False)[0]
    assert [row["id"] for row in rows] == [top.theme.pk] + [c.theme.pk for c in top.children]


def test_the_table_shows_rank_label_score_and_shares(ranked):
    table = run()

    lines = table.splitlines()
    assert lines[0].split() == ["#", "Pain", "point", "Score", "Volume", "Neg.", "Pos."]
    assert "Exports time out" in table
    assert "↳ App crashes on upload" in table
    assert "Support is great" not in table
    assert lines[1].split()[0] == "1"


def test_before_any_analysis_it_says_so(db):
    assert "No pain points yet" in run()
    assert json.loads(run("--json")) == []


def test_a_limit_below_one_is_refused(db):
    with pytest.raises(CommandError, match="at least 1"):
        run("--limit", "0")
