"""Benchmark: do themes follow the problem or the addressee? Raw against masked clustering text.

Negative airline tweets (`airline_sentiment == negative`, `negativereason` "Can't Tell" dropped)
go through the production path: `text_normalize` and `redact_many` as the pipeline stores
them, then `embed` and `cluster_vectors` (k automatic, and k = the number of reasons) on

1. the redacted text as it is ("raw"),
2. the same with only @handles and URLs removed ("handles_urls"), the obvious half-measure, and
3. the same through `insights.ml.clustering_text.texts_for_clustering` ("masked").

Scores: NMI against `negativereason` (the problem; higher is better) and against `airline` (the
addressee; lower is better), with unthemed tweets as one extra cluster; number of themes and the
unthemed share; k = the number of reasons is run with seeds 0, 1 and 2. Then banking77 `test.csv`
at k = 77, raw against masked, to check that masking does no harm where nobody is addressed; and
banking77 dressed as e-mail to five banks (greeting, handle, signature, ticket footer, drawn with
seed 0), raw, handles and URLs removed, and masked: NMI against the intent and against the bank.

Run: `.venv/bin/python bench/themes_airline_masking.py [--airline-csv PATH] [--banking-csv PATH]
[--cache DIR]`. Embeddings are cached in DIR as .npy, keyed by the texts and the embedding
version. Seed 0 unless said. Prints one JSON object; figures go to bench/RESULTS.md by hand.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insights.ml.clustering import cluster_vectors  # noqa: E402
from insights.ml.clustering_text import texts_for_clustering  # noqa: E402
from insights.ml.embeddings import embed, embedding_version  # noqa: E402
from insights.ml.text import redact_many, text_normalize  # noqa: E402

SEED = 0
SEEDS = (0, 1, 2)
_HANDLE_OR_URL = re.compile(r"(?<![\w.@])@\w+|\bhttps?://\S+|\bwww\.\S+")
DATA = ROOT.parent / "shared" / "data"
DEFAULT_AIRLINE = DATA / "airline_tweets" / "Tweets.csv"
DEFAULT_BANKING = DATA / "banking77" / "test.csv"
DEFAULT_CACHE = ROOT / "bench" / "out" / "themes_airline_masking"


def cached_embed(texts: list[str], cache: Path) -> tuple[np.ndarray, float]:
    key = hashlib.sha256("\x1f".join([embedding_version(), *texts]).encode()).hexdigest()[:16]
    path = cache / f"vectors_{key}.npy"
    if path.is_file():
        return np.load(path), 0.0
    started = time.perf_counter()
    vectors = embed(texts)
    seconds = time.perf_counter() - started
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, seconds


def nmi(truth: np.ndarray, labels: np.ndarray) -> float:
    return round(float(normalized_mutual_info_score(truth, labels)), 4)


def clustered(
    vectors: np.ndarray, truths: dict[str, np.ndarray], *, k: int | None, seed: int = SEED
) -> dict:
    started = time.perf_counter()
    result = cluster_vectors(vectors, k=k, seed=seed)
    report = {f"nmi_{name}": nmi(truth, result.labels) for name, truth in truths.items()}
    return report | {
        "themes": result.k,
        "unthemed_share": round(result.unthemed_share, 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def changed(before: list[str], after: list[str]) -> int:
    return sum(" ".join(a.split()) != b for a, b in zip(before, after, strict=True))


def handles_and_urls_removed(texts: list[str]) -> list[str]:
    return [" ".join(_HANDLE_OR_URL.sub(" ", text).split()) or text for text in texts]


def stored_text(texts: list[str]) -> list[str]:
    """What the pipeline stores and embeds today: normalised, then redacted."""
    return [result.text for result in redact_many([text_normalize(text) for text in texts])]


def airline(path: Path, cache: Path) -> dict:
    frame = pd.read_csv(path)
    frame = frame[
        (frame["airline_sentiment"] == "negative") & (frame["negativereason"] != "Can't Tell")
    ]
    raw = stored_text(frame["text"].astype(str).tolist())
    handles_urls = handles_and_urls_removed(raw)
    started = time.perf_counter()
    masked, names = texts_for_clustering(raw)
    mask_seconds = time.perf_counter() - started
    truths = {
        "reason": frame["negativereason"].to_numpy(),
        "airline": frame["airline"].to_numpy(),
    }
    k_reasons = int(frame["negativereason"].nunique())
    report: dict = {
        "texts": len(raw),
        "reasons": k_reasons,
        "airlines": int(frame["airline"].nunique()),
        "names_found": sorted(names),
        "mask_seconds": round(mask_seconds, 2),
        "texts_masked_beyond_handles_and_urls": changed(handles_urls, masked),
    }
    variants = (("raw", raw), ("handles_urls", handles_urls), ("masked", masked))
    for variant, texts in variants:
        vectors, seconds = cached_embed(texts, cache)
        report[f"{variant}_embed_seconds"] = round(seconds, 1)
        report[f"{variant}_auto"] = clustered(vectors, truths, k=None)
        for seed in SEEDS:
            report[f"{variant}_k{k_reasons}_seed{seed}"] = clustered(
                vectors, truths, k=k_reasons, seed=seed
            )
    return report


def banking(path: Path, cache: Path) -> dict:
    frame = pd.read_csv(path)
    raw = stored_text(frame["text"].astype(str).tolist())
    masked, names = texts_for_clustering(raw)
    truth = {"intent": frame["category"].to_numpy()}
    report: dict = {
        "texts": len(raw),
        "names_found": sorted(names),
        "texts_changed": changed(raw, masked),
    }
    for variant, texts in (("raw", raw), ("masked", masked)):
        vectors, _ = cached_embed(texts, cache)
        report[f"{variant}_k77"] = clustered(vectors, truth, k=77)
    return report


# banking77 dressed as support e-mail to one of five banks: the same queries, with the noise that
# made airline themes follow the addressee (a greeting naming the bank, a handle, a signature, a
# ticket footer naming the bank), drawn with a fixed seed.
BANKS = ("Monzo", "Revolut", "Starling", "Chime", "Wirex")
CUSTOMERS = ("Priya Shah", "John Miller", "Ana Costa", "Tom Baker", "Mei Chen", "Omar Said")
GREETINGS = ("Hi {bank} team,\n", "Hello {bank} support,\n", "Dear {bank},\n", "@{bank} ", "")
SIGN_OFFS = (
    "\nThanks,\n{customer}",
    "\n\nBest regards\n{customer}\nSent from my iPhone",
    " Thanks!",
    "\nCheers, {first}",
    "",
)
FOOTERS = (
    "\n\n[Ticket #{ticket}] {bank} Support\nThis email and any attachments are confidential.",
    "\n\nOn Mon, 3 Feb 2025 at 10:00, {bank} Support <help@{domain}.example> wrote:\n"
    "> Thank you for contacting {bank}. How can we help?",
    "\n{bank} app feedback, ticket #{ticket}",
    "",
    "",
)


def dressed(texts: list[str], seed: int = SEED) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    out, banks = [], []
    for text in texts:
        bank = BANKS[rng.integers(len(BANKS))]
        customer = CUSTOMERS[rng.integers(len(CUSTOMERS))]
        fields = {
            "bank": bank,
            "domain": bank.lower(),
            "customer": customer,
            "first": customer.split()[0],
            "ticket": int(rng.integers(10_000, 99_999)),
        }
        pieces = (GREETINGS, SIGN_OFFS, FOOTERS)
        greeting, sign_off, footer = (part[rng.integers(len(part))] for part in pieces)
        out.append((greeting + text + sign_off + footer).format(**fields))
        banks.append(bank)
    return out, np.asarray(banks)


def banking_dressed(path: Path, cache: Path) -> dict:
    frame = pd.read_csv(path)
    texts, banks = dressed(frame["text"].astype(str).tolist())
    raw = stored_text(texts)
    handles_urls = handles_and_urls_removed(raw)
    masked, names = texts_for_clustering(raw)
    truths = {"intent": frame["category"].to_numpy(), "bank": banks}
    report: dict = {"texts": len(raw), "banks": len(BANKS), "names_found": sorted(names)}
    report["example_raw"], report["example_masked"] = raw[0], masked[0]
    for variant, variant_texts in (
        ("raw", raw),
        ("handles_urls", handles_urls),
        ("masked", masked),
    ):
        vectors, _ = cached_embed(variant_texts, cache)
        report[f"{variant}_k77"] = clustered(vectors, truths, k=77)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airline-csv", type=Path, default=DEFAULT_AIRLINE)
    parser.add_argument("--banking-csv", type=Path, default=DEFAULT_BANKING)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    arguments = parser.parse_args()
    for path in (arguments.airline_csv, arguments.banking_csv):
        if not path.is_file():
            print(f"No data file at {path}", file=sys.stderr)
            return 1
    report = {
        "seed": SEED,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "airline_negative": airline(arguments.airline_csv, arguments.cache),
        "banking77": banking(arguments.banking_csv, arguments.cache),
        "banking77_dressed": banking_dressed(arguments.banking_csv, arguments.cache),
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
