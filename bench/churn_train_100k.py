"""Churn at scale: 100k synthetic accounts through features, training, scoring and drivers.

    .venv/bin/python bench/churn_train_100k.py [--accounts 100000] [--dates 4]

Generates (seed 0) two years of history for the accounts: monthly usage, support tickets, survey
answers with NPS/CSAT, themed feedback and touchpoints. 30 % of the accounts churn (some after the
history ends); most of them fade for three to six months first — fewer users, less adoption, more
failed tasks and tickets, souring answers, fewer touchpoints — and 30 % of them leave without
warning.
Then the product path a churn run takes (`insights.services.churn`, minus the database):
`training_snapshots` as of `--dates` quarter starts whose 90-day outcome is known,
`churn_model_fit` on them, `account_features` as of the end of the history, `predict_proba` and
`drivers` (top 3, worded with `PHRASES`) for every active account; plus a time-split validation
of the same snapshots, and today's scores against who actually leaves in the next 90 days.
Bar (issue #7): training on 100k accounts ≤ 5 minutes; the fit + score + drivers figure is the
one quoted. Side by side, the baseline: logistic regression on the same snapshots
(median-imputed, standardised, one-hot), fit and score. Prints one JSON object; figures go to
bench/RESULTS.md by hand.
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insights.ml import churn  # noqa: E402
from insights.ml.churn_features import (  # noqa: E402
    PHRASES,
    account_features,
    training_snapshots,
)

SEED = 0
START = dt.date(2023, 1, 1)
MONTHS = 24
FUTURE_MONTHS = 6
CHURN_SHARE = 0.3
SILENT_SHARE = 0.3
PAIN_THEMES = {1, 2, 3}
THEMES = 20
BAR_SECONDS = 300


def history(accounts: int, *, seed: int = SEED) -> tuple[dict, pd.Series]:
    """Customers, usage, feedback and touchpoints frames as `account_features` reads them, and
    by customer id whether the account churns in the 90 days after the history ends (churn dates
    after the end are not in the frames)."""
    rng = np.random.default_rng(seed)
    # Churn dates run past the end of the history, so today's accounts include some on their way
    # out; usage, feedback and touchpoints stop at the end of the history.
    periods = pd.date_range(START, periods=MONTHS + FUTURE_MONTHS, freq="MS")
    ids = np.arange(1, accounts + 1)
    first = rng.integers(0, 12, accounts)
    since = periods[first] + pd.to_timedelta(rng.integers(0, 28, accounts), unit="D")
    churn_month = first + 4 + rng.integers(0, MONTHS + FUTURE_MONTHS - first - 4)
    churns = rng.random(accounts) < CHURN_SHARE
    churn_month = np.where(churns, churn_month, 10 * MONTHS)
    today = periods[MONTHS]
    churned_on = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    churned_on[churns] = periods[churn_month[churns]] + pd.to_timedelta(
        rng.integers(0, 28, churns.sum()), unit="D"
    )
    seats = np.clip(rng.lognormal(3.5, 1.0, accounts).round(), 3, 5_000)
    customers = pd.DataFrame(
        {
            "id": ids,
            "segment": rng.choice(["smb", "mid_market", "enterprise"], accounts, p=[0.6, 0.3, 0.1]),
            "plan": rng.choice(["starter", "growth", "scale"], accounts, p=[0.5, 0.35, 0.15]),
            "region": rng.choice(["emea", "amer", "apac"], accounts),
            "arr": seats * rng.uniform(200, 600, accounts),
            "seats": seats,
            "customer_since": since,
            "churned_on": churned_on.where(churned_on < today).to_numpy(),
            "churned": churns & (churned_on < today).to_numpy(),
        }
    )

    # One grid of accounts × months: active from the signing month until the churn month.
    month = np.arange(MONTHS)[None, :]
    active = (month >= first[:, None]) & (month <= churn_month[:, None])
    decline = rng.integers(3, 7, accounts)[:, None]
    left = churn_month[:, None] - month
    # Some accounts leave without warning: their usage and answers never fade.
    depth = np.where(rng.random(accounts) < SILENT_SHARE, 0.0, rng.uniform(0.45, 0.7, accounts))
    health = 1 - depth[:, None] * np.clip((decline - left) / decline, 0, 1)
    rows, cols = np.nonzero(active)
    h = health[rows, cols]
    utilisation = rng.uniform(0.4, 0.9, accounts)[rows]
    users = np.clip(
        np.rint(seats[rows] * utilisation * h * rng.lognormal(0, 0.08, len(rows))), 1, None
    )
    attempts = rng.poisson(users * 20)
    success = np.clip(rng.uniform(0.86, 0.95, accounts)[rows] - 0.25 * (1 - h), 0.3, 0.99)
    usage = pd.DataFrame(
        {
            "customer_id": ids[rows],
            "period": periods[cols],
            "active_users": users,
            "task_attempts": attempts,
            "task_successes": rng.binomial(attempts, success),
            "adoption": np.clip(rng.uniform(0.3, 0.7, accounts)[rows] * h**1.5, 0, 1),
        }
    )

    def dated(counts: np.ndarray) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
        repeat = np.repeat(np.arange(len(rows)), counts)
        days = pd.to_timedelta(rng.integers(0, 28 * 24 * 60, len(repeat)), unit="min")
        return ids[rows][repeat], periods[cols][repeat] + days, h[repeat]

    ticket_ids, ticket_at, ticket_h = dated(rng.poisson(0.2 + 1.5 * (1 - h)))
    survey_ids, survey_at, survey_h = dated(rng.binomial(1, 0.2, len(rows)))
    tickets = pd.DataFrame(
        {
            "customer_id": ticket_ids,
            "received_at": ticket_at,
            "source": "support_ticket",
            "nps": np.nan,
            "csat": np.nan,
            "sentiment": np.clip(rng.normal(-0.1 - 0.8 * (1 - ticket_h), 0.3), -1, 1),
            "theme_id": _themes(rng, ticket_h),
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": survey_ids,
            "received_at": survey_at,
            "source": "survey",
            "nps": np.clip(np.rint(rng.normal(8.5 - 9 * (1 - survey_h), 1.5)), 0, 10),
            "csat": np.clip(np.rint(rng.normal(4.3 - 3 * (1 - survey_h), 0.7)), 1, 5),
            "sentiment": np.clip(rng.normal(0.3 - 1.2 * (1 - survey_h), 0.3), -1, 1),
            "theme_id": _themes(rng, survey_h),
        }
    )
    touched = rng.binomial(1, np.clip(0.08 * h**3, 0, 1))
    touch_rows = np.repeat(np.arange(len(rows)), touched)
    touchpoints = pd.DataFrame(
        {
            "customer_id": ids[rows][touch_rows],
            "date": periods[cols][touch_rows]
            + pd.to_timedelta(rng.integers(0, 28, len(touch_rows)), unit="D"),
        }
    )
    data = {
        "customers": customers,
        "usage": usage,
        "feedback": pd.concat([tickets, surveys], ignore_index=True),
        "touchpoints": touchpoints,
        "pain_theme_ids": PAIN_THEMES,
    }
    # Who leaves in the 90 days after the history ends: the outcome the scores are checked on.
    leaving = pd.Series((churned_on >= today) & (churned_on < today + pd.Timedelta(days=90)))
    return data, leaving


def _themes(rng: np.random.Generator, health: np.ndarray) -> np.ndarray:
    pain = rng.random(len(health)) < 0.15 + 0.5 * (1 - health)
    themes = np.where(
        pain, rng.choice(sorted(PAIN_THEMES), len(health)), rng.integers(4, THEMES, len(health))
    ).astype(float)
    themes[rng.random(len(health)) < 0.2] = np.nan
    return themes


def _timed(seconds: dict, name: str, work):
    started = time.perf_counter()
    result = work()
    seconds[name] = round(time.perf_counter() - started, 1)
    return result


def _logistic(features: pd.DataFrame):
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features if c not in numeric]
    return make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ),
        LogisticRegression(max_iter=2_000),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--dates", type=int, default=4, help="Quarterly training dates.")
    args = parser.parse_args()

    seconds: dict[str, float] = {}
    data, leaving = _timed(seconds, "generate", lambda: history(args.accounts))
    today = pd.Timestamp(START) + pd.DateOffset(months=MONTHS)
    # Quarter starts whose 90-day outcome is known by today, the latest first.
    dates = [
        (today - pd.DateOffset(months=3 * (k + 1))).date() for k in reversed(range(args.dates))
    ]
    snapshots = _timed(seconds, "snapshots", lambda: training_snapshots(as_of_dates=dates, **data))
    y = snapshots.pop("churned").to_numpy()
    row_dates = snapshots.index.get_level_values("as_of")
    validation = _timed(
        seconds,
        "time_split_validation",
        lambda: churn.time_split_validate(snapshots, y, row_dates, horizon_days=90),
    )
    model = _timed(seconds, "fit", lambda: churn.churn_model_fit(snapshots, y, seed=SEED))
    features = _timed(
        seconds, "features_today", lambda: account_features(as_of=today.date(), **data)
    )
    p = _timed(seconds, "score", lambda: model.predict_proba(features))
    drivers = _timed(seconds, "drivers", lambda: model.drivers(features, top=3, phrases=PHRASES))
    importance = _timed(seconds, "importance", model.feature_importance)
    outcome = leaving.reindex(features.index).to_numpy()
    product_seconds = round(seconds["fit"] + seconds["score"] + seconds["drivers"], 1)

    baseline_seconds: dict[str, float] = {}
    with threadpool_limits(limits=1):
        baseline = _timed(baseline_seconds, "fit", lambda: _logistic(snapshots).fit(snapshots, y))
        _timed(baseline_seconds, "score", lambda: baseline.predict_proba(features))
    train = row_dates <= row_dates.max() - pd.Timedelta(days=90)
    test = row_dates == row_dates.max()
    with threadpool_limits(limits=1):
        split = _logistic(snapshots).fit(snapshots[train], y[train])
        baseline_auc = roc_auc_score(y[test], split.predict_proba(snapshots[test])[:, 1])

    print(
        json.dumps(
            {
                "accounts": args.accounts,
                "usage_rows": len(data["usage"]),
                "feedback_rows": len(data["feedback"]),
                "touchpoint_rows": len(data["touchpoints"]),
                "training_dates": [d.isoformat() for d in dates],
                "snapshots": len(snapshots),
                "positives": int(y.sum()),
                "scored": len(features),
                "forward_roc_auc": round(float(roc_auc_score(outcome, p)), 4),
                "forward_positives": int(outcome.sum()),
                "with_drivers": sum(bool(row) for row in drivers),
                "example_drivers": [d.text for d in drivers[int(np.argmax(p))]],
                "seconds": seconds,
                "fit_score_drivers_seconds": product_seconds,
                "time_split": {
                    "roc_auc": validation.roc_auc,
                    "brier": validation.brier,
                    "rows": validation.rows,
                    "positives": validation.positives,
                },
                "importance_top5": importance[:5],
                "baseline_logistic": {
                    "seconds": baseline_seconds,
                    "fit_score_seconds": round(sum(baseline_seconds.values()), 1),
                    "time_split_roc_auc": round(float(baseline_auc), 4),
                },
                "ratio_seconds_product_vs_logistic": round(
                    product_seconds / max(sum(baseline_seconds.values()), 0.1), 1
                ),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "method": churn.METHOD,
                "seed": SEED,
                "bar": {"seconds": BAR_SECONDS, "met": product_seconds <= BAR_SECONDS},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
