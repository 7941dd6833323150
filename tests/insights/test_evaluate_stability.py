"""`manage.py evaluate_stability`: theme stability measured through the production pipeline, with
the database left as it was."""

import csv
import json
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from insights.demo_text import comment_compose
from insights.models import Feedback, ModelRun, Theme

pytestmark = pytest.mark.django_db
TOPICS = ("slow_exports", "sso_login_loops", "confusing_invoices", "mobile_upload_crash")


@pytest.fixture
def comments_csv(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "comments.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["comment"])
        for topic in TOPICS:
            for _ in range(33):
                writer.writerow([comment_compose(rng, tone="pain", pain_point=topic)])
    return path


def test_json_report_of_a_re_run_and_a_grown_run(comments_csv):
    out = StringIO()

    call_command(
        "evaluate_stability",
        "--csv",
        str(comments_csv),
        "--text-column",
        "comment",
        "--grow",
        "0.1",
        "--json",
        stdout=out,
    )

    report = json.loads(out.getvalue())
    assert set(report) >= {
        "same_data_kept",
        "grown_data_kept",
        "themes_before",
        "themes_after",
        "seconds",
    }
    assert report["texts"] + report["grown_by"] == 132
    assert report["grown_by"] == 12
    assert report["same_data_kept"] >= 0.98
    assert report["grown_data_kept"] >= 0.90
    assert report["themes_before"] >= 3
    assert (
        abs(report["themes_after"] - report["themes_before"]) <= 0.15 * report["themes_before"] + 1
    )
    # And the measurement left nothing behind
    assert not Feedback.objects.exists()
    assert not Theme.objects.exists()
    assert not ModelRun.objects.exists()


def test_a_database_with_feedback_is_refused(comments_csv):
    from django.utils import timezone

    Feedback.objects.create(source=Feedback.Source.API, text="hello", received_at=timezone.now())

    with pytest.raises(CommandError, match="already holds feedback"):
        call_command("evaluate_stability", "--csv", str(comments_csv), "--text-column", "comment")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--text-column", "body"], "No column 'body'"),
        (["--text-column", "comment", "--grow", "0"], "--grow"),
        (["--text-column", "comment", "--grow", "2"], "--grow"),
    ],
)
def test_bad_arguments_are_clear_errors(comments_csv, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("evaluate_stability", "--csv", str(comments_csv), *arguments)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        call_command("evaluate_stability", "--csv", str(tmp_path / "absent.csv"))
