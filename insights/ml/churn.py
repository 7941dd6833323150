"""Churn risk per account: a calibrated gradient-boosting model, its validation, and the few
features that push one account's risk up or down.

Features come in as a frame of numeric and categorical columns: the account features of
`insights.ml.churn_features.account_features`, or any customer table passed through
`insights.ml.churn_table.prepare_table` (what `manage.py evaluate_churn` runs).
`churn_model_fit` learns a `HistGradientBoostingClassifier` (native categorical splits, early
stopping on an internal 10 % once there are enough rows) inside `CalibratedClassifierCV`
(sigmoid, 3 shuffled folds): on the bank-churn table it gave the best ROC-AUC of the variants
tried and the same Brier score as isotonic (bench/RESULTS.md, "Churn").
`Driver`s explain one account: each feature in turn is set to its training reference (median or
most common level) for the whole batch, one prediction per feature, and the signed change in
probability is that feature's effect on the account.

No stored model. A churn run fits and scores in one go: features as of past dates with their
outcomes, fit, time-split validation, then today's accounts scored with their drivers; what it
keeps is plain data (scores, drivers, `ModelCard.as_dict()`). Storing the fitted trees without
pickle would mean rebuilding scikit-learn's private predictor nodes, bin thresholds and category
bitsets from arrays — a pickle in disguise, tied to one scikit-learn release. And a churn model
goes stale with every month of new outcomes, while a refit takes seconds (minutes at 100k
accounts), so an artefact would save little and date quickly. Fits are seeded and reproducible.

No ORM here: frames in, dataclasses out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import wraps

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

METHOD = "hist-gradient-boosting+sigmoid/1"

# Regularisation chosen by 5-fold CV on the bank-churn table (bench/RESULTS.md): small trees,
# a slow learning rate and large leaves; leaves shrink on small tables so trees can still split.
LEARNING_RATE = 0.05
MAX_LEAF_NODES = 15
MIN_SAMPLES_LEAF = 40
L2_REGULARISATION = 1.0
MAX_ITER = 500
# Early stopping holds out 10 % of the rows; below this many that hold-out is too noisy, and a
# fixed number of rounds is safer.
EARLY_STOPPING_FROM = 1_000
SMALL_MAX_ITER = 150
# Calibration fits on folds of the training rows; with fewer rows of the rarer class than this the
# sigmoid is fitted on noise, and the booster's own log-loss probabilities are kept.
CALIBRATE_FROM = 30
CALIBRATION_FOLDS = 3
# Gradient boosting splits at most this many levels of a category (its max_bins is 255).
MAX_MODEL_LEVELS = 250
# Permutation importance runs on this many training rows: enough for a stable order, cheap.
IMPORTANCE_SAMPLE = 2_000
IMPORTANCE_REPEATS = 3
# A driver moving the probability by less than half a point is noise, not a reason.
MIN_DRIVER_EFFECT = 0.005
# OpenMP threads for the booster. On this shared 2-core machine, two spinning OpenMP threads made
# the bank-churn cross-validation take 160–220 s instead of 9–13 s while other work ran.
THREADS = 1


def _one_thread(function):
    @wraps(function)
    def limited(*args, **kwargs):
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            return function(*args, **kwargs)

    return limited


# --- the model ---------------------------------------------------------------------------------

Phrase = Callable[[object, object], str]


@dataclass(frozen=True)
class Driver:
    """One reason for one account's risk: `effect` is P(churn) minus P(churn) with this feature at
    its training `reference`, so a positive effect means the account's value raises its risk."""

    feature: str
    value: object  # float or level; None when missing
    reference: object  # the training median, or the most common level
    effect: float
    description: str  # "active users down 40 % in 3 months"

    @property
    def text(self) -> str:
        points = abs(self.effect) * 100
        if points < 0.5:
            amount = "less than a point"
        else:
            amount = f"{points:.0f} point{'' if round(points) == 1 else 's'}"
        direction = "raises" if self.effect > 0 else "lowers"
        return f"{self.description[:1].upper()}{self.description[1:]}: {direction} risk by {amount}"


