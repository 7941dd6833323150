"""Churn on a real customer table: Backlight's preparation and trainer against logistic regression.

    .venv/bin/python bench/churn_bank.py [--csv PATH] [--seeds 3]

The bank-churn table (10,000 customers, `Exited`, id `CustomerId`) goes through what
`manage.py evaluate_churn` runs: `prepare_table` (which drops RowNumber and Surname by its generic
rules) then `insights.ml.churn.cross_validate` (stratified 5-fold). On the same prepared features
and the same folds, in the same run: logistic regression (median-imputed, standardised numbers,
one-hot categories) — the reference method — and the product's booster without calibration, to
show what calibrating costs or gains. Repeated over `--seeds` fold seeds (0, 1, …): the median and
spread are reported. Bar (issue #7): ROC-AUC ≥ 0.86. Prints one JSON object; figures go to
bench/RESULTS.md by hand. The dataset is read by path and only evaluated: nothing trained on it is
kept.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from insights.ml import churn  # noqa: E402
from insights.ml.churn_table import prepare_table  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "bank_churn" / "Churn_Modelling.csv"
FOLDS = 5
BAR = 0.86


def _logistic(features: pd.DataFrame):
    numeric = [c for c in features if not isinstance(features[c].dtype, pd.CategoricalDtype)]
    categorical = [c for c in features if c not in numeric]
    return make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (OneHotEncoder(handle_unknown="ignore"), categorical),
        ),
        LogisticRegression(max_iter=2_000),
    )


def _same_folds(features: pd.DataFrame, y: np.ndarray, seed: int, fit_predict) -> dict:
    started = time.perf_counter()
    predicted = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y):
        predicted[test] = fit_predict(train, test)
    return {
        "roc_auc": round(float(roc_auc_score(y, predicted)), 4),
        "brier": round(float(brier_score_loss(y, predicted)), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _summary(runs: list[dict]) -> dict:
    summary = {}
    for key in ("roc_auc", "brier", "seconds"):
        values = [run[key] for run in runs]
        summary[key] = statistics.median(values)
        summary[f"{key}_range"] = [min(values), max(values)]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if not args.csv.is_file():
        raise SystemExit(f"No file at {args.csv}")

    raw = pd.read_csv(args.csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    product, logistic, booster = [], [], []
    for seed in range(args.seeds):
        # The product path, timed from the raw table as the command runs it.
        started = time.perf_counter()
        table = prepare_table(raw, target="Exited", id_column="CustomerId")
        validation = churn.cross_validate(table.features, table.y, folds=FOLDS, seed=seed)
        product.append(
            {
                "roc_auc": validation.roc_auc,
                "brier": validation.brier,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        x, y = table.features, table.y

        def logistic_fold(train, test, x=x, y=y):
            model = _logistic(x).fit(x.iloc[train], y[train])
            return model.predict_proba(x.iloc[test])[:, 1]

        def booster_fold(train, test, x=x, y=y, seed=seed):
            # The product's booster with its own settings, without the calibration around it.
            estimator = churn._estimator(y[train], seed)
            estimator = getattr(estimator, "estimator", estimator)
            with threadpool_limits(limits=churn.THREADS, user_api="openmp"):
                estimator.fit(x.iloc[train], y[train])
                return estimator.predict_proba(x.iloc[test])[:, 1]

        with threadpool_limits(limits=1):
            logistic.append(_same_folds(x, y, seed, logistic_fold))
        booster.append(_same_folds(x, y, seed, booster_fold))

    product_summary = _summary(product)
    logistic_summary = _summary(logistic)
    print(
        json.dumps(
            {
                "rows": len(table.y),
                "positives": int(table.y.sum()),
                "features": list(table.features.columns),
                "dropped": [name for name, _ in table.dropped],
                "folds": FOLDS,
                "seeds": list(range(args.seeds)),
                "method": churn.METHOD,
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "product": product_summary | {"runs": product},
                "logistic_regression": logistic_summary | {"runs": logistic},
                "booster_uncalibrated": _summary(booster) | {"runs": booster},
                "roc_auc_ratio_product_vs_logistic": round(
                    product_summary["roc_auc"] / logistic_summary["roc_auc"], 3
                ),
                "brier_ratio_product_vs_logistic": round(
                    product_summary["brier"] / logistic_summary["brier"], 3
                ),
                "bar": {"roc_auc": BAR, "met": min(r["roc_auc"] for r in product) >= BAR},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
