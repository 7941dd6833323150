"""Benchmark: how long `describe_clusters` takes to label, summarise and quote 250 themes of 100k
feedback texts (issue #13: well under a minute of the analysis budget).

The texts are the demo organisation's comments and tickets (`insights.demo_text`, seed 5) as the
pipeline stores them (normalised, redacted); the themes are TF-IDF + mini-batch k-means with k =
250 (the most themes `cluster_vectors` makes); each member's vector is one embedded member of its
theme plus Gaussian noise, as the labeller reads member vectors only to rank members by
centrality. Label candidates, keywords and summary sentences are embedded for real.

Run: `.venv/bin/python bench/labels_100k.py [--texts 100000]`. Prints one JSON object; figures go
to bench/RESULTS.md by hand.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insights.demo_text import PAIN_POINTS, comment_compose, ticket_compose  # noqa: E402
from insights.ml.embeddings import embed  # noqa: E402
from insights.ml.labels import describe_clusters  # noqa: E402
from insights.ml.text import redact_many, text_normalize  # noqa: E402

THEMES = 250


def demo_texts(count: int) -> list[str]:
    rng = random.Random(5)
    keys = [pain.key for pain in PAIN_POINTS]
    texts = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.25:
            text = ticket_compose(
                rng,
                pain_point=rng.choice([*keys, None]),
                requester="Ana Silva",
                requester_email="ana.silva@example.com",
            )
            texts.append(text_normalize(text, source="support_ticket"))
            continue
        tone = "pain" if roll < 0.75 else ("praise" if roll < 0.9 else "generic")
        pain = rng.choice(keys) if tone == "pain" else None
        texts.append(text_normalize(comment_compose(rng, tone=tone, pain_point=pain)))
    return [redaction.text for redaction in redact_many(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    args = parser.parse_args()
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = demo_texts(args.texts)
    matrix = TfidfVectorizer(sublinear_tf=True, min_df=3, stop_words="english").fit_transform(texts)
    labels = MiniBatchKMeans(n_clusters=THEMES, random_state=0, n_init=1).fit_predict(matrix)
    rng = np.random.default_rng(0)
    themes = sorted(set(labels.tolist()))
    centroids = np.zeros((max(themes) + 1, 384), dtype=np.float32)
    centroids[themes] = embed([texts[int(rng.choice(np.flatnonzero(labels == t)))] for t in themes])
    vectors = centroids[labels] + rng.normal(scale=0.03, size=(len(texts), 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    embedded = {"strings": 0, "seconds": 0.0}

    def timed_embed(strings):
        started = time.perf_counter()
        result = embed(strings, batch_size=256)
        embedded["seconds"] += time.perf_counter() - started
        embedded["strings"] += len(strings)
        return result

    started, cpu = time.perf_counter(), time.process_time()
    descriptions = describe_clusters(texts, labels, vectors, centroids, embed_texts=timed_embed)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    words = [len(d.label.split()) for d in descriptions.values()]
    print(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                "load_average": os.getloadavg(),
                "texts": len(texts),
                "themes": len(descriptions),
                "seconds": round(seconds, 1),
                "cpu_seconds": round(cpu_seconds, 1),
                "embedding_seconds": round(embedded["seconds"], 1),
                "strings_embedded": embedded["strings"],
                "labels_distinct": len({d.label.lower() for d in descriptions.values()}),
                "label_words_3_to_7": round(np.mean([3 <= n <= 7 for n in words]), 3),
                "examples": [
                    {"label": d.label, "summary": d.summary, "keywords": d.keywords[:4]}
                    for d in list(descriptions.values())[:5]
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
