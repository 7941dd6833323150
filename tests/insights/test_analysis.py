"""The insights pipeline on the database: planted pain points come out as themes, theme
identities and people's edits survive re-runs, new feedback is themed as it arrives."""

import datetime as dt
import io
import json
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from insights.demo_text import comment_compose
from insights.models import Feedback, FeedbackVector, ModelRun, RunStatus, Theme, ThemeEdit
from insights.services import analysis
from insights.services.themes import (
    feedback_move,
    theme_dismiss,
    theme_merge,
    theme_rename,
    theme_split,
)
from tests.insights.factories import CustomerFactory

pytestmark = pytest.mark.django_db
PLANTED = ("slow_exports", "sso_login_loops", "confusing_invoices")
PER_PAIN = 45


@pytest.fixture
def planted(db):
    """Comments about three of the demo's pain points, a third of them with an NPS score that
    matches their tone, from two accounts; and some praise."""
    rng = random.Random(11)
    now = timezone.now()
    accounts = [CustomerFactory(arr=120_000), CustomerFactory(arr=8_000)]
    rows = []
    for key in PLANTED:
        for index in range(PER_PAIN):
            rows.append(
                Feedback(
                    source=Feedback.Source.SURVEY,
                    text=comment_compose(rng, tone="pain", pain_point=key),
                    received_at=now - dt.timedelta(days=rng.randint(0, 80)),
                    customer=accounts[index % 2],
                    nps=rng.choice((1, 3, 5)) if index % 3 == 0 else None,
                    metadata={"truth": key},
                )
            )
    for index in range(30):
        rows.append(
            Feedback(
                source=Feedback.Source.SURVEY,
                text=comment_compose(rng, tone="praise"),
                received_at=now - dt.timedelta(days=rng.randint(0, 80)),
                nps=rng.choice((9, 10)) if index % 2 == 0 else None,
                metadata={"truth": "praise"},
            )
        )
    rows.append(
        Feedback(
            source=Feedback.Source.SUPPORT_TICKET,
            text="Export broken again. Call me on +1 415 555 0100 or mail ana@acme.example",
            received_at=now,
            metadata={"truth": "slow_exports"},
        )
    )
    Feedback.objects.bulk_create(rows)
    return accounts


def _theme_of_truth() -> dict[str, int]:
    """The theme holding most of each planted pain point's feedback."""
    holders: dict[str, dict[int, int]] = {}
    for truth, theme_id in Feedback.objects.values_list("metadata__truth", "theme_id"):
        holders.setdefault(truth, {}).setdefault(theme_id, 0)
        holders[truth][theme_id] += 1
    return {truth: max(counts, key=counts.get) for truth, counts in holders.items()}


