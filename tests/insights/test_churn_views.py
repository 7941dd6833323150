"""The churn pages seen by each role: the at-risk list (order, filters, CSV), the model card, the
retrain button, and an account's page with its risk, trend, drivers, pain points and touchpoints.
Scores come from factories; the model does not run here."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from insights.models import ModelRun, RunStatus, Segment
from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import (
    ChurnScoreFactory,
    CustomerFactory,
    FeedbackFactory,
    ModelRunFactory,
    ThemeFactory,
)
from tests.touchpoints.factories import TouchpointFactory, UserFactory

pytestmark = pytest.mark.django_db

# Both counts include the request's own: session, user, permissions (2), groups for the menu,
# and the savepoint pair of ATOMIC_REQUESTS.
AT_RISK_QUERIES = 12
CUSTOMER_QUERIES = 13

FADING = {
    "feature": "active_users_change_3m",
    "value": -0.42,
    "reference": 0.01,
    "effect": 0.31,
    "text": "Active users down 42 % in 3 months: raises risk by 31 points",
}
LONG_TENURE = {
    "feature": "tenure_months",
    "value": 50.0,
    "reference": 22.0,
    "effect": -0.04,
    "text": "Customer for 50 months (typical 22): lowers risk by 4 points",
}


def signed_in(client, role):
    user = user_with_role(role)
    client.force_login(user)
    return user


def _run(*, days_ago: int = 0, **kwargs) -> ModelRun:
    finished = timezone.now() - dt.timedelta(days=days_ago)
    return ModelRunFactory(
        kind=ModelRun.Kind.CHURN_SCORE,
        status=RunStatus.SUCCEEDED,
        finished_at=finished,
        **kwargs,
    )


def _score(run, customer, probability, drivers=()):
    return ChurnScoreFactory(
        run=run,
        customer=customer,
        probability=probability,
        drivers=list(drivers),
        scored_at=run.finished_at,
    )


@pytest.fixture
def scored():
    """Three accounts scored twice; a churned one scored only before it left."""
    acme = CustomerFactory(name="Acme", arr=Decimal("500000"), segment=Segment.ENTERPRISE)
    bolt = CustomerFactory(name="Bolt", arr=Decimal("20000"), segment=Segment.SMB)
    cove = CustomerFactory(name="Cove", arr=Decimal("60000"), segment=Segment.MID_MARKET)
    gone = CustomerFactory(name="Gone", churned=True, churned_on=dt.date(2026, 1, 1))
    before = _run(days_ago=7)
    for customer, probability in ((acme, 0.02), (bolt, 0.5), (cove, 0.2), (gone, 0.9)):
        _score(before, customer, probability)
    latest = _run()
    _score(latest, acme, 0.05, [LONG_TENURE])  # 25,000 at risk
    _score(latest, bolt, 0.9, [FADING, LONG_TENURE])  # 18,000
    _score(latest, cove, 0.35, [FADING])  # 21,000
    return {"acme": acme, "bolt": bolt, "cove": cove, "gone": gone, "run": latest}


def _rows(response) -> list[str]:
    return [score.customer.name for score in response.context["page_obj"].object_list]


# --- the at-risk list ---------------------------------------------------------------------------


def test_the_at_risk_list_ranks_by_risk_times_arr(client, scored, django_assert_num_queries):
    signed_in(client, Role.PRODUCT_MANAGER)

    # the latest scoring run, the latest run of any kind (status), the count, the page, the
    # forecast's sum
    with django_assert_num_queries(AT_RISK_QUERIES):
        response = client.get(reverse("insights:churn-at-risk"))

    assert response.status_code == 200
    assert _rows(response) == ["Acme", "Cove", "Bolt"]  # the churned account is not listed
    content = response.content.decode()
    assert "$25,000" in content  # Acme's ARR at risk
    assert "was 50%" in content  # Bolt in the run before
    assert FADING["text"] in content
    assert LONG_TENURE["text"] not in content  # the list shows what raises the risk
    assert "High risk" in content
    assert "$64,000" in content  # the forecast: 25,000 + 18,000 + 21,000
    assert 'data-testid="churn-retrain"' in content


def test_the_at_risk_list_reads_the_same_queries_for_more_accounts(
    client, scored, django_assert_num_queries
):
    signed_in(client, Role.PRODUCT_MANAGER)
    for index in range(20):
        _score(scored["run"], CustomerFactory(name=f"More {index}"), 0.1, [FADING])

    with django_assert_num_queries(AT_RISK_QUERIES):
        response = client.get(reverse("insights:churn-at-risk"))

    assert len(_rows(response)) == 23


@pytest.mark.parametrize(
    ("order", "expected"),
    [("risk", ["Bolt", "Cove", "Acme"]), ("arr", ["Acme", "Cove", "Bolt"])],
)
def test_the_at_risk_list_sorts_by_risk_or_arr(client, scored, order, expected):
    signed_in(client, Role.EXECUTIVE)

    response = client.get(reverse("insights:churn-at-risk"), {"order": order})

    assert _rows(response) == expected


def test_the_at_risk_list_filters_by_segment_plan_and_region(client, scored):
    signed_in(client, Role.EXECUTIVE)
    url = reverse("insights:churn-at-risk")

    assert _rows(client.get(url, {"segment": Segment.SMB})) == ["Bolt"]
    assert _rows(client.get(url, {"plan": "growth", "region": "emea"})) == ["Acme", "Cove", "Bolt"]
    assert _rows(client.get(url, {"region": "apac"})) == []
    # An unknown value filters nothing and says why
    response = client.get(url, {"segment": "galactic"})
    assert _rows(response) == ["Acme", "Cove", "Bolt"]
    assert "galactic" in response.content.decode()


def test_the_at_risk_list_before_any_run_explains_itself(client):
    signed_in(client, Role.EXECUTIVE)

    content = client.get(reverse("insights:churn-at-risk")).content.decode()

    assert "No churn risks yet" in content
    assert "Retrain now" not in content  # executives do not start runs


def test_a_failed_run_is_reported_above_the_last_good_scores(client, scored):
    signed_in(client, Role.PRODUCT_MANAGER)
    ModelRunFactory(
        kind=ModelRun.Kind.CHURN_TRAIN,
        status=RunStatus.FAILED,
        error="Not enough history to learn churn from.",
        finished_at=timezone.now(),
    )

    response = client.get(reverse("insights:churn-at-risk"))

    assert "Not enough history to learn churn from." in response.content.decode()
    assert _rows(response) == ["Acme", "Cove", "Bolt"]


def test_the_csv_export_is_filtered_ordered_and_safe(client, scored):
    signed_in(client, Role.EXECUTIVE)
    evil = CustomerFactory(name='=HYPERLINK("http://x.example","click")', segment=Segment.SMB)
    _score(scored["run"], evil, 0.3, [FADING])

    response = client.get(
        reverse("insights:churn-at-risk-csv"), {"segment": Segment.SMB, "order": "risk"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Account", "External id", "Segment"]
    assert [row[0] for row in rows[1:]] == ["Bolt", '\'=HYPERLINK("http://x.example","click")']
    bolt = rows[1]
    assert bolt[6:9] == ["0.9", "18000.0", "0.5"]
    assert FADING["text"] in bolt[9]


# --- the model card and the button ---------------------------------------------------------------


def test_the_model_card_shows_the_last_training_run(client, scored):
    pm = signed_in(client, Role.PRODUCT_MANAGER)
    train = ModelRunFactory(
        kind=ModelRun.Kind.CHURN_TRAIN,
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
        triggered_by=pm,
        data_size=4_001,
        parameters={
            "as_of": "2026-03-01",
            "reason": "nightly",
            "snapshot_dates": ["2024-07-01", "2025-12-01", 18],
            "method": "hist-gradient-boosting+sigmoid/1",
        },
        metrics={
            "accounts": 344,
            "positives": 72,
            "churn_rate": 0.018,
            "validation": {
                "auc": 0.9599,
                "brier": 0.0109,
                "rows": 1200,
                "positives": 20,
                "tested_on": "Jul 2025 – Dec 2025",
                "trained_until": "2025-04-01",
                "calibration": [
                    {"predicted": 0.01, "observed": 0.0, "count": 1100},
                    {"predicted": 0.4, "observed": 0.35, "count": 100},
                ],
            },
            "importance": [["task_success_change_3m", 0.12], ["adoption_latest", 0.05]],
        },
    )
    scored["run"].parameters = {"train_run_id": train.pk}
    scored["run"].save()

    response = client.get(reverse("insights:churn-model"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "0.960" in content  # AUC
    assert "0.0109" in content  # Brier
    assert "4,001" in content
    assert "Jul 2025 – Dec 2025" in content
    assert f"run #{train.pk}" in content
    assert "Change in task success against the 3 months before" in content
    assert 'id="calibration-chart-data"' in content
    assert f"#{scored['run'].pk}" in content  # the scoring run that used it


def test_the_model_card_before_training(client):
    signed_in(client, Role.EXECUTIVE)

    content = client.get(reverse("insights:churn-model")).content.decode()

    assert "No trained model yet" in content


def test_a_product_manager_retrains_once(client, django_capture_on_commit_callbacks):
    signed_in(client, Role.PRODUCT_MANAGER)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("insights:churn-retrain"))
        again = client.post(reverse("insights:churn-retrain"), follow=True)

    assert response.status_code == 302
    assert ModelRun.objects.filter(kind=ModelRun.Kind.CHURN_TRAIN).count() == 1
    assert len(callbacks) == 1
    assert "already being trained" in again.content.decode()


def test_executives_and_engineers_cannot_retrain(client):
    for role in (Role.EXECUTIVE, Role.ENGINEER):
        signed_in(client, role)
        assert client.post(reverse("insights:churn-retrain")).status_code == 403
    assert not ModelRun.objects.exists()


# --- an account's page --------------------------------------------------------------------------


def test_an_accounts_page_shows_risk_trend_drivers_and_arr_at_risk(
    client, scored, django_assert_num_queries
):
    signed_in(client, Role.PRODUCT_MANAGER)
    bolt = scored["bolt"]
    export = ThemeFactory(label="Slow exports")
    FeedbackFactory.create_batch(2, customer=bolt, theme=export, redacted_text="Export slow")
    FeedbackFactory(customer=bolt, theme=ThemeFactory(label="SSO loops"), redacted_text="SSO")
    engineer = UserFactory()
    touchpoint = TouchpointFactory(summary="Watched their team export by hand")
    touchpoint.customers.add(bolt)
    touchpoint.engineers.add(engineer)
    url = reverse("insights:customer-detail", args=[bolt.pk])

    # session, user, permissions, the account, its feedback, usage, churn scores, pain points
    # and touchpoints: one query each
    with django_assert_num_queries(CUSTOMER_QUERIES):
        response = client.get(url)

    content = response.content.decode()
    assert "90%" in content  # the latest risk
    assert "+40.0 pts" in content  # since the run before (50 %)
    assert "$18,000" in content  # ARR at risk
    assert FADING["text"] in content
    assert LONG_TENURE["text"] in content  # the account page shows both directions
    assert 'aria-label="Churn risk over the last 2 runs: 50%, 90%"' in content
    assert "Slow exports" in content
    assert "SSO loops" in content
    assert "Watched their team export by hand" in content


def test_an_accounts_page_without_scores_says_so(client):
    signed_in(client, Role.EXECUTIVE)
    customer = CustomerFactory()

    content = client.get(reverse("insights:customer-detail", args=[customer.pk])).content.decode()

    assert "Not scored yet" in content


def test_the_churn_panel_needs_the_churn_permission(client, scored):
    # Given someone who may read accounts and nothing about churn
    group = Group.objects.create(name="Account readers")
    group.permissions.add(Permission.objects.get(codename="view_customer"))
    user = UserFactory()
    user.groups.add(group)
    client.force_login(user)

    response = client.get(reverse("insights:customer-detail", args=[scored["bolt"].pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="churn-panel"' not in content
    assert "Churn risk" not in content
    assert client.get(reverse("insights:churn-at-risk")).status_code == 403
    assert "At risk" not in content  # no link to it either


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.EXECUTIVE, Role.ENGINEER])
def test_the_navigation_links_the_at_risk_list_for_who_may_read_it(client, role):
    signed_in(client, role)

    content = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("insights:churn-at-risk")}"' in content