class ChurnModel:
    """A fitted churn model (build it with `churn_model_fit`): P(churn) and drivers for frames
    with the training columns; unseen category levels count as missing."""

    def __init__(
        self,
        *,
        estimator,
        numeric: list[str],
        categories: dict[str, list[str]],
        references: dict[str, object],
        sample: pd.DataFrame,
        sample_y: np.ndarray,
        trained_on: int,
        positives: int,
        seed: int,
    ):
        self._estimator = estimator
        self._numeric = numeric
        self._categories = categories
        self.references = references
        self._sample = sample
        self._sample_y = sample_y
        self.trained_on = trained_on
        self.positives = positives
        self.seed = seed
        self.columns = [*numeric, *categories]

    def __repr__(self) -> str:
        return f"ChurnModel(trained_on={self.trained_on}, positives={self.positives})"

    @_one_thread
    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """P(churn) per row, float64."""
        return self._proba(self._frame(features))

    @_one_thread
    def feature_importance(self) -> list[tuple[str, float]]:
        """(feature, ROC-AUC lost when its values are shuffled), largest first: permutation
        importance on up to 2,000 training rows, 3 shuffles each."""
        x, y = self._sample, self._sample_y
        if len(np.unique(y)) < 2:
            return [(name, 0.0) for name in self.columns]
        rng = np.random.default_rng(self.seed)
        base = roc_auc_score(y, self._proba(x))
        importance = []
        for name in self.columns:
            losses = []
            for _ in range(IMPORTANCE_REPEATS):
                shuffled = x[name].iloc[rng.permutation(len(x))].set_axis(x.index)
                losses.append(base - roc_auc_score(y, self._proba(x.assign(**{name: shuffled}))))
            importance.append((name, round(float(np.mean(losses)), 4)))
        return sorted(importance, key=lambda item: -item[1])

    @_one_thread
    def drivers(
        self,
        features: pd.DataFrame,
        *,
        top: int = 3,
        phrases: Mapping[str, Phrase] | None = None,
    ) -> list[list[Driver]]:
        """Per row, up to `top` drivers by size of effect (those under half a point left out).
        `phrases[feature](value, reference)` words a feature for people; others read
        "Balance 0 (typical 97,000)"."""
        x = self._frame(features)
        if x.empty:
            return []
        phrases = phrases or {}
        base = self._proba(x)
        effects = np.zeros((len(x), len(self.columns)))
        for j, name in enumerate(self.columns):
            reference = self.references[name]
            if reference is None:
                continue
            if name in self._categories:
                column = pd.Categorical([reference] * len(x), categories=self._categories[name])
            else:
                column = np.full(len(x), reference, dtype=np.float64)
            effects[:, j] = base - self._proba(x.assign(**{name: column}))
        order = np.argsort(-np.abs(effects), axis=1, kind="stable")[:, :top]
        values = {name: _plain_values(x[name]) for name in self.columns}
        result = []
        for i, row in enumerate(order):
            drivers = []
            for j in row:
                effect = float(effects[i, j])
                if abs(effect) < MIN_DRIVER_EFFECT:
                    break
                name = self.columns[j]
                value, reference = values[name][i], self.references[name]
                phrase = phrases.get(name)
                description = (
                    phrase(value, reference) if phrase else _generic_phrase(name, value, reference)
                )
                drivers.append(Driver(name, value, reference, round(effect, 4), description))
            result.append(drivers)
        return result

    def _frame(self, features: pd.DataFrame) -> pd.DataFrame:
        return _encoded(features, self._numeric, self._categories)

    def _proba(self, x: pd.DataFrame) -> np.ndarray:
        if x.empty:
            return np.zeros(0)
        return self._estimator.predict_proba(x)[:, 1].astype(np.float64)


