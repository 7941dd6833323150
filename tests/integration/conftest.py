"""A real Celery worker on the real broker, against pytest's test database.

These tests need REDIS_URL (the broker) and DATABASE_URL (a database that a second process can
open: pytest's in-memory SQLite cannot be shared with a worker). Without both they are skipped.

The worker is started once per session, after pytest-django has created the test database, with
DATABASE_URL pointing at that database; during each test that uses it the test process sends to
the broker (eager mode off) and gets results back through the Redis result backend.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from config.celery_app import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WORKER_START_TIMEOUT = 60
WORKER_STOP_TIMEOUT = 20
# Where the running worker writes its log, for the report of a failing test.
_worker_log: dict[str, Path] = {}


def _skip_reason() -> str | None:
    missing = [name for name in ("REDIS_URL", "DATABASE_URL") if not os.environ.get(name)]
    if missing:
        return (
            "integration tests need a real broker and a database a worker can share: set "
            f"{' and '.join(missing)} (DATABASE_URL=postgres://… REDIS_URL=redis://… make test,"
            " as .ci/run does)"
        )
    if os.environ["DATABASE_URL"].startswith("sqlite"):
        return "integration tests need a database server: the SQLite test database is in memory"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used the worker gets the worker's log in its report."""
    report = yield
    if report.failed and "celery_worker" in getattr(item, "fixturenames", ()) and _worker_log:
        path = _worker_log["path"]
        report.sections.append((f"celery worker log ({path})", _log_tail(path)))
    return report


def _database_url_for(name: str) -> str:
    """DATABASE_URL with its database replaced by `name` (the test database)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _purge(queues: list[str]) -> None:
    with celery_app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            channel.queue_purge(queue)


def _log_tail(path: Path, lines: int = 200) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no worker log)"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    # The worker and its prefork children share one process group of their own.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=WORKER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=WORKER_STOP_TIMEOUT)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """A `celery worker` subprocess consuming every queue, on pytest's test database; started
    once, by the first test that needs it, and stopped before the test database is dropped."""
    queues = list(settings.CELERY_QUEUE_NAMES)
    test_database = settings.DATABASES["default"]["NAME"]
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    nodename = f"integration-{os.getpid()}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for(test_database),
        "REDIS_URL": os.environ["REDIS_URL"],
        "PYTHONUNBUFFERED": "1",
    }
    # Left-over messages from an earlier, interrupted run would be executed by this worker.
    _purge(queues)
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config.celery_app",
        "worker",
        "-Q",
        ",".join(queues),
        "--pool=prefork",
        "--concurrency=1",
        "-n",
        nodename,
        "--without-gossip",
        "--without-mingle",
        "-l",
        "info",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _worker_log["path"] = log_path
    try:
        _wait_until_ready(process, nodename, log_path)
        yield nodename
    finally:
        _stop(process)
        _worker_log.clear()


def _wait_until_ready(process: subprocess.Popen, nodename: str, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"celery worker exited with {process.returncode} while starting:\n"
                f"{_log_tail(log_path)}"
            )
        if celery_app.control.ping(destination=[nodename], timeout=1.0):
            return
    _stop(process)
    pytest.fail(
        f"celery worker {nodename} did not answer within {WORKER_START_TIMEOUT}s:\n"
        f"{_log_tail(log_path)}"
    )


@pytest.fixture
def celery_worker(celery_worker_process):
    """The running worker's node name. During the test, tasks go to the broker instead of running
    in-process as the test settings make them; the other tests keep eager mode."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield celery_worker_process
    celery_app.conf.task_always_eager = previous
