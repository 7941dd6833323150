"""Score the theme clustering against a labelled file: the production path (embed, then
cluster_vectors, then describe_clusters) run on its texts, compared with its labels. Touches no
database.

label_match scores the themes' generated labels: for each theme, the true label name closest to
its generated label (MiniLM cosine; underscores read as spaces) should be the theme's majority
true label. It is the share of themes where it is."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

MIN_ROWS = 10
# The readable output lists this many themes' labels.
LABELS_SHOWN = 10


def _k_argument(value: str) -> int | None:
    if value == "auto":
        return None
    try:
        k = int(value)
    except ValueError:
        raise CommandError(f"--k must be 'auto' or a whole number, not {value!r}.") from None
    if k < 2:
        raise CommandError("--k must be at least 2.")
    return k


def _label_match(descriptions: dict, labels, truth) -> float:
    """The share of themes whose generated label is closer (MiniLM cosine) to the name of the
    theme's majority true label than to any other true label's name."""
    import numpy as np

    from insights.ml.embeddings import embed

    themes = sorted(descriptions)
    if not themes:
        return 0.0
    names = sorted(set(truth.tolist()))
    name_vectors = embed([name.replace("_", " ") for name in names])
    label_vectors = embed([descriptions[theme].label for theme in themes])
    closest = (label_vectors @ name_vectors.T).argmax(axis=1)
    agree = 0
    for theme, nearest in zip(themes, closest.tolist(), strict=True):
        values, counts = np.unique(truth[labels == theme], return_counts=True)
        agree += names[nearest] == values[int(counts.argmax())]
    return agree / len(themes)


class Command(BaseCommand):
    help = (
        "Cluster the texts of a labelled CSV into themes exactly as production does and score the "
        "themes against the labels (NMI, ARI; unthemed items count as one extra cluster), and "
        "their generated labels against the label names (label match)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="A CSV file with a header row.")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="category")
        parser.add_argument("--k", default="auto", help="'auto' or the number of themes.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, csv, text_column, label_column, k, seed, as_json, **options):
        import pandas as pd
        from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

        from insights.ml.clustering import cluster_vectors
        from insights.ml.embeddings import embed
        from insights.ml.labels import describe_clusters

        requested_k = _k_argument(str(k))
        source = Path(csv)
        if not source.is_file():
            raise CommandError(f"No file at {source}.")
        try:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {source} as CSV: {error}") from error
        missing = [name for name in (text_column, label_column) if name not in frame.columns]
        if missing:
            raise CommandError(
                f"No column {', '.join(map(repr, missing))} in {source}; "
                f"its columns are {', '.join(map(repr, frame.columns))}."
            )
        frame = frame[(frame[text_column].str.strip() != "") & (frame[label_column] != "")]
        if len(frame) < MIN_ROWS:
            raise CommandError(
                f"{source} has {len(frame)} labelled texts; at least {MIN_ROWS} are needed."
            )
        if requested_k is not None and requested_k > len(frame):
            raise CommandError(f"--k {requested_k} is more than the {len(frame)} texts.")

        texts = frame[text_column].tolist()
        started = time.perf_counter()
        vectors = embed(texts)
        result = cluster_vectors(vectors, k=requested_k, seed=seed, texts=texts)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        descriptions = describe_clusters(texts, result.labels, vectors, result.centroids)
        label_seconds = time.perf_counter() - started

        truth = frame[label_column].to_numpy()
        # Unthemed items keep their label -1: one extra cluster in both scores.
        report = {
            "nmi": round(float(normalized_mutual_info_score(truth, result.labels)), 4),
            "ari": round(float(adjusted_rand_score(truth, result.labels)), 4),
            "clusters": result.k,
            "unthemed_share": round(result.unthemed_share, 4),
            "label_match": round(_label_match(descriptions, result.labels, truth), 4),
            "seconds": round(seconds, 2),
            "label_seconds": round(label_seconds, 2),
            "texts_per_second": round(len(frame) / max(seconds, 1e-9), 1),
            "texts": len(frame),
            "labels": int(frame[label_column].nunique()),
            "k": "auto" if requested_k is None else requested_k,
        }
        if as_json:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"{report['texts']:,} texts, {report['labels']} labels → {report['clusters']} themes "
            f"(k {report['k']}), {report['unthemed_share']:.1%} unthemed: "
            f"NMI {report['nmi']:.3f}, ARI {report['ari']:.3f}, {report['seconds']:.1f} s "
            f"({report['texts_per_second']:,.0f} texts/s); labels match the majority label of "
            f"{report['label_match']:.0%} of the themes ({report['label_seconds']:.1f} s)"
        )
        for theme, description in list(descriptions.items())[:LABELS_SHOWN]:
            self.stdout.write(f"  {theme:>3}  {description.label}")
