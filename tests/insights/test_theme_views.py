"""The pain-point pages seen by each role: the ranking, a theme's page and every edit on it,
the analysis button, the theme map. Themes come from factories with realistic statistics; the
ML pipeline does not run here."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from insights.models import Feedback, ModelRun, RunStatus, Segment, Theme, ThemeEdit
from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import (
    CustomerFactory,
    FeedbackFactory,
    ModelRunFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

ORIGINAL = "Write to jane.doe@example.com, the export times out every night"
REDACTED = "Write to [EMAIL], the export times out every night"
WEIGHTS = {"volume": 0.25, "trend": 0.10, "negativity": 0.15, "nps_impact": 0.25, "arr": 0.25}


def ranked_theme(
    *,
    label: str,
    impact: float,
    volume_90: int = 40,
    accounts: int = 6,
    arr: float = 144_000.0,
    emerging: bool = False,
    quotes=(),
    centroid: np.ndarray | None = None,
    status: str = Theme.Status.ACTIVE,
    parent: Theme | None = None,
    summary: str = "",
    polarity: str = Theme.Polarity.PAIN,
    positive_share: float = 0.1,
    nps_lift: float | None = None,
) -> Theme:
    """A theme as the ranking leaves it: statistics with 16 weekly counts and the score's parts
    (each weighted part's points, summing to the impact)."""
    weekly = [max(0, volume_90 // 12 + (i % 3) - 1) for i in range(16)]
    statistics = {
        "volume_90": volume_90,
        "pain_90": volume_90 if polarity == Theme.Polarity.PAIN else 2,
        "praise_90": 2 if polarity == Theme.Polarity.PAIN else volume_90,
        "positive_share": positive_share,
        "nps_lift": nps_lift,
        "strength_score": 0.0 if polarity == Theme.Polarity.PAIN else impact,
        "volume_30": volume_90 // 3,
        "volume_previous_30": volume_90 // 4,
        "negative_share": 0.62,
        "nps_impact": 4.25,
        "arr_affected": arr,
        "accounts": accounts,
        "churn_risk": None,
        "weekly": weekly,
        "parts": {part: round(impact * weight, 2) for part, weight in WEIGHTS.items()}
        | {"churn_risk": 0.0},
        "ranked_at": timezone.now().isoformat(),
    }
    return ThemeFactory(
        label=label,
        impact=impact if polarity == Theme.Polarity.PAIN else 0,
        polarity=polarity,
        parent=parent,
        summary=summary,
        emerging=emerging,
        statistics=statistics,
        quotes=[feedback.pk for feedback in quotes],
        centroid=None if centroid is None else centroid.astype(np.float32).tobytes(),
        status=status,
    )


def signed_in(client, role):
    user = user_with_role(role)
    client.force_login(user)
    return user


def page_text(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------------------------------------
# Pain points: the ranking
# ------------------------------------------------------------------------------------------------


def test_pain_points_are_ranked_by_impact_with_their_parts_and_figures(client):
    # Given three active themes, one without volume, and a dismissed one
    signed_in(client, Role.EXECUTIVE)
    quote = FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED)
    ranked_theme(label="Slow exports", impact=41.5, quotes=[quote])
    ranked_theme(label="SSO login loops", impact=72.25, emerging=True, arr=1_250_000.0)
    ThemeFactory(label="Quiet theme", impact=0, statistics={"volume_90": 0})
    ranked_theme(label="Dismissed theme", impact=90, status=Theme.Status.DISMISSED)

    # When the pain points open
    response = client.get(reverse("insights:theme-list"))

    # Then the active themes with volume are listed, highest impact first
    content = page_text(response)
    assert response.status_code == 200
    assert content.index("SSO login loops") < content.index("Slow exports")
    assert "Quiet theme" not in content
    assert "Dismissed theme" not in content
    # with their score parts, figures, trend, emerging badge and top quote (redacted)
    assert 'NPS impact <strong class="num">18.1</strong>' in content
    assert "$1,250,000" in content
    assert "62%" in content
    assert "<polyline" in content
    assert content.count('data-testid="emerging"') == 1
    assert REDACTED in content
    assert "jane.doe" not in content


def test_pain_points_show_the_original_quote_to_admins_only(client):
    quote = FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED)
    ranked_theme(label="Slow exports", impact=40, quotes=[quote])

    signed_in(client, Role.ADMIN)
    assert ORIGINAL in page_text(client.get(reverse("insights:theme-list")))


def test_a_quote_not_yet_redacted_is_never_shown_in_the_original(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    quote = FeedbackFactory(text=ORIGINAL, redacted_text="")
    ranked_theme(label="Slow exports", impact=40, quotes=[quote])

    content = page_text(client.get(reverse("insights:theme-list")))

    assert "jane.doe" not in content
    assert "(not analysed yet)" in content


def test_pain_points_empty_state_before_any_analysis(client):
    signed_in(client, Role.PRODUCT_MANAGER)

    content = page_text(client.get(reverse("insights:theme-list")))

    assert "Pain points come from the text analysis" in content
    assert "No analysis has run yet." in content


def test_filters_count_each_theme_among_the_filtered_feedback_and_hide_the_rest(client):
    # Given two themes with enterprise feedback in one only
    signed_in(client, Role.PRODUCT_MANAGER)
    big, small = ranked_theme(label="Slow exports", impact=60), ranked_theme(label="SSO", impact=30)
    enterprise = CustomerFactory(segment=Segment.ENTERPRISE, arr=Decimal("500000"))
    FeedbackFactory.create_batch(3, theme=big, customer=enterprise)
    FeedbackFactory(theme=big, customer=enterprise, received_at=timezone.now() - dt.timedelta(400))
    FeedbackFactory.create_batch(2, theme=small, customer=CustomerFactory(segment=Segment.SMB))

    # When filtered to enterprise accounts over the last month
    since = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    response = client.get(
        reverse("insights:theme-list"), {"segment": Segment.ENTERPRISE, "received_from": since}
    )

    # Then only the theme they raised is listed, with their count
    content = page_text(response)
    assert "Slow exports" in content
    assert ">SSO<" not in content
    assert 'data-testid="filtered-count">3<' in content


def test_filters_keep_the_impact_order(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    low, high = ranked_theme(label="Low one", impact=10), ranked_theme(label="High one", impact=80)
    FeedbackFactory.create_batch(5, theme=low, source=Feedback.Source.REVIEW)
    FeedbackFactory(theme=high, source=Feedback.Source.REVIEW)

    content = page_text(client.get(reverse("insights:theme-list"), {"source": "review"}))

    assert content.index("High one") < content.index("Low one")


def test_the_list_shows_summaries_and_parents_expandable_to_their_sub_themes(client):
    # Given a parent pain point with two pain sub-themes and one of praise
    signed_in(client, Role.PRODUCT_MANAGER)
    mobile = ranked_theme(label="Mobile app", impact=70, summary="The app <b>crashes</b> a lot.")
    ranked_theme(label="App crashes on upload", impact=50, parent=mobile, summary="It crashes.")
    ranked_theme(label="App logs me out", impact=20, parent=mobile)
    ranked_theme(label="App looks nice", impact=30, parent=mobile, polarity=Theme.Polarity.STRENGTH)
    ranked_theme(label="Exports", impact=40)

    content = page_text(client.get(reverse("insights:theme-list")))

    # Then the parent is one row, its sub-themes inside a <details>, in impact order
    pain = content.split('data-testid="strengths"')[0]
    assert pain.count('data-testid="pain-point"') == 2
    assert pain.index("Mobile app") < pain.index("Exports")
    details = pain.split('data-testid="sub-themes"')[1].split("</details>")[0]
    assert "2 sub-themes" in details
    assert details.index("App crashes on upload") < details.index("App logs me out")
    assert "It crashes." in details
    assert "App looks nice" not in pain
    # its summary under its label, escaped
    assert "The app &lt;b&gt;crashes&lt;/b&gt; a lot." in content
    # and the praise inside it is what customers value, said where it sits
    strengths = content.split('data-testid="strengths"')[1]
    assert "App looks nice" in strengths
    assert "in Mobile app" in strengths


def test_what_customers_value_lists_strengths_by_praise_and_nps_lift(client):
    signed_in(client, Role.EXECUTIVE)
    ranked_theme(label="Exports", impact=40)
    ranked_theme(
        label="<i>Support</i> is great",
        impact=80,
        polarity=Theme.Polarity.STRENGTH,
        positive_share=0.92,
        nps_lift=31.4,
    )
    ranked_theme(
        label="Onboarding works", impact=50, polarity=Theme.Polarity.STRENGTH, nps_lift=None
    )

    content = page_text(client.get(reverse("insights:theme-list")))

    strengths = content.split('data-testid="strengths"')[1]
    assert strengths.count('data-testid="strength"') == 2
    assert strengths.index("Support") < strengths.index("Onboarding works")
    assert "&lt;i&gt;Support&lt;/i&gt; is great" in strengths
    assert "+31.4 pts" in strengths
    assert "92%" in strengths
    assert (
        "Support"
        not in content.split('data-testid="strengths"')[0].split('data-testid="pain-points"')[1]
    )


def test_an_impossible_date_range_is_reported_not_applied(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    ranked_theme(label="Slow exports", impact=60)

    response = client.get(
        reverse("insights:theme-list"),
        {"received_from": "2026-03-01", "received_to": "2026-02-01"},
    )

    assert response.status_code == 200
    assert "The start date is after the end date." in page_text(response)
    assert "Slow exports" in page_text(response)


@pytest.mark.parametrize("themes", [2, 25])
def test_pain_points_query_count_does_not_grow_with_themes(
    client, django_assert_max_num_queries, themes
):
    signed_in(client, Role.PRODUCT_MANAGER)
    ModelRunFactory(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    for n in range(themes):
        quote = FeedbackFactory(redacted_text=f"quote {n}")
        parent = ranked_theme(label=f"Theme {n}", impact=50 - n, quotes=[quote])
        ranked_theme(label=f"Sub-theme {n}", impact=20 - n / 2, quotes=[quote], parent=parent)
        ranked_theme(
            label=f"Strength {n}", impact=40, quotes=[quote], polarity=Theme.Polarity.STRENGTH
        )

    # session, user, savepoints, permissions, groups, pain points with their sub-themes, their
    # quotes, strengths, their quotes, latest run
    with django_assert_max_num_queries(13):
        response = client.get(reverse("insights:theme-list"))
    # filtered: one grouped count more
    with django_assert_max_num_queries(14):
        client.get(reverse("insights:theme-list"), {"source": "survey"})

    assert response.status_code == 200


# ------------------------------------------------------------------------------------------------
# Pain points: the analysis
# ------------------------------------------------------------------------------------------------


def test_a_product_manager_starts_the_analysis_once(client, django_capture_on_commit_callbacks):
    user = signed_in(client, Role.PRODUCT_MANAGER)

    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(reverse("insights:theme-analyse"))
        second = client.post(reverse("insights:theme-analyse"), follow=True)

    assert first.status_code == 302
    run = ModelRun.objects.get(kind=ModelRun.Kind.THEMES)
    assert (run.status, run.triggered_by) == (RunStatus.PENDING, user)
    assert "already under way" in page_text(second)


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ENGINEER])
def test_viewers_cannot_start_the_analysis_nor_see_the_button(client, role):
    signed_in(client, role)

    assert client.post(reverse("insights:theme-analyse")).status_code == 403
    assert 'data-testid="analyse-now"' not in page_text(client.get(reverse("insights:theme-list")))
    assert not ModelRun.objects.exists()


def test_the_analysis_status_polls_while_the_run_is_under_way(client):
    signed_in(client, Role.EXECUTIVE)
    run = ModelRunFactory(status=RunStatus.RUNNING, progress=0.4)

    running = page_text(client.get(reverse("insights:theme-analysis-status")))
    ModelRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, progress=1, finished_at=timezone.now()
    )
    finished = page_text(client.get(reverse("insights:theme-analysis-status")))

    assert 'hx-trigger="every 2s"' in running
    assert "40 %" in running
    assert "hx-trigger" not in finished
    assert "Last analysed" in finished


def test_a_failed_run_says_why(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    ModelRunFactory(status=RunStatus.FAILED, error="The analysis stopped on an unexpected error.")

    content = page_text(client.get(reverse("insights:theme-list")))

    assert "The analysis stopped on an unexpected error." in content


# ------------------------------------------------------------------------------------------------
# A theme's page
# ------------------------------------------------------------------------------------------------


def given_a_theme_with_feedback():
    big = CustomerFactory(name="Big Corp", arr=Decimal("900000"))
    small = CustomerFactory(name="Small Co", arr=Decimal("12000"))
    quote = FeedbackFactory(
        text=ORIGINAL,
        redacted_text=REDACTED,
        customer=big,
        sentiment=-0.72,
        sentiment_label="negative",
    )
    theme = ranked_theme(label="Slow exports", impact=55.5, quotes=[quote])
    theme.keywords = ["export", "timeout", "csv"]
    theme.save()
    Feedback.objects.filter(pk=quote.pk).update(theme=theme)
    FeedbackFactory(theme=theme, customer=big, redacted_text="Exports crawl")
    FeedbackFactory(
        theme=theme,
        customer=small,
        redacted_text="CSV export fails",
        received_at=timezone.now() - dt.timedelta(days=200),
    )
    FeedbackFactory(theme=theme, customer=small, text="mail bob@corp.example now", redacted_text="")
    return theme


def test_theme_page_shows_everything_about_it_redacted_for_an_executive(client):
    signed_in(client, Role.EXECUTIVE)
    theme = given_a_theme_with_feedback()
    ThemeEdit.objects.create(
        theme=theme,
        action=ThemeEdit.Action.RENAME,
        details={"from": "export slow", "to": "Slow exports"},
    )

    response = client.get(reverse("insights:theme-detail", args=[theme.pk]))

    content = page_text(response)
    assert response.status_code == 200
    assert "export, timeout, csv" in content
    assert 'id="timeline-chart-data"' in content
    assert "Volume <strong" in content
    assert REDACTED in content
    assert "-0.72" in content
    assert content.index("Big Corp") < content.index("Small Co")
    assert "from “export slow” to “Slow exports”" in content
    # never the original, even where the redaction has not run yet
    assert "jane.doe" not in content
    assert "bob@corp" not in content
    assert "(not analysed yet)" in content
    # and no edit controls
    assert 'data-testid="theme-edit"' not in content
    assert 'data-testid="promote"' not in content
    assert 'name="feedback"' not in content


def test_theme_page_offers_edits_and_promotion_to_a_product_manager(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = given_a_theme_with_feedback()
    ranked_theme(label="Other theme", impact=20)

    content = page_text(client.get(reverse("insights:theme-detail", args=[theme.pk])))

    assert 'data-testid="theme-edit"' in content
    assert 'data-testid="promote"' in content
    assert ">Other theme</option>" in content
    assert content.count('name="feedback"') == 4


def test_an_engineer_reads_the_theme_page_without_edit_controls(client):
    signed_in(client, Role.ENGINEER)
    theme = given_a_theme_with_feedback()

    content = page_text(client.get(reverse("insights:theme-detail", args=[theme.pk])))

    assert "Slow exports" in content
    assert 'data-testid="theme-edit"' not in content
    assert 'data-testid="promote"' not in content


def test_theme_page_shows_the_sentiment_split_and_the_summary(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Slow exports", impact=40, summary="Exports <b>never</b> end.")
    for label, n in (("positive", 1), ("neutral", 1), ("negative", 2), ("", 1)):
        FeedbackFactory.create_batch(n, theme=theme, sentiment_label=label)

    content = page_text(client.get(reverse("insights:theme-detail", args=[theme.pk])))

    assert "Exports &lt;b&gt;never&lt;/b&gt; end." in content
    split = content.split('data-testid="sentiment-split"')[1].split("</section>")[0]
    assert 'data-testid="split-positive">1 <span class="muted small">(25%)' in split
    assert 'data-testid="split-neutral">1 <span class="muted small">(25%)' in split
    assert 'data-testid="split-negative">2 <span class="muted small">(50%)' in split
    assert "Not analysed yet" in split


def test_a_parents_page_splits_its_sub_themes_and_links_them(client):
    signed_in(client, Role.EXECUTIVE)
    parent = ranked_theme(label="Mobile app", impact=60)
    crashes = ranked_theme(label="App crashes", impact=45, parent=parent)
    nice = ranked_theme(label="App looks nice", impact=0, parent=parent, polarity="strength")
    FeedbackFactory.create_batch(3, theme=crashes, sentiment_label="negative")
    FeedbackFactory.create_batch(2, theme=nice, sentiment_label="positive")

    content = page_text(client.get(reverse("insights:theme-detail", args=[parent.pk])))
    child_page = page_text(client.get(reverse("insights:theme-detail", args=[crashes.pk])))

    # the parent's split is its sub-themes' added up, and each has its own row
    split = content.split('data-testid="sentiment-split"')[1].split("</section>")[0]
    assert 'data-testid="split-negative">3 <span class="muted small">(60%)' in split
    assert 'data-testid="split-positive">2 <span class="muted small">(40%)' in split
    rows = split.split('data-testid="sub-theme-split"')[1]
    assert rows.index("App crashes") < rows.index("App looks nice")
    assert f'href="/insights/pain-points/{crashes.pk}/"' in rows
    assert "Strength" in rows
    # and a sub-theme's page says where it belongs
    assert 'data-testid="parent">Mobile app<' in child_page


def test_a_strengths_page_shows_its_praise_not_an_impact_score(client):
    signed_in(client, Role.EXECUTIVE)
    theme = ranked_theme(
        label="Support is great", impact=70, polarity=Theme.Polarity.STRENGTH, nps_lift=-3.5
    )

    content = page_text(client.get(reverse("insights:theme-detail", args=[theme.pk])))

    assert 'data-testid="polarity">Strength<' in content
    assert "A strength" in content
    assert "-3.5 pts" in content
    assert "Impact <span" not in content


def test_theme_page_query_count_does_not_grow_with_feedback(client, django_assert_max_num_queries):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = given_a_theme_with_feedback()
    for _ in range(20):
        FeedbackFactory(theme=theme, customer=CustomerFactory(), redacted_text="more")

    with django_assert_max_num_queries(17):
        response = client.get(reverse("insights:theme-detail", args=[theme.pk]))

    assert response.status_code == 200


# ------------------------------------------------------------------------------------------------
# Edits: each POST calls its service; a refusal is a message, never a 500
# ------------------------------------------------------------------------------------------------


def test_rename(client):
    user = signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="export slow", impact=40)

    response = client.post(
        reverse("insights:theme-rename", args=[theme.pk]), {"label": "Slow exports"}, follow=True
    )

    theme.refresh_from_db()
    assert (theme.label, theme.label_edited) == ("Slow exports", True)
    assert ThemeEdit.objects.get(theme=theme).user == user
    assert "Renamed to “Slow exports”." in page_text(response)


def test_rename_to_blank_is_refused_with_the_reason(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="export slow", impact=40)

    response = client.post(
        reverse("insights:theme-rename", args=[theme.pk]), {"label": "   "}, follow=True
    )

    assert response.status_code == 200
    assert "A theme needs a name." in page_text(response)
    theme.refresh_from_db()
    assert theme.label == "export slow"


def test_merge(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    source, target = (
        ranked_theme(label="CSV slow", impact=20),
        ranked_theme(label="Exports", impact=50),
    )
    FeedbackFactory.create_batch(2, theme=source)

    response = client.post(reverse("insights:theme-merge", args=[source.pk]), {"target": target.pk})

    assert response["Location"] == reverse("insights:theme-detail", args=[target.pk])
    source.refresh_from_db()
    assert (source.status, source.merged_into) == (Theme.Status.MERGED, target)
    assert target.feedback.count() == 2


def test_merge_into_itself_is_refused_with_the_reason(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Exports", impact=50)

    response = client.post(
        reverse("insights:theme-merge", args=[theme.pk]), {"target": theme.pk}, follow=True
    )

    assert "A theme cannot be merged into itself." in page_text(response)


def test_dismiss_then_restore(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Noise", impact=15)

    client.post(reverse("insights:theme-dismiss", args=[theme.pk]), {"reason": "greetings"})
    theme.refresh_from_db()
    assert theme.status == Theme.Status.DISMISSED
    assert "Restore" in page_text(client.get(reverse("insights:theme-detail", args=[theme.pk])))

    client.post(reverse("insights:theme-restore", args=[theme.pk]))
    theme.refresh_from_db()
    assert theme.status == Theme.Status.ACTIVE


def test_restoring_an_active_theme_is_refused_with_the_reason(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Exports", impact=50)

    response = client.post(reverse("insights:theme-restore", args=[theme.pk]), follow=True)

    assert "Only a dismissed theme can be restored." in page_text(response)


def test_split(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Login", impact=50)
    kept, *chosen = FeedbackFactory.create_batch(3, theme=theme)

    response = client.post(
        reverse("insights:theme-split", args=[theme.pk]),
        {"feedback": [item.pk for item in chosen], "label": "SSO loops", "target": ""},
        follow=True,
    )

    new = Theme.objects.get(label="SSO loops")
    assert set(new.feedback.values_list("pk", flat=True)) == {item.pk for item in chosen}
    assert "Split off into the new theme “SSO loops”." in page_text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "SSO"}, "Choose the feedback first"),
        ({"feedback": ["all"], "label": "SSO"}, "Choose the feedback first"),
        ({"feedback": ["1"], "label": ""}, "Name the new theme."),
    ],
)
def test_split_without_a_choice_is_refused(client, data, message):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Login", impact=50)

    response = client.post(reverse("insights:theme-split", args=[theme.pk]), data, follow=True)

    assert response.status_code == 200
    assert message in page_text(response) or "Select a valid choice" in page_text(response)


def test_splitting_off_everything_is_refused_with_the_reason(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Login", impact=50)
    items = FeedbackFactory.create_batch(2, theme=theme)

    response = client.post(
        reverse("insights:theme-split", args=[theme.pk]),
        {"feedback": [item.pk for item in items], "label": "All of it"},
        follow=True,
    )

    assert "Splitting off all of its feedback is a rename" in page_text(response)
    assert not Theme.objects.filter(label="All of it").exists()


def test_move_to_another_theme_and_out_of_every_theme(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme, other = ranked_theme(label="Login", impact=50), ranked_theme(label="SSO", impact=30)
    first, second = FeedbackFactory.create_batch(2, theme=theme)

    moved = client.post(
        reverse("insights:theme-feedback-move", args=[theme.pk]),
        {"feedback": [first.pk], "target": other.pk},
        follow=True,
    )
    client.post(
        reverse("insights:theme-feedback-move", args=[theme.pk]),
        {"feedback": [second.pk], "target": "none"},
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.theme, first.theme_pinned) == (other, True)
    assert (second.theme, second.theme_pinned) == (None, True)
    assert "Moved 1 feedback item to “SSO”." in page_text(moved)


def test_move_into_a_merged_theme_is_refused_with_the_reason(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ranked_theme(label="Login", impact=50)
    gone = ThemeFactory(label="Gone", status=Theme.Status.MERGED, merged_into=theme)
    item = FeedbackFactory(theme=theme)

    response = client.post(
        reverse("insights:theme-feedback-move", args=[theme.pk]),
        {"feedback": [item.pk], "target": gone.pk},
        follow=True,
    )

    assert "was merged; move the feedback where it went" in page_text(response)
    item.refresh_from_db()
    assert item.theme == theme


EDITS = [
    ("insights:theme-rename", {"label": "New"}),
    ("insights:theme-merge", {"target": ""}),
    ("insights:theme-dismiss", {"reason": ""}),
    ("insights:theme-restore", {}),
    ("insights:theme-split", {"label": "New", "feedback": ["1"]}),
    ("insights:theme-feedback-move", {"feedback": ["1"], "target": "none"}),
]


@pytest.mark.parametrize(("route", "data"), EDITS, ids=[route for route, _ in EDITS])
@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ENGINEER])
def test_viewers_may_not_edit(client, route, data, role):
    signed_in(client, role)
    theme = ranked_theme(label="Login", impact=50)
    FeedbackFactory(theme=theme)

    response = client.post(reverse(route, args=[theme.pk]), data)

    assert response.status_code == 403
    assert not ThemeEdit.objects.exists()
    theme.refresh_from_db()
    assert (theme.label, theme.status) == ("Login", Theme.Status.ACTIVE)


@pytest.mark.parametrize(("route", "data"), EDITS, ids=[route for route, _ in EDITS])
def test_edits_of_a_missing_theme_are_404(client, route, data):
    signed_in(client, Role.PRODUCT_MANAGER)

    assert client.post(reverse(route, args=[999_999]), data).status_code == 404


# ------------------------------------------------------------------------------------------------
# The theme map
# ------------------------------------------------------------------------------------------------


def test_theme_map_projects_the_centroids_and_skips_themes_without_one(client):
    signed_in(client, Role.EXECUTIVE)
    rng = np.random.default_rng(3)
    for n in range(4):
        ranked_theme(label=f"Mapped {n}", impact=40 - n, centroid=rng.normal(size=16))
    ranked_theme(label="<b>Unmapped</b>", impact=50)

    response = client.get(reverse("insights:theme-map"))

    spec = response.context["chart"]
    trace = spec["data"][0]
    assert len(trace["x"]) == len(trace["y"]) == 4
    assert trace["text"] == [f"Mapped {n}" for n in range(4)]
    assert "Unmapped" not in page_text(response)


def test_theme_map_with_one_or_no_theme(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    assert client.get(reverse("insights:theme-map")).context["chart"] is None

    ranked_theme(label="Alone", impact=10, centroid=np.ones(8))
    spec = client.get(reverse("insights:theme-map")).context["chart"]

    assert spec["data"][0]["x"] == [0.0]
