"""Sentiment on the demo organisation: are polite how-to tickets scored neutral, problems negative,
praise positive?

    .venv/bin/python bench/sentiment_demo.py [--cache-dir DIR] [--today YYYY-MM-DD]

Builds the demo's survey answers and support tickets in memory (`insights.demo`, seed 7, as
`manage.py seed_demo` does; nothing is written to a database), puts them through the pipeline's
text steps (normalise and redact, the corpus's names, the clustering text and its MiniLM vectors)
and trains the sentiment model as `_sentiment_step` does: on every text with a rating. Twice: with
the ratings read as the pipeline reads them today, and with a support ticket's rating left out
(`polarity_from_scores(source=…)`). Each model scores the same organisation (what its pages show)
and, held out, 2,000 tickets and 2,000 comments of the seed-8 organisation. The truth comes from
the generator (`metadata["demo_truth"]`): a how-to ticket is neutral, a pain ticket or comment
negative, a praise comment positive; mixed and generic comments are left out. Prints one JSON
object. The vectors are cached in --cache-dir (outside the repository) when given.
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from insights import demo  # noqa: E402
from insights.ml import text as text_rules  # noqa: E402
from insights.ml.clustering_text import corpus_names, text_for_clustering  # noqa: E402
from insights.ml.embeddings import embed, embedding_version  # noqa: E402
from insights.ml.sentiment import SentimentModel, polarity_from_scores  # noqa: E402
from insights.ml.sentiment_rules import plain_ask  # noqa: E402

HELD_OUT_PER_SOURCE = 2000
TRUTH = {"how_to": "neutral", "pain": "negative", "praise": "positive"}


def organisation(seed: int, today: dt.date) -> list[dict]:
    """The demo's feedback with text, as the pipeline stores it, with the generator's truth."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible demo data
    np_rng = np.random.default_rng(seed)
    accounts = demo._accounts_build(rng=rng, np_rng=np_rng, today=today, count=demo._ACCOUNTS)
    mentions: dict[str, Counter] = defaultdict(Counter)
    surveys, _ = demo._surveys_build(
        rng=rng,
        np_rng=np_rng,
        today=today,
        accounts=accounts,
        mentions=mentions,
        target=demo._SURVEY_RESPONSES,
    )
    tickets = demo._tickets_build(
        rng=rng,
        np_rng=np_rng,
        today=today,
        accounts=accounts,
        mentions=mentions,
        target=demo._TICKETS,
    )
    rows = [
        {
            "source": str(feedback.source),
            "tone": feedback.metadata["demo_truth"]["tone"],
            "nps": feedback.nps,
            "csat": feedback.csat,
            "ces": feedback.ces,
            "text": feedback.text,
        }
        for feedback in surveys + tickets
        if feedback.text
    ]
    cleaned = [text_rules.text_normalize(r["text"], source=r["source"]) for r in rows]
    for row, redaction in zip(rows, text_rules.redact_many(cleaned), strict=True):
        row["redacted"] = redaction.text
    return rows


def with_vectors(rows: list[dict], cache: Path | None) -> np.ndarray:
    names = corpus_names([r["redacted"] for r in rows])
    masked = [text_for_clustering(r["redacted"], names=names) for r in rows]
    if cache and cache.is_file():
        vectors = np.load(cache)
        if vectors.shape[0] == len(rows):
            return vectors
    vectors = embed(masked)
    if cache:
        np.save(cache, vectors)
    return vectors


def scored(rows: list[dict], labels: list[str], scores: np.ndarray) -> dict:
    def share(selected: list[int], label: str) -> float:
        return round(sum(labels[i] == label for i in selected) / max(1, len(selected)), 3)

    tickets = [i for i, r in enumerate(rows) if r["source"] == "support_ticket"]
    how_to = [i for i in tickets if rows[i]["tone"] == "how_to"]
    pain_tickets = [i for i in tickets if rows[i]["tone"] == "pain"]
    pain_comments = [
        i for i, r in enumerate(rows) if r["source"] != "support_ticket" and r["tone"] == "pain"
    ]
    praise = [i for i, r in enumerate(rows) if r["tone"] == "praise"]
    judged = [i for i, r in enumerate(rows) if r["tone"] in ("pain", "praise")]
    return {
        "tickets_positive": sum(labels[i] == "positive" for i in tickets),
        "tickets": len(tickets),
        "how_to_tickets": len(how_to),
        "how_to_positive": share(how_to, "positive"),
        "how_to_neutral": share(how_to, "neutral"),
        "how_to_mean_score": round(float(np.mean(scores[how_to])), 3),
        "pain_tickets_negative": share(pain_tickets, "negative"),
        "pain_tickets_positive": share(pain_tickets, "positive"),
        "pain_comments_negative": share(pain_comments, "negative"),
        "praise_positive": share(praise, "positive"),
        "pain_praise_accuracy": round(
            sum(labels[i] == TRUTH[rows[i]["tone"]] for i in judged) / len(judged), 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, help="Where to cache the vectors (.npy).")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 12, 8))
    args = parser.parse_args()
    cache = args.cache_dir

    started = time.perf_counter()
    rows = organisation(7, args.today)
    vectors = with_vectors(rows, cache / "sentiment_demo_seed7.npy" if cache else None)
    other = organisation(8, args.today)
    rng = random.Random(0)  # noqa: S311 -- a fixed sample
    held_out = [
        *rng.sample([r for r in other if r["source"] == "support_ticket"], HELD_OUT_PER_SOURCE),
        *rng.sample([r for r in other if r["source"] != "support_ticket"], HELD_OUT_PER_SOURCE),
    ]
    held_vectors = with_vectors(held_out, cache / "sentiment_demo_seed8.npy" if cache else None)
    prepared = time.perf_counter() - started

    result: dict = {
        "embedding": embedding_version(),
        "texts": len(rows),
        "held_out_texts": len(held_out),
        "plain_asks_among_survey_comments": sum(
            plain_ask(r["redacted"]) for r in rows if r["source"] != "support_ticket"
        ),
        "seconds_to_prepare": round(prepared, 1),
    }
    for name, by_source in (("ratings_as_read_today", False), ("ticket_ratings_left_out", True)):
        training = [
            (i, label)
            for i, r in enumerate(rows)
            if (
                label := polarity_from_scores(
                    nps=r["nps"],
                    csat=r["csat"],
                    ces=r["ces"],
                    source=r["source"] if by_source else "",
                )
            )
            is not None
        ]
        index = [i for i, _ in training]
        model = SentimentModel.fit(
            [rows[i]["redacted"] for i in index],
            [label for _, label in training],
            vectors=vectors[index],
            seed=7,
        )
        same = model.predict([r["redacted"] for r in rows], vectors=vectors)
        held = model.predict([r["redacted"] for r in held_out], vectors=held_vectors)
        result[name] = {
            "model": model.version,
            "trained_on": model.trained_on,
            "rated_plain_asks": model.rated_asks,
            "same_organisation": scored(rows, same.labels, same.scores),
            "held_out": scored(held_out, held.labels, held.scores),
        }
    fallback = SentimentModel.fallback().predict([r["redacted"] for r in held_out])
    result["lexicon_fallback_held_out"] = scored(held_out, fallback.labels, fallback.scores)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
