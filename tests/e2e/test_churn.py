"""A product manager works the at-risk list down to an account and its reasons; an executive reads
the list, the model card and an account, and cannot retrain."""

import csv
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

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
from tests.touchpoints.factories import TouchpointFactory

PASSWORD = "backlight-test-pass"
FADING = {
    "feature": "active_users_change_3m",
    "value": -0.42,
    "reference": 0.01,
    "effect": 0.31,
    "text": "Active users down 42 % in 3 months: raises risk by 31 points",
}
TASKS = {
    "feature": "task_success_change_3m",
    "value": -0.06,
    "reference": 0.0,
    "effect": 0.22,
    "text": "Task success down 6 points against the 3 months before: raises risk by 22 points",
}
LOYAL = {
    "feature": "tenure_months",
    "value": 50.0,
    "reference": 22.0,
    "effect": -0.04,
    "text": "Customer for 50 months (typical 22): lowers risk by 4 points",
}


@pytest.fixture
def churn(transactional_db):
    """Three accounts scored by two runs, the model card of the training run behind the last."""
    fading = CustomerFactory(
        name="Fading Freight", arr=Decimal("80000"), segment=Segment.SMB, external_id="FF-1"
    )
    steady = CustomerFactory(name="Steady Studios", arr=Decimal("900000"), external_id="SS-1")
    middling = CustomerFactory(name="Middling Mills", arr=Decimal("60000"), external_id="MM-1")
    now = timezone.now()
    train = ModelRunFactory(
        kind=ModelRun.Kind.CHURN_TRAIN,
        status=RunStatus.SUCCEEDED,
        finished_at=now,
        data_size=4_001,
        parameters={"as_of": now.date().isoformat(), "reason": "nightly"},
        metrics={
            "accounts": 344,
            "positives": 72,
            "validation": {
                "auc": 0.9599,
                "brier": 0.0109,
                "rows": 1200,
                "positives": 20,
                "tested_on": "Jul 2025 – Dec 2025",
                "trained_until": "2025-04-01",
                "calibration": [
                    {"predicted": 0.01, "observed": 0.0, "count": 1000},
                    {"predicted": 0.2, "observed": 0.25, "count": 150},
                    {"predicted": 0.7, "observed": 0.66, "count": 50},
                ],
            },
            "importance": [["task_success_change_3m", 0.12], ["adoption_latest", 0.05]],
        },
    )
    for days, scores in (
        (14, ((fading, 0.2, []), (steady, 0.01, []), (middling, 0.3, []))),
        (7, ((fading, 0.45, []), (steady, 0.02, []), (middling, 0.3, []))),
        (
            0,
            (
                (fading, 0.85, [FADING, TASKS, LOYAL]),
                (steady, 0.03, [LOYAL]),
                (middling, 0.3, [TASKS]),
            ),
        ),
    ):
        finished = now - dt.timedelta(days=days)
        run = ModelRunFactory(
            kind=ModelRun.Kind.CHURN_SCORE,
            status=RunStatus.SUCCEEDED,
            finished_at=finished,
            parameters={"train_run_id": train.pk},
        )
        for customer, probability, drivers in scores:
            ChurnScoreFactory(
                run=run,
                customer=customer,
                probability=probability,
                drivers=drivers,
                scored_at=finished,
            )
    exports = ThemeFactory(label="Slow exports")
    FeedbackFactory.create_batch(
        2, customer=fading, theme=exports, redacted_text="The export times out again"
    )
    touchpoint = TouchpointFactory(summary="Sat with their dispatcher; exports done by hand")
    touchpoint.customers.add(fading)
    return fading


def _rows(page):
    return page.get_by_test_id("at-risk-row")


