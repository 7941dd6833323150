"""Cross-validate the churn model on any customer table: how well would Backlight's own feature
preparation and trainer predict churn in a file like this? Reads the file only; never touches the
database."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Stratified k-fold cross-validation of the churn model on a CSV of customers with a "
        "churned/retained column: ROC-AUC and Brier score of the product's own preparation "
        "(text numbers, blanks, yes/no, categories; ids and names dropped) and trainer."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--csv", dest="csv_path", required=True, help="A CSV with a header.")
        parser.add_argument("--target", required=True, help="The churned/retained column.")
        parser.add_argument("--id-column", help="A customer id column, never used as a feature.")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, csv_path, target, id_column, folds, seed, as_json, **options):
        from insights.ml.churn import cross_validate
        from insights.ml.churn_table import ChurnInputError, prepare_table

        if folds < 2:
            raise CommandError("--folds must be at least 2.")
        started = time.perf_counter()
        source = Path(csv_path)
        frame = _read_csv(source)
        for name in (target, id_column):
            if name is not None and name not in frame.columns:
                raise CommandError(
                    f"{source.name} has no column {name!r}; its columns are "
                    f"{', '.join(map(repr, frame.columns)) or 'none'}."
                )
        try:
            table = prepare_table(frame, target=target, id_column=id_column)
        except ChurnInputError as error:
            raise CommandError(f"{source.name}: {error}") from None
        smallest = int(min(table.y.sum(), len(table.y) - table.y.sum()))
        if smallest < folds:
            raise CommandError(
                f"Too few rows: each class needs at least {folds} rows for {folds}-fold "
                f"cross-validation (the smaller class has {smallest})."
            )
        validation = cross_validate(table.features, table.y, folds=folds, seed=seed)
        seconds = round(time.perf_counter() - started, 1)

        notes = [f"Dropped column {name!r}: {reason}." for name, reason in table.dropped]
        if table.skipped_rows:
            notes.append(f"Skipped {table.skipped_rows:,} rows with a blank {target!r}.")
        if as_json:
            for note in notes:
                self.stderr.write(note)
            report = {
                "roc_auc": validation.roc_auc,
                "brier": validation.brier,
                "rows": validation.rows,
                "positives": validation.positives,
                "seconds": seconds,
            }
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"ROC-AUC {validation.roc_auc:.3f}, Brier {validation.brier:.3f} over "
            f"{validation.rows:,} rows ({validation.positives:,} churned), {folds}-fold "
            f"cross-validation on {table.features.shape[1]} features, {seconds:.1f} s"
        )
        for note in notes:
            self.stdout.write(note)


def _read_csv(source: Path):
    import pandas as pd

    if not source.is_file():
        raise CommandError(f"No file at {source}.")
    try:
        return pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise CommandError(f"{source.name} is empty.") from None
    except UnicodeDecodeError:
        raise CommandError(f"{source.name} is not UTF-8 text.") from None
    except pd.errors.ParserError as error:
        raise CommandError(f"{source.name} is not a readable CSV: {error}".strip()) from None
