"""Print every shipped item with its target, the before and after figures of its latest done
impact review and the verdict (met, not_met, too_early, inconclusive) — what the item pages show,
read by the same selector (`roadmap.impact_selectors.impact_report`). An item with no review done
yet is too_early. `--measure` first measures the reviews that fell due, as the daily task does."""

import json

from django.core.management.base import BaseCommand

from roadmap.impact import impact_reviews_measure_due
from roadmap.impact_selectors import impact_report


def _number(value) -> str:
    return "—" if value is None else f"{value:g}"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print a JSON list instead."
        )
        parser.add_argument(
            "--measure", action="store_true", help="Measure the due reviews before reporting."
        )

    def handle(self, *args, as_json: bool = False, measure: bool = False, **options):
        if measure:
            while impact_reviews_measure_due().remaining:
                pass
        rows = impact_report()
        if as_json:
            self.stdout.write(
                json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False)
            )
            return
        if not rows:
            self.stdout.write("No shipped items.")
            return
        for row in rows:
            days = f", {row.review.days_after}-day review" if row.review else ""
            self.stdout.write(
                f"{row.item.title}\n"
                f"  shipped {row.shipped_on.isoformat()}{days}; metric {row.metric or '—'}, "
                f"target {_number(row.target)}\n"
                f"  before {_number(row.before)}, after {_number(row.after)}: {row.verdict}\n"
                f"  {row.reason}"
            )
