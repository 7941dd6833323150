import datetime as dt

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from config.celery_app import app as celery_app
from insights.models import ImportJob, ModelRun, RunStatus
from insights.services.runs import STALE_RUN_MESSAGE, run_claim, stale_runs_reap
from insights.tasking import MAX_RETRIES, TRANSIENT_ERRORS, Queue, backlight_task
from tests.insights.factories import ImportJobFactory, ModelRunFactory
from tests.test_settings import backlight_tasks

RUN_FACTORIES = [
    pytest.param(ImportJob, ImportJobFactory, id="import_job"),
    pytest.param(ModelRun, ModelRunFactory, id="model_run"),
]
REAP_COUNT_FIELD = {ImportJob: "import_jobs", ModelRun: "model_runs"}
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    """Pin timezone.now so that a boundary is exact, not a race against the clock."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


# --- run_claim --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "factory"), RUN_FACTORIES)
def test_run_claim_claims_a_pending_run_once(model, factory, frozen_now):
    # Given a pending run
    run = factory(status=RunStatus.PENDING)

    # When two workers claim it
    first = run_claim(model=model, run_id=run.pk)
    second = run_claim(model=model, run_id=run.pk)

    # Then only the first wins, and the run is RUNNING since the claim
    assert (first, second) == (True, False)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.started_at == frozen_now


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "factory"), RUN_FACTORIES)
@pytest.mark.parametrize("status", [RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED])
def test_run_claim_leaves_a_run_that_is_not_pending(model, factory, status):
    started_at = timezone.now() - dt.timedelta(minutes=3)
    run = factory(status=status, started_at=started_at)

    claimed = run_claim(model=model, run_id=run.pk)

    assert claimed is False
    run.refresh_from_db()
    assert (run.status, run.started_at) == (status, started_at)


@pytest.mark.django_db
def test_run_claim_of_a_missing_run_is_false():
    assert run_claim(model=ImportJob, run_id=987654) is False


# --- stale_runs_reap --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "factory"), RUN_FACTORIES)
def test_reaper_fails_a_run_just_over_the_limit_and_keeps_one_just_under(
    model, factory, frozen_now
):
    # Given two RUNNING runs either side of the limit, by a microsecond
    limit = settings.BACKLIGHT_RUN_STALE_AFTER
    over = factory(
        status=RunStatus.RUNNING, started_at=frozen_now - limit - dt.timedelta(microseconds=1)
    )
    at_limit = factory(status=RunStatus.RUNNING, started_at=frozen_now - limit)
    under = factory(
        status=RunStatus.RUNNING, started_at=frozen_now - limit + dt.timedelta(microseconds=1)
    )

    # When the reaper runs
    result = stale_runs_reap()

    # Then only the run past the limit is failed, with the reason and the time
    assert getattr(result, REAP_COUNT_FIELD[model]) == 1
    over.refresh_from_db()
    assert (over.status, over.error, over.finished_at) == (
        RunStatus.FAILED,
        STALE_RUN_MESSAGE,
        frozen_now,
    )
    for kept in (at_limit, under):
        kept.refresh_from_db()
        assert kept.status == RunStatus.RUNNING
        assert kept.finished_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("status", [RunStatus.PENDING, RunStatus.SUCCEEDED, RunStatus.FAILED])
def test_reaper_only_touches_running_runs(status, frozen_now):
    long_ago = frozen_now - dt.timedelta(days=30)
    job = ImportJobFactory(status=status, started_at=long_ago)
    run = ModelRunFactory(status=status, started_at=long_ago)

    result = stale_runs_reap()

    assert (result.import_jobs, result.model_runs) == (0, 0)
    job.refresh_from_db()
    run.refresh_from_db()
    assert (job.status, run.status) == (status, status)


@pytest.mark.django_db
def test_reaper_counts_each_kind_of_run(frozen_now):
    long_ago = frozen_now - settings.BACKLIGHT_RUN_STALE_AFTER - dt.timedelta(hours=1)
    ImportJobFactory.create_batch(2, status=RunStatus.RUNNING, started_at=long_ago)
    ModelRunFactory.create_batch(3, status=RunStatus.RUNNING, started_at=long_ago)

    result = stale_runs_reap()

    assert (result.import_jobs, result.model_runs) == (2, 3)
    assert stale_runs_reap() == result.__class__(import_jobs=0, model_runs=0)


# --- backlight_task ---------------------------------------------------------------------------

calls = {"transient": 0, "permanent": 0}


@backlight_task(queue=Queue.NLP, name="tests.insights.always_transient")
def always_transient() -> None:
    calls["transient"] += 1
    raise OperationalError("connection dropped")


@backlight_task(queue=Queue.ML, name="tests.insights.always_permanent")
def always_permanent() -> None:
    calls["permanent"] += 1
    raise ValueError("bad input: retrying cannot cure this")


@pytest.fixture
def reset_calls():
    calls.update(transient=0, permanent=0)


@pytest.fixture
def eager_keeps_failures():
    """Eager calls record a failure on their result instead of raising it (the setting wins over
    apply(throw=False)), so that the retries can be replayed and counted."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_backlight_task_carries_the_house_options():
    task = always_transient

    assert task.queue == "nlp"
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == MAX_RETRIES == 5
    assert task.autoretry_for == TRANSIENT_ERRORS
    assert task.retry_backoff
    assert task.retry_backoff_max <= 300
    assert task.retry_jitter is True


def test_backlight_task_retries_only_transient_errors():
    retried = (OperationalError, ConnectionError, TimeoutError)
    not_retried = (ValueError, KeyError, TypeError, RuntimeError, ZeroDivisionError)

    for error in retried:
        assert issubclass(error, TRANSIENT_ERRORS), error
    for error in not_retried:
        assert not issubclass(error, TRANSIENT_ERRORS), error


def test_a_transient_error_is_retried_up_to_the_cap(reset_calls, eager_keeps_failures):
    # apply() replays the retries at once: the first call plus MAX_RETRIES more, then gives up.
    result = always_transient.apply()

    assert calls["transient"] == 1 + MAX_RETRIES
    assert result.state == "FAILURE"
    assert isinstance(result.result, OperationalError)


def test_a_permanent_error_fails_at_once(reset_calls, eager_keeps_failures):
    result = always_permanent.apply()

    assert calls["permanent"] == 1
    assert result.state == "FAILURE"
    assert isinstance(result.result, ValueError)


def test_every_backlight_task_has_the_house_options():
    ours = backlight_tasks()

    assert ours
    for task in ours.values():
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name
        assert task.max_retries is not None, task.name
        assert task.max_retries <= MAX_RETRIES, task.name
        assert set(getattr(task, "autoretry_for", ())) <= set(TRANSIENT_ERRORS), task.name


def test_the_reaper_and_ping_tasks_use_the_default_queue():
    from insights.tasks import ping
    from insights.tasks import stale_runs_reap as reap_task

    assert (reap_task.queue, ping.queue) == ("default", "default")
    assert reap_task.name == "insights.tasks.stale_runs_reap"
    assert ping.delay(value="x").get() == "pong:x"
