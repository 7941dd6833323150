"""Roadmap tasks: thin, each one service call. Beat runs the daily one (config/settings/base.py)."""

from insights.tasking import Queue, backlight_task
from roadmap import impact

# A day's reviews take seconds; the limits only stop a run that hangs.
SOFT_TIME_LIMIT = 10 * 60
TIME_LIMIT = 12 * 60


@backlight_task(
    queue=Queue.ML,
    name="roadmap.tasks.impact_reviews_measure_due",
    expires=6 * 3600,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def impact_reviews_measure_due() -> dict[str, int]:
    """Daily: measure the impact reviews that fell due, a batch at a time; while more are due
    than a batch holds, enqueue itself again. Safe to run twice (each review is claimed)."""
    result = impact.impact_reviews_measure_due()
    if result.remaining:
        impact_reviews_measure_due.delay()
    return {"scheduled": result.scheduled, "measured": result.measured}