@_one_thread
def churn_model_fit(features: pd.DataFrame, y, *, seed: int = 0) -> ChurnModel:
    """Fit the calibrated booster. Bool and numeric columns are numbers, any other column is a
    category (its 250 most common levels); columns blank in every row are left out. `y` is 0/1
    with both classes present."""
    y = _binary(y, len(features))
    numeric, categories = [], {}
    for name in features.columns:
        column = features[name]
        if column.isna().all():
            # The booster cannot bin a column without values, and it would teach nothing.
            continue
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append(str(name))
        else:
            levels = _as_text_levels(column).value_counts().index[:MAX_MODEL_LEVELS]
            categories[str(name)] = sorted(levels)
    x = _encoded(features, numeric, categories)
    references: dict[str, object] = {}
    for name in numeric:
        values = x[name].dropna()
        references[name] = float(values.median()) if len(values) else None
    for name in categories:
        counts = x[name].value_counts()
        references[name] = str(counts.idxmax()) if counts.sum() else None
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(x), size=min(len(x), IMPORTANCE_SAMPLE), replace=False))
    return ChurnModel(
        estimator=_estimator(y, seed).fit(x, y),
        numeric=numeric,
        categories=categories,
        references=references,
        sample=x.iloc[sample],
        sample_y=y[sample],
        trained_on=len(y),
        positives=int(y.sum()),
        seed=seed,
    )


