"""Run the whole insights pipeline on the database, here and now: redact, embed, score
sentiment, cluster into themes and rank them — the same service the `nlp` workers run."""

import json

from django.core.management.base import BaseCommand, CommandError

from insights.models import RunStatus
from insights.services.analysis import analysis_run_now


class Command(BaseCommand):
    help = (
        "Analyse all feedback: redact PII, embed, score sentiment, cluster into themes (keeping "
        "the themes' identities and every edit people made) and rank the pain points."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, as_json: bool, **options):
        summary = analysis_run_now(reason="manage.py analyze_feedback")
        if summary.status != RunStatus.SUCCEEDED:
            raise CommandError(f"The analysis run #{summary.run_id} did not finish.")
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "run": summary.run_id,
                        "feedback": summary.feedback,
                        "themes": summary.themes,
                        "unthemed_share": summary.unthemed_share,
                        "seconds": summary.seconds,
                    }
                )
            )
            return
        self.stdout.write(
            f"Analysed {summary.feedback:,} feedback into {summary.themes} ranked themes "
            f"({summary.unthemed_share:.0%} unthemed) in {summary.seconds:.0f} s — run "
            f"#{summary.run_id}."
        )
