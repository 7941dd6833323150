"""Benchmark: 100k feedback texts through the whole insights pipeline on PostgreSQL — redact,
embed, sentiment, cluster, rank — as `manage.py analyze_feedback` runs it; then new feedback
as it arrives between full runs, and what a full run costs and keeps once the data grew.

Bars (issues #4, #13): the whole pipeline ≤ 7.7 minutes on this 2-core machine (goal ≤ 6); one
new feedback themed in ≤ 50 ms p95 (`feedback_analyze_new` for one feedback: redact, embed, score,
theme, write); after 10 % more feedback arrived, ≥ 90 % of the earlier feedback keeps its theme.
Side by side in the same run, the same texts through a TF-IDF + mini-batch k-means pipeline (no
redaction, no sentiment, no database): the cheap baseline.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/backlight_bench .venv/bin/python
bench/analysis_100k.py [--texts 100000]`. It drops and recreates that database. The texts are
the demo organisation's comments and tickets (`insights.demo_text`, seed 5): eleven planted pain
points, praise and how-to questions, some with emails and phone numbers. Prints one JSON object;
figures go to bench/RESULTS.md by hand.
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/backlight_bench"

from import_qualtrics import recreate_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--arrivals", type=int, default=50, help="New feedback timed one by one.")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    recreate_database(url)

    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.utils import timezone
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from insights.demo_text import PAIN_POINTS
    from insights.models import Feedback, ModelRun
    from insights.services.analysis import analysis_run_now, feedback_analyze_new

    call_command("migrate", verbosity=0)
    rng = random.Random(5)
    now = timezone.now()
    keys = [pain.key for pain in PAIN_POINTS]
    rows = _texts(rng, now, args.texts + args.texts // 10 + args.arrivals, keys)
    grown = rows[args.texts : args.texts + args.texts // 10]
    arrivals = rows[args.texts + args.texts // 10 :]
    rows = rows[: args.texts]
    Feedback.objects.bulk_create(rows, batch_size=5_000)
    texts = [row.text for row in rows]

    started = time.perf_counter()
    summary = analysis_run_now(reason="bench")
    pipeline_seconds = time.perf_counter() - started
    run = ModelRun.objects.get(pk=summary.run_id)
    print(f"pipeline: {pipeline_seconds:.0f} s {run.timings}", file=sys.stderr)

    # The same data again: what a nightly run costs when nothing arrived, and what it keeps.
    before = dict(Feedback.objects.values_list("pk", "theme_id"))
    started = time.perf_counter()
    rerun = ModelRun.objects.get(pk=analysis_run_now(reason="bench re-run").run_id)
    rerun_seconds = time.perf_counter() - started
    after = dict(Feedback.objects.values_list("pk", "theme_id"))
    same_kept = sum(after[pk] == theme for pk, theme in before.items()) / len(before)
    print(f"re-run: {rerun_seconds:.0f} s, kept {same_kept:.4f}", file=sys.stderr)

    # New feedback one at a time, as the API and touchpoints send it: the whole fast path.
    timings = []
    for row in Feedback.objects.bulk_create(arrivals):
        tick = time.perf_counter()
        feedback_analyze_new(feedback_ids=[row.pk])
        timings.append(time.perf_counter() - tick)
    arrival_ms = np.percentile(np.array(timings) * 1000, [50, 95])

    # 10 % more, as an import brings it (themed on arrival in batches), then the nightly run.
    before = after
    started = time.perf_counter()
    grown = Feedback.objects.bulk_create(grown, batch_size=5_000)
    ids = [row.pk for row in grown]
    for start in range(0, len(ids), 2_000):
        feedback_analyze_new(feedback_ids=ids[start : start + 2_000])
    arrival_batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    grown_run = ModelRun.objects.get(pk=analysis_run_now(reason="bench grown").run_id)
    grown_seconds = time.perf_counter() - started
    after = dict(Feedback.objects.values_list("pk", "theme_id"))
    grown_kept = sum(after[pk] == before[pk] for pk in before) / len(before)

    # The baseline: TF-IDF + mini-batch k-means on the same texts, k as the product found.
    started = time.perf_counter()
    matrix = TfidfVectorizer(sublinear_tf=True, min_df=3, stop_words="english").fit_transform(texts)
    MiniBatchKMeans(n_clusters=max(2, run.metrics.get("themes") or 20), random_state=0).fit(matrix)
    baseline_seconds = time.perf_counter() - started

    print(
        json.dumps(
            {
                "machine": f"{platform.node()} {os.cpu_count()} cores",
                "date": time.strftime("%Y-%m-%d %H:%M"),
                "load_average": os.getloadavg(),
                "texts": args.texts,
                "pipeline_seconds": round(pipeline_seconds, 1),
                "pipeline_minutes": round(pipeline_seconds / 60, 2),
                "steps_seconds": run.timings,
                "texts_per_second": round(args.texts / pipeline_seconds),
                "themes": run.metrics.get("themes"),
                "unthemed_share": run.metrics.get("unthemed_share"),
                "sentiment_model": run.metrics.get("sentiment_model"),
                "themes_ranked": summary.themes,
                "rerun_seconds": round(rerun_seconds, 1),
                "rerun_steps_seconds": rerun.timings,
                "rerun_kept": round(same_kept, 4),
                "new_feedback_ms_p50_p95": [round(float(value), 1) for value in arrival_ms],
                "grown_by": len(ids),
                "grown_arrival_seconds": round(arrival_batch_seconds, 1),
                "grown_run_seconds": round(grown_seconds, 1),
                "grown_run_steps_seconds": grown_run.timings,
                "grown_kept": round(grown_kept, 4),
                "themes_after_growth": grown_run.metrics.get("themes"),
                "new_themes_after_growth": grown_run.metrics.get("new_themes"),
                "baseline_tfidf_kmeans_seconds": round(baseline_seconds, 1),
                "pipeline_vs_baseline_time": round(pipeline_seconds / baseline_seconds, 1),
            },
            indent=2,
        )
    )


def _texts(rng, now, count: int, keys: list[str]) -> list:
    """The demo generator's comments and tickets, unsaved."""
    from insights.demo_text import comment_compose, ticket_compose
    from insights.models import Feedback

    rows = []
    for index in range(count):
        roll = rng.random()
        received_at = now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        if roll < 0.25:
            text = ticket_compose(
                rng,
                pain_point=rng.choice([*keys, None]),
                requester="Ana Silva",
                requester_email="ana.silva@example.com",
            )
            rows.append(
                Feedback(source=Feedback.Source.SUPPORT_TICKET, text=text, received_at=received_at)
            )
            continue
        tone = "pain" if roll < 0.75 else ("praise" if roll < 0.9 else "generic")
        pain = rng.choice(keys) if tone == "pain" else None
        nps = rng.randint(0, 6) if tone == "pain" else rng.randint(7, 10)
        rows.append(
            Feedback(
                source=Feedback.Source.SURVEY,
                text=comment_compose(rng, tone=tone, pain_point=pain),
                received_at=received_at,
                nps=nps if index % 3 == 0 else None,
            )
        )
    return rows


if __name__ == "__main__":
    main()
