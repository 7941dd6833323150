"""Settings per environment, checked in fresh interpreters with a controlled environment.

The settings are read once per process, so each environment is imported in a subprocess of its
own; the developer's or CI's DATABASE_URL/REDIS_URL never leak into what is being checked.
"""

import importlib
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from config.celery_app import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_DIR = BASE_DIR / "config" / "settings"

# env.str("X"), env.db("X", ...), env("X"), os.environ.get("X"), os.getenv("X"), os.environ["X"]
_ENV_READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)

# What a settings subprocess prints: the settings that decide the backends, as Celery sees them too.
_SNAPSHOT = """
import json
import django
django.setup()
from django.conf import settings
from config.celery_app import app
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "db_engine": db["ENGINE"],
    "db_name": str(db["NAME"]),
    "db_host": db.get("HOST", ""),
    "db_user": db.get("USER", ""),
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "broker_url": app.conf.broker_url,
    "result_backend": app.conf.result_backend,
    "task_always_eager": app.conf.task_always_eager,
    "media_root": str(settings.MEDIA_ROOT),
    "static_root": str(settings.STATIC_ROOT),
}))
"""


def settings_env_reads() -> set[str]:
    """Every environment variable that config/settings/*.py reads."""
    names: set[str] = set()
    for path in SETTINGS_DIR.glob("*.py"):
        names.update(_ENV_READ.findall(path.read_text()))
    return names


def clean_env(**overrides: str) -> dict[str, str]:
    """The process environment without anything the settings read, plus `overrides`."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: set in this process by tests/e2e/conftest.py for Playwright.
    drop = settings_env_reads() | {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(overrides)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_snapshot(**env: str) -> dict:
    """The backend-deciding settings of a fresh process started with exactly `env` set."""
    result = run_python(_SNAPSHOT, clean_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def backlight_tasks() -> dict:
    """The registered tasks of Backlight's own apps, with every app's tasks module imported."""
    for app_name in settings.LOCAL_APPS:
        if importlib.util.find_spec(f"{app_name}.tasks") is not None:
            importlib.import_module(f"{app_name}.tasks")
    return {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in settings.LOCAL_APPS
    }


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "backlight.example.com",
        "DATABASE_URL": "postgres://backlight@db.internal:5432/backlight",
        "REDIS_URL": "redis://cache.internal:6379/0",
    }
    env.update(overrides)
    return env


# --- production refuses to start on defaults --------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without(missing):
    # Given production settings with one required variable left out
    env = production_env()
    del env[missing]

    # When Django starts
    result = run_python("import django; django.setup()", clean_env(**env))

    # Then it stops with ImproperlyConfigured naming the variable
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_passes_the_deploy_checks():
    # Given production settings with a long random key and real hosts
    env = clean_env(**production_env())

    # When Django's deployment checklist runs, warnings counted as failures
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_is_not_debug_and_uses_the_given_key_and_hosts():
    env = production_env()

    snapshot = settings_snapshot(**env)

    assert snapshot["debug"] is False
    assert snapshot["secret_key"] == env["DJANGO_SECRET_KEY"]
    assert snapshot["allowed_hosts"] == ["backlight.example.com"]


def test_only_local_and_test_settings_carry_a_default_secret_key():
    production = (SETTINGS_DIR / "production.py").read_text()
    base = (SETTINGS_DIR / "base.py").read_text()

    assert re.search(r"SECRET_KEY\s*=\s*env\.str\(\s*\"DJANGO_SECRET_KEY\"\s*\)", production)
    assert "SECRET_KEY" not in base


# --- embedded default and the switch to PostgreSQL + Redis -----------------------------------


def test_embedded_default_is_sqlite_eager_celery_and_locmem():
    # Given no DATABASE_URL and no REDIS_URL
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}

    # When the settings load
    snapshot = settings_snapshot(**env)

    # Then Backlight runs embedded: SQLite under var/, tasks in-process, a local-memory cache
    assert snapshot["db_engine"] == "django.db.backends.sqlite3"
    assert snapshot["db_name"] == str(BASE_DIR / "var" / "backlight.sqlite3")
    assert snapshot["task_always_eager"] is True
    assert snapshot["broker_url"] == "memory://"
    assert snapshot["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    # Given both URLs
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": "postgres://backlight:pw@db.internal:5432/backlight",
        "REDIS_URL": "redis://cache.internal:6379/2",
    }

    # When the settings load
    snapshot = settings_snapshot(**env)

    # Then the database is PostgreSQL and Celery and the cache use Redis, tasks go to the broker
    assert snapshot["db_engine"] == "django.db.backends.postgresql"
    assert (snapshot["db_name"], snapshot["db_host"], snapshot["db_user"]) == (
        "backlight",
        "db.internal",
        "backlight",
    )
    assert snapshot["broker_url"] == "redis://cache.internal:6379/2"
    assert snapshot["result_backend"] == "redis://cache.internal:6379/2"
    assert snapshot["task_always_eager"] is False
    assert snapshot["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    assert snapshot["cache_location"] == "redis://cache.internal:6379/2"


def test_database_url_alone_keeps_celery_embedded():
    snapshot = settings_snapshot(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL="postgres://backlight@db.internal:5432/backlight",
    )

    assert snapshot["db_engine"] == "django.db.backends.postgresql"
    assert snapshot["task_always_eager"] is True
    assert snapshot["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"


def test_test_settings_run_tasks_in_process_even_with_a_broker():
    # The integration tests start their own worker and turn eager mode off themselves.
    snapshot = settings_snapshot(
        DJANGO_SETTINGS_MODULE="config.settings.test", REDIS_URL="redis://cache.internal:6379/0"
    )

    assert snapshot["task_always_eager"] is True
    assert snapshot["broker_url"] == "redis://cache.internal:6379/0"


# --- Celery ------------------------------------------------------------------------------------


def test_celery_speaks_json_only():
    conf = celery_app.conf

    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"


def test_celery_acknowledges_late_and_hands_back_tasks_of_a_lost_worker():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_celery_time_limits_are_set_and_redelivery_waits_past_them():
    conf = celery_app.conf

    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    # The reaper must not fail a run that a live worker could still be running.
    assert settings.BACKLIGHT_RUN_STALE_AFTER > timedelta(seconds=conf.task_time_limit)


def test_celery_queues_are_default_ingest_nlp_ml():
    assert tuple(settings.CELERY_QUEUE_NAMES) == ("default", "ingest", "nlp", "ml")
    assert celery_app.conf.task_default_queue == "default"


def test_every_backlight_task_goes_to_a_queue_that_a_worker_consumes():
    ours = backlight_tasks()

    assert "insights.tasks.stale_runs_reap" in ours
    for name, task in ours.items():
        assert task.queue in settings.CELERY_QUEUE_NAMES, name


def test_beat_schedule_runs_the_reaper():
    tasks = backlight_tasks()
    schedule = celery_app.conf.beat_schedule
    reapers = [
        entry for entry in schedule.values() if entry["task"] == "insights.tasks.stale_runs_reap"
    ]

    assert len(reapers) == 1
    assert "insights.tasks.stale_runs_reap" in tasks
    interval = reapers[0]["schedule"]
    assert timedelta(0) < interval <= timedelta(minutes=15)


def test_settings_env_reads_finds_the_variables_that_matter():
    # Guards the regex that tests/test_compose.py relies on.
    names = settings_env_reads()

    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= names
