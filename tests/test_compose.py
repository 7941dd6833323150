"""docker-compose.yml and the Dockerfile agree with the settings and the Celery app.

No Docker engine runs here, so the files are parsed and checked against the code they start: every
variable the compose file sets is one the settings read, the Celery commands name the real app and
together consume exactly the configured queues, and the gunicorn target imports under production
settings with the compose environment.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery_app import app as celery_app
from tests.test_settings import clean_env, run_python, settings_env_reads, settings_snapshot

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"

APP_SERVICES = ("web", "worker", "worker-ml", "beat")
WORKER_SERVICES = ("worker", "worker-ml")
# Read by Django and Celery themselves (manage.py, config/wsgi.py, config/celery_app.py) before
# any settings module loads; every other variable must be one that config/settings/*.py reads.
BOOTSTRAP_ENV = {"DJANGO_SETTINGS_MODULE"}
# What `docker compose` would be given on the command line for the ${VAR:?…} references.
OPERATOR_ENV = {
    "DJANGO_SECRET_KEY": "compose-test-key-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "backlight.example.com",
}

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and $$."""

    def replace(match: re.Match) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        if name in env and (env[name] != "" or op in (None, "-", "?")):
            return env[name]
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise AssertionError(f"compose needs {name}: {arg}")
        return ""

    return _INTERPOLATION.sub(replace, value).replace("$$", "$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def service_env(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: interpolate(str(value), OPERATOR_ENV) for key, value in environment.items()}


def command_argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def shell_steps(argv: list[str]) -> list[list[str]]:
    """`sh -c "a && exec b"` → [["a"], ["b"]]; a plain argv is one step."""
    if argv[:2] == ["sh", "-c"]:
        steps = [shlex.split(step) for step in argv[2].split("&&")]
        return [step[1:] if step[:1] == ["exec"] else step for step in steps]
    return [argv]


def option(argv: list[str], *names: str) -> str | None:
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


# --- services ---------------------------------------------------------------------------------


def test_every_service_is_there(services):
    assert set(services) >= {"postgres", "redis", *APP_SERVICES}
    assert str(services["postgres"]["image"]).startswith("postgres:15")
    assert str(services["redis"]["image"]).startswith("redis:7")


@pytest.mark.parametrize("name", ["postgres", "redis", *APP_SERVICES])
def test_every_service_has_a_healthcheck(services, name):
    assert services[name].get("healthcheck", {}).get("test"), name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(services, name):
    depends_on = services[name]["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


# --- environment ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_set_is_one_the_settings_read(services, name):
    unknown = set(service_env(services[name])) - settings_env_reads() - BOOTSTRAP_ENV

    assert not unknown, f"{name} sets variables no settings module reads: {sorted(unknown)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_production_settings_on_postgres_and_redis(services, name):
    env = service_env(services[name])

    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["DJANGO_SECRET_KEY"] == OPERATOR_ENV["DJANGO_SECRET_KEY"]
    assert env["DJANGO_ALLOWED_HOSTS"]


def test_the_secret_key_has_no_default_in_compose(compose):
    # ${DJANGO_SECRET_KEY:?…}: compose refuses to start rather than run on a made-up key.
    with pytest.raises(AssertionError, match="DJANGO_SECRET_KEY"):
        interpolate(str(compose["x-backlight-env"]["DJANGO_SECRET_KEY"]), {})


def test_the_database_url_matches_the_postgres_service(services):
    postgres = {
        key: interpolate(str(value), OPERATOR_ENV)
        for key, value in services["postgres"]["environment"].items()
    }
    url = service_env(services["web"])["DATABASE_URL"]

    assert url == (
        f"postgres://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )


def test_the_compose_environment_gives_postgresql_redis_and_the_shared_media(services):
    # Given the web service's environment
    env = service_env(services["web"])

    # When the settings load with it
    snapshot = settings_snapshot(**env)

    # Then Django and Celery use the compose services, and media sits on the shared volume
    assert snapshot["db_engine"] == "django.db.backends.postgresql"
    assert (snapshot["db_host"], snapshot["db_name"]) == ("postgres", "backlight")
    assert snapshot["broker_url"] == env["REDIS_URL"]
    assert snapshot["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    assert snapshot["task_always_eager"] is False
    assert snapshot["debug"] is False
    media_mounts = {
        volume.split(":")[1]: volume.split(":")[0]
        for volume in services["web"]["volumes"]
        if volume.split(":")[0] == "media"
    }
    assert snapshot["media_root"] in media_mounts


def test_web_and_workers_share_the_media_volume(compose, services):
    mounts = {
        name: {
            volume for volume in services[name].get("volumes", []) if volume.startswith("media:")
        }
        for name in ("web", *WORKER_SERVICES)
    }

    assert "media" in compose["volumes"]
    assert len({frozenset(volumes) for volumes in mounts.values()}) == 1
    assert mounts["web"], "web mounts no media volume"


# --- commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*WORKER_SERVICES, "beat"])
def test_celery_commands_point_at_the_real_app(services, name):
    argv = command_argv(services[name])

    assert argv[0] == "celery"
    app_module = option(argv, "-A", "--app")
    assert app_module == "config.celery_app"
    assert (BASE_DIR / (app_module.replace(".", "/") + ".py")).exists()
    assert celery_app.main == "backlight"


def test_the_workers_consume_exactly_the_configured_queues(services):
    consumed = []
    for name in WORKER_SERVICES:
        argv = command_argv(services[name])
        assert "worker" in argv, name
        consumed.extend(option(argv, "-Q", "--queues").split(","))

    assert sorted(consumed) == sorted(settings.CELERY_QUEUE_NAMES)
    assert len(consumed) == len(set(consumed)), "a queue is consumed by two worker services"


def test_the_ml_worker_fits_one_model_at_a_time(services):
    argv = command_argv(services["worker-ml"])

    assert option(argv, "-Q", "--queues") == "ml"
    assert option(argv, "-c", "--concurrency") == "1"


def test_there_is_one_beat(services):
    beats = [
        name
        for name, service in services.items()
        if "command" in service and "beat" in command_argv(service)
    ]

    assert beats == ["beat"]


def test_web_migrates_then_serves_the_wsgi_application(services):
    steps = shell_steps(command_argv(services["web"]))

    assert steps[0][-3:] == ["manage.py", "migrate", "--noinput"]
    assert steps[-1][0] == "gunicorn"
    assert steps[-1][1] == "config.wsgi:application"
    assert option(steps[-1], "--bind", "-b") == "0.0.0.0:8000"
    assert "8000:8000" in services["web"]["ports"]


def test_the_gunicorn_target_imports_under_production_settings(services):
    # Given the compose environment, when config.wsgi loads in a fresh process
    env = clean_env(**service_env(services["web"]))
    code = "import json, config.wsgi; print(json.dumps(type(config.wsgi.application).__name__))"
    result = run_python(code, env)

    # Then it gives Django's WSGI handler
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == "WSGIHandler"


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_cmd_serves_the_same_target_as_compose(services):
    instructions = dockerfile_instructions()
    cmd = json.loads(next(rest for keyword, rest in instructions if keyword == "CMD"))
    web = shell_steps(command_argv(services["web"]))[-1]

    assert not [rest for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    assert cmd[:2] == web[:2] == ["gunicorn", "config.wsgi:application"]
    assert option(cmd, "--bind", "-b") == option(web, "--bind", "-b")
    port = option(cmd, "--bind", "-b").rsplit(":", 1)[1]
    assert ("EXPOSE", port) in instructions


def test_dockerfile_builds_from_python_311_with_pins_static_and_a_non_root_user():
    instructions = dockerfile_instructions()
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    users = [rest for keyword, rest in instructions if keyword == "USER"]

    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert "-c requirements/constraints.txt" in runs
    assert "collectstatic --noinput" in runs
    assert "config.settings.production" in runs
    assert users
    assert users[-1] not in ("root", "0")


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {
        line.strip()
        for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {".git", ".venv", "var"} <= ignored
