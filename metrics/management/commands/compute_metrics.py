"""`python manage.py compute_metrics`: compute the metric snapshots now, as the nightly task does.

Beat recomputes them on a real deployment; the embedded default (`make demo`) has no beat, so
`make demo` runs this after the analysis and the churn model.
"""

from django.core.management.base import BaseCommand

from metrics.services import metric_snapshots_compute


class Command(BaseCommand):
    help = "Compute the metric snapshots the dashboards read (all periods, all groups) now."

    def handle(self, *args, **options) -> None:
        run = metric_snapshots_compute(force=True)
        if run is None:
            self.stdout.write("Another computation is running; its figures will be used.")
            return
        seconds = sum((run.timings or {}).values())
        self.stdout.write(
            f"Metric snapshots computed: run #{run.pk}, {run.data_size:,} rows, {seconds:.1f} s."
        )
