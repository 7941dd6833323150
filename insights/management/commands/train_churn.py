"""Train the churn model on the organisation's history and score the active accounts, here and
now — the same service the `ml` workers run — and print the model card's figures."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from insights.models import RunStatus
from insights.selectors.churn import FEATURE_LABELS
from insights.services.churn import churn_run_now


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {value!r}.") from error


class Command(BaseCommand):
    help = (
        "Train the churn model (accounts as of past month starts against what happened to them "
        "in the next 90 days, validated on the later months), score today's active accounts "
        "with their drivers, and re-rank the pain points with the new risks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            help="Score as of this day, YYYY-MM-DD (default: today); only data before it counts.",
        )

    def handle(self, *args, as_json: bool, as_of: str | None, **options):
        summary = churn_run_now(
            reason="manage.py train_churn", as_of=_date(as_of) if as_of else None
        )
        if summary.status != RunStatus.SUCCEEDED:
            raise CommandError(
                f"The churn run #{summary.train_run_id} did not finish: {summary.error}"
            )
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "train_run": summary.train_run_id,
                        "score_run": summary.score_run_id,
                        "snapshots": summary.snapshots,
                        "accounts": summary.accounts,
                        "churned_snapshots": summary.positives,
                        "validation_auc": summary.validation_auc,
                        "validation_brier": summary.validation_brier,
                        "accounts_scored": summary.accounts_scored,
                        "expected_churned_arr": float(summary.expected_arr),
                        "high_risk_accounts": summary.high_risk_accounts,
                        "importance": summary.importance[:5],
                        "seconds": summary.seconds,
                    }
                )
            )
            return
        auc = "—" if summary.validation_auc is None else f"{summary.validation_auc:.3f}"
        brier = "—" if summary.validation_brier is None else f"{summary.validation_brier:.4f}"
        leaning = (
            "; ".join(FEATURE_LABELS.get(name, name).lower() for name, _ in summary.importance[:3])
            or "—"
        )
        self.stdout.write(
            f"Trained on {summary.snapshots:,} snapshots of {summary.accounts:,} accounts "
            f"({summary.positives:,} churned within 90 days): validation AUC {auc}, Brier {brier}; "
            f"leans on {leaning} — run #{summary.train_run_id}.\n"
            f"Scored {summary.accounts_scored:,} active accounts: expected churned ARR "
            f"${summary.expected_arr:,.0f} in 90 days, {summary.high_risk_accounts} at high risk "
            f"— run #{summary.score_run_id}, {summary.seconds:.0f} s."
        )
