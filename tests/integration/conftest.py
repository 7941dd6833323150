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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from redis.exceptions import RedisError

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


@dataclass
class Worker:
    process: subprocess.Popen
    nodename: str
    log_path: Path

    def kill(self) -> None:
        """kill -9 of the worker and its pool processes, as a crashed machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WORKER_STOP_TIMEOUT)

    def stop(self) -> None:
        _stop(self.process)


def worker_start(*, log_path: Path, name: str, extra_env: dict[str, str] | None = None) -> Worker:
    """Start a `celery worker` subprocess on every queue, on pytest's test database, and wait
    until it answers a ping."""
    queues = list(settings.CELERY_QUEUE_NAMES)
    test_database = settings.DATABASES["default"]["NAME"]
    nodename = f"{name}-{os.getpid()}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for(test_database),
        "REDIS_URL": os.environ["REDIS_URL"],
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
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
    with log_path.open("a") as log:
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
    except BaseException:
        # A worker that never answered must not linger and consume the next test's tasks.
        _stop(process)
        raise
    return Worker(process=process, nodename=nodename, log_path=log_path)


def broker_connections_reset() -> None:
    """Drop this process's pooled broker connections, which died with a broker restart, as
    Celery itself does after a fork; the next use opens fresh ones."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def queues_purge() -> None:
    """Left-over messages from an earlier, interrupted run would be executed by a new worker."""
    _purge(list(settings.CELERY_QUEUE_NAMES))


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """A `celery worker` subprocess consuming every queue, on pytest's test database; started by
    the first test of a module that needs it and stopped after the module, so that the recovery
    tests, which start and kill workers of their own, never share the queues with it."""
    queues_purge()
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = worker_start(log_path=log_path, name="integration")
    try:
        yield worker.nodename
    finally:
        worker.stop()
        _worker_log.clear()


@contextmanager
def eager_off():
    """Tasks go to the broker instead of running in-process as the test settings make them."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def _wait_until_ready(process: subprocess.Popen, nodename: str, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"celery worker exited with {process.returncode} while starting:\n"
                f"{_log_tail(log_path)}"
            )
        try:
            if celery_app.control.ping(destination=[nodename], timeout=1.0):
                return
        except (ConnectionError, OSError, RedisError):
            # A pooled connection from before a broker restart; take fresh ones and ask again.
            broker_connections_reset()
    _stop(process)
    pytest.fail(
        f"celery worker {nodename} did not answer within {WORKER_START_TIMEOUT}s:\n"
        f"{_log_tail(log_path)}"
    )


@pytest.fixture
def celery_worker(celery_worker_process):
    """The running worker's node name. During the test, tasks go to the broker instead of running
    in-process as the test settings make them; the other tests keep eager mode."""
    with eager_off():
        yield celery_worker_process
