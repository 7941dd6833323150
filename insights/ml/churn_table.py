"""Any customer table as churn-model features: `prepare_table` turns a CSV-like frame (numbers
written as text, blanks, yes/no columns, ids and names mixed in) into model features and a 0/1
target by generic rules, so the product's own trainer (`insights.ml.churn`) can be checked on a
customer's own export (`manage.py evaluate_churn`). No ORM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# --- preparing any customer table ------------------------------------------------------------

BLANKS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "-", "?"})
YES = frozenset({"1", "yes", "y", "true", "t"})
NO = frozenset({"0", "no", "n", "false", "f"})
TARGET_YES = YES | {"churned", "churn", "exited", "left", "lost", "cancelled", "canceled"}
TARGET_NO = NO | {"stayed", "retained", "active", "renewed", "kept"}
# A text column is numeric (or a date) when this share of its non-blank values parses.
PARSED_SHARE = 0.95
# More distinct texts than this, or than half the rows, make a name or a free-text field.
MAX_CATEGORIES = 100
MIN_LEVEL_ROWS = 10
OTHER_LEVEL = "(other)"
# A whole-number column with a different value in each of at least this many rows may be an id
# (see `_looks_like_ids`).
ID_MIN_ROWS = 20
ID_MIN_DIGITS = 6

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T].*)?")


class ChurnInputError(ValueError):
    """A table or target the churn model cannot learn from; the message is one plain sentence."""


@dataclass(frozen=True)
class PreparedTable:
    features: pd.DataFrame  # float64 and pandas categorical columns, one row per kept row
    y: np.ndarray  # 0/1 int8
    ids: pd.Index  # the id column's values, or the original row positions
    dropped: tuple[tuple[str, str], ...]  # (column, reason)
    skipped_rows: int  # rows with a blank target


def prepare_table(
    frame: pd.DataFrame, *, target: str, id_column: str | None = None
) -> PreparedTable:
    """Features and 0/1 target from any customer table, by generic rules (no column names).

    Target: yes/no words (1/0, yes/no, y/n, true/false, churned/retained, exited/stayed …) or any
    two numbers (the larger is 1); rows with a blank target are skipped. Feature cells are
    stripped; "", NA, N/A, null, none, "-" and "?" are blank. A text column is numeric when
    95 % of its non-blank values parse once currency signs, "%", spaces and thousands
    separators are removed ("$1,234" → 1234, "12%" → 12, "(5)" → -5, "1,5" → 1.5); unparsed
    cells become blank. yes/no columns become 1/0 and ISO dates days since 1970. Any other
    text is a category; levels in fewer than 10 rows are merged into "(other)". Dropped:
    the id column, empty and one-valued columns, text with more than 100 distinct values or
    more distinct values than half its rows (names, free text), and whole numbers different in
    every row that are packed like row numbers or all 6+ digits long like customer codes.
    """
    for name in (target, id_column):
        if name is not None and name not in frame.columns:
            raise ChurnInputError(
                f"No column {name!r}; the columns are {', '.join(map(repr, frame.columns))}."
            )
    if frame.empty:
        raise ChurnInputError("The table has no rows.")
    text = _as_text(frame[target])
    known = ~text.str.lower().isin(BLANKS)
    if not known.any():
        raise ChurnInputError(f"Column {target!r} is blank in every row.")
    y = _parse_target(text[known], target)
    rows = frame.loc[known.to_numpy()]
    columns: dict[str, pd.Series] = {}
    dropped: list[tuple[str, str]] = []
    for name in rows.columns:
        if name in (target, id_column):
            continue
        prepared, reason = _prepare_column(rows[name])
        if prepared is None:
            dropped.append((str(name), reason))
        else:
            columns[str(name)] = prepared.reset_index(drop=True)
    if not columns:
        raise ChurnInputError("No column is usable as a feature (all are ids, blank or constant).")
    ids = pd.Index(rows[id_column] if id_column else np.flatnonzero(known.to_numpy()))
    return PreparedTable(
        features=pd.DataFrame(columns),
        y=y,
        ids=ids,
        dropped=tuple(dropped),
        skipped_rows=int((~known).sum()),
    )


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _parse_numbers(text: pd.Series) -> pd.Series:
    cleaned = text.str.replace(r"[\s$€£¥%]", "", regex=True)
    cleaned = cleaned.str.replace(r"^\((.+)\)$", r"-\1", regex=True)
    thousands = cleaned.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
    decimal_comma = cleaned.str.fullmatch(r"[-+]?\d+,\d+") & ~thousands
    cleaned = cleaned.mask(thousands, cleaned.str.replace(",", "", regex=False))
    cleaned = cleaned.mask(decimal_comma, cleaned.str.replace(",", ".", regex=False))
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def _parse_target(text: pd.Series, name: str) -> np.ndarray:
    lower = text.str.lower()
    if lower.isin(TARGET_YES | TARGET_NO).all():
        y = lower.isin(TARGET_YES).to_numpy()
    else:
        numbers = _parse_numbers(text)
        if numbers.isna().any() or numbers.nunique() > 2:
            examples = ", ".join(map(repr, text.drop_duplicates().head(4)))
            raise ChurnInputError(
                f"Column {name!r} is not a yes/no target: it holds {examples}; expected two "
                "classes such as 1/0 or yes/no."
            )
        y = (numbers == numbers.max()).to_numpy()
    if y.all() or not y.any():
        raise ChurnInputError(
            f"Column {name!r} has only one class ({text.iloc[0]!r}); learning churn needs rows "
            "of both classes."
        )
    return y.astype(np.int8)


def _prepare_column(series: pd.Series) -> tuple[pd.Series | None, str]:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return _numeric_or_none(series.astype("float64"))
    text = _as_text(series)
    text = text.mask(text.str.lower().isin(BLANKS), "")
    present = text[text != ""]
    if present.empty:
        return None, "blank in every row"
    lower = present.str.lower()
    if lower.isin(YES | NO).all():
        return _numeric_or_none(
            text.str.lower().map(lambda v: 1.0 if v in YES else np.nan if v == "" else 0.0)
        )
    numbers = _parse_numbers(text)
    if numbers[present.index].notna().mean() >= PARSED_SHARE:
        return _numeric_or_none(numbers)
    if present.str.fullmatch(_ISO_DATE).mean() >= PARSED_SHARE:
        dates = pd.to_datetime(text.where(text != ""), errors="coerce", format="ISO8601")
        days = (dates - pd.Timestamp("1970-01-01", tz=dates.dt.tz)).dt.days
        return _numeric_or_none(days.astype("float64"))
    distinct = present.nunique()
    if distinct == 1:
        return None, "one value in every row"
    if distinct > MAX_CATEGORIES or (distinct > 10 and distinct > len(present) / 2):
        return None, f"identifier-like text ({distinct:,} distinct values in {len(present):,} rows)"
    counts = present.value_counts()
    rare = counts.index[counts < MIN_LEVEL_ROWS]
    levels = text.where(~text.isin(rare), OTHER_LEVEL).where(text != "")
    kept = sorted(levels.dropna().unique())
    if len(kept) == 1:
        return None, f"no value in {MIN_LEVEL_ROWS} rows or more"
    return levels.astype(pd.CategoricalDtype(kept)), ""


def _numeric_or_none(values: pd.Series) -> tuple[pd.Series | None, str]:
    present = values.dropna()
    if present.empty:
        return None, "blank in every row"
    if present.nunique() == 1:
        return None, "one value in every row"
    if _looks_like_ids(values):
        return None, "a different whole number in every row, like an id or a row number"
    return values.astype("float64"), ""


def _looks_like_ids(values: pd.Series) -> bool:
    """Whole numbers, a different one in every row, and either packed together like row numbers
    and database keys or all of one length of 6+ digits like customer codes. Spread-out amounts
    (ARR, balances) can be all different in a small table without being ids."""
    if len(values) < ID_MIN_ROWS or values.isna().any() or not values.is_unique:
        return False
    if not bool((values == np.round(values)).all()):
        return False
    packed = values.max() - values.min() < 2 * len(values)
    digits = np.floor(np.log10(values.abs().clip(lower=1))).astype(int) + 1
    return bool(packed or (digits.nunique() == 1 and digits.iloc[0] >= ID_MIN_DIGITS))
