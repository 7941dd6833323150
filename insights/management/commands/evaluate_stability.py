"""How well themes hold, measured through the production pipeline: the texts of a CSV are stored
as feedback and analysed, analysed again unchanged, then grown (the growth arrives as new feedback
is themed on arrival, then the nightly run) — and how much of the earlier feedback kept its theme
is counted at each step. Everything happens inside one transaction that is rolled back, so the
database is left as it was; it needs a database without feedback, or it would measure that too."""

import json
import random
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

MIN_ROWS = 20


class _Rollback(Exception):
    """Raised at the end of the measurement to undo everything it stored."""


def _kept(before: dict[int, int | None], after: dict[int, int | None]) -> float:
    """The share of `before`'s feedback in the same theme (or still in none) `after`."""
    if not before:
        return 1.0
    return sum(after.get(pk) == theme for pk, theme in before.items()) / len(before)


class Command(BaseCommand):
    help = (
        "Measure theme stability through the production pipeline: a re-run on unchanged data, "
        "then a re-run after the data grew (default 10 %). Rolls everything back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="A CSV file with a header row.")
        parser.add_argument("--text-column", default="text")
        parser.add_argument(
            "--grow", type=float, default=0.1, help="How much to grow the data (0.1 = 10 %%)."
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, csv, text_column, grow, seed, as_json, **options):
        import pandas as pd

        from insights.models import Feedback

        source = Path(csv)
        if not source.is_file():
            raise CommandError(f"No file at {source}.")
        if not 0 < grow <= 1:
            raise CommandError("--grow must be more than 0 and at most 1 (0.1 is 10 %).")
        try:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {source} as CSV: {error}") from error
        if text_column not in frame.columns:
            raise CommandError(
                f"No column {text_column!r} in {source}; its columns are "
                f"{', '.join(map(repr, frame.columns))}."
            )
        texts = [text for text in frame[text_column].tolist() if text.strip()]
        if len(texts) < MIN_ROWS:
            raise CommandError(f"{source} has {len(texts)} texts; at least {MIN_ROWS} are needed.")
        if Feedback.objects.exists():
            raise CommandError(
                "This database already holds feedback, which the measurement would include. "
                "Point DATABASE_URL at an empty database (e.g. sqlite:////tmp/stability.sqlite3 "
                "after `manage.py migrate`)."
            )
        random.Random(seed).shuffle(texts)  # noqa: S311 - a reproducible split, not a secret
        base_size = round(len(texts) / (1 + grow))
        report: dict = {}
        started = time.perf_counter()
        try:
            with transaction.atomic():
                report = self._measure(texts[:base_size], texts[base_size:])
                raise _Rollback
        except _Rollback:
            pass
        report["seconds"] = round(time.perf_counter() - started, 1)
        if as_json:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"{report['texts']:,} texts, grown by {report['grown_by']:,}: "
            f"{report['same_data_kept']:.1%} kept their theme on a re-run, "
            f"{report['grown_data_kept']:.1%} after the growth; themes "
            f"{report['themes_before']} → {report['themes_after']} "
            f"({report['seconds']:.0f} s)"
        )

    def _measure(self, base: list[str], growth: list[str]) -> dict:
        from insights.models import Feedback, RunStatus, Theme
        from insights.services.analysis import analysis_run_now, feedback_analyze_new

        def store(texts: list[str]) -> list[int]:
            now = timezone.now()
            rows = Feedback.objects.bulk_create(
                Feedback(source=Feedback.Source.API, text=text, received_at=now) for text in texts
            )
            return [row.pk for row in rows]

        def themes() -> dict[int, int | None]:
            return dict(Feedback.objects.values_list("pk", "theme_id"))

        def top_level() -> int:
            return Theme.objects.filter(status=Theme.Status.ACTIVE, parent=None).count()

        def run() -> None:
            summary = analysis_run_now(reason="manage.py evaluate_stability")
            if summary.status != RunStatus.SUCCEEDED:
                raise CommandError(f"The analysis run #{summary.run_id} did not finish.")

        store(base)
        run()
        first = themes()
        run()
        second = themes()
        themes_before = top_level()
        grown = store(growth)
        feedback_analyze_new(feedback_ids=grown)
        run()
        third = themes()
        return {
            "same_data_kept": round(_kept(first, second), 4),
            "grown_data_kept": round(_kept(second, third), 4),
            "themes_before": themes_before,
            "themes_after": top_level(),
            "texts": len(base),
            "grown_by": len(growth),
            "unthemed_share": round(sum(theme is None for theme in third.values()) / len(third), 4),
        }
