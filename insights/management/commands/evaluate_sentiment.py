"""Cross-validate the sentiment trainer on a labelled CSV: how well would Backlight's own model
do on comments like these? Reads the file only; never touches the database."""

import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from insights.ml.sentiment import LABELS, MIN_TRAINING_TEXTS, cross_validate


class Command(BaseCommand):
    help = (
        "Stratified k-fold cross-validation of the sentiment model on a CSV with a text column "
        f"and a label column ({', '.join(LABELS)}). Rows with an empty text or label are skipped."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--csv", dest="csv_path", required=True, help="The labelled CSV file.")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", required=True)
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(
        self,
        *args,
        csv_path: str,
        text_column: str,
        label_column: str,
        folds: int,
        seed: int,
        as_json: bool,
        **options,
    ):
        texts, labels, skipped = _read_labelled(Path(csv_path), text_column, label_column)
        unknown = sorted(set(labels) - set(LABELS))
        if unknown:
            raise CommandError(
                f"Column {label_column!r} has labels {unknown[:5]}; expected {', '.join(LABELS)}."
            )
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise CommandError(
                f"Column {label_column!r} needs at least 2 classes to evaluate; found "
                f"{classes or 'none'}."
            )
        if folds < 2:
            raise CommandError("--folds must be at least 2.")
        smallest = min(labels.count(c) for c in classes)
        if smallest < folds:
            raise CommandError(
                f"Too few rows: every class needs at least {folds} rows for {folds}-fold "
                f"cross-validation (smallest class has {smallest})."
            )
        if len(texts) < MIN_TRAINING_TEXTS:
            self.stderr.write(
                f"Only {len(texts)} rows: below {MIN_TRAINING_TEXTS} the product uses its "
                "lexicon fallback, so that is what is evaluated."
            )
        result = cross_validate(texts, labels, folds=folds, seed=seed)
        result["skipped"] = skipped
        if as_json:
            keys = ("accuracy", "macro_f1", "rows", "skipped", "seconds")
            self.stdout.write(json.dumps({key: result[key] for key in keys}))
            return
        line = (
            f"accuracy {result['accuracy']:.2f}, macro-F1 {result['macro_f1']:.2f} over "
            f"{result['rows']:,} rows, {folds}-fold, {result['seconds']:.0f} s"
        )
        if skipped:
            line += f" ({skipped:,} rows skipped: empty text or label)"
        self.stdout.write(line)


def _read_labelled(
    path: Path, text_column: str, label_column: str
) -> tuple[list[str], list[str], int]:
    if not path.is_file():
        raise CommandError(f"No file at {path}.")
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in (text_column, label_column) if c not in columns]
            if missing:
                raise CommandError(
                    f"{path.name} has no column {', '.join(map(repr, missing))}; its columns "
                    f"are {', '.join(map(repr, columns)) or 'none'}."
                )
            for row in reader:
                text = (row.get(text_column) or "").strip()
                label = (row.get(label_column) or "").strip().lower()
                if not text or not label:
                    skipped += 1
                    continue
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError as error:
        raise CommandError(f"{path.name} is not UTF-8 text: {error}.") from error
    except csv.Error as error:
        raise CommandError(f"{path.name} is not a readable CSV: {error}.") from error
    return texts, labels, skipped
