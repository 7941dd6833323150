"""Tasks through a real broker and a real worker process, against the test database."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from insights.models import ImportJob, ModelRun, RunStatus
from insights.services.runs import STALE_RUN_MESSAGE
from insights.tasks import ping, stale_runs_reap
from tests.insights.factories import ImportJobFactory, ModelRunFactory

pytestmark = pytest.mark.integration

RESULT_TIMEOUT = 30


def test_ping_round_trip(celery_worker):
    result = ping.delay(value="x")

    assert result.get(timeout=RESULT_TIMEOUT) == "pong:x"


@pytest.mark.parametrize("queue", settings.CELERY_QUEUE_NAMES)
def test_the_worker_consumes_every_queue(celery_worker, queue):
    result = ping.apply_async(kwargs={"value": queue}, queue=queue)

    assert result.get(timeout=RESULT_TIMEOUT) == f"pong:{queue}"


# The worker is another process: it sees only committed rows, hence transaction=True.
@pytest.mark.django_db(transaction=True)
def test_the_reaper_fails_stale_runs_through_the_worker(celery_worker):
    # Given runs left RUNNING long past the limit, and one that has just started
    long_ago = timezone.now() - settings.BACKLIGHT_RUN_STALE_AFTER - dt.timedelta(days=1)
    stale_job = ImportJobFactory(status=RunStatus.RUNNING, started_at=long_ago)
    stale_run = ModelRunFactory(status=RunStatus.RUNNING, started_at=long_ago)
    fresh_run = ModelRunFactory(status=RunStatus.RUNNING, started_at=timezone.now())

    # When the reaper task runs on the worker
    counts = stale_runs_reap.delay().get(timeout=RESULT_TIMEOUT)

    # Then the stale runs are failed in the database, and the fresh one is untouched
    assert counts == {"import_jobs": 1, "model_runs": 1}
    assert ImportJob.objects.get(pk=stale_job.pk).status == RunStatus.FAILED
    stale_run = ModelRun.objects.get(pk=stale_run.pk)
    assert (stale_run.status, stale_run.error) == (RunStatus.FAILED, STALE_RUN_MESSAGE)
    assert stale_run.finished_at is not None
    fresh_run = ModelRun.objects.get(pk=fresh_run.pk)
    assert (fresh_run.status, fresh_run.finished_at) == (RunStatus.RUNNING, None)