def _encoded(
    features: pd.DataFrame, numeric: list[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    missing = [name for name in [*numeric, *categories] if name not in features.columns]
    if missing:
        raise ValueError(f"Missing feature columns: {', '.join(missing)}.")
    columns = {name: _as_float(features[name]) for name in numeric}
    for name, levels in categories.items():
        columns[name] = _as_categorical(features[name], levels)
    return pd.DataFrame(columns, index=features.index)


def _estimator(y: np.ndarray, seed: int):
    rows = len(y)
    minority = int(min(y.sum(), rows - y.sum()))
    if rows >= EARLY_STOPPING_FROM:
        rounds = {
            "max_iter": MAX_ITER,
            "early_stopping": True,
            "validation_fraction": 0.1,
            "n_iter_no_change": 20,
        }
    else:
        rounds = {"max_iter": SMALL_MAX_ITER, "early_stopping": False}
    booster = HistGradientBoostingClassifier(
        learning_rate=LEARNING_RATE,
        max_leaf_nodes=MAX_LEAF_NODES,
        min_samples_leaf=min(MIN_SAMPLES_LEAF, max(5, rows // 50)),
        l2_regularization=L2_REGULARISATION,
        categorical_features="from_dtype",
        random_state=seed,
        **rounds,
    )
    if minority < CALIBRATE_FROM:
        return booster
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    return CalibratedClassifierCV(booster, method="sigmoid", cv=folds)


def _binary(y, rows: int) -> np.ndarray:
    y = np.asarray(y)
    if len(y) != rows:
        raise ValueError(f"{rows} feature rows but {len(y)} labels.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("Labels must be 0 or 1.")
    y = y.astype(np.int8)
    if y.min() == y.max():
        raise ValueError("Labels need both classes, churned (1) and retained (0).")
    return y


def _as_float(column: pd.Series) -> pd.Series:
    if not (pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)):
        column = pd.to_numeric(column, errors="coerce")
    return pd.Series(column.to_numpy(dtype="float64", na_value=np.nan), index=column.index)


def _as_text_levels(column: pd.Series) -> pd.Series:
    return column.dropna().astype(str)


def _as_categorical(column: pd.Series, levels: list[str]) -> pd.Series:
    text = column.astype(object).where(column.notna(), None)
    text = text.map(lambda v: v if v is None else str(v))
    return text.where(text.isin(levels)).astype(pd.CategoricalDtype(levels))


def _plain_values(column: pd.Series) -> list:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [None if pd.isna(v) else str(v) for v in column.astype(object)]
    return [None if math.isnan(v) else float(v) for v in column.to_numpy()]


def format_number(value) -> str:
    """A figure for people: two significant digits from 1,000 up ("97,000"), otherwise at most
    two ("0.45", "3.5", "42"); "unknown" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if isinstance(value, str):
        return value
    value = float(value)
    if abs(value) >= 1000:
        digits = int(math.floor(math.log10(abs(value)))) - 1
        return f"{round(value, -digits):,.0f}"
    if value == round(value):
        return f"{value:.0f}"
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.0f}"


def _generic_phrase(name: str, value, reference) -> str:
    label = name.replace("_", " ") if "_" in name else name
    return f"{label} {format_number(value)} (typical {format_number(reference)})"


# --- validation and the model card -------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationBin:
    lower: float  # smallest and largest predicted probability in the bin
    upper: float
    rows: int
    predicted: float  # mean predicted probability
    observed: float  # share that churned


@dataclass(frozen=True)
class Validation:
    roc_auc: float
    brier: float
    rows: int  # rows scored (all rows in cross-validation, the test rows in a time split)
    positives: int
    seconds: float
    calibration: tuple[CalibrationBin, ...] = ()


def calibration_table(y, p, bins: int = 10) -> tuple[CalibrationBin, ...]:
    """Predicted against observed churn in `bins` groups of equal size by predicted risk
    (deciles by default; fewer when many predictions tie)."""
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if len(y) == 0:
        return ()
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    groups = np.searchsorted(edges[1:-1], p, side="right")
    table = []
    for group in np.unique(groups):
        members = groups == group
        table.append(
            CalibrationBin(
                lower=round(float(p[members].min()), 4),
                upper=round(float(p[members].max()), 4),
                rows=int(members.sum()),
                predicted=round(float(p[members].mean()), 4),
                observed=round(float(y[members].mean()), 4),
            )
        )
    return tuple(table)


@_one_thread
def cross_validate(features: pd.DataFrame, y, *, folds: int = 5, seed: int = 0) -> Validation:
    """Stratified k-fold ROC-AUC and Brier score of `churn_model_fit`, pooled over the
    out-of-fold predictions; `seconds` is the whole run."""
    started = time.perf_counter()
    y = _binary(y, len(features))
    smallest = int(min(y.sum(), len(y) - y.sum()))
    if smallest < folds:
        raise ValueError(
            f"Every class needs at least {folds} rows for {folds}-fold cross-validation "
            f"(the smaller class has {smallest})."
        )
    predicted = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y):
        model = churn_model_fit(features.iloc[train], y[train], seed=seed)
        predicted[test] = model.predict_proba(features.iloc[test])
    return _validation(y, predicted, started)


@_one_thread
def time_split_validate(
    snapshots: pd.DataFrame,
    y,
    as_of,
    *,
    horizon_days: int = 90,
    cutoff=None,
    seed: int = 0,
) -> Validation:
    """Validate as the product is used: train on snapshots dated at least `horizon_days` before
    `cutoff` (so no training outcome falls after it) and test on the snapshots dated `cutoff` or
    later. `as_of` gives each row's date; `cutoff` defaults to the latest of them."""
    started = time.perf_counter()
    y = np.asarray(y)
    dates = pd.to_datetime(pd.Series(np.asarray(as_of))).to_numpy()
    if len(dates) != len(snapshots) or len(y) != len(snapshots):
        raise ValueError("snapshots, y and as_of must have one entry per row.")
    cutoff = np.datetime64(pd.Timestamp(cutoff if cutoff is not None else dates.max()))
    train = dates <= cutoff - np.timedelta64(horizon_days, "D")
    test = dates >= cutoff
    for name, rows in (("training", train), ("test", test)):
        if len(np.unique(y[rows])) < 2:
            raise ValueError(
                f"The {name} snapshots need both churned and retained accounts "
                f"({int(rows.sum())} rows before/after the cutoff {str(cutoff)[:10]})."
            )
    model = churn_model_fit(snapshots[train], y[train], seed=seed)
    return _validation(y[test].astype(np.int8), model.predict_proba(snapshots[test]), started)


def _validation(y: np.ndarray, predicted: np.ndarray, started: float) -> Validation:
    return Validation(
        roc_auc=round(float(roc_auc_score(y, predicted)), 4),
        brier=round(float(brier_score_loss(y, predicted)), 4),
        rows=len(y),
        positives=int(y.sum()),
        seconds=round(time.perf_counter() - started, 1),
        calibration=calibration_table(y, predicted),
    )


@dataclass(frozen=True)
class ModelCard:
    method: str
    trained_on: int
    positives: int
    validation: Validation
    importance: tuple[tuple[str, float], ...]

    def as_dict(self) -> dict:
        """JSON-ready: what a churn run stores instead of the model."""
        card = asdict(self)
        card["importance"] = [list(item) for item in self.importance]
        return card


def model_card(model: ChurnModel, validation: Validation) -> ModelCard:
    """The figures to show beside a model's scores: data size, validation, importance."""
    importance = tuple(model.feature_importance())
    return ModelCard(METHOD, model.trained_on, model.positives, validation, importance)
