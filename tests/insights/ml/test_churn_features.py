"""Churn features: the generic table preparation and the account features as of a date.

Hand-made frames with a few accounts, so every figure can be checked by hand; no database.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from insights.ml.churn_features import (
    FEATURES,
    PHRASES,
    account_features,
    churn_labels,
    training_snapshots,
)
from insights.ml.churn_table import OTHER_LEVEL, ChurnInputError, prepare_table

D = dt.date
AS_OF = D(2025, 1, 15)


# --- prepare_table -----------------------------------------------------------------------------


def _table(rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "row": [str(i) for i in range(1, rows + 1)],
            "name": [f"Account {i}" for i in range(rows)],
            "spend": [f"${v:,}" for v in rng.integers(500, 5_000, rows)],
            "usage": [f"{v}%" for v in rng.integers(0, 100, rows)],
            "renews": ["Yes", "no"] * (rows // 2),
            "plan": ["Growth"] * 15 + ["Starter"] * 15 + ["Legacy", "Pilot"] * 5,
            "country": ["FR"] * rows,
            "notes": [""] * rows,
            "churned": ["yes", "no", "no", "no"] * (rows // 4),
        }
    )


def test_text_numbers_yes_no_and_blanks_are_parsed():
    frame = pd.DataFrame(
        {
            "money": ["$1,234", "€5", " 12 ", "(5)", "", "N/A", "1,5", "-", "7"] + ["3"] * 11,
            "flag": ["yes", "No", "TRUE", "f", "", "y", "n", "t", "false", "1"] * 2,
            "y": ["1", "0"] * 10,
        }
    )

    table = prepare_table(frame, target="y")

    assert table.features["money"].tolist()[:9] == pytest.approx(
        [1234, 5, 12, -5, np.nan, np.nan, 1.5, np.nan, 7], nan_ok=True
    )
    assert table.features["flag"].tolist()[:10] == pytest.approx(
        [1, 0, 1, 0, np.nan, 1, 0, 1, 0, 1], nan_ok=True
    )
    assert table.y.tolist() == [1, 0] * 10


def test_iso_dates_become_days():
    frame = pd.DataFrame(
        {
            "signed": ["2024-01-01", "2024-03-01T10:00:00", "", "1970-01-11"] * 5,
            "y": ["yes", "no"] * 10,
        }
    )

    signed = prepare_table(frame, target="y").features["signed"]

    assert signed.tolist()[:4] == pytest.approx([19723, 19783, np.nan, 10], nan_ok=True)


def test_percentages_and_currency_become_numbers():
    table = prepare_table(_table(), target="churned")

    assert table.features["spend"].dtype == np.float64
    assert table.features["usage"].between(0, 99).all()
    assert table.features["renews"].tolist()[:2] == [1.0, 0.0]


def test_ids_names_constant_and_blank_columns_are_dropped_with_reasons():
    table = prepare_table(_table(), target="churned", id_column="row")

    dropped = dict(table.dropped)
    assert set(dropped) == {"name", "country", "notes"}
    assert "identifier-like" in dropped["name"]
    assert dropped["country"] == "one value in every row"
    assert dropped["notes"] == "blank in every row"
    assert table.ids.tolist()[:3] == ["1", "2", "3"]
    assert "row" not in table.features


def test_row_numbers_and_codes_are_dropped_without_being_named():
    frame = _table().assign(code=[str(15_634_602 + 7_919 * i) for i in range(40)])

    table = prepare_table(frame, target="churned")

    dropped = dict(table.dropped)
    assert "a different whole number in every row" in dropped["row"]
    assert "a different whole number in every row" in dropped["code"]
    assert "spend" in table.features  # amounts all different in a small table are no ids


def test_rare_levels_merge_into_other():
    table = prepare_table(_table(), target="churned")

    plan = table.features["plan"]
    assert isinstance(plan.dtype, pd.CategoricalDtype)
    assert set(plan.cat.categories) == {"Growth", "Starter", OTHER_LEVEL}
    assert (plan == OTHER_LEVEL).sum() == 10


def test_blank_targets_are_skipped_and_ids_kept_in_step():
    frame = _table().head(8).assign(churned=["yes", "", "no", "n/a", "no", "yes", "no", "no"])

    table = prepare_table(frame, target="churned", id_column="row")

    assert table.skipped_rows == 2
    assert table.y.tolist() == [1, 0, 0, 1, 0, 0]
    assert table.ids.tolist() == ["1", "3", "5", "6", "7", "8"]
    assert len(table.features) == 6


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Churned", "Retained"], [1, 0]),
        (["TRUE", "false"], [1, 0]),
        (["1.0", "0.0"], [1, 0]),
        (["2", "1"], [1, 0]),
    ],
)
def test_target_spellings(values, expected):
    frame = pd.DataFrame({"x": ["1", "2"] * 5, "y": values * 5})

    assert prepare_table(frame, target="y").y.tolist() == expected * 5


@pytest.mark.parametrize(
    ("frame", "target", "message"),
    [
        (pd.DataFrame({"x": [1, 2], "y": [1, 1]}), "y", "only one class"),
        (pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}), "y", "not a yes/no target"),
        (pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 2]}), "y", "not a yes/no target"),
        (pd.DataFrame({"x": [1, 2], "y": ["", " "]}), "y", "blank in every row"),
        (pd.DataFrame({"x": [1, 2], "y": [0, 1]}), "churn", "No column 'churn'"),
        (pd.DataFrame({"x": [], "y": []}), "y", "no rows"),
        (pd.DataFrame({"x": [5, 5], "y": [0, 1]}), "y", "No column is usable"),
    ],
)
def test_bad_tables_raise_one_clear_sentence(frame, target, message):
    with pytest.raises(ChurnInputError, match=message):
        prepare_table(frame, target=target)


# --- account features --------------------------------------------------------------------------


def _customers(*rows) -> pd.DataFrame:
    columns = ["id", "segment", "plan", "region", "arr", "seats", "customer_since", "churned_on"]
    base = {"segment": "smb", "plan": "growth", "region": "emea", "arr": 12_000, "seats": 20}
    return pd.DataFrame([{**base, **row} for row in rows], columns=[*columns, "churned"])


def _usage(customer_id: int, users_by_month: dict[dt.date, int], **extra) -> list[dict]:
    return [
        {
            "customer_id": customer_id,
            "period": period,
            "active_users": users,
            "task_attempts": 100,
            "task_successes": extra.get("successes", {}).get(period, 90),
            "feature_adoption": {"export": users // 2, "api": users // 4},
        }
        for period, users in users_by_month.items()
    ]


def _months(first: dt.date, values: list[int]) -> dict[dt.date, int]:
    periods = pd.date_range(first, periods=len(values), freq="MS").date
    return dict(zip(periods, values, strict=True))


FEEDBACK_COLUMNS = ["customer_id", "received_at", "source", "nps", "csat", "sentiment", "theme_id"]


@pytest.fixture
def history():
    customers = _customers(
        {"id": 1, "customer_since": D(2023, 1, 10)},
        {"id": 2, "customer_since": D(2024, 3, 1), "plan": "starter", "seats": 0},
        {"id": 3, "customer_since": D(2025, 1, 20)},  # signs up after AS_OF
        {"id": 4, "customer_since": D(2023, 1, 1), "churned_on": D(2025, 1, 14), "churned": True},
        {"id": 5, "customer_since": D(2023, 1, 1), "churned_on": D(2025, 1, 15), "churned": True},
        {"id": 6, "customer_since": D(2023, 1, 1), "churned": True},  # no date: cannot be placed
    )
    usage = pd.DataFrame(
        _usage(
            1,
            _months(D(2024, 7, 1), [50, 50, 50, 50, 40, 30]),  # Jul … Dec 2024
            successes={D(2024, 10, 1): 60, D(2024, 11, 1): 60, D(2024, 12, 1): 60},
        )
        + _usage(2, _months(D(2024, 10, 1), [12, 11, 10]))  # Oct … Dec 2024
    )
    feedback = pd.DataFrame(
        [
            (1, dt.datetime(2024, 12, 1, 9, tzinfo=dt.UTC), "support_ticket", None, None, -0.8, 7),
            (1, dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC), "support_ticket", None, None, -0.4, 3),
            (1, dt.datetime(2024, 10, 16, tzinfo=dt.UTC), "support_ticket", None, None, 0.0, None),
            (1, dt.datetime(2024, 10, 15, tzinfo=dt.UTC), "support_ticket", None, None, 1.0, None),
            (1, dt.datetime(2024, 6, 1, tzinfo=dt.UTC), "survey", 9, None, 0.5, None),
            (1, dt.datetime(2024, 9, 1, tzinfo=dt.UTC), "survey", 7, 4, 0.1, None),
            (1, dt.datetime(2025, 1, 10, tzinfo=dt.UTC), "survey", 2, 2, -0.5, 7),
            (2, dt.datetime(2023, 12, 1, tzinfo=dt.UTC), "survey", 10, None, 0.9, None),
        ],
        columns=FEEDBACK_COLUMNS,
    )
    touchpoints = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": [D(2024, 4, 1), D(2024, 12, 16), D(2024, 3, 5)]}
    )
    return {
        "customers": customers,
        "usage": usage,
        "feedback": feedback,
        "touchpoints": touchpoints,
        "pain_theme_ids": {7},
    }


def test_only_accounts_active_on_the_date(history):
    features = account_features(as_of=AS_OF, **history)

    # 3 signs up later, 4 churned the day before, 6 churned on an unknown date; 5 churns that day
    assert features.index.tolist() == [1, 2, 5]
    assert features.index.name == "customer_id"
    assert list(features.columns) == list(FEATURES)


def test_account_figures(history):
    features = account_features(as_of=AS_OF, **history)
    one, two = features.loc[1], features.loc[2]

    assert one["tenure_months"] == pytest.approx((AS_OF - D(2023, 1, 10)).days / 30.44)
    assert (one["plan"], two["plan"], one["seats"], one["arr"]) == ("growth", "starter", 20, 12_000)
    # Dec 2024 (30 users) against Sep 2024 (50): across the year boundary
    assert one["active_users_latest"] == 30
    assert one["active_users_change_3m"] == pytest.approx(-0.4)
    assert one["seat_utilisation"] == pytest.approx(1.5)
    assert np.isnan(two["seat_utilisation"])  # no seats on record
    # adoption: mean of export (users // 2) and api (users // 4) over active users
    assert one["adoption_latest"] == pytest.approx((15 + 7) / 2 / 30)
    assert one["adoption_change_3m"] == pytest.approx((15 + 7) / 2 / 30 - (25 + 12) / 2 / 50)
    # Oct–Dec at 60 % against Jul–Sep at 90 %
    assert one["task_success_rate_3m"] == pytest.approx(0.6)
    assert one["task_success_change_3m"] == pytest.approx(-0.3)
    # 2's usage starts in October: no three-month trend yet
    assert two["active_users_latest"] == 10
    assert np.isnan(two["active_users_change_3m"])
    assert two["task_success_rate_3m"] == pytest.approx(0.9)
    assert np.isnan(two["task_success_change_3m"])


def test_feedback_figures(history):
    one, two = account_features(as_of=AS_OF, **history).loc[[1, 2]].to_dict("index").values()

    # 90 days before 15 Jan 2025 is 17 Oct 2024: the tickets of 15 and 16 Oct are older
    assert one["tickets_90d"] == 2
    assert one["ticket_sentiment_90d"] == pytest.approx(-0.6)
    assert one["nps_latest"] == 2
    assert one["nps_change"] == pytest.approx(2 - 8)
    assert one["csat_latest"] == 2
    assert one["csat_change"] == pytest.approx(-2)
    assert one["pain_exposure"] == pytest.approx(2 / 7)
    assert one["days_since_touchpoint"] == 30
    # 2's only answer is over a year old; no tickets is a count of 0, no feedback is unknown
    assert np.isnan(two["nps_latest"])
    assert two["tickets_90d"] == 0
    assert np.isnan(two["ticket_sentiment_90d"])
    assert np.isnan(two["pain_exposure"])
    assert two["days_since_touchpoint"] == (AS_OF - D(2024, 3, 5)).days


def test_nothing_dated_on_or_after_the_date_changes_anything(history):
    before = account_features(as_of=AS_OF, **history)
    later = {
        "customers": pd.concat(
            [history["customers"], _customers({"id": 9, "customer_since": AS_OF})]
        ),
        # the month running on the date, and later months
        "usage": pd.concat(
            [
                history["usage"],
                pd.DataFrame(_usage(1, _months(D(2025, 1, 1), [1, 1]))),
                pd.DataFrame(_usage(2, _months(D(2025, 1, 1), [99]))),
            ]
        ),
        "feedback": pd.concat(
            [
                history["feedback"],
                pd.DataFrame(
                    [
                        (1, dt.datetime(2025, 1, 15, tzinfo=dt.UTC), "support_ticket", 0, 1, -1, 7),
                        (2, dt.datetime(2025, 3, 1, tzinfo=dt.UTC), "survey", 0, 1, -1.0, 7),
                    ],
                    columns=FEEDBACK_COLUMNS,
                ),
            ]
        ),
        "touchpoints": pd.concat(
            [history["touchpoints"], pd.DataFrame({"customer_id": [1, 2], "date": [AS_OF] * 2})]
        ),
        "pain_theme_ids": history["pain_theme_ids"],
    }

    after = account_features(as_of=AS_OF, **later)

    pd.testing.assert_frame_equal(before, after)


def test_a_month_counts_once_it_is_complete(history):
    end_of_february = account_features(as_of=D(2025, 2, 28), **history)
    first_of_march = account_features(as_of=D(2025, 3, 1), **history)
    usage = pd.concat([history["usage"], pd.DataFrame(_usage(1, {D(2025, 2, 1): 5}))])

    assert (
        account_features(as_of=D(2025, 2, 28), **(history | {"usage": usage})).loc[
            1, "active_users_latest"
        ]
        == (end_of_february.loc[1, "active_users_latest"])
    )
    assert (
        account_features(as_of=D(2025, 3, 1), **(history | {"usage": usage})).loc[
            1, "active_users_latest"
        ]
        == 5
    )
    assert first_of_march.loc[1, "active_users_latest"] == 30


def test_usage_older_than_three_months_is_stale(history):
    features = account_features(as_of=D(2025, 3, 31), **history)

    assert features.loc[1, "active_users_latest"] == 30  # December, 3 complete months back
    assert np.isnan(account_features(as_of=D(2025, 4, 1), **history).loc[1, "active_users_latest"])


def test_empty_activity_frames_give_blank_figures(history):
    features = account_features(
        as_of=AS_OF,
        customers=history["customers"],
        usage=pd.DataFrame(),
        feedback=pd.DataFrame(),
        touchpoints=pd.DataFrame(),
    )

    assert features.index.tolist() == [1, 2, 5]
    assert features["active_users_latest"].isna().all()
    assert (features["tickets_90d"] == 0).all()
    assert features["days_since_touchpoint"].isna().all()


def test_missing_input_columns_are_named(history):
    with pytest.raises(ValueError, match="usage frame has no column task_attempts"):
        account_features(
            as_of=AS_OF, **(history | {"usage": history["usage"].drop(columns="task_attempts")})
        )


def test_labels_look_only_inside_the_horizon():
    customers = _customers(
        {"id": 1, "customer_since": D(2024, 1, 1), "churned_on": AS_OF},
        {"id": 2, "customer_since": D(2024, 1, 1), "churned_on": AS_OF + dt.timedelta(days=89)},
        {"id": 3, "customer_since": D(2024, 1, 1), "churned_on": AS_OF + dt.timedelta(days=90)},
        {"id": 4, "customer_since": D(2024, 1, 1)},
        {"id": 5, "customer_since": D(2024, 1, 1), "churned_on": AS_OF - dt.timedelta(days=1)},
    )

    labels = churn_labels(as_of=AS_OF, customers=customers, horizon_days=90)

    assert labels.to_dict() == {1: 1, 2: 1, 3: 0, 4: 0}


def test_training_snapshots_stack_features_and_labels(history):
    snapshots = training_snapshots(as_of_dates=[D(2024, 12, 1), AS_OF, AS_OF], **history)

    assert snapshots.index.names == ["as_of", "customer_id"]
    assert snapshots.index.get_level_values("as_of").unique().tolist() == [
        pd.Timestamp(2024, 12, 1),
        pd.Timestamp(AS_OF),
    ]
    assert snapshots.loc[pd.Timestamp(AS_OF), "churned"].to_dict() == {1: 0, 2: 0, 5: 1}
    # 4 churned on 14 Jan 2025, inside the 90 days after 1 Dec 2024
    assert snapshots.loc[(pd.Timestamp(2024, 12, 1), 4), "churned"] == 1
    assert list(snapshots.columns) == [*FEATURES, "churned"]


def test_phrases_speak_plainly():
    assert PHRASES["active_users_change_3m"](-0.4, 0.01) == "active users down 40 % in 3 months"
    assert PHRASES["active_users_change_3m"](0.002, 0.0) == "active users flat in 3 months"
    assert PHRASES["days_since_touchpoint"](274.0, 40.0) == "no touchpoint in 9 months"
    assert PHRASES["days_since_touchpoint"](None, 40.0) == "no touchpoint on record"
    assert PHRASES["tickets_90d"](12.0, 2.0) == "12 support tickets in 90 days (typical 2)"
    assert PHRASES["nps_change"](-5.0, 0.0) == "NPS down 5 points against earlier answers"
    assert PHRASES["plan"]("starter", "growth") == "plan starter (most are growth)"
    assert PHRASES["arr"](97_198.5, 12_000.0) == "ARR 97,000 (typical 12,000)"
    assert PHRASES["seat_utilisation"](0.3, 0.72) == "30 % of seats in use (typical 72 %)"
    assert set(PHRASES) == set(FEATURES)


def test_a_change_of_one_point_reads_in_the_singular():
    assert PHRASES["task_success_change_3m"](-0.01, 0.0) == (
        "task success down 1 point against the 3 months before"
    )
