"""Impact reviews: scheduling when an item ships, measuring when due, the verdict per metric, the
item page, and the seeded demo's shipped fix."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from insights.models import ModelRun, RunStatus
from insights.roles import Role
from insights.services.analysis import feedback_text_analyze
from roadmap.demo import SHIPPED_TITLE, demo_impact_seed, demo_organisation_seed
from roadmap.impact import (
    impact_review_measure,
    impact_reviews_cancel,
    impact_reviews_measure_due,
    impact_reviews_schedule,
    impact_reviews_schedule_missing,
)
from roadmap.impact_selectors import impact_panel
from roadmap.models import BacklogItem, ImpactReview
from roadmap.tasks import impact_reviews_measure_due as measure_due_task
from roadmap.wins import wins_recent
from tests.conftest import user_with_role
from tests.insights.factories import (
    ChurnScoreFactory,
    CustomerFactory,
    ModelRunFactory,
    ThemeFactory,
    UsageSnapshotFactory,
)
from tests.roadmap.factories import BacklogItemFactory
from tests.roadmap.impact_builders import (
    ALL_DUE,
    SHIPPED_ON,
    daily_background,
    fading_pain_point,
    mentions,
    noon,
    shipped_item,
)

pytestmark = pytest.mark.django_db

Status, Verdict = ImpactReview.Status, ImpactReview.Verdict


def _reviews(item) -> list[tuple]:
    return list(item.impact_reviews.order_by("days_after").values_list("days_after", "status"))


# --- scheduling ---------------------------------------------------------------------------------


def test_shipping_schedules_three_reviews_once():
    # Given a shipped item
    item = shipped_item()
    # When its reviews are scheduled twice
    first = impact_reviews_schedule(item=item)
    again = impact_reviews_schedule(item=item)
    # Then it has reviews 30, 60 and 90 days after the ship date, once
    assert [(r.days_after, r.due_on) for r in first] == [
        (days, SHIPPED_ON + dt.timedelta(days=days)) for days in (30, 60, 90)
    ]
    assert [r.pk for r in again] == [r.pk for r in first]
    assert item.impact_reviews.count() == 3


def test_a_new_ship_date_moves_the_reviews_not_yet_done():
    # Given an item whose 30-day review is done
    item = shipped_item()
    impact_reviews_schedule(item=item)
    item.impact_reviews.filter(days_after=30).update(
        status=Status.DONE, verdict=Verdict.MET, measured_at=timezone.now()
    )
    # When it ships again ten days later
    BacklogItem.objects.filter(pk=item.pk).update(shipped_on=SHIPPED_ON + dt.timedelta(days=10))
    impact_reviews_schedule(item=item)
    # Then the done review stays; the others are due from the new date
    due = dict(item.impact_reviews.values_list("days_after", "due_on"))
    assert due[30] == SHIPPED_ON + dt.timedelta(days=30)
    assert due[60] == SHIPPED_ON + dt.timedelta(days=70)
    assert due[90] == SHIPPED_ON + dt.timedelta(days=100)


def test_leaving_shipped_cancels_and_shipping_again_brings_them_back():
    item = shipped_item()
    impact_reviews_schedule(item=item)
    item.impact_reviews.filter(days_after=30).update(
        status=Status.DONE, verdict=Verdict.MET, measured_at=timezone.now()
    )
    assert impact_reviews_cancel(item=item) == 2
    assert impact_reviews_cancel(item=item) == 0
    assert _reviews(item) == [(30, "done"), (60, "cancelled"), (90, "cancelled")]
    impact_reviews_schedule(item=item)
    assert _reviews(item) == [(30, "done"), (60, "scheduled"), (90, "scheduled")]


def test_items_not_shipped_get_no_reviews_and_shipped_ones_without_them_are_caught_up():
    idea = BacklogItemFactory(status=BacklogItem.Status.NOW)
    assert impact_reviews_schedule(item=idea) == []
    shipped = shipped_item()
    assert impact_reviews_schedule_missing() == 1
    assert shipped.impact_reviews.count() == 3
    assert impact_reviews_schedule_missing() == 0


# --- measuring ----------------------------------------------------------------------------------


def test_a_fading_pain_point_meets_its_target_and_the_item_becomes_measured():
    # Given a shipped item whose pain point fades: 60 mentions in the 60 days before, 6 in days
    # 31–90 after
    theme = fading_pain_point()
    item = shipped_item(themes=(theme,))
    impact_reviews_schedule(item=item)
    # When the daily run measures everything due
    result = impact_reviews_measure_due(today=ALL_DUE)
    # Then every review is done and met
    assert (result.measured, result.remaining) == (3, False)
    assert set(item.impact_reviews.values_list("status", "verdict")) == {("done", "met")}
    # And the 90-day review compares 60 days each side, with the rate test's figures
    review = item.impact_reviews.get(days_after=90)
    metric = review.evidence["metric"]
    assert review.before["value"] == 60
    assert review.after["value"] == 6
    assert metric["observed"] == pytest.approx(-90)
    assert metric["p_value"] < 0.001
    assert metric["test"].startswith("exact Poisson")
    assert "target" in metric["reason"]
    assert review.evidence["windows"]["days"] == 60
    assert review.evidence["windows"]["after"] == ["2026-02-15", "2026-04-15"]
    assert review.evidence["themes"][0]["label"] == "Slow exports"
    assert review.evidence["quotes"]["before"][0]["text"].startswith("Exports time out")
    # And the item moved from shipped to measured
    item.refresh_from_db()
    assert item.status == BacklogItem.Status.MEASURED
    # And a second run finds nothing left to do
    assert impact_reviews_measure_due(today=ALL_DUE).measured == 0


def test_reviews_wait_for_their_day_and_are_written_once():
    theme = fading_pain_point()
    item = shipped_item(themes=(theme,))
    impact_reviews_schedule(item=item)
    review = item.impact_reviews.get(days_after=30)
    assert impact_reviews_measure_due(today=SHIPPED_ON + dt.timedelta(days=29)).measured == 0
    assert impact_review_measure(review_id=review.pk, today=review.due_on).status == Status.DONE
    assert impact_review_measure(review_id=review.pk, today=review.due_on) is None


def test_a_review_of_an_item_that_shipped_again_meanwhile_is_rescheduled_not_measured():
    item = shipped_item(themes=(fading_pain_point(),))
    impact_reviews_schedule(item=item)
    review = item.impact_reviews.get(days_after=30)
    BacklogItem.objects.filter(pk=item.pk).update(shipped_on=SHIPPED_ON + dt.timedelta(days=5))
    assert impact_review_measure(review_id=review.pk, today=ALL_DUE) is None
    review.refresh_from_db()
    assert (review.status, review.due_on) == (Status.SCHEDULED, SHIPPED_ON + dt.timedelta(35))


def test_a_rising_pain_point_is_not_met():
    theme = ThemeFactory()
    mentions(theme=theme, start=SHIPPED_ON - dt.timedelta(days=30), days=30, count=10)
    mentions(theme=theme, start=SHIPPED_ON + dt.timedelta(days=1), days=30, count=30)
    daily_background(start=SHIPPED_ON, end=ALL_DUE)
    item = shipped_item(themes=(theme,))
    impact_reviews_schedule(item=item)
    review = impact_review_measure(
        review_id=item.impact_reviews.get(days_after=30).pk, today=ALL_DUE
    )
    assert review.verdict == Verdict.NOT_MET
    assert review.evidence["metric"]["observed"] == pytest.approx(200)


def test_a_small_drop_within_noise_is_inconclusive():
    theme = ThemeFactory()
    mentions(theme=theme, start=SHIPPED_ON - dt.timedelta(days=30), days=30, count=6)
    mentions(theme=theme, start=SHIPPED_ON + dt.timedelta(days=1), days=30, count=3)
    daily_background(start=SHIPPED_ON, end=ALL_DUE)
    item = shipped_item(themes=(theme,))
    impact_reviews_schedule(item=item)
    review = impact_review_measure(
        review_id=item.impact_reviews.get(days_after=30).pk, today=ALL_DUE
    )
    assert review.verdict == Verdict.INCONCLUSIVE
    assert "noise" in review.evidence["metric"]["reason"]


def test_without_fresh_feedback_it_is_too_early_and_looked_at_again_until_the_grace_ends():
    # Given a pain point with mentions before shipping and no feedback at all since
    theme = ThemeFactory()
    mentions(theme=theme, start=SHIPPED_ON - dt.timedelta(days=30), days=30, count=20)
    item = shipped_item(themes=(theme,))
    impact_reviews_schedule(item=item)
    review = item.impact_reviews.get(days_after=30)
    # When it falls due, it is too early and stays scheduled
    looked = impact_review_measure(review_id=review.pk, today=review.due_on)
    assert (looked.status, looked.verdict) == (Status.SCHEDULED, Verdict.TOO_EARLY)
    assert "arrived" in looked.evidence["metric"]["reason"]
    # And the same day's run does not look again
    assert impact_reviews_measure_due(today=review.due_on).measured == 0
    # When the grace has passed, it is closed as too early
    late = impact_review_measure(review_id=review.pk, today=review.due_on + dt.timedelta(14))
    assert (late.status, late.verdict) == (Status.DONE, Verdict.TOO_EARLY)


def test_no_pain_point_or_no_target_is_inconclusive():
    daily_background(start=SHIPPED_ON, end=ALL_DUE)
    unlinked = shipped_item()
    untargeted = shipped_item(themes=(ThemeFactory(),), target=None)
    for item in (unlinked, untargeted):
        impact_reviews_schedule(item=item)
    impact_reviews_measure_due(today=ALL_DUE)
    assert set(ImpactReview.objects.values_list("verdict", flat=True)) == {Verdict.INCONCLUSIVE}


def test_nps_of_the_affected_accounts_is_compared_with_intervals():
    # Given accounts that raised the pain point before shipping: detractors before, promoters after
    theme = ThemeFactory()
    accounts = CustomerFactory.create_batch(5)
    mentions(
        theme=theme, start=SHIPPED_ON - dt.timedelta(days=100), days=10, count=5, customers=accounts
    )
    mentions(
        theme=None,
        start=SHIPPED_ON - dt.timedelta(days=30),
        days=30,
        count=20,
        customers=accounts,
        nps=3,
    )
    mentions(
        theme=None,
        start=SHIPPED_ON + dt.timedelta(days=1),
        days=30,
        count=20,
        customers=accounts,
        nps=9,
    )
    # And someone else's answers, which do not count
    mentions(theme=None, start=SHIPPED_ON + dt.timedelta(days=1), days=30, count=20, nps=0)
    item = shipped_item(themes=(theme,), metric_kind=BacklogItem.MetricKind.NPS, target=20)
    impact_reviews_schedule(item=item)
    # When the 30-day review is measured
    review = impact_review_measure(
        review_id=item.impact_reviews.get(days_after=30).pk, today=ALL_DUE
    )
    # Then NPS went from −100 to +100 among the 5 affected accounts: met
    assert review.verdict == Verdict.MET
    assert (review.before["value"], review.after["value"]) == (-100, 100)
    assert review.after["n"] == 20
    assert review.evidence["accounts"] == 5
    assert review.evidence["nps"]["after"]["ci_low"] is not None


def test_nps_with_few_answers_after_is_too_early():
    theme = ThemeFactory()
    accounts = CustomerFactory.create_batch(3)
    mentions(
        theme=theme, start=SHIPPED_ON - dt.timedelta(days=20), days=10, count=3, customers=accounts
    )
    mentions(
        theme=None,
        start=SHIPPED_ON + dt.timedelta(days=1),
        days=30,
        count=4,
        customers=accounts,
        nps=9,
    )
    item = shipped_item(themes=(theme,), metric_kind=BacklogItem.MetricKind.NPS, target=20)
    impact_reviews_schedule(item=item)
    review = impact_review_measure(
        review_id=item.impact_reviews.get(days_after=30).pk, today=ALL_DUE
    )
    assert review.verdict == Verdict.TOO_EARLY


def test_adoption_of_the_named_feature_reaches_its_level():
    # Given export used by 20 % of active users in the two months before, 50 % in the two after
    for customer in CustomerFactory.create_batch(3):
        for period, users in (
            (dt.date(2025, 11, 1), 4),
            (dt.date(2025, 12, 1), 4),
            (dt.date(2026, 2, 1), 10),
            (dt.date(2026, 3, 1), 10),
        ):
            UsageSnapshotFactory(
                customer=customer,
                period=period,
                active_users=20,
                feature_adoption={"export": users},
            )
    item = shipped_item(metric_kind=BacklogItem.MetricKind.ADOPTION, target=40, feature="export")
    impact_reviews_schedule(item=item)
    # When the reviews are measured
    impact_reviews_measure_due(today=ALL_DUE)
    verdicts = dict(item.impact_reviews.values_list("days_after", "verdict"))
    # Then the 90-day review compares the whole months and meets the target; a month after
    # shipping no whole month had ended yet
    assert verdicts[90] == Verdict.MET
    assert verdicts[30] == Verdict.TOO_EARLY
    review = item.impact_reviews.get(days_after=90)
    assert (review.before["value"], review.after["value"]) == (20, 50)
    assert review.after["months"] == ["2026-02-01", "2026-03-01"]


def _scoring_run(finished: dt.date) -> ModelRun:
    return ModelRunFactory(
        kind=ModelRun.Kind.CHURN_SCORE, status=RunStatus.SUCCEEDED, finished_at=noon(finished)
    )


def test_churn_risk_of_the_affected_accounts_is_paired_before_and_after():
    # Given six accounts that raised the pain point, scored before shipping and again after
    theme = ThemeFactory()
    accounts = CustomerFactory.create_batch(6)
    mentions(
        theme=theme, start=SHIPPED_ON - dt.timedelta(days=30), days=30, count=6, customers=accounts
    )
    before, after = (
        _scoring_run(SHIPPED_ON - dt.timedelta(5)),
        _scoring_run(ALL_DUE - dt.timedelta(5)),
    )
    for i, account in enumerate(accounts):
        ChurnScoreFactory(
            customer=account, run=before, probability=0.50 + i / 100, scored_at=noon(SHIPPED_ON)
        )
        ChurnScoreFactory(
            customer=account, run=after, probability=0.30 + i / 200, scored_at=noon(ALL_DUE)
        )
    item = shipped_item(themes=(theme,), metric_kind=BacklogItem.MetricKind.CHURN_RISK, target=-5)
    impact_reviews_schedule(item=item)
    # When the 90-day review is measured
    review = impact_review_measure(
        review_id=item.impact_reviews.get(days_after=90).pk, today=ALL_DUE
    )
    # Then the mean risk fell by about 21 points over the six accounts: met
    assert review.verdict == Verdict.MET
    assert review.before["n"] == 6
    assert review.evidence["metric"]["observed"] == pytest.approx(-21.25)
    # And the 30-day review had no scoring since the ship date to compare with
    early = impact_review_measure(
        review_id=item.impact_reviews.get(days_after=30).pk, today=ALL_DUE
    )
    assert early.verdict == Verdict.TOO_EARLY


def test_an_item_that_left_shipped_has_its_reviews_cancelled_not_measured():
    item = shipped_item(themes=(fading_pain_point(),))
    impact_reviews_schedule(item=item)
    BacklogItem.objects.filter(pk=item.pk).update(status=BacklogItem.Status.IN_PROGRESS)
    assert impact_reviews_measure_due(today=ALL_DUE).measured == 0
    assert set(item.impact_reviews.values_list("status", flat=True)) == {Status.CANCELLED}


# --- the task and beat --------------------------------------------------------------------------


def test_the_daily_task_measures_what_is_due(monkeypatch):
    item = shipped_item(themes=(fading_pain_point(),))
    monkeypatch.setattr("roadmap.impact.org_today", lambda: ALL_DUE)

    result = measure_due_task()

    assert result == {"scheduled": 1, "measured": 3}
    assert item.impact_reviews.filter(status=Status.DONE).count() == 3


def test_beat_runs_it_daily_on_a_named_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["impact-reviews-daily"]
    assert entry["task"] == measure_due_task.name == "roadmap.tasks.impact_reviews_measure_due"
    assert measure_due_task.queue == "ml"
    assert measure_due_task.time_limit > measure_due_task.soft_time_limit > 0


# --- the item page ------------------------------------------------------------------------------


def test_the_item_page_shows_the_verdict_with_its_evidence(client, django_assert_max_num_queries):
    item = shipped_item(themes=(fading_pain_point(),), title="Background exports")
    impact_reviews_schedule(item=item)
    impact_reviews_measure_due(today=ALL_DUE)
    client.force_login(user_with_role(Role.ENGINEER))

    content = client.get(reverse("roadmap:backlog-detail", args=[item.pk])).content.decode()

    assert 'data-testid="impact-verdict">Met<' in content
    assert "2026-02-15 – 2026-04-15" in content
    assert "exact Poisson rate test" in content
    assert "Exports time out again" in content
    with django_assert_max_num_queries(2):
        panel = impact_panel(item=item)
    assert panel.latest.days_after == 90
    assert len(panel.quotes_before) == 3


def test_the_item_page_of_an_unshipped_item_has_no_impact_section(client):
    item = BacklogItemFactory(status=BacklogItem.Status.NOW)
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    content = client.get(reverse("roadmap:backlog-detail", args=[item.pk])).content.decode()
    assert 'data-testid="impact-reviews"' not in content


# --- the demo -----------------------------------------------------------------------------------

TODAY = dt.date(2026, 3, 15)


def test_the_demo_s_shipped_fix_is_measured_met_and_is_a_win(client):
    # Given the small demo organisation, seeded as `seed_demo` does
    demo_organisation_seed(seed=7, today=TODAY, scale=0.15)
    # When its impact is seeded and the due reviews measured
    impact = demo_impact_seed(today=TODAY)
    # Then the export fix's three reviews are done and the standing verdict is met
    item = BacklogItem.objects.get(title=SHIPPED_TITLE)
    assert (item.metric_kind, item.target, item.metric_window_days) == ("theme_volume", -50, 60)
    assert impact.measured == 3
    assert impact.verdict == Verdict.MET
    assert item.status == BacklogItem.Status.MEASURED
    review = item.impact_reviews.get(days_after=90)
    metric = review.evidence["metric"]
    assert metric["observed"] <= -50
    assert metric["p_value"] < 0.05
    assert review.before["value"] > 3 * review.after["value"]
    assert review.evidence["credits"][0]["username"] == "engineer"
    # And seeding again changes nothing
    again = demo_impact_seed(today=TODAY)
    assert (again.theme, again.measured, again.verdict) == (None, 0, Verdict.MET)
    # When the analysis has redacted the complaints (as `make demo` runs it next)
    feedback_text_analyze(queryset=impact.theme.feedback.all())
    # Then the wins feed shows the fix, in the customers' words, crediting the engineer
    wins = wins_recent()
    assert [win.item.title for win in wins] == [SHIPPED_TITLE]
    assert wins[0].quotes_before
    assert wins[0].engineers[0]["username"] == "engineer"
    client.force_login(user_with_role(Role.EXECUTIVE))
    content = client.get(reverse("roadmap:wins")).content.decode()
    assert SHIPPED_TITLE in content
    assert wins[0].quotes_before[0] in content.replace("&#x27;", "'").replace("&quot;", '"')
