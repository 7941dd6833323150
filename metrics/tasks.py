"""Metric tasks: thin, each one service call. Beat runs both (config/settings/base.py)."""

from insights.tasking import Queue, backlight_task
from metrics import services


@backlight_task(queue=Queue.DEFAULT, name="metrics.tasks.metric_snapshots_refresh", expires=240)
def metric_snapshots_refresh() -> int | None:
    """Every few minutes: recompute the snapshots when feedback, usage, imports or accounts
    changed since the last computation (the "dirty" check is the service's). The run id, or
    None when nothing changed."""
    run = services.metric_snapshots_compute()
    return run.pk if run else None


@backlight_task(queue=Queue.DEFAULT, name="metrics.tasks.metric_snapshots_nightly", expires=3600)
def metric_snapshots_nightly() -> int | None:
    """Nightly: recompute everything, changed or not, so that edits the change check does not
    see (existing feedback, touchpoints, goals) are picked up within a day."""
    run = services.metric_snapshots_compute(force=True)
    return run.pk if run else None
