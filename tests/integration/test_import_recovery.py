"""Nothing lost: an import survives a killed worker, a Redis restart and a dropped database
connection, and ends with every source row stored or rejected exactly once.

Each test runs its own worker processes (the shared worker of test_worker.py is stopped with its
module), with small chunks so that there is a middle of the import to crash in.
"""

import datetime as dt
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from insights.demo_exports import ExportTruth, qualtrics_export_write
from insights.models import Feedback, ImportJob, RunStatus
from insights.services.imports import import_job_confirm, import_job_create, import_jobs_resume
from tests.integration.conftest import (
    broker_connections_reset,
    eager_off,
    queues_purge,
    worker_start,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SMALL_CHUNKS = {"BACKLIGHT_IMPORT_CHUNK_ROWS": "150"}
RESPONSES = 9_000
FINISH_TIMEOUT = 90


@pytest.fixture
def export(tmp_path) -> tuple[Path, ExportTruth]:
    path = tmp_path / "qualtrics_export.csv"
    truth = qualtrics_export_write(path, responses=RESPONSES, seed=3, invalid_every=450)
    return path, truth


@pytest.fixture
def worker_log(tmp_path) -> Path:
    return tmp_path / "workers.log"


def _confirmed_job(path: Path) -> ImportJob:
    with path.open("rb") as handle:
        job = import_job_create(file=handle, original_name=path.name)
    # Autocommit (transaction=True): the job is queued on the broker right away.
    return import_job_confirm(job=job, mapping=job.mapping)


def _wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _job(job: ImportJob) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


def _resume_as_beat_would_once_stale() -> None:
    later = timezone.now() + settings.BACKLIGHT_IMPORT_STALE_AFTER + dt.timedelta(seconds=1)
    import_jobs_resume(now=later)


def _assert_every_row_once(job: ImportJob, truth: ExportTruth) -> None:
    job = _job(job)
    assert job.status == RunStatus.SUCCEEDED, job.error
    assert job.processed_rows == job.total_rows == truth.responses
    stored = Feedback.objects.filter(import_job=job)
    assert stored.count() == truth.feedback_records == job.created_count
    assert stored.values("external_id").distinct().count() == stored.count()
    assert job.duplicate_count == 0
    assert sorted(job.row_errors.values_list("line", flat=True)) == truth.rejected_lines
    assert job.rejected_count == len(truth.rejected_lines)


def test_a_worker_killed_mid_import_is_resumed_by_another(export, worker_log):
    path, truth = export
    queues_purge()
    with eager_off():
        # Given an import that a worker has started to store
        doomed = worker_start(log_path=worker_log, name="doomed", extra_env=SMALL_CHUNKS)
        try:
            job = _confirmed_job(path)
            _wait_for(lambda: _job(job).processed_rows > 0, timeout=30, what="the first chunk")
        finally:
            # When the worker is killed with SIGKILL in the middle of it
            doomed.kill()
        crashed = _job(job)
        assert crashed.status == RunStatus.RUNNING
        assert 0 < crashed.processed_rows < crashed.total_rows

        # And another worker starts, and the resumer finds the job silent
        survivor = worker_start(log_path=worker_log, name="survivor", extra_env=SMALL_CHUNKS)
        try:
            _resume_as_beat_would_once_stale()
            _wait_for(
                lambda: (
                    _job(job).status != RunStatus.PENDING and _job(job).status != RunStatus.RUNNING
                ),
                timeout=FINISH_TIMEOUT,
                what="the resumed import to finish",
            )
        finally:
            survivor.stop()

    # Then every source row is stored or rejected, none twice
    _assert_every_row_once(job, truth)
    assert _job(job).attempts == 2


def _local_redis() -> tuple[str, int] | None:
    url = urlsplit(os.environ.get("REDIS_URL", ""))
    if url.hostname in {"127.0.0.1", "localhost"} and shutil.which("redis-server"):
        return url.hostname, url.port or 6379
    return None


def _redis_restart(host: str, port: int) -> None:
    """Restart the broker the way a crash would: nothing of the queue survives (--save "")."""
    subprocess.run(["redis-cli", "-h", host, "-p", str(port), "shutdown", "nosave"], check=False)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/ci.log",
        ],
        check=True,
    )
    _wait_for(
        lambda: (
            subprocess.run(
                ["redis-cli", "-h", host, "-p", str(port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            == "PONG"
        ),
        timeout=30,
        what="Redis to come back",
    )
    # This process's pooled broker connections died with the server.
    broker_connections_reset()


def test_an_import_queued_before_a_redis_restart_is_sent_again(export, worker_log):
    local = _local_redis()
    if local is None:
        pytest.skip("restarting the broker needs a local redis-server at REDIS_URL")
    path, truth = export
    queues_purge()
    with eager_off():
        # Given a confirmed import whose message waits in Redis, with no worker running
        job = _confirmed_job(path)

        # When Redis restarts and loses the message
        _redis_restart(*local)

        # And a worker starts, and the resumer sees the job queued long ago and never started
        worker = worker_start(log_path=worker_log, name="after-restart")
        try:
            _resume_as_beat_would_once_stale()
            _wait_for(
                lambda: _job(job).status in {RunStatus.SUCCEEDED, RunStatus.FAILED},
                timeout=FINISH_TIMEOUT,
                what="the re-sent import to finish",
            )
        finally:
            worker.stop()

    # Then the import completes as if nothing had happened
    _assert_every_row_once(job, truth)


def test_a_dropped_database_connection_mid_import_is_retried_to_completion(export, worker_log):
    path, truth = export
    queues_purge()
    with eager_off():
        worker = worker_start(log_path=worker_log, name="dropped-db", extra_env=SMALL_CHUNKS)
        try:
            # Given an import that a worker has started to store
            job = _confirmed_job(path)
            _wait_for(lambda: _job(job).processed_rows > 0, timeout=30, what="the first chunk")

            # When the database drops the worker's connections
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )

            # Then the task retries, resumes at its checkpoint and finishes
            _wait_for(
                lambda: _job(job).status in {RunStatus.SUCCEEDED, RunStatus.FAILED},
                timeout=FINISH_TIMEOUT,
                what="the retried import to finish",
            )
        finally:
            worker.stop()

    _assert_every_row_once(job, truth)
    assert _job(job).attempts >= 2
