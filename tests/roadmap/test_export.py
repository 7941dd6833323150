"""The backlog as CSV for Jira's and Linear's importers: their column names, the rows in
customer-impact order, and no cell a spreadsheet would run as a formula."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from insights.roles import Role
from roadmap.models import BacklogItem, BacklogThemeLink
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory
from tests.roadmap.test_items import ready_item
from tests.touchpoints.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = BacklogItem.Status


def download(client, **params) -> tuple[object, list[list[str]]]:
    response = client.get(reverse("roadmap:backlog-export"), params)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return response, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def given_a_backlog():
    theme = ThemeFactory(label="Slow CSV exports")
    for _ in range(4):
        FeedbackFactory(theme=theme, customer=CustomerFactory(arr=Decimal("30000")))
    owner = UserFactory(username="pat", email="pat@example.com")
    top = ready_item(
        title="Background exports",
        status=Status.IN_PROGRESS,
        impact_level=BacklogItem.ImpactLevel.HIGH,
        effort_weeks=2,
        confidence=80,
        team=TeamFactory(name="Platform"),
        owner=owner,
        tracker_url="https://example.atlassian.net/browse/APP-9",
        tracker_key="APP-9",
        baseline=120,
    )
    BacklogThemeLink.objects.create(item=top, theme=theme, rationale="Exports leave the page")
    unscored = ready_item(title="Dark mode", status=Status.IDEA, effort_weeks=None)
    return top, unscored


def test_the_jira_export_has_jiras_columns_and_one_labels_column_per_label(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    top, _ = given_a_backlog()

    response, rows = download(client, format="jira")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="backlog-jira-' in response["Content-Disposition"]
    header = rows[0]
    assert header[:5] == ["Summary", "Issue Type", "Priority", "Status", "Description"]
    assert header.count("Labels") == 3
    assert header[-6:] == [
        "Component",
        "Assignee",
        "Original Estimate",
        "Tracker Key",
        "Tracker URL",
        "Backlight URL",
    ]
    row = dict(zip(header, rows[1], strict=True))  # the last Labels column wins in a dict
    assert rows[1][0] == "Background exports"
    assert row["Issue Type"] == "Story"
    assert row["Priority"] == "High"
    assert row["Status"] == "In Progress"
    assert rows[1][5:8] == ["backlight", "impact-high", "slow-csv-exports"]
    assert row["Component"] == "Platform"
    assert row["Assignee"] == "pat@example.com"
    assert row["Original Estimate"] == str(2 * 5 * 8 * 3600)
    assert row["Tracker Key"] == "APP-9"
    assert row["Tracker URL"] == "https://example.atlassian.net/browse/APP-9"
    assert row["Backlight URL"] == f"http://testserver/roadmap/items/{top.pk}/"
    description = row["Description"]
    assert description.startswith("Customer problem:\nExports of large reports time out.")
    assert "Desired outcome:\nA 50k-row export finishes in under a minute." in description
    assert "Success metric: Pain-point volume — Slow-export mentions" in description
    assert "Baseline 120, target -50, within 60 days of shipping." in description
    assert "- Slow CSV exports: Exports leave the page" in description
    assert "Customer impact (RICE): 3.2 = reach 4 (4 accounts" in description
    assert "Tracker: https://example.atlassian.net/browse/APP-9" in description


def test_the_linear_export_has_linears_columns(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    given_a_backlog()

    _, rows = download(client, format="linear")

    header = rows[0]
    assert header == [
        "Title",
        "Description",
        "Status",
        "Priority",
        "Labels",
        "Estimate",
        "Team",
        "Assignee",
        "Tracker Key",
        "Tracker URL",
        "Backlight URL",
    ]
    first, second = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert (first["Title"], first["Status"], first["Priority"]) == (
        "Background exports",
        "In Progress",
        "High",
    )
    assert first["Labels"] == "backlight, impact-high, slow-csv-exports"
    assert first["Estimate"] == "2"
    assert first["Team"] == "Platform"
    # no effort estimate: no score, ranked last, no priority
    assert (second["Title"], second["Status"], second["Priority"]) == (
        "Dark mode",
        "Triage",
        "No priority",
    )
    assert second["Estimate"] == ""


def test_jira_is_the_default_and_other_formats_are_refused(client):
    client.force_login(user_with_role(Role.ENGINEER))
    given_a_backlog()

    _, rows = download(client)
    refused = client.get(reverse("roadmap:backlog-export"), {"format": "excel"})

    assert rows[0][0] == "Summary"
    assert refused.status_code == 400


@pytest.mark.parametrize("tracker", ["jira", "linear"])
def test_every_cell_is_neutralised_against_formulas(client, tracker):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    evil = ready_item(
        title='=HYPERLINK("http://evil.example","click")',
        customer_problem="+SUM(1,2)",
        tracker_key="",
    )
    BacklogThemeLink.objects.create(
        item=evil, theme=ThemeFactory(label="@cmd|' /C calc'!A0"), rationale="-2+3"
    )
    evil.team = TeamFactory(name="-Team")
    evil.save()

    _, rows = download(client, format=tracker)

    cells = [cell for row in rows for cell in row]
    assert all(not cell.startswith(("=", "+", "@", "-", "\t", "\r")) for cell in cells)
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert "'-Team" in cells
    assert any(cell.startswith("Customer problem:\n+SUM(1,2)") for cell in cells)


def test_the_export_follows_the_board_filters(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    top, _ = given_a_backlog()

    _, rows = download(client, format="linear", team=top.team_id)

    assert [row[0] for row in rows[1:]] == ["Background exports"]


def test_the_board_links_both_exports_with_its_filters(client):
    client.force_login(user_with_role(Role.EXECUTIVE))
    top, _ = given_a_backlog()

    content = client.get(reverse("roadmap:backlog-list"), {"team": top.team_id}).content.decode()

    export = reverse("roadmap:backlog-export")
    assert f"{export}?format=jira&amp;team={top.team_id}" in content
    assert f"{export}?format=linear&amp;team={top.team_id}" in content
