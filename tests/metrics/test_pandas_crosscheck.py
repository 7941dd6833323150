"""The snapshots against an independent pandas computation on generated data: answers near month
ends in New York, repeat respondents (contacts and metadata ids), missing scores, accounts with
and without segments, usage with features that come and go."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from django.test import override_settings

from insights.models import Contact, Customer, Feedback, Plan, Region, Segment, UsageSnapshot
from metrics.models import MetricSnapshot
from metrics.selectors import metrics_summary
from metrics.services import metric_snapshots_compute

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
AS_OF = dt.datetime(2026, 5, 15, 16, 0, tzinfo=dt.UTC)
FIRST_MONTH = dt.date(2024, 6, 1)
FEATURES = ["export", "dashboards", "search", "ai_summary"]
Z = 1.96


def _generate(seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    segments = [Segment.SMB, Segment.MID_MARKET, Segment.ENTERPRISE, ""]
    customers = [
        Customer.objects.create(
            external_id=f"C-{index}",
            name=f"Account {index}",
            segment=segments[index % 4],
            plan=[Plan.STARTER, Plan.GROWTH, Plan.BUSINESS][index % 3],
            region=[Region.EMEA, Region.NORTH_AMERICA][index % 2],
        )
        for index in range(10)
    ]
    contacts = [
        Contact.objects.create(customer=customers[index % 10], email=f"p{index}@x.example")
        for index in range(15)
    ]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()
    end = AS_OF.timestamp() - 3600
    rows = []
    for index in range(700):
        if index % 3 == 0:
            # Within six hours either side of a UTC month start: New York's month differs.
            month = dt.datetime(2024 + (index // 36) % 3, 1 + index % 12, 1, tzinfo=dt.UTC)
            when = month + dt.timedelta(hours=float(rng.uniform(-6, 6)))
        else:
            when = dt.datetime.fromtimestamp(float(rng.uniform(start, end)), tz=dt.UTC)
        if when.timestamp() >= end:
            when = dt.datetime.fromtimestamp(end, tz=dt.UTC)
        who = rng.integers(0, 4)
        contact = contacts[int(rng.integers(0, 15))] if who == 0 else None
        customer = contact.customer if contact else customers[int(rng.integers(0, 10))]
        if who == 3:
            customer = None
        metadata = {"respondent_id": f"R{int(rng.integers(0, 8))}"} if who == 1 else {}
        rows.append(
            Feedback(
                text=f"answer {index}",
                source=Feedback.Source.SURVEY,
                received_at=when,
                customer=customer,
                contact=contact,
                nps=int(rng.integers(0, 11)) if rng.random() < 0.8 else None,
                csat=int(rng.integers(1, 6)) if rng.random() < 0.5 else None,
                ces=int(rng.integers(1, 8)) if rng.random() < 0.4 else None,
                metadata=metadata,
            )
        )
    Feedback.objects.bulk_create(rows)
    usage = []
    for customer in customers:
        for month_index in range(24):
            period = (pd.Timestamp(FIRST_MONTH) + pd.DateOffset(months=month_index)).date()
            if rng.random() < 0.15:
                continue
            active = int(rng.integers(1, 60))
            features = {
                name: int(rng.integers(0, active + 10))  # sometimes above active: capped
                for name in FEATURES
                if not (name == "ai_summary" and period < dt.date(2025, 9, 1))
            }
            attempts = int(rng.integers(0, 400))
            usage.append(
                UsageSnapshot(
                    customer=customer,
                    period=period,
                    active_users=active,
                    feature_adoption=features,
                    task_attempts=attempts,
                    task_successes=int(rng.integers(0, attempts + 1)),
                )
            )
    UsageSnapshot.objects.bulk_create(usage)


# --- the independent computation ---------------------------------------------------------------


def _wilson(successes: float, n: int) -> tuple[float, float]:
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(centre - half, 0) * 100, min(centre + half, 1) * 100


def _period_column(local: pd.Series, kind: str) -> pd.Series:
    code = {"month": "M", "quarter": "Q", "year": "Y"}[kind]
    return local.dt.tz_localize(None).dt.to_period(code).dt.start_time.dt.date


def _feedback_frame() -> pd.DataFrame:
    frame = pd.DataFrame.from_records(
        Feedback.objects.values(
            "id",
            "received_at",
            "contact_id",
            "metadata",
            "nps",
            "csat",
            "ces",
            "customer__segment",
            "customer__plan",
            "customer__region",
        )
    )
    frame["local"] = pd.to_datetime(frame["received_at"], utc=True).dt.tz_convert(ZONE)
    respondent = frame["metadata"].map(lambda m: (m or {}).get("respondent_id"))
    frame["who"] = np.where(
        frame["contact_id"].notna(),
        "c" + frame["contact_id"].astype("Int64").astype(str),
        np.where(respondent.notna(), "r" + respondent.astype(str), "f" + frame["id"].astype(str)),
    )
    for field in ("segment", "plan", "region"):
        frame[field] = frame[f"customer__{field}"].fillna("")
    return frame


def _expected_scores(frame: pd.DataFrame, kind: str) -> dict:
    """{(metric, period, field, value): (value, n, ci_low, ci_high)} computed by pandas."""
    frame = frame.assign(period=_period_column(frame["local"], kind))
    expected = {}
    for score in ("nps", "csat", "ces"):
        answered = frame[frame[score].notna()].sort_values(["received_at", "id"])
        latest = answered.groupby(["period", "who"]).tail(1)
        for field in ("", "segment", "plan", "region"):
            keys = ["period"] + ([field] if field else [])
            for key, group in latest.groupby(keys):
                period, value = (key[0], "") if not field else key
                scores = group[score].astype(float)
                n = len(scores)
                if score == "nps":
                    prom, det = (scores >= 9).mean(), (scores <= 6).mean()
                    nps = (prom - det) * 100
                    margin = Z * math.sqrt(max(prom + det - (prom - det) ** 2, 0) / n) * 100
                    figure = (nps, n, max(nps - margin, -100), min(nps + margin, 100))
                elif score == "csat":
                    figure = ((scores >= 4).mean() * 100, n, *_wilson((scores >= 4).sum(), n))
                else:
                    mean = scores.mean()
                    if n < 2:
                        figure = (mean, n, None, None)
                    else:
                        margin = Z * scores.std(ddof=1) / math.sqrt(n)
                        figure = (mean, n, max(mean - margin, 1), min(mean + margin, 7))
                expected[(score, period, field, value)] = figure
    return expected


def _expected_usage(kind: str) -> dict:
    frame = pd.DataFrame.from_records(
        UsageSnapshot.objects.values(
            "period",
            "active_users",
            "feature_adoption",
            "task_attempts",
            "task_successes",
            "customer__segment",
        )
    )
    frame["period"] = _period_column(pd.to_datetime(frame["period"]), kind)
    expected = {}
    for period, group in frame.groupby("period"):
        active = group["active_users"].sum()
        tracked = sorted({name for adoption in group["feature_adoption"] for name in adoption})
        users = {
            name: sum(
                min(adoption.get(name, 0), act)
                for adoption, act in zip(
                    group["feature_adoption"], group["active_users"], strict=True
                )
            )
            for name in tracked
        }
        breadth = sum(users.values()) / len(tracked)
        expected[("adoption", period, "", "")] = (breadth / active * 100, active)
        for name in tracked:
            expected[("adoption", period, "feature", name)] = (users[name] / active * 100, active)
        attempts = group["task_attempts"].sum()
        if attempts:
            success = group["task_successes"].sum()
            expected[("task_success", period, "", "")] = (success / attempts * 100, attempts)
        for segment, part in group.groupby("customer__segment"):
            attempts = part["task_attempts"].sum()
            if attempts:
                value = part["task_successes"].sum() / attempts * 100
                expected[("task_success", period, "segment", segment)] = (value, attempts)
    return expected


# --- the checks ----------------------------------------------------------------------------------


@pytest.fixture
def generated():
    with override_settings(TIME_ZONE=ZONE):
        _generate()
        yield


def _stored(kind: str) -> dict:
    return {
        (row.metric, row.period_start, row.segment_field, row.segment_value): row
        for row in MetricSnapshot.objects.filter(period_kind=kind)
    }


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_scores_match_pandas(generated, kind):
    metric_snapshots_compute(as_of=AS_OF, force=True)
    stored = _stored(kind)
    first = stored and min(key[1] for key in stored)

    expected = {
        key: figure
        for key, figure in _expected_scores(_feedback_frame(), kind).items()
        if key[1] >= first
    }

    assert len(expected) > (20 if kind == "month" else 10)
    for key, (value, n, low, high) in expected.items():
        row = stored[key]
        assert row.n == n, key
        assert row.value == pytest.approx(value), key
        assert (row.ci_low is None) == (low is None), key
        if low is not None:
            assert row.ci_low == pytest.approx(low), key
            assert row.ci_high == pytest.approx(high), key
    # and nothing stored with answers that pandas did not find
    survey = {"nps", "csat", "ces"}
    assert {key for key, row in stored.items() if key[0] in survey and row.n} == set(expected)


@pytest.mark.parametrize("kind", ["month", "quarter"])
def test_usage_matches_pandas(generated, kind):
    metric_snapshots_compute(as_of=AS_OF, force=True)
    stored = _stored(kind)

    expected = _expected_usage(kind)

    assert any(key[2] == "feature" and key[3] == "ai_summary" for key in expected)
    for key, (value, n) in expected.items():
        row = stored[key]
        assert row.value == pytest.approx(value), key
        assert row.n == n, key
    # ai_summary appears from September 2025 on only
    ai_periods = [key[1] for key in stored if key[3] == "ai_summary"]
    assert min(ai_periods) >= dt.date(2025, 7, 1)


def test_a_free_range_matches_pandas(generated):
    start, end = dt.date(2025, 2, 14), dt.date(2025, 11, 3)
    frame = _feedback_frame()
    local_day = frame["local"].dt.date
    in_range = frame[(local_day >= start) & (local_day <= end)].assign(period=start)

    summary = metrics_summary(start=start, end=end, segment_field="region")

    answered = in_range[in_range["nps"].notna()].sort_values(["received_at", "id"])
    latest = answered.groupby("who").tail(1)
    prom, det = (latest["nps"] >= 9).mean(), (latest["nps"] <= 6).mean()
    assert summary.overall.nps.n == len(latest)
    assert summary.overall.nps.value == pytest.approx((prom - det) * 100)
    emea = latest[latest["region"] == Region.EMEA]
    assert summary.segments[Region.EMEA].nps.n == len(emea)
