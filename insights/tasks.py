from insights.services.runs import stale_runs_reap as stale_runs_reap_service
from insights.tasking import Queue, backlight_task


@backlight_task(queue=Queue.DEFAULT, name="insights.tasks.stale_runs_reap", expires=300)
def stale_runs_reap() -> dict[str, int]:
    result = stale_runs_reap_service()
    return {"import_jobs": result.import_jobs, "model_runs": result.model_runs}


@backlight_task(queue=Queue.DEFAULT, name="insights.tasks.ping", expires=60)
def ping(*, value: str) -> str:
    """Round-trip check for operators and the worker integration test."""
    return f"pong:{value}"
