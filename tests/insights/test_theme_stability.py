"""Themes that hold (issue #13, section 3): a re-run on unchanged data changes nothing, grown data
adds to the themes instead of reshuffling them, a new topic becomes a new theme, every person's
edit holds on every re-run, and a theme left empty is retired."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from insights.demo_text import comment_compose
from insights.models import Feedback, Theme
from insights.selectors import pain_points_ranked
from insights.services import analysis
from insights.services.themes import feedback_move, theme_dismiss, theme_merge
from tests.insights.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TOPICS = ("slow_exports", "sso_login_loops", "confusing_invoices", "search_misses")


def _feedback(rng, topic, *, count, customer=None, days=80):
    now = timezone.now()
    return [
        Feedback(
            source=Feedback.Source.SURVEY,
            text=comment_compose(rng, tone="pain", pain_point=topic),
            received_at=now - dt.timedelta(days=rng.randint(0, days)),
            customer=customer,
            metadata={"truth": topic},
        )
        for _ in range(count)
    ]


@pytest.fixture
def organisation(db):
    rng = random.Random(5)
    customer = CustomerFactory(arr=50_000)
    rows = [row for topic in TOPICS for row in _feedback(rng, topic, count=40, customer=customer)]
    Feedback.objects.bulk_create(rows)
    return rng


def _themes_by_feedback() -> dict[int, int | None]:
    return dict(Feedback.objects.values_list("pk", "theme_id"))


def _holder(topic: str) -> Theme:
    counts: dict[int, int] = {}
    for theme_id in Feedback.objects.filter(metadata__truth=topic).values_list(
        "theme_id", flat=True
    ):
        counts[theme_id] = counts.get(theme_id, 0) + 1
    return Theme.objects.get(pk=max(counts, key=counts.get))


def test_a_re_run_on_unchanged_data_keeps_every_feedback_ids_and_labels(organisation):
    # Given an analysed organisation
    analysis.analysis_run_now()
    before = _themes_by_feedback()
    labels = dict(Theme.objects.values_list("pk", "label"))

    # When the analysis runs again on the same data
    analysis.analysis_run_now()

    # Then every feedback is in the same theme, and the themes kept their labels
    assert _themes_by_feedback() == before
    assert dict(Theme.objects.values_list("pk", "label")) == labels


def test_grown_data_keeps_earlier_feedback_and_a_new_topic_becomes_a_new_theme(organisation):
    # Given an analysed organisation
    analysis.analysis_run_now()
    before = _themes_by_feedback()
    themes_before = set(
        Theme.objects.filter(status=Theme.Status.ACTIVE).values_list("pk", flat=True)
    )

    # When 10 % more feedback arrives on the known topics, and 25 on a topic never seen before
    rng = organisation
    grown = [row for topic in TOPICS for row in _feedback(rng, topic, count=4)]
    grown += _feedback(rng, "notification_spam", count=25)
    Feedback.objects.bulk_create(grown)
    analysis.analysis_run_now()

    # Then the earlier feedback stayed where it was
    after = _themes_by_feedback()
    kept = sum(after[pk] == theme for pk, theme in before.items())
    assert kept / len(before) >= 0.95
    # And the known topics' newcomers joined their topic's theme
    for topic in TOPICS:
        holder = _holder(topic)
        newcomers = [row.pk for row in grown if row.metadata["truth"] == topic]
        assert Feedback.objects.filter(pk__in=newcomers, theme=holder).count() >= 3
    # And the new topic is a theme of its own (the generator words it several ways: it may be
    # more than one), the old ones are all still there
    spam = _holder("notification_spam")
    assert spam.pk not in themes_before
    assert Feedback.objects.filter(metadata__truth="notification_spam", theme=spam).count() >= 12
    spam_themes = set(
        Feedback.objects.filter(
            metadata__truth="notification_spam", theme__isnull=False
        ).values_list("theme", flat=True)
    )
    assert not spam_themes & themes_before
    assert themes_before <= set(
        Theme.objects.filter(status=Theme.Status.ACTIVE).values_list("pk", flat=True)
    )


def test_a_merge_target_keeps_all_of_its_own_feedback_on_every_re_run(organisation):
    """Issue #13: after "users team" (35) was merged into "add new" (50), the re-run moved the 50
    items that were originally in "add new" to another theme. Matching re-clustered centroids to
    themes lost the target once its centroid, recomputed from all it held, sat between unrelated
    topics: its own cluster no longer matched it and became a new theme."""
    # Given an analysed organisation with three unrelated topics
    rng = organisation
    Feedback.objects.bulk_create(
        _feedback(rng, "mobile_upload_crash", count=45)
        + _feedback(rng, "coarse_permissions", count=35)
        + _feedback(rng, "api_rate_limits", count=35)
    )
    analysis.analysis_run_now()
    # And a PM's merges of two of them into the third
    target = _holder("mobile_upload_crash")
    own = set(target.feedback.values_list("pk", flat=True))
    gained: set[int] = set()
    for topic in ("coarse_permissions", "api_rate_limits"):
        source = _holder(topic)
        assert source.pk != target.pk
        gained |= set(source.feedback.values_list("pk", flat=True))
        theme_merge(source=source, target=target)

    # When the analysis runs twice more
    analysis.analysis_run_now()
    analysis.analysis_run_now()

    # Then the target holds all of its own feedback and all of the sources'
    assert own | gained <= set(target.feedback.values_list("pk", flat=True))
    assert not Feedback.objects.filter(theme__status=Theme.Status.MERGED).exists()


def test_feedback_like_a_merged_theme_goes_where_it_was_merged(organisation):
    analysis.analysis_run_now()
    target, source = _holder("slow_exports"), _holder("confusing_invoices")
    theme_merge(source=source, target=target)
    arriving = Feedback.objects.bulk_create(_feedback(organisation, "confusing_invoices", count=5))

    analysis.analysis_run_now()

    themes = set(
        Feedback.objects.filter(pk__in=[row.pk for row in arriving]).values_list("theme", flat=True)
    )
    assert themes == {target.pk}


def test_a_dismissed_theme_stays_dismissed_and_keeps_its_kind_of_feedback(organisation):
    # Given a PM dismissed a theme
    analysis.analysis_run_now()
    dismissed = theme_dismiss(theme=_holder("search_misses"), reason="known, won't fix")

    # When more of the same arrives and the analysis runs
    arriving = Feedback.objects.bulk_create(_feedback(organisation, "search_misses", count=25))
    analysis.analysis_run_now()

    # Then the dismissed theme gathered it, instead of it coming back as a new pain point
    dismissed.refresh_from_db()
    assert dismissed.status == Theme.Status.DISMISSED
    landed = Feedback.objects.filter(pk__in=[row.pk for row in arriving], theme=dismissed)
    assert landed.count() >= 15
    ranked = {point.theme.pk for point in pain_points_ranked(with_quotes=False)}
    assert dismissed.pk not in ranked
    assert not any(
        Feedback.objects.filter(metadata__truth="search_misses", theme_id=pk).count() >= 10
        for pk in ranked
    )


def test_a_theme_left_empty_is_retired_and_comes_back_when_feedback_joins_it(organisation):
    # Given a PM moved all of a theme's feedback out of every theme
    analysis.analysis_run_now()
    emptied = _holder("sso_login_loops")
    members = list(emptied.feedback.values_list("pk", flat=True))
    feedback_move(feedback_ids=members, theme=None)

    # When the analysis runs
    analysis.analysis_run_now()

    # Then the theme is retired: kept, not listed
    emptied.refresh_from_db()
    assert emptied.status == Theme.Status.RETIRED
    assert emptied.pk not in {point.theme.pk for point in pain_points_ranked(with_quotes=False)}

    # And when new feedback of its kind arrives, it joins the theme again, which comes back
    arriving = Feedback.objects.create(
        source=Feedback.Source.API,
        text=comment_compose(random.Random(3), tone="pain", pain_point="sso_login_loops"),
        received_at=timezone.now(),
    )
    analysis.feedback_analyze_new(feedback_ids=[arriving.pk])
    arriving.refresh_from_db()
    emptied.refresh_from_db()
    assert arriving.theme_id == emptied.pk
    assert emptied.status == Theme.Status.ACTIVE


def test_new_feedback_that_fits_no_theme_requests_a_full_run_once_enough_gathers(
    organisation, settings, django_capture_on_commit_callbacks
):
    # Given an analysed organisation and a small drift pool
    analysis.analysis_run_now()
    settings.BACKLIGHT_ANALYZE_ON_ARRIVAL = True
    settings.BACKLIGHT_THEME_DRIFT_POOL = 20
    themes_before = Theme.objects.count()

    # When feedback of a topic never seen arrives, a few at a time, as the API sends it
    arriving = Feedback.objects.bulk_create(_feedback(organisation, "notification_spam", count=25))
    ids = [row.pk for row in arriving]
    with django_capture_on_commit_callbacks(execute=True) as queued:
        analysis.feedback_analyze_new(feedback_ids=ids[:10])
    assert not queued  # not yet: ten say nothing new
    assert Theme.objects.count() == themes_before
    with django_capture_on_commit_callbacks(execute=True) as queued:
        analysis.feedback_analyze_new(feedback_ids=ids[10:])
    assert len(queued) == 1

    # Then a full run found it (tests run tasks in-process) and it is a theme of its own
    spam = _holder("notification_spam")
    assert spam.pk is not None
    assert Feedback.objects.filter(pk__in=ids, theme=spam).count() >= 12
    assert Theme.objects.count() > themes_before


def test_a_catch_all_theme_is_split_into_sub_themes(organisation):
    # Given a theme holding half of all feedback: two topics a person put together
    analysis.analysis_run_now()
    exports, sso = _holder("slow_exports"), _holder("sso_login_loops")
    feedback_move(feedback_ids=list(sso.feedback.values_list("pk", flat=True)), theme=exports)
    held = set(exports.feedback.values_list("pk", flat=True))
    assert len(held) >= 60

    # When the analysis runs
    analysis.analysis_run_now()

    # Then its feedback sits in its sub-themes, each labelled apart, the topics apart
    children = list(Theme.objects.filter(parent=exports, status=Theme.Status.ACTIVE))
    assert 2 <= len(children) <= 8
    assert not exports.feedback.exists()
    assert set(Feedback.objects.filter(theme__parent=exports).values_list("pk", flat=True)) == held
    assert len({child.label for child in children}) == len(children)
    for topic in ("slow_exports", "sso_login_loops"):
        assert _holder(topic).parent_id == exports.pk
    assert _holder("slow_exports") != _holder("sso_login_loops")
    # And the list shows the parent once, its sub-themes under it
    ranked = pain_points_ranked(with_quotes=False)
    assert [point.theme.pk for point in ranked].count(exports.pk) == 1
    assert not {child.pk for child in children} & {point.theme.pk for point in ranked}

    # And a re-run keeps the sub-themes as they are
    before = _themes_by_feedback()
    analysis.analysis_run_now()
    assert _themes_by_feedback() == before