def test_planted_pain_points_come_out_as_ranked_labelled_themes(planted):
    # When the whole pipeline runs
    summary = analysis.analysis_run_now()

    # Then the run succeeded and recorded its figures
    run = ModelRun.objects.get(pk=summary.run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.data_size == Feedback.objects.count()
    assert set(run.timings) == {"text", "vectors", "sentiment", "themes", "ranking"}
    assert 0 <= run.metrics["unthemed_share"] <= 0.25
    assert run.progress == 1
    # Each planted pain point is mostly in one theme of its own
    holders = _theme_of_truth()
    pain_themes = {holders[key] for key in PLANTED}
    assert None not in pain_themes
    assert len(pain_themes) == 3
    for key in PLANTED:
        members = Feedback.objects.filter(metadata__truth=key)
        assert members.filter(theme_id=holders[key]).count() >= 0.7 * members.count()
    # Themes have readable labels, keywords, quotes from their members, and an impact score
    for theme in Theme.objects.filter(pk__in=pain_themes):
        assert 1 <= len(theme.label.split()) <= 6
        assert theme.keywords
        assert set(theme.quotes) <= set(theme.feedback.values_list("pk", flat=True))
        assert len(theme.quotes) == min(3, theme.feedback.count())
        assert theme.impact > 0
        assert set(theme.statistics["parts"]) >= {"volume", "nps_impact", "arr"}
        assert theme.statistics["accounts"] == 2
    # Pain ranks above praise
    praise_theme = holders.get("praise")
    if praise_theme is not None and praise_theme not in pain_themes:
        assert Theme.objects.get(pk=praise_theme).impact < min(
            Theme.objects.get(pk=pk).impact for pk in pain_themes
        )


def test_text_is_redacted_scored_and_embedded_once(planted):
    analysis.analysis_run_now()

    ticket = Feedback.objects.get(source=Feedback.Source.SUPPORT_TICKET)
    assert "ana@acme.example" not in ticket.redacted_text
    assert "555" not in ticket.redacted_text
    assert "[EMAIL]" in ticket.redacted_text
    assert ticket.text.endswith("ana@acme.example")  # the original is kept for admins
    assert ticket.language == "en"
    assert ticket.sentiment_label == "negative"
    assert -1 <= ticket.sentiment <= 1
    assert FeedbackVector.objects.count() == Feedback.objects.count()
    # A second run embeds nothing again; a changed text is embedded again
    assert analysis.feedback_vectors_update(queryset=Feedback.objects.all()) == 0
    Feedback.objects.filter(pk=ticket.pk).update(
        redacted_text="The export never finishes", text_version=""
    )
    Feedback.objects.filter(pk=ticket.pk).update(text="The export never finishes at all")
    analysis.feedback_text_analyze(queryset=Feedback.objects.all())
    assert analysis.feedback_vectors_update(queryset=Feedback.objects.all()) == 1


def test_theme_ids_and_edits_survive_two_re_runs(planted):
    # Given an analysed organisation, and a PM's rename, merge, dismissal and move
    analysis.analysis_run_now()
    holders = _theme_of_truth()
    exports, sso, billing = (Theme.objects.get(pk=holders[key]) for key in PLANTED)
    theme_rename(theme=exports, label="Exports time out")
    theme_merge(source=billing, target=sso)
    praise = Theme.objects.filter(pk=holders.get("praise")).first()
    if praise is not None and praise.pk not in {exports.pk, sso.pk, billing.pk}:
        theme_dismiss(theme=praise, reason="not a pain point")
    moved = Feedback.objects.filter(metadata__truth="slow_exports").first()
    feedback_move(feedback_ids=[moved.pk], theme=sso)
    split_off = list(
        Feedback.objects.filter(theme=exports).exclude(pk=moved.pk).values_list("pk", flat=True)
    )[:5]
    split = theme_split(theme=exports, feedback_ids=split_off, label="Export to PDF")
    themes_before = set(Theme.objects.values_list("pk", flat=True))

    # When the pipeline runs twice more
    analysis.analysis_run_now()
    analysis.analysis_run_now()

    # Then the themes kept their ids, the rename its label, the merge its direction
    holders = _theme_of_truth()
    assert holders["slow_exports"] == exports.pk
    assert Theme.objects.get(pk=exports.pk).label == "Exports time out"
    billing.refresh_from_db()
    assert billing.status == Theme.Status.MERGED
    assert holders["confusing_invoices"] == sso.pk
    assert not Feedback.objects.filter(theme=billing).exists()
    moved.refresh_from_db()
    assert moved.theme_id == sso.pk
    split.refresh_from_db()
    assert split.label == "Export to PDF"
    assert set(split.feedback.values_list("pk", flat=True)) == set(split_off)
    assert split.centroid is not None  # so newcomers can join it
    # (a re-cluster may find a new theme, but none took over an edited one's feedback)
    assert themes_before <= set(Theme.objects.values_list("pk", flat=True))
    if praise is not None and praise.pk not in {exports.pk, sso.pk, billing.pk}:
        praise.refresh_from_db()
        assert praise.status == Theme.Status.DISMISSED
        assert praise.impact == 0
    assert ThemeEdit.objects.count() >= 4


def test_new_feedback_is_themed_by_its_nearest_theme(planted):
    analysis.analysis_run_now()
    holders = _theme_of_truth()
    rng = random.Random(99)
    arriving = Feedback.objects.create(
        source=Feedback.Source.API,
        text=comment_compose(rng, tone="pain", pain_point="sso_login_loops"),
        received_at=timezone.now(),
    )
    unrelated = Feedback.objects.create(
        source=Feedback.Source.API,
        text="Quarterly offsite planning: venue shortlist and catering budget attached.",
        received_at=timezone.now(),
    )

    themed = analysis.feedback_analyze_new(feedback_ids=[arriving.pk, unrelated.pk])

    arriving.refresh_from_db()
    unrelated.refresh_from_db()
    assert arriving.theme_id == holders["sso_login_loops"]
    assert arriving.sentiment_label
    assert arriving.redacted_text
    assert unrelated.theme_id is None
    assert themed == 1


def test_a_run_requested_twice_is_queued_once():
    first = analysis.analysis_run_request(reason="import #1")
    second = analysis.analysis_run_request(reason="import #2")
    assert first.pk == second.pk


def test_analyze_feedback_command_prints_one_json_object(planted):
    out = io.StringIO()
    call_command("analyze_feedback", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["feedback"] == Feedback.objects.count()
    assert summary["themes"] >= 3
    assert set(summary) == {"run", "feedback", "themes", "unthemed_share", "seconds"}
