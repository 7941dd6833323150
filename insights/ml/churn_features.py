"""Features for the churn model (`insights.ml.churn`) from Backlight's own account data.

`account_features` builds one row per account as of a date from the customer, usage, feedback and
touchpoint frames, using nothing dated on or after that date; `churn_labels` gives the outcomes
after it, and `training_snapshots` stacks both over several dates for training and time-split
validation. `PHRASES` words each feature for the drivers. Any other customer table is prepared by
`insights.ml.churn_table.prepare_table`.

No ORM here: the frames are read from `Customer`, `UsageSnapshot`, `Feedback` and touchpoints by
a service; their columns are listed on `account_features`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from insights.ml.churn import Phrase, format_number

# --- Backlight's own account data --------------------------------------------------------------

TICKET_SOURCE = "support_ticket"
# Tickets and their sentiment count over this many days before the as-of date.
RECENT_DAYS = 90
# NPS/CSAT answers and pain-point exposure look back this far; older answers describe an account
# that may have changed since.
HISTORY_DAYS = 365
# Usage: complete months only (a month still running on the as-of date would carry later days).
# The trend compares the latest complete month with three months before it; an account whose
# latest usage is older than three months has no usage figures.
USAGE_MONTHS = 12
TREND_MONTHS = 3
STALE_USAGE_MONTHS = 3
DAYS_PER_MONTH = 30.44

FEATURES = (
    "tenure_months",
    "plan",
    "segment",
    "region",
    "seats",
    "arr",
    "active_users_latest",
    "active_users_change_3m",
    "seat_utilisation",
    "adoption_latest",
    "adoption_change_3m",
    "task_success_rate_3m",
    "task_success_change_3m",
    "tickets_90d",
    "ticket_sentiment_90d",
    "nps_latest",
    "nps_change",
    "csat_latest",
    "csat_change",
    "pain_exposure",
    "days_since_touchpoint",
)
CUSTOMER_COLUMNS = (
    "id",
    "segment",
    "plan",
    "region",
    "arr",
    "seats",
    "customer_since",
    "churned_on",
)
USAGE_COLUMNS = ("customer_id", "period", "active_users", "task_attempts", "task_successes")
FEEDBACK_COLUMNS = ("customer_id", "received_at", "source", "nps", "csat", "sentiment", "theme_id")
TOUCHPOINT_COLUMNS = ("customer_id", "date")


def account_features(
    *,
    as_of: date,
    customers: pd.DataFrame,
    usage: pd.DataFrame,
    feedback: pd.DataFrame,
    touchpoints: pd.DataFrame,
    pain_theme_ids: Iterable = (),
) -> pd.DataFrame:
    """One row per account active on `as_of` (signed up before it, not churned before it),
    indexed by customer id, columns `FEATURES`; only rows dated before `as_of` are read.

    Input frames (dates as `date`, datetimes — aware ones are compared in UTC — or ISO text):
    - customers: id, segment, plan, region, arr, seats, customer_since, churned_on (empty while
      a customer), optionally churned (churned accounts without a churned_on are left out: they
      cannot be placed in time). Plan, segment, region, seats and ARR are today's values: the
      Customer table keeps no history of them.
    - usage (`UsageSnapshot`, one row per account and month): customer_id, period (first day of
      the month), active_users, task_attempts, task_successes, and adoption (0–1) or
      feature_adoption (feature → users who used it; adoption is their mean share of active
      users). Only months complete before `as_of` count.
    - feedback: customer_id, received_at, source ("support_ticket" is a ticket), nps, csat,
      sentiment (−1…1), theme_id; blanks allowed.
    - touchpoints: customer_id, date (one row per account a touchpoint met).
    `pain_theme_ids`: the themes of the top pain points, for `pain_exposure`.

    Features: tenure_months; plan, segment, region (text); seats, arr; active_users_latest and
    active_users_change_3m (fraction, −0.4 = down 40 %) and seat_utilisation, from the latest
    complete month against three months before; adoption_latest and adoption_change_3m (points);
    task_success_rate_3m over the last three months and task_success_change_3m against the three
    before; tickets_90d and ticket_sentiment_90d; nps_latest / csat_latest (the latest answer in
    a year) and nps_change / csat_change (latest minus the mean of the year's earlier answers);
    pain_exposure (share of the year's feedback in the pain themes); days_since_touchpoint.
    Missing figures stay NaN: the model learns what "no answer" means.
    """
    as_of = pd.Timestamp(as_of).normalize()
    accounts = _active_accounts(customers, as_of)
    ids = pd.Index(accounts["id"].to_numpy(), name="customer_id")
    since = _dates(accounts["customer_since"])
    frame = pd.DataFrame(index=ids)
    frame["tenure_months"] = ((as_of - since).dt.days / DAYS_PER_MONTH).to_numpy()
    for name in ("plan", "segment", "region"):
        levels = accounts[name].astype(object).where(accounts[name].notna(), "").astype(str)
        frame[name] = levels.where(levels.str.strip() != "").to_numpy()
    for name in ("seats", "arr"):
        frame[name] = pd.to_numeric(accounts[name], errors="coerce").to_numpy(dtype="float64")
    frame = frame.join(_usage_features(usage, ids, as_of))
    frame["seat_utilisation"] = frame["active_users_latest"] / frame["seats"].where(
        frame["seats"] > 0
    )
    frame = frame.join(_feedback_features(feedback, ids, as_of, set(pain_theme_ids)))
    frame["days_since_touchpoint"] = _touchpoint_days(touchpoints, ids, as_of)
    return frame[list(FEATURES)]


def churn_labels(*, as_of: date, customers: pd.DataFrame, horizon_days: int = 90) -> pd.Series:
    """1 for the accounts of `account_features` whose churned_on falls in [as_of, as_of +
    horizon), else 0; indexed by customer id."""
    as_of = pd.Timestamp(as_of).normalize()
    accounts = _active_accounts(customers, as_of)
    churned_on = _dates(accounts["churned_on"])
    churned = churned_on < as_of + pd.Timedelta(days=horizon_days)
    return pd.Series(
        churned.to_numpy(dtype=np.int8),
        index=pd.Index(accounts["id"].to_numpy(), name="customer_id"),
        name="churned",
    )


def training_snapshots(
    *,
    as_of_dates: Iterable[date],
    customers: pd.DataFrame,
    usage: pd.DataFrame,
    feedback: pd.DataFrame,
    touchpoints: pd.DataFrame,
    pain_theme_ids: Iterable = (),
    horizon_days: int = 90,
) -> pd.DataFrame:
    """`account_features` and `churn_labels` (column "churned") stacked over the dates, indexed
    by (as_of, customer_id). Only dates at least `horizon_days` in the past have final labels:
    choosing them is the caller's part."""
    pain = set(pain_theme_ids)
    parts = []
    for as_of in sorted({pd.Timestamp(d).normalize() for d in as_of_dates}):
        features = account_features(
            as_of=as_of,
            customers=customers,
            usage=usage,
            feedback=feedback,
            touchpoints=touchpoints,
            pain_theme_ids=pain,
        )
        labels = churn_labels(as_of=as_of, customers=customers, horizon_days=horizon_days)
        part = features.assign(churned=labels.reindex(features.index).to_numpy())
        parts.append(pd.concat({as_of: part}, names=["as_of"]))
    if not parts:
        raise ValueError("No as-of dates given.")
    return pd.concat(parts)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", utc=True).dt.tz_localize(None)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"The {name} frame has no column {', '.join(missing)}.")


def _active_accounts(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    _require(customers, CUSTOMER_COLUMNS, "customers")
    since, churned_on = _dates(customers["customer_since"]), _dates(customers["churned_on"])
    flagged = customers["churned"].eq(True) if "churned" in customers.columns else False
    undated = churned_on.isna() & flagged
    active = (since.isna() | (since < as_of)) & (churned_on.isna() | (churned_on >= as_of))
    return customers[(active & ~undated).to_numpy()]


def _usage_features(usage: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    names = ("active_users_latest", "active_users_change_3m", "adoption_latest")
    names += ("adoption_change_3m", "task_success_rate_3m", "task_success_change_3m")
    empty = pd.DataFrame(np.nan, index=ids, columns=list(names))
    if usage.empty:
        return empty
    _require(usage, USAGE_COLUMNS, "usage")
    period = _dates(usage["period"])
    months_back = (as_of.year * 12 + as_of.month) - (period.dt.year * 12 + period.dt.month)
    keep = months_back.between(1, USAGE_MONTHS) & usage["customer_id"].isin(ids)
    rows = pd.DataFrame(
        {
            "row": ids.get_indexer(usage["customer_id"][keep]),
            "column": months_back[keep].astype(int) - 1,
            "users": pd.to_numeric(usage["active_users"][keep], errors="coerce"),
            "attempts": pd.to_numeric(usage["task_attempts"][keep], errors="coerce"),
            "successes": pd.to_numeric(usage["task_successes"][keep], errors="coerce"),
            "adoption": _adoption(usage[keep]),
        }
    )
    if rows.empty:
        return empty
    rows = rows.groupby(["row", "column"], as_index=False).agg(
        users=("users", "sum"),
        attempts=("attempts", "sum"),
        successes=("successes", "sum"),
        adoption=("adoption", "mean"),
    )
    # One grid per figure, accounts × months back; then each account's months re-aligned to start
    # at its latest complete month, so "3 months before" is a column, not a per-account search.
    grids = {}
    for figure in ("users", "attempts", "successes", "adoption"):
        grid = np.full((len(ids), USAGE_MONTHS + 2 * TREND_MONTHS), np.nan)
        grid[rows["row"], rows["column"]] = rows[figure]
        grids[figure] = grid
    has_users = ~np.isnan(grids["users"][:, :USAGE_MONTHS])
    latest = np.where(has_users.any(axis=1), has_users.argmax(axis=1), USAGE_MONTHS)
    fresh = latest < STALE_USAGE_MONTHS
    columns = np.minimum(latest, USAGE_MONTHS)[:, None] + np.arange(2 * TREND_MONTHS)[None, :]
    aligned = {k: np.take_along_axis(g, columns, axis=1) for k, g in grids.items()}
    users, adoption = aligned["users"], aligned["adoption"]
    before = users[:, TREND_MONTHS]
    with np.errstate(divide="ignore", invalid="ignore"):
        success = [
            np.nansum(aligned["successes"][:, span], axis=1)
            / np.nansum(aligned["attempts"][:, span], axis=1)
            for span in (slice(0, TREND_MONTHS), slice(TREND_MONTHS, 2 * TREND_MONTHS))
        ]
        change = np.where(before > 0, users[:, 0] / before - 1, np.nan)
    values = np.column_stack(
        [
            users[:, 0],
            change,
            adoption[:, 0],
            adoption[:, 0] - adoption[:, TREND_MONTHS],
            success[0],
            success[0] - success[1],
        ]
    )
    values[~fresh] = np.nan
    values[~np.isfinite(values)] = np.nan
    return pd.DataFrame(values, index=ids, columns=list(names))


def _adoption(usage: pd.DataFrame) -> pd.Series:
    if "adoption" in usage.columns:
        return pd.to_numeric(usage["adoption"], errors="coerce")
    if "feature_adoption" not in usage.columns:
        return pd.Series(np.nan, index=usage.index)
    adopters = usage["feature_adoption"].map(
        lambda counts: (
            np.mean(list(counts.values())) if isinstance(counts, dict) and counts else np.nan
        )
    )
    users = pd.to_numeric(usage["active_users"], errors="coerce")
    return (adopters.astype("float64") / users.where(users > 0)).clip(0, 1)


def _feedback_features(
    feedback: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp, pain: set
) -> pd.DataFrame:
    frame = pd.DataFrame(index=ids)
    frame["tickets_90d"] = 0.0
    for name in ("ticket_sentiment_90d", "nps_latest", "nps_change", "csat_latest", "csat_change"):
        frame[name] = np.nan
    frame["pain_exposure"] = np.nan
    if feedback.empty:
        return frame
    _require(feedback, FEEDBACK_COLUMNS, "feedback")
    received = _dates(feedback["received_at"])
    keep = (
        (received < as_of)
        & (received >= as_of - pd.Timedelta(days=HISTORY_DAYS))
        & feedback["customer_id"].isin(ids)
    )
    rows = feedback[keep].assign(received=received[keep]).sort_values("received", kind="stable")
    account = rows["customer_id"]
    recent_tickets = rows[
        (rows["received"] >= as_of - pd.Timedelta(days=RECENT_DAYS))
        & (rows["source"] == TICKET_SOURCE)
    ]
    by_ticket_account = recent_tickets.groupby("customer_id")
    frame["tickets_90d"] = by_ticket_account.size().reindex(ids, fill_value=0).astype("float64")
    sentiment = pd.to_numeric(recent_tickets["sentiment"], errors="coerce")
    frame["ticket_sentiment_90d"] = sentiment.groupby(recent_tickets["customer_id"]).mean()
    for score in ("nps", "csat"):
        values = pd.to_numeric(rows[score], errors="coerce")
        answered = values.notna()
        grouped = values[answered].groupby(account[answered])
        latest, total, count = grouped.last(), grouped.sum(), grouped.count()
        earlier = (total - latest) / (count - 1).where(count > 1)
        frame[f"{score}_latest"] = latest
        frame[f"{score}_change"] = latest - earlier
    in_pain = rows["theme_id"].isin(pain).astype("float64")
    frame["pain_exposure"] = in_pain.groupby(account).mean()
    return frame


def _touchpoint_days(touchpoints: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    if touchpoints.empty:
        return np.full(len(ids), np.nan)
    _require(touchpoints, TOUCHPOINT_COLUMNS, "touchpoints")
    dates = _dates(touchpoints["date"])
    keep = dates < as_of
    last = dates[keep].groupby(touchpoints["customer_id"][keep]).max()
    return (as_of - last.reindex(ids)).dt.days.to_numpy(dtype="float64")


# --- driver phrases ----------------------------------------------------------------------------


def _percent(value) -> str:
    return format_number(value) if value is None else f"{value * 100:.0f} %"


def _change(subject: str, unit: str, scale: float, span: str) -> Phrase:
    def phrase(value, reference) -> str:
        if value is None:
            return f"no {subject} figures to compare {span}"
        amount = abs(value) * scale
        if round(amount) == 0:
            return f"{subject} flat {span}"
        shown = f"{amount:.0f}{unit}"
        if unit == " points" and round(amount) == 1:
            shown = "1 point"
        return f"{subject} {'down' if value < 0 else 'up'} {shown} {span}"

    return phrase


def _level(template: str, show=format_number) -> Phrase:
    def phrase(value, reference) -> str:
        return template.format(value=show(value), reference=show(reference))

    return phrase


def _category(label: str) -> Phrase:
    def phrase(value, reference) -> str:
        shown = "unknown" if value is None else value
        return f"{label} {shown} (most are {reference})"

    return phrase


def _touchpoint_phrase(value, reference) -> str:
    if value is None:
        return "no touchpoint on record"
    if value >= 60:
        return f"no touchpoint in {value / DAYS_PER_MONTH:.0f} months"
    return f"last touchpoint {value:.0f} days ago"


PHRASES: dict[str, Phrase] = {
    "tenure_months": _level("customer for {value} months (typical {reference})"),
    "plan": _category("plan"),
    "segment": _category("segment"),
    "region": _category("region"),
    "seats": _level("{value} seats (typical {reference})"),
    "arr": _level("ARR {value} (typical {reference})"),
    "active_users_latest": _level("{value} active users (typical {reference})"),
    "active_users_change_3m": _change("active users", " %", 100, "in 3 months"),
    "seat_utilisation": _level("{value} of seats in use (typical {reference})", _percent),
    "adoption_latest": _level("feature adoption {value} (typical {reference})", _percent),
    "adoption_change_3m": _change("feature adoption", " points", 100, "in 3 months"),
    "task_success_rate_3m": _level(
        "task success {value} over 3 months (typical {reference})", _percent
    ),
    "task_success_change_3m": _change(
        "task success", " points", 100, "against the 3 months before"
    ),
    "tickets_90d": _level("{value} support tickets in 90 days (typical {reference})"),
    "ticket_sentiment_90d": _level("ticket sentiment {value} in 90 days (typical {reference})"),
    "nps_latest": _level("latest NPS {value} (typical {reference})"),
    "nps_change": _change("NPS", " points", 1, "against earlier answers"),
    "csat_latest": _level("latest CSAT {value} (typical {reference})"),
    "csat_change": _change("CSAT", " points", 1, "against earlier answers"),
    "pain_exposure": _level(
        "{value} of their feedback on top pain points (typical {reference})", _percent
    ),
    "days_since_touchpoint": _touchpoint_phrase,
}
