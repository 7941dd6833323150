"""Benchmark: theme clustering on banking77 (3,080 support queries, 77 intents), scored by NMI and
ARI against the intents, side by side with two baselines, plus the time to cluster 100k vectors.

1. Production: `insights.ml.embeddings.embed` then `insights.ml.clustering.cluster_vectors` given
   the texts too, with k chosen automatically and with k = 77 (unthemed items count as one extra
   cluster), for each of `--seeds`; and the same without the texts (the embedding alone).
2. BERTopic's default clustering on the same embeddings: UMAP(n_neighbors=15, n_components=5,
   cosine, min_dist=0) then HDBSCAN(min_cluster_size=10), outliers as one cluster.
3. TF-IDF (1-2-grams, English stop words, min_df=2) then k-means(77): no embeddings at all.
4. `cluster_vectors` on 100k synthetic vectors: the banking77 embeddings, each repeated ~33 times
   with Gaussian noise (cosine ≈ 0.96 to its original), with their texts, k automatic.

Run: `.venv/bin/python bench/themes_banking77.py [--csv ../shared/data/banking77/test.csv]
[--seeds 0 1 2] [--skip-100k | --only-100k]`. Seed 0 unless given. Prints one JSON object;
figures go to bench/RESULTS.md by hand.
"""

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insights.ml.clustering import cluster_vectors  # noqa: E402
from insights.ml.embeddings import embed  # noqa: E402

SEED = 0
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "banking77" / "test.csv"


def scores(truth: np.ndarray, labels: np.ndarray, seconds: float) -> dict:
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "clusters": int(len(set(labels.tolist()) - {-1})),
        "unthemed_share": round(float((labels < 0).mean()), 4),
        "seconds": round(seconds, 1),
    }


def production(
    vectors: np.ndarray,
    truth: np.ndarray,
    *,
    k: int | None,
    embed_seconds: float,
    texts: list[str] | None,
    seed: int = SEED,
):
    started = time.perf_counter()
    result = cluster_vectors(vectors, k=k, seed=seed, texts=texts)
    seconds = time.perf_counter() - started
    report = scores(truth, result.labels, seconds)
    report |= {
        "cluster_seconds": round(seconds, 1),
        "seconds": round(seconds + embed_seconds, 1),
        "silhouette": round(result.silhouette, 4),
        "threshold": round(result.threshold, 4),
        "stages": result.parameters.get("seconds", {}),
    }
    return report


def bertopic_default(vectors: np.ndarray, truth: np.ndarray, embed_seconds: float) -> dict:
    import umap
    from sklearn.cluster import HDBSCAN

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reduced = umap.UMAP(
            n_neighbors=15, n_components=5, metric="cosine", min_dist=0.0, random_state=SEED
        ).fit_transform(vectors)
        labels = HDBSCAN(min_cluster_size=10, copy=True).fit_predict(reduced)
    seconds = time.perf_counter() - started
    return scores(truth, labels, seconds + embed_seconds) | {"cluster_seconds": round(seconds, 1)}


def tfidf_kmeans(texts: list[str], truth: np.ndarray) -> dict:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    matrix = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), min_df=2, sublinear_tf=True
    ).fit_transform(texts)
    labels = KMeans(n_clusters=77, n_init=10, random_state=SEED).fit_predict(matrix)
    return scores(truth, labels, time.perf_counter() - started)


def hundred_thousand(vectors: np.ndarray, truth: np.ndarray, texts: list[str]) -> dict:
    rng = np.random.default_rng(SEED)
    repeats = -(-100_000 // len(vectors))
    big = np.repeat(vectors, repeats, axis=0)[:100_000]
    big_truth = np.repeat(truth, repeats)[:100_000]
    big_texts = np.repeat(np.asarray(texts, dtype=object), repeats)[:100_000].tolist()
    big = big + rng.normal(scale=0.3 / np.sqrt(big.shape[1]), size=big.shape).astype(np.float32)
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    result = cluster_vectors(big, seed=SEED, texts=big_texts)
    report = scores(big_truth, result.labels, time.perf_counter() - started_wall)
    return report | {
        "cpu_seconds": round(time.process_time() - started_cpu, 1),
        "stages": result.parameters.get("seconds", {}),
        "k_chosen": result.k,
    }


def comparison(
    vectors: np.ndarray, truth: np.ndarray, texts: list[str], *, seeds: list[int], embed_seconds
) -> dict:
    report: dict = {}
    for seed in seeds:
        for name, k in (("auto", None), ("k77", 77)):
            for suffix, given in (("", texts), ("_without_texts", None)):
                run = production(
                    vectors, truth, k=k, embed_seconds=embed_seconds, texts=given, seed=seed
                )
                key = f"production_{name}{suffix}"
                report.setdefault(f"{key}_by_seed", {})[seed] = run
                report.setdefault(key, run)  # the first seed's run, as the ratios use
    for key in [key for key in report if key.endswith("_by_seed")]:
        values = [run["nmi"] for run in report[key].values()]
        report[key.removesuffix("_by_seed") + "_nmi_mean"] = round(float(np.mean(values)), 4)
        report[key.removesuffix("_by_seed") + "_nmi_range"] = [min(values), max(values)]
    report["bertopic_default"] = bertopic_default(vectors, truth, embed_seconds)
    report["tfidf_kmeans77"] = tfidf_kmeans(texts, truth)
    for name in ("production_auto", "production_k77"):
        for baseline in ("bertopic_default", "tfidf_kmeans77"):
            report[f"nmi_ratio_{name}_vs_{baseline}"] = round(
                report[f"{name}_nmi_mean"] / report[baseline]["nmi"], 3
            )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--skip-100k", action="store_true")
    scope.add_argument("--only-100k", action="store_true")
    arguments = parser.parse_args()
    if not arguments.csv.is_file():
        print(f"No banking77 file at {arguments.csv}", file=sys.stderr)
        return 1
    frame = pd.read_csv(arguments.csv)
    texts, truth = frame["text"].astype(str).tolist(), frame["category"].to_numpy()

    started = time.perf_counter()
    vectors = embed(texts)
    embed_seconds = time.perf_counter() - started

    report: dict = {
        "dataset": str(arguments.csv.name),
        "texts": len(texts),
        "intents": int(frame["category"].nunique()),
        "seeds": arguments.seeds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "embed_seconds": round(embed_seconds, 1),
    }
    if not arguments.only_100k:
        report |= comparison(
            vectors, truth, texts, seeds=arguments.seeds, embed_seconds=embed_seconds
        )
    if not arguments.skip_100k:
        report["cluster_100k"] = hundred_thousand(vectors, truth, texts)
    report["load_average_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
