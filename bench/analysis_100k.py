"""Benchmark: 100k feedback texts through the whole insights pipeline on PostgreSQL — redact,
embed, sentiment, cluster, rank — as `manage.py analyze_feedback` runs it; then one new
feedback themed by its nearest theme.

Bars (issue #4): the whole pipeline ≤ 10 minutes on this 2-core machine; one new feedback themed
in ≤ 50 ms once its vector exists. Side by side in the same run, the same texts through a TF-IDF
+ mini-batch k-means pipeline (no redaction, no sentiment, no database): the cheap baseline.

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

    from insights.demo_text import PAIN_POINTS, comment_compose, ticket_compose
    from insights.ml.clustering import assign_to_centroids
    from insights.ml.embeddings import embed
    from insights.models import Feedback, ModelRun, Theme
    from insights.services.analysis import _centroid, _unit, analysis_run_now

    call_command("migrate", verbosity=0)
    rng = random.Random(5)
    now = timezone.now()
    keys = [pain.key for pain in PAIN_POINTS]
    rows = []
    for index in range(args.texts):
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
    Feedback.objects.bulk_create(rows, batch_size=5_000)
    texts = [row.text for row in rows]

    started = time.perf_counter()
    summary = analysis_run_now(reason="bench")
    pipeline_seconds = time.perf_counter() - started
    run = ModelRun.objects.get(pk=summary.run_id)
    print(f"pipeline: {pipeline_seconds:.0f} s {run.timings}", file=sys.stderr)

    # One new feedback, its vector computed: how long until it has a theme.
    themes = list(Theme.objects.filter(status=Theme.Status.ACTIVE).exclude(centroid=None))
    centroids = _unit(np.vstack([_centroid(theme) for theme in themes]))
    vector = embed(["The CSV export of the quarterly report timed out again."])
    timings = []
    for _ in range(200):
        tick = time.perf_counter()
        assign_to_centroids(vector, centroids, threshold=-1.0)
        timings.append(time.perf_counter() - tick)
    assign_ms = float(np.percentile(timings, 95) * 1000)

    # The baseline: TF-IDF + mini-batch k-means on the same texts, k as the product found.
    started = time.perf_counter()
    matrix = TfidfVectorizer(sublinear_tf=True, min_df=3, stop_words="english").fit_transform(texts)
    MiniBatchKMeans(n_clusters=max(2, run.metrics.get("clusters", 20)), random_state=0).fit(matrix)
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
                "clusters": run.metrics.get("clusters"),
                "unthemed_share": run.metrics.get("unthemed_share"),
                "silhouette": run.metrics.get("silhouette"),
                "sentiment_model": run.metrics.get("sentiment_model"),
                "themes_ranked": summary.themes,
                "new_feedback_theming_p95_ms": round(assign_ms, 3),
                "baseline_tfidf_kmeans_seconds": round(baseline_seconds, 1),
                "pipeline_vs_baseline_time": round(pipeline_seconds / baseline_seconds, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
