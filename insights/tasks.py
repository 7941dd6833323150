from insights.services import analysis, churn, idempotency, imports
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


@backlight_task(queue=Queue.INGEST, name="insights.tasks.import_job_process")
def import_job_process(*, job_id: int) -> str:
    job = imports.import_job_process(job_id=job_id)
    return job.status if job else "not-claimed"


@backlight_task(queue=Queue.DEFAULT, name="insights.tasks.import_jobs_resume", expires=60)
def import_jobs_resume() -> dict[str, int]:
    result = imports.import_jobs_resume()
    return {"resumed": result.resumed, "resent": result.resent, "failed": result.failed}


@backlight_task(queue=Queue.DEFAULT, name="insights.tasks.idempotency_keys_purge", expires=3600)
def idempotency_keys_purge() -> int:
    return idempotency.idempotency_keys_purge(older_than=idempotency.IDEMPOTENCY_KEY_TTL)


@backlight_task(queue=Queue.NLP, name="insights.tasks.analysis_run_process")
def analysis_run_process(*, run_id: int) -> str:
    run = analysis.analysis_run_process(run_id=run_id)
    return run.status if run else "not-claimed"


@backlight_task(queue=Queue.NLP, name="insights.tasks.analysis_nightly", expires=3600)
def analysis_nightly() -> int:
    return analysis.analysis_run_request(reason="nightly").pk


@backlight_task(queue=Queue.NLP, name="insights.tasks.feedback_analyze_new")
def feedback_analyze_new(*, feedback_ids: list[int]) -> int:
    return analysis.feedback_analyze_new(feedback_ids=feedback_ids)


@backlight_task(queue=Queue.ML, name="insights.tasks.churn_run_process")
def churn_run_process(*, run_id: int) -> str:
    run = churn.churn_run_process(run_id=run_id)
    return run.status if run else "not-claimed"


@backlight_task(queue=Queue.ML, name="insights.tasks.churn_nightly", expires=3600)
def churn_nightly() -> int:
    return churn.churn_run_request(reason="nightly").pk


@backlight_task(queue=Queue.DEFAULT, name="insights.tasks.churn_refresh", expires=600)
def churn_refresh() -> int | None:
    run = churn.churn_refresh_if_changed()
    return run.pk if run else None
