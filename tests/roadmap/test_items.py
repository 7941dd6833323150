"""Backlog items that say how they improve the customer's experience: the form, the rule that
guards Now, the customer-impact score with its parts, and the evidence on the item's page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.models import ModelRun, RunStatus, Segment, Theme
from insights.roles import Role
from roadmap.models import BacklogItem, BacklogThemeLink, ImpactReview
from roadmap.selectors import backlog_item_evidence, backlog_item_get
from roadmap.services import (
    BacklogItemNotReady,
    ThemeLinkInput,
    backlog_item_create,
    backlog_item_move,
    backlog_item_update,
)
from tests.conftest import user_with_role
from tests.insights.factories import (
    ChurnScoreFactory,
    CustomerFactory,
    FeedbackFactory,
    ModelRunFactory,
    ThemeFactory,
)
from tests.roadmap.factories import BacklogItemFactory
from tests.touchpoints.factories import TeamFactory

pytestmark = pytest.mark.django_db
Status = BacklogItem.Status
Metric = BacklogItem.MetricKind

READY = {
    "customer_problem": "Exports of large reports time out.",
    "desired_outcome": "A 50k-row export finishes in under a minute.",
    "metric_kind": Metric.THEME_VOLUME,
    "metric_description": "Slow-export mentions −50 % within 60 days.",
    "target": -50.0,
}


def ready_item(**fields) -> BacklogItem:
    """An item with a problem, an outcome and a success metric: it may move to Now."""
    return BacklogItemFactory(**{**READY, **fields})


def form_data(**overrides) -> dict:
    data = {
        "title": "Background exports",
        "customer_problem": READY["customer_problem"],
        "desired_outcome": READY["desired_outcome"],
        "metric_kind": Metric.THEME_VOLUME,
        "metric_description": READY["metric_description"],
        "metric_feature": "",
        "baseline": "120",
        "target": "-50",
        "metric_window_days": "60",
        "impact_level": BacklogItem.ImpactLevel.HIGH,
        "effort_weeks": "4",
        "confidence": "80",
        "team": "",
        "owner": "",
        "tracker_url": "https://example.atlassian.net/browse/APP-12",
        "tracker_key": "APP-12",
        "status": Status.IDEA,
        "links-TOTAL_FORMS": "2",
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "20",
        "links-0-theme": "",
        "links-0-rationale": "",
        "links-1-theme": "",
        "links-1-rationale": "",
    }
    data.update(overrides)
    return data


# --- the Now rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.NOW, Status.IN_PROGRESS, Status.SHIPPED])
def test_an_item_without_outcome_and_metric_cannot_move_to_now_or_beyond(status):
    # Given an idea with a problem but no outcome and no metric
    item = BacklogItemFactory(desired_outcome="", metric_kind="", status=Status.IDEA)

    # When it is moved to Now (or beyond)
    with pytest.raises(BacklogItemNotReady) as raised:
        backlog_item_move(item=item, status=status)

    # Then the move is refused with what is missing, and the item stays where it was
    message = raised.value.messages[0]
    assert "desired outcome" in message
    assert "what the success metric measures" in message
    assert "success metric's target" in message
    assert set(raised.value.missing) == {
        "desired_outcome",
        "metric_kind",
        "metric_description",
        "target",
    }
    item.refresh_from_db()
    assert item.status == Status.IDEA
    assert item.shipped_on is None


def test_a_missing_target_alone_blocks_now():
    item = ready_item(target=None)

    with pytest.raises(BacklogItemNotReady, match="Missing: the success metric's target"):
        backlog_item_move(item=item, status=Status.NOW)


def test_a_blank_outcome_counts_as_missing():
    item = ready_item(desired_outcome="   ")

    with pytest.raises(BacklogItemNotReady, match="the desired outcome"):
        backlog_item_move(item=item, status=Status.NOW)


def test_a_ready_item_moves_to_now():
    item = ready_item()

    moved = backlog_item_move(item=item, status=Status.NOW)

    assert moved.status == Status.NOW
    item.refresh_from_db()
    assert item.status == Status.NOW


@pytest.mark.parametrize("status", [Status.DISCOVERY, Status.NEXT, Status.LATER])
def test_columns_before_now_need_no_metric(status):
    item = BacklogItemFactory(desired_outcome="", metric_kind="")

    assert backlog_item_move(item=item, status=status).status == status


def test_an_incomplete_item_already_in_now_can_still_be_reordered():
    legacy = BacklogItemFactory(status=Status.NOW, desired_outcome="", position=1)
    BacklogItemFactory(status=Status.NOW, position=2)

    moved = backlog_item_move(item=legacy, status=Status.NOW, position=2)

    assert moved.position == 2


def test_an_item_cannot_be_created_straight_into_now_without_a_metric():
    pm = user_with_role(Role.PRODUCT_MANAGER)

    with pytest.raises(BacklogItemNotReady):
        backlog_item_create(
            user=pm,
            fields={"title": "Faster exports", "customer_problem": "Exports time out."},
            status=Status.NOW,
        )

    assert not BacklogItem.objects.exists()


def test_editing_an_item_in_now_keeps_its_metric():
    item = ready_item(status=Status.NOW)

    with pytest.raises(BacklogItemNotReady):
        backlog_item_update(item=item, fields={"target": None})

    item.refresh_from_db()
    assert item.target == -50.0


def test_shipping_schedules_impact_reviews_and_leaving_shipped_cancels_them():
    item = ready_item(status=Status.NOW)

    shipped = backlog_item_move(item=item, status=Status.SHIPPED, shipped_on=dt.date(2026, 3, 2))

    assert shipped.shipped_on == dt.date(2026, 3, 2)
    reviews = ImpactReview.objects.filter(item=item)
    assert sorted(reviews.values_list("days_after", flat=True)) == [30, 60, 90]

    back = backlog_item_move(item=item, status=Status.NOW)

    assert back.shipped_on is None
    assert set(reviews.values_list("status", flat=True)) == {ImpactReview.Status.CANCELLED}


def test_shipping_without_a_date_ships_today():
    item = ready_item(status=Status.NOW)

    assert backlog_item_move(item=item, status=Status.SHIPPED).shipped_on == timezone.localdate()


# --- the form -------------------------------------------------------------------------------------


def test_a_product_manager_creates_an_item_with_a_metric_and_linked_pain_points(client):
    # Given a product manager and two pain points
    pm = user_with_role(Role.PRODUCT_MANAGER)
    client.force_login(pm)
    exports = ThemeFactory(label="Slow exports")
    timeouts = ThemeFactory(label="Report timeouts")
    team = TeamFactory(name="Platform")

    # When they fill in the form
    response = client.post(
        reverse("roadmap:backlog-new"),
        form_data(
            team=str(team.pk),
            owner=str(pm.pk),
            **{
                "links-0-theme": str(exports.pk),
                "links-0-rationale": "Exports run in the background.",
                "links-1-theme": str(timeouts.pk),
                "links-1-rationale": "The report is one of those exports.",
            },
        ),
    )

    # Then the item exists with its metric, tracker and linked pain points, and its page opens
    item = BacklogItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:backlog-detail", args=[item.pk])
    assert item.metric_kind == Metric.THEME_VOLUME
    assert item.target == -50.0
    assert item.baseline == 120.0
    assert item.impact_level == BacklogItem.ImpactLevel.HIGH
    assert item.effort_weeks == 4.0
    assert item.confidence == 80
    assert item.team == team
    assert item.owner == pm
    assert item.created_by == pm
    assert item.tracker_key == "APP-12"
    assert item.status == Status.IDEA
    rationales = dict(item.theme_links.values_list("theme__label", "rationale"))
    assert rationales == {
        "Slow exports": "Exports run in the background.",
        "Report timeouts": "The report is one of those exports.",
    }


def test_the_form_refuses_now_without_an_outcome_and_says_why(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(
        reverse("roadmap:backlog-new"),
        form_data(status=Status.NOW, desired_outcome="", metric_description=""),
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert not BacklogItem.objects.exists()
    assert "cannot be in Now yet" in content
    assert "Needed before the item can be in Now or beyond." in content
    assert response.context["form"].has_error("desired_outcome")
    assert response.context["form"].has_error("metric_description")


def test_the_form_creates_a_ready_item_straight_into_now(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    BacklogItemFactory(**READY, status=Status.NOW, position=1)

    response = client.post(reverse("roadmap:backlog-new"), form_data(status=Status.NOW))

    assert response.status_code == 302
    item = BacklogItem.objects.get(title="Background exports")
    assert (item.status, item.position) == (Status.NOW, 2)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"metric_kind": Metric.ADOPTION, "target": "40"}, "metric_feature", "Name the feature"),
        ({"metric_kind": Metric.TASK_SUCCESS, "target": "140"}, "target", "the % to reach"),
        ({"metric_kind": Metric.THEME_VOLUME, "target": "-150"}, "target", "at least −100"),
        ({"confidence": "120"}, "confidence", "0 to 100"),
        ({"effort_weeks": "0"}, "effort_weeks", "more than 0"),
        ({"tracker_key": "not a key"}, "tracker_key", "APP-123"),
        ({"tracker_url": "javascript:alert(1)"}, "tracker_url", "valid URL"),
        ({"links-0-rationale": "Why not"}, None, "Choose the pain point"),
    ],
)
def test_the_form_checks_each_field(client, overrides, field, message):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(reverse("roadmap:backlog-new"), form_data(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    if field:
        assert response.context["form"].has_error(field)
    assert not BacklogItem.objects.exists()


def test_a_linked_pain_point_needs_a_rationale(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    theme = ThemeFactory()

    response = client.post(
        reverse("roadmap:backlog-new"), form_data(**{"links-0-theme": str(theme.pk)})
    )

    assert response.status_code == 400
    assert "Say why this item addresses the pain point." in response.content.decode()


def test_editing_changes_fields_and_unlinks_a_pain_point(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    item = ready_item(title="Old title", tracker_url="https://linear.app/acme/issue/ENG-1")
    kept, dropped = ThemeFactory(label="Kept"), ThemeFactory(label="Dropped")
    BacklogThemeLink.objects.create(item=item, theme=kept, rationale="Old reason")
    BacklogThemeLink.objects.create(item=item, theme=dropped, rationale="Gone")

    page = client.get(reverse("roadmap:backlog-edit", args=[item.pk]))
    assert page.status_code == 200
    assert "https://linear.app/acme/issue/ENG-1" in page.content.decode()

    response = client.post(
        reverse("roadmap:backlog-edit", args=[item.pk]),
        form_data(
            title="New title",
            **{
                "links-TOTAL_FORMS": "3",
                "links-INITIAL_FORMS": "2",
                "links-0-theme": str(kept.pk),
                "links-0-rationale": "New reason",
                "links-1-theme": "",
                "links-1-rationale": "",
                "links-2-theme": "",
                "links-2-rationale": "",
            },
        ),
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "New title"
    assert dict(item.theme_links.values_list("theme__label", "rationale")) == {"Kept": "New reason"}


def test_a_merged_pain_point_stays_choosable_on_the_item_linked_to_it(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    target = ThemeFactory(label="Exports")
    merged = ThemeFactory(label="CSV exports", status=Theme.Status.MERGED, merged_into=target)
    item = ready_item()
    BacklogThemeLink.objects.create(item=item, theme=merged, rationale="Why")

    content = client.get(reverse("roadmap:backlog-edit", args=[item.pk])).content.decode()

    assert "CSV exports (merged)" in content


# --- score and evidence ---------------------------------------------------------------------------


def given_an_item_with_evidence():
    """An item linked to a pain point raised by three accounts: two of average size ($20k; one
    at 60 % churn risk), one churned; and by nobody else."""
    theme = ThemeFactory(label="Slow exports")
    other = ThemeFactory(label="Unrelated")
    small = CustomerFactory(name="Small Co", arr=Decimal("20000"), segment=Segment.SMB)
    risky = CustomerFactory(name="Risky Inc", arr=Decimal("20000"), segment=Segment.ENTERPRISE)
    gone = CustomerFactory(name="Gone Ltd", arr=Decimal("20000"), churned=True)
    CustomerFactory(name="Quiet Corp", arr=Decimal("20000"))
    for customer in (small, risky, risky, gone):
        FeedbackFactory(theme=theme, customer=customer, redacted_text="Exports time out")
    FeedbackFactory(theme=other, customer=CustomerFactory(name="Elsewhere", arr=Decimal("20000")))
    quote = FeedbackFactory(theme=theme, customer=small, redacted_text="The CSV never arrives")
    Theme.objects.filter(pk=theme.pk).update(quotes=[quote.pk])
    run = ModelRunFactory(
        kind=ModelRun.Kind.CHURN_SCORE, status=RunStatus.SUCCEEDED, finished_at=timezone.now()
    )
    ChurnScoreFactory(customer=risky, run=run, probability=0.6)
    item = ready_item(
        title="Background exports",
        impact_level=BacklogItem.ImpactLevel.HIGH,
        confidence=50,
        effort_weeks=2,
    )
    BacklogThemeLink.objects.create(
        item=item, theme=theme, rationale="Exports go to the background"
    )
    return item, small, risky, gone


def test_the_score_has_its_parts():
    item, *_ = given_an_item_with_evidence()

    evidence = backlog_item_evidence(item=backlog_item_get(item_id=item.pk))

    # Every active account has $20k, the average: Small counts 1, Risky 1 × 1.6, Gone 0
    rice = evidence.rice
    assert rice.accounts == 2
    assert rice.reach == pytest.approx(2.6)
    assert rice.impact == 2.0
    assert rice.confidence_percent == 50
    assert rice.effort_weeks == 2
    assert rice.score == pytest.approx(2.6 * 2 * 0.5 / 2)


def test_the_evidence_lists_affected_accounts_with_arr_and_churn_risk():
    item, small, risky, gone = given_an_item_with_evidence()

    evidence = backlog_item_evidence(item=backlog_item_get(item_id=item.pk))

    assert evidence.account_count == 2
    assert evidence.arr_affected == Decimal("40000")
    rows = {account.customer.name: account for account in evidence.accounts}
    assert list(rows) == ["Risky Inc", "Small Co", "Gone Ltd"]  # churned ones last
    assert rows["Risky Inc"].churn_risk == 0.6
    assert rows["Risky Inc"].high_risk
    assert rows["Risky Inc"].feedback == 2
    assert rows["Small Co"].churn_risk is None
    assert [quote.redacted_text for quote in evidence.quotes] == ["The CSV never arrives"]


def test_the_item_page_shows_the_score_evidence_and_tracker(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    item, *_ = given_an_item_with_evidence()
    BacklogItem.objects.filter(pk=item.pk).update(
        tracker_url="https://example.atlassian.net/browse/APP-7", tracker_key="APP-7"
    )

    response = client.get(reverse("roadmap:backlog-detail", args=[item.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Customer impact" in content
    assert 'data-testid="rice-score">1.3<' in content
    assert "2 accounts, weighted by ARR and churn risk" in content
    assert "Why: Exports go to the background" in content
    assert "Risky Inc" in content
    assert "60%" in content
    assert "High risk" in content
    assert "$40,000 ARR" in content
    assert "The CSV never arrives" in content
    assert 'href="https://example.atlassian.net/browse/APP-7"' in content
    assert ">APP-7<" in content
    # executives read: no edit link, no move form
    assert reverse("roadmap:backlog-edit", args=[item.pk]) not in content
    assert reverse("roadmap:backlog-move", args=[item.pk]) not in content


def test_the_item_page_says_what_is_missing_before_now(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    item = BacklogItemFactory(desired_outcome="", metric_kind="")

    content = client.get(reverse("roadmap:backlog-detail", args=[item.pk])).content.decode()

    assert "Before it can move to Now it needs the desired outcome" in content
    assert reverse("roadmap:backlog-edit", args=[item.pk]) in content
    assert reverse("roadmap:backlog-move", args=[item.pk]) in content


def test_an_unlinked_item_has_no_reach(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    item = ready_item(effort_weeks=3)

    evidence = backlog_item_evidence(item=backlog_item_get(item_id=item.pk))

    assert evidence.rice.accounts == 0
    assert evidence.rice.score == 0.0
    assert evidence.accounts == []


def test_the_service_links_pain_points_once_each():
    pm = user_with_role(Role.PRODUCT_MANAGER)
    theme = ThemeFactory()

    item = backlog_item_create(
        user=pm,
        fields={"title": "One link", "customer_problem": "It hurts."},
        theme_links=[ThemeLinkInput(theme.pk, "First"), ThemeLinkInput(theme.pk, "Second")],
    )

    assert list(item.theme_links.values_list("rationale", flat=True)) == ["First"]
