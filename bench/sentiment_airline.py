"""Sentiment on real customer tweets: Backlight's trainer against its own halves and its fallback.

    .venv/bin/python bench/sentiment_airline.py [--csv PATH] [--vectors CACHE.npy]

Runs `insights.ml.sentiment.cross_validate` (stratified 5-fold) on the airline tweets and, on the
same folds in the same run: the lexicon fallback (no training), TF-IDF + logistic regression
alone, MiniLM embeddings + logistic regression alone. The embeddings are computed once and shared
(as the pipeline does); `--vectors` caches them in a .npy outside the repository. Prints one JSON
object. The dataset is read by path and used for evaluation only: no model trained on it is kept.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from insights.ml import sentiment  # noqa: E402
from insights.ml.embeddings import embed, embedding_version  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "airline_tweets" / "Tweets.csv"
FOLDS = 5
SEED = 0


def _scores(y: np.ndarray, predicted: np.ndarray, seconds: float) -> dict:
    return {
        "accuracy": round(float(accuracy_score(y, predicted)), 4),
        "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
        "seconds": round(seconds, 1),
    }


def _cross_validated(y: np.ndarray, fit_predict) -> dict:
    started = time.perf_counter()
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train, test in splitter.split(np.zeros(len(y)), y):
        predicted[test] = fit_predict(train, test)
    return _scores(y, predicted.astype(str), time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--vectors", type=Path, help="Cache for the embeddings (.npy).")
    args = parser.parse_args()

    frame = pd.read_csv(args.csv, usecols=["text", "airline_sentiment"]).dropna()
    texts = frame["text"].astype(str).tolist()
    y = frame["airline_sentiment"].astype(str).to_numpy()

    started = time.perf_counter()
    if args.vectors and args.vectors.is_file():
        vectors = np.load(args.vectors)
        embedding_source = f"cached {args.vectors}"
    else:
        vectors = embed(texts)
        embedding_source = "computed"
        if args.vectors:
            np.save(args.vectors, vectors)
    embedding_seconds = time.perf_counter() - started
    if vectors.shape[0] != len(texts):
        raise SystemExit(f"{args.vectors} holds {vectors.shape[0]} vectors for {len(texts)} texts")

    product = sentiment.cross_validate(texts, y, folds=FOLDS, seed=SEED, vectors=vectors)
    product = {
        "accuracy": round(product["accuracy"], 4),
        "macro_f1": round(product["macro_f1"], 4),
        "seconds": product["seconds"],
    }

    started = time.perf_counter()
    fallback = sentiment.SentimentModel.fallback().predict(texts)
    lexicon = _scores(y, np.array(fallback.labels), time.perf_counter() - started)

    normalised = [sentiment.normalise(t) for t in texts]

    def tfidf_only(train, test):
        words, chars = sentiment._vectorizers()
        train_texts = [normalised[i] for i in train]
        test_texts = [normalised[i] for i in test]
        x_train = sp.hstack(
            [words.fit_transform(train_texts), chars.fit_transform(train_texts)], format="csr"
        )
        x_test = sp.hstack([words.transform(test_texts), chars.transform(test_texts)], format="csr")
        model = sentiment._logistic(sentiment.TFIDF_C, SEED).fit(x_train, y[train])
        return model.predict(x_test)

    def embeddings_only(train, test):
        model = sentiment._logistic(sentiment.EMBEDDING_C, SEED).fit(vectors[train], y[train])
        return model.predict(vectors[test])

    tfidf = _cross_validated(y, tfidf_only)
    dense = _cross_validated(y, embeddings_only)

    def ratio(a: dict, b: dict) -> float:
        return round(a["accuracy"] / b["accuracy"], 3)

    print(
        json.dumps(
            {
                "rows": len(texts),
                "folds": FOLDS,
                "method": sentiment.TRAINED_METHOD,
                "embedding": embedding_version(),
                "embedding_seconds": round(embedding_seconds, 1),
                "embedding_source": embedding_source,
                "product": product,
                "lexicon_fallback": lexicon,
                "tfidf_lr": tfidf,
                "embeddings_lr": dense,
                "accuracy_ratio": {
                    "product_vs_lexicon": ratio(product, lexicon),
                    "product_vs_tfidf_lr": ratio(product, tfidf),
                    "product_vs_embeddings_lr": ratio(product, dense),
                },
                "bar": {"accuracy": 0.82, "met": product["accuracy"] >= 0.82},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