def test_a_product_manager_finds_the_fading_account_and_why(churn, live_server, page, login):
    # Given a product manager signed in
    user = user_with_role(Role.PRODUCT_MANAGER, username="e2e_pm")
    login(page, user.username, PASSWORD)

    # When they open the at-risk list from the menu
    page.get_by_role("navigation", name="Main").get_by_role("link", name="At risk").click()
    expect(page.locator("h1")).to_have_text("Accounts at risk")

    # Then it ranks by risk × ARR: Fading Freight's $68,000 before Steady Studios' $27,000
    rows = _rows(page)
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Fading Freight")
    expect(rows.first).to_contain_text("$68,000")
    expect(rows.first).to_contain_text("High risk")
    expect(rows.first).to_contain_text("was 45%")
    expect(rows.first).to_contain_text(FADING["text"])
    expect(rows.nth(1)).to_contain_text("Steady Studios")
    expect(page.get_by_test_id("churn-forecast")).to_contain_text("$113,000")

    # When they sort by ARR, then by risk
    page.get_by_test_id("sort-arr").click()
    expect(rows.first).to_contain_text("Steady Studios")
    page.get_by_test_id("sort-risk").click()
    expect(rows.nth(1)).to_contain_text("Middling Mills")

    # And filter to the SMB segment
    page.select_option("#id_segment", "smb")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fading Freight")

    # And download the list as CSV
    with page.expect_download() as download_info:
        page.get_by_test_id("churn-csv").click()
    download = download_info.value
    assert re.fullmatch(r"accounts-at-risk-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.reader(handle))
    assert exported[0][0] == "Account"
    assert [row[0] for row in exported[1:]] == ["Fading Freight"]

    # When they open the account
    rows.first.get_by_role("link", name="Fading Freight").click()

    # Then its page shows the risk with its trend, ARR at risk and the reasons in words
    expect(page.locator("h1")).to_have_text("Fading Freight")
    expect(page.get_by_test_id("churn-risk")).to_contain_text("85%")
    expect(page.get_by_test_id("arr-at-risk")).to_have_text("$68,000")
    expect(page.get_by_test_id("churn-change")).to_contain_text("+40.0 pts")
    expect(page.get_by_test_id("churn-trend")).to_have_attribute(
        "aria-label", "Churn risk over the last 3 runs: 20%, 45%, 85%"
    )
    drivers = page.get_by_test_id("churn-drivers")
    expect(drivers).to_contain_text(FADING["text"])
    expect(drivers).to_contain_text(LOYAL["text"])
    # And its feedback, the pain points in it and the touchpoints with it
    expect(page.get_by_test_id("customer-themes")).to_contain_text("Slow exports")
    expect(page.locator("main")).to_contain_text("The export times out again")
    expect(page.get_by_test_id("customer-touchpoints")).to_contain_text("exports done by hand")

    # When they go back to the list and retrain on this (too short) history
    page.goto(f"{live_server.url}/insights/at-risk/")
    page.get_by_test_id("churn-retrain").click()

    # Then the run says why it could not learn, and the last good risks stay
    expect(page.get_by_test_id("churn-status")).to_contain_text("Not enough history")
    expect(rows).to_have_count(3)


def test_an_executive_reads_the_list_the_model_card_and_an_account(churn, live_server, page, login):
    # Given an executive signed in
    user = user_with_role(Role.EXECUTIVE, username="e2e_exec")
    login(page, user.username, PASSWORD)

    # When they open the at-risk list
    page.get_by_role("navigation", name="Main").get_by_role("link", name="At risk").click()

    # Then they see the ranking and the forecast, and no button to retrain
    expect(_rows(page)).to_have_count(3)
    expect(_rows(page).first).to_contain_text("Fading Freight")
    expect(page.get_by_test_id("churn-forecast")).to_contain_text("$113,000")
    expect(page.get_by_test_id("churn-retrain")).to_have_count(0)

    # When they open the model card
    page.get_by_role("link", name="Model card").click()

    # Then it shows the validation, the data size, when and by which run it was trained
    expect(page.locator("h1")).to_have_text("Churn model")
    expect(page.get_by_test_id("card-auc")).to_have_text("0.960")
    expect(page.get_by_test_id("card-brier")).to_have_text("0.0109")
    expect(page.get_by_test_id("card-data-size")).to_have_text("4,001")
    expect(page.get_by_test_id("model-card")).to_contain_text("nightly")
    expect(page.locator("#calibration-chart .main-svg").first).to_be_attached()
    expect(page.get_by_test_id("importance-list")).to_contain_text(
        "Change in task success against the 3 months before"
    )

    # When they open the riskiest account from the list
    page.goto(f"{live_server.url}/insights/at-risk/")
    _rows(page).first.get_by_role("link", name="Fading Freight").click()

    # Then they read its risk and reasons
    expect(page.get_by_test_id("churn-risk")).to_contain_text("85%")
    expect(page.get_by_test_id("churn-drivers")).to_contain_text(TASKS["text"])
