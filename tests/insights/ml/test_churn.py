"""Churn model: fit, probabilities, drivers, validation and the model card, on synthetic accounts
with a known cause of churn. Seeded and small; no database."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from insights.ml import churn
from insights.ml.churn import (
    METHOD,
    CalibrationBin,
    ChurnModel,
    Driver,
    Validation,
    calibration_table,
    churn_model_fit,
    cross_validate,
    format_number,
    model_card,
    time_split_validate,
)
from insights.ml.churn_features import PHRASES, account_features, training_snapshots


def accounts(n: int = 1_200, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Balance 0 and older age raise churn, a product count of 2 lowers it; plan is noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Balance": np.where(rng.random(n) < 0.35, 0.0, rng.normal(97_000, 20_000, n)),
            "Age": rng.integers(20, 70, n).astype(float),
            "Products": rng.integers(1, 4, n).astype(float),
            "Plan": rng.choice(["basic", "pro", "team"], n),
            "Noise": rng.normal(size=n),
        }
    )
    logit = (
        -1.6
        + 1.8 * (frame["Balance"] == 0)
        + 0.06 * (frame["Age"] - 40)
        - 1.5 * (frame["Products"] == 2)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y


@pytest.fixture(scope="module")
def fitted() -> tuple[ChurnModel, pd.DataFrame, np.ndarray]:
    frame, y = accounts()
    return churn_model_fit(frame, y, seed=0), frame, y


def test_probabilities_rank_the_known_risk(fitted):
    model, _, _ = fitted
    test, y = accounts(600, seed=1)

    p = model.predict_proba(test)

    assert p.shape == (600,)
    assert ((p > 0) & (p < 1)).all()
    assert roc_auc_score(y, p) > 0.75
    assert model.trained_on == 1_200
    assert model.positives == int(accounts()[1].sum())


def test_fit_is_seeded(fitted):
    model, frame, y = fitted

    again = churn_model_fit(frame, y, seed=0)

    np.testing.assert_allclose(again.predict_proba(frame), model.predict_proba(frame))


def test_unseen_levels_and_blanks_are_scored_as_missing(fitted):
    model, frame, _ = fitted
    odd = frame.head(3).assign(Plan=["enterprise", None, "pro"], Age=[np.nan, 30.0, 30.0])

    p = model.predict_proba(odd)

    assert np.isfinite(p).all()


def test_missing_columns_are_named(fitted):
    model, frame, _ = fitted

    with pytest.raises(ValueError, match="Missing feature columns: Age"):
        model.predict_proba(frame.drop(columns="Age"))


def test_drivers_name_what_moves_each_account(fitted):
    model, frame, _ = fitted
    zero = frame[(frame["Balance"] == 0) & (frame["Products"] == 1)].head(20)

    drivers = model.drivers(zero, top=2)

    assert len(drivers) == len(zero)
    assert all(len(row) <= 2 for row in drivers)
    tops = [row[0] for row in drivers if row]
    assert sum(d.feature == "Balance" for d in tops) >= 0.7 * len(zero)
    balance = next(d for d in tops if d.feature == "Balance")
    assert isinstance(balance, Driver)
    assert balance.value == 0.0
    assert balance.effect > 0
    assert balance.description == (
        f"Balance 0 (typical {format_number(model.references['Balance'])})"
    )
    assert balance.text.startswith("Balance 0 (typical ")
    assert " raises risk by " in balance.text


def test_drivers_are_sorted_signed_and_exact(fitted):
    model, frame, _ = fitted
    rows = frame.head(12)
    base = model.predict_proba(rows)

    for i, row in enumerate(model.drivers(rows, top=3)):
        effects = [abs(d.effect) for d in row]
        assert effects == sorted(effects, reverse=True)
        for driver in row:
            assert abs(driver.effect) >= churn.MIN_DRIVER_EFFECT
            at_reference = rows.iloc[[i]].assign(**{driver.feature: driver.reference})
            expected = base[i] - model.predict_proba(at_reference)[0]
            assert driver.effect == pytest.approx(expected, abs=1e-4)
            assert ("raises" in driver.text) == (driver.effect > 0)


def test_phrases_word_the_drivers(fitted):
    model, frame, _ = fitted
    phrases = {"Balance": lambda value, reference: f"balance {value:.0f} against {reference:.0f}"}

    drivers = model.drivers(frame[frame["Balance"] == 0].head(5), top=1, phrases=phrases)

    texts = [row[0].text for row in drivers if row and row[0].feature == "Balance"]
    assert texts
    assert all(text.startswith("Balance 0 against ") for text in texts)


def test_feature_importance_puts_signal_above_noise(fitted):
    model, _, _ = fitted

    importance = dict(model.feature_importance())

    assert set(importance) == {"Balance", "Age", "Products", "Plan", "Noise"}
    assert min(importance["Balance"], importance["Age"], importance["Products"]) > max(
        importance["Noise"], importance["Plan"]
    )


def test_blank_columns_are_left_out():
    frame, y = accounts(400)

    model = churn_model_fit(frame.assign(Empty=np.nan), y)

    assert "Empty" not in model.columns
    assert model.predict_proba(frame.assign(Empty=np.nan)).shape == (400,)


@pytest.mark.parametrize(
    ("y", "message"),
    [([0] * 10, "both classes"), ([0, 1, 2] * 3 + [0], "0 or 1"), ([0, 1], "10 feature rows")],
)
def test_bad_labels(y, message):
    with pytest.raises(ValueError, match=message):
        churn_model_fit(pd.DataFrame({"x": range(10)}), y)


def test_small_tables_still_learn():
    frame, y = accounts(120)

    model = churn_model_fit(frame, y)

    assert roc_auc_score(y, model.predict_proba(frame)) > 0.7


def test_cross_validation_is_stratified_and_out_of_fold():
    frame, y = accounts()

    validation = cross_validate(frame, y, folds=3, seed=0)

    assert isinstance(validation, Validation)
    assert validation.rows == 1_200
    assert validation.positives == int(y.sum())
    # 0.77 here: informative but not perfect, with room for another machine's rounding.
    assert 0.70 < validation.roc_auc < 0.95
    assert 0.05 < validation.brier < 0.25
    assert sum(b.rows for b in validation.calibration) == 1_200


def test_cross_validation_needs_rows_of_each_class():
    frame, _ = accounts(100)

    with pytest.raises(ValueError, match="at least 5 rows"):
        cross_validate(frame, np.r_[np.ones(3), np.zeros(97)].astype(int))


def test_calibration_table_bins_by_predicted_risk():
    rng = np.random.default_rng(0)
    p = rng.random(5_000)
    y = (rng.random(5_000) < p).astype(int)

    table = calibration_table(y, p, bins=10)

    assert len(table) == 10
    assert all(isinstance(b, CalibrationBin) for b in table)
    assert [b.rows for b in table] == [500] * 10
    assert [b.predicted for b in table] == sorted(b.predicted for b in table)
    assert all(abs(b.observed - b.predicted) < 0.08 for b in table)
    assert all(b.lower <= b.predicted <= b.upper for b in table)


def test_calibration_table_merges_tied_predictions():
    table = calibration_table([0, 1, 0, 1, 1, 0], [0.2, 0.2, 0.2, 0.2, 0.9, 0.9])

    assert [(b.rows, b.predicted, b.observed) for b in table] == [(4, 0.2, 0.5), (2, 0.9, 0.5)]
    assert calibration_table([], []) == ()


def test_model_card_is_plain_data(fitted):
    model, frame, y = fitted
    p = model.predict_proba(frame)
    validation = Validation(0.8, 0.15, len(y), int(y.sum()), 1.0, calibration_table(y, p))

    card = model_card(model, validation)

    stored = json.loads(json.dumps(card.as_dict()))
    assert stored["method"] == METHOD
    assert stored["trained_on"] == 1_200
    assert stored["validation"]["roc_auc"] == 0.8
    assert len(stored["validation"]["calibration"]) == 10
    assert set(stored["validation"]["calibration"][0]) == {
        "lower",
        "upper",
        "rows",
        "predicted",
        "observed",
    }
    assert stored["importance"][0][0] in {"Balance", "Age", "Products"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (97_198.54, "97,000"),
        (1_234_567, "1,200,000"),
        (0.0, "0"),
        (42.0, "42"),
        (3.46, "3.5"),
        (0.456, "0.46"),
        (-12.6, "-13"),
        (None, "unknown"),
        (float("nan"), "unknown"),
        ("pro", "pro"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


# --- the account features end to end ----------------------------------------------------------

START = dt.date(2023, 1, 1)
MONTHS = 30


def history(n: int = 400, *, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Accounts whose active users fall by half over the four months before they churn; seat
    counts and utilisation vary widely, so only the trend tells who is leaving."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range(START, periods=MONTHS, freq="MS").date
    customers, usage = [], []
    for customer_id in range(1, n + 1):
        since = START + dt.timedelta(days=int(rng.integers(0, 120)))
        churn_month = int(rng.integers(8, MONTHS)) if rng.random() < 0.35 else None
        churned_on = (
            periods[churn_month] + dt.timedelta(days=int(rng.integers(0, 28)))
            if churn_month
            else None
        )
        seats = int(rng.integers(10, 300))
        utilisation = rng.uniform(0.2, 0.95)
        customers.append(
            {
                "id": customer_id,
                "segment": rng.choice(["smb", "mid", "enterprise"]),
                "plan": rng.choice(["starter", "growth", "scale"]),
                "region": rng.choice(["emea", "amer"]),
                "arr": seats * 400.0,
                "seats": seats,
                "customer_since": since,
                "churned_on": churned_on,
                "churned": churned_on is not None,
            }
        )
        for m, period in enumerate(periods):
            if period < since.replace(day=1) or (churn_month is not None and m > churn_month):
                continue
            left = (churn_month - m) if churn_month is not None else 99
            health = 1 - 0.55 * np.clip((4 - left) / 4, 0, 1)
            users = max(1, round(seats * utilisation * health * rng.lognormal(0, 0.05)))
            attempts = users * 20
            usage.append(
                {
                    "customer_id": customer_id,
                    "period": period,
                    "active_users": users,
                    "task_attempts": attempts,
                    "task_successes": int(attempts * rng.uniform(0.85, 0.95)),
                    "adoption": rng.uniform(0.3, 0.7),
                }
            )
    feedback = pd.DataFrame(
        columns=["customer_id", "received_at", "source", "nps", "csat", "sentiment", "theme_id"]
    )
    touchpoints = pd.DataFrame(columns=["customer_id", "date"])
    return {
        "customers": pd.DataFrame(customers),
        "usage": pd.DataFrame(usage),
        "feedback": feedback,
        "touchpoints": touchpoints,
    }


@pytest.fixture(scope="module")
def decline() -> dict:
    data = history()
    train_dates = pd.date_range(dt.date(2023, 7, 1), dt.date(2024, 9, 1), freq="MS").date
    snapshots = training_snapshots(as_of_dates=train_dates, **data)
    y = snapshots.pop("churned").to_numpy()
    return {"data": data, "snapshots": snapshots, "y": y}


def test_declining_accounts_rank_on_top_and_say_why(decline):
    model = churn_model_fit(decline["snapshots"], decline["y"], seed=0)
    as_of = dt.date(2025, 2, 1)
    features = account_features(as_of=as_of, **decline["data"])
    customers = decline["data"]["customers"].set_index("id")
    churned_on = pd.to_datetime(customers.loc[features.index, "churned_on"])
    leaving = (churned_on < pd.Timestamp(as_of) + pd.Timedelta(days=90)).to_numpy()

    p = model.predict_proba(features)
    drivers = model.drivers(features, top=3, phrases=PHRASES)

    assert leaving.sum() >= 10
    assert roc_auc_score(leaving, p) > 0.9
    top = np.argsort(-p)[: leaving.sum()]
    assert leaving[top].mean() >= 0.7
    decliners = np.flatnonzero(leaving & (features["active_users_change_3m"] < -0.25).to_numpy())
    first = [drivers[i][0] for i in decliners if drivers[i]]
    assert len(first) == len(decliners)
    assert sum(d.feature == "active_users_change_3m" for d in first) >= 0.8 * len(first)
    example = next(d for d in first if d.feature == "active_users_change_3m")
    assert example.text.startswith("Active users down ")
    assert "% in 3 months: raises risk by " in example.text


def test_time_split_never_trains_on_outcomes_after_the_cutoff(decline, monkeypatch):
    snapshots, y = decline["snapshots"], decline["y"]
    dates = snapshots.index.get_level_values("as_of")
    seen = {}
    fit = churn.churn_model_fit

    def recording_fit(features, labels, **kwargs):
        seen["dates"] = features.index.get_level_values("as_of")
        return fit(features, labels, **kwargs)

    monkeypatch.setattr(churn, "churn_model_fit", recording_fit)
    cutoff = pd.Timestamp(2024, 6, 1)

    validation = time_split_validate(snapshots, y, dates, horizon_days=90, cutoff=cutoff)

    assert seen["dates"].max() <= cutoff - pd.Timedelta(days=90)
    assert validation.rows == int((dates >= cutoff).sum())
    assert validation.positives == int(y[dates >= cutoff].sum())
    assert validation.roc_auc > 0.85
    assert validation.calibration


def test_time_split_defaults_to_the_latest_date_and_needs_both_classes(decline):
    snapshots, y = decline["snapshots"], decline["y"]
    dates = snapshots.index.get_level_values("as_of")

    validation = time_split_validate(snapshots, y, dates)

    assert validation.rows == int((dates == dates.max()).sum())
    with pytest.raises(ValueError, match="test snapshots need both"):
        time_split_validate(snapshots, np.where(dates == dates.max(), 0, y), dates)
