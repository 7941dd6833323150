"""`manage.py evaluate_sentiment`: cross-validation of the sentiment trainer on a labelled CSV.

The generated files stay below the trained model's minimum, so the lexicon fallback is what
gets evaluated and no sentence model is loaded; no database is touched.
"""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

ROWS = [
    ("The support team was great, thanks!", "positive"),
    ("I love the new dashboard", "positive"),
    ("Excellent and helpful service", "positive"),
    ("Fantastic update, works perfectly", "positive"),
    ("Terrible experience, the app crashed", "negative"),
    ("Awful, my order was lost", "negative"),
    ("Useless support, still waiting", "negative"),
    ("The export is broken again", "negative"),
    ("I changed my billing address", "neutral"),
    ("Where can I find the invoice?", "neutral"),
    ("We moved offices on Tuesday", "neutral"),
    ("Which plan includes the API?", "neutral"),
]


def write_csv(path, rows, header=("comment", "sentiment")):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("evaluate_sentiment", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_output_counts_skipped_rows(tmp_path):
    rows = [*ROWS, ("", "positive"), ("No label here", ""), ("   ", "neutral")]
    path = write_csv(tmp_path / "labelled.csv", rows)

    out, _ = run(
        "--csv", str(path), "--text-column", "comment", "--label-column", "sentiment",
        "--folds", "3", "--json",
    )  # fmt: skip

    result = json.loads(out)
    assert set(result) == {"accuracy", "macro_f1", "rows", "skipped", "seconds"}
    assert result["rows"] == len(ROWS)
    assert result["skipped"] == 3
    assert 0 <= result["accuracy"] <= 1
    assert result["accuracy"] >= 0.5


def test_readable_output(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", ROWS)

    out, err = run(
        "--csv", str(path), "--text-column", "comment", "--label-column", "sentiment",
        "--folds", "3",
    )  # fmt: skip

    assert out.startswith("accuracy ")
    assert "macro-F1" in out
    assert "over 12 rows, 3-fold" in out
    assert "lexicon fallback" in err


def test_labels_are_case_insensitive(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", [(t, label.upper()) for t, label in ROWS])

    out, _ = run(
        "--csv", str(path), "--text-column", "comment", "--label-column", "sentiment",
        "--folds", "3", "--json",
    )  # fmt: skip

    assert json.loads(out)["rows"] == len(ROWS)


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        run("--csv", str(tmp_path / "absent.csv"), "--label-column", "sentiment")


def test_missing_column(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", ROWS)

    with pytest.raises(CommandError, match="no column 'airline_sentiment'"):
        run("--csv", str(path), "--text-column", "comment", "--label-column", "airline_sentiment")


def test_one_class(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", [(t, "positive") for t, _ in ROWS])

    with pytest.raises(CommandError, match="at least 2 classes"):
        run("--csv", str(path), "--text-column", "comment", "--label-column", "sentiment")


def test_too_few_rows(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", ROWS[:2] + ROWS[4:6])

    with pytest.raises(CommandError, match="Too few rows"):
        run("--csv", str(path), "--text-column", "comment", "--label-column", "sentiment")


def test_unknown_labels(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", [(t, "meh") for t, _ in ROWS])

    with pytest.raises(CommandError, match="expected negative, neutral, positive"):
        run("--csv", str(path), "--text-column", "comment", "--label-column", "sentiment")
