"""Benchmark: the executive report and the product dashboard, 50 users at once, on 1M feedback rows.

Bar (issue #6): with 1,000,000 feedback rows and 50 concurrent users, p95 ≤ 300 ms server-side
and no errors. Side by side in the same run, the baseline: the reports page as it was before
metric snapshots, which counts 24 months of raw feedback on every request (`scores_by_month`, see
bench/support/dashboard_urls.py); the figure quoted is the ratio of the two p95s.

What it does:

1. Seeds a separate PostgreSQL database (dropped and recreated; `--reuse` keeps a seeded one):
   2,000 accounts across segments, plans and regions, 24 months of usage, 25 ranked pain points,
   and `--rows` feedback over the last 24 months written with COPY (scores, sentiment, themes,
   sources in realistic shares; texts from the demo's generator). The full-text index is
   dropped for the load and built again after it, as a bulk load does.
2. Computes the metric snapshots with the product's service (`metric_snapshots_compute`), timed.
3. Starts gunicorn (`--workers`, sync) with Backlight's production settings
   (bench/support/dashboard_settings.py: PostgreSQL, the Redis cache, DEBUG off, collected
   static files, secure cookies; only the HTTPS redirect is off) and an access log that records
   each request's time in the server (gunicorn's %(D)s, microseconds from the request read to
   the response written: queueing before a worker accepts is not in it).
4. Signs in `--users` people through the login form (four executives for every product manager).
5. Warm-up: one request per page and filter set, timed apart ("cold": the first request after a
   snapshot computation builds the cached page).
6. Per run (`--runs`): every user at once, `--requests` requests each, alternating the executive
   report and the product dashboard (four filter sets: none, surveys, SMB accounts, enterprise
   support tickets); then the baseline page, `--baseline-requests` requests per user, all users
   (or `--baseline-users`) at once.

Prints one JSON object (server-side p50/p95/p99 from the access log, client-side too, errors,
ratios); figures go to bench/RESULTS.md by hand.

    .venv/bin/python bench/dashboard_load.py [--rows 1000000] [--users 50] [--requests 20]
        [--runs 3] [--baseline-requests 1] [--baseline-users 50] [--workers 4] [--reuse]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backlight_dashboard_bench) and REDIS_URL
(default redis://127.0.0.1:6379/12; keys under their own prefix, nothing is flushed). Loopback
only; the whole benchmark stops itself after TIME_LIMIT.
"""

import argparse
import datetime as dt
import http.client
import io
import json
import math
import os
import platform
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ROOT / "bench" / "support"
OUT_DIR = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(SUPPORT))

from import_qualtrics import recreate_database  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/backlight_dashboard_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
HOST = "127.0.0.1"
SEED = 20261128
ACCOUNTS = 2_000
THEMES = 25
MONTHS = 24
PASSWORD = "bench-dashboard-pass-9f3e"  # noqa: S105 (local bench users only)
P95_BAR_MS = 300.0
TIME_LIMIT = 60 * 60
REQUEST_TIMEOUT = 300
COPY_CHUNK = 100_000
EXECUTIVE = "/reports/executive/"
DASHBOARD = "/reports/dashboard/"
BASELINE = "/bench/baseline-report/"
DASHBOARD_FILTERS = ("", "source=survey", "segment=smb", "source=support_ticket&segment=enterprise")
SEARCH_INDEX = "insights_feedback_redacted_search"
SEARCH_INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON insights_feedback USING gin "
    "(to_tsvector('english'::regconfig, COALESCE(redacted_text, '')))"
)
FEEDBACK_COLUMNS = (
    "text",
    "redacted_text",
    "source",
    "channel",
    "question",
    "received_at",
    "customer_id",
    "nps",
    "csat",
    "ces",
    "sentiment",
    "sentiment_label",
    "theme_id",
    "theme_pinned",
    "language",
    "text_version",
    "sentiment_version",
    "external_id",
    "content_hash",
    "metadata",
    "created_at",
    "updated_at",
)


class BenchError(Exception):
    pass


def main() -> int:
    args = _arguments()
    deadline = time.monotonic() + TIME_LIMIT
    env = _environment(args)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    setup: dict = {}

    os.environ.update(env)
    seeded = args.reuse and _database_seeded(env["DATABASE_URL"], args.rows)
    if not seeded:
        recreate_database(env["DATABASE_URL"])
    _run([sys.executable, "manage.py", "migrate", "--noinput"], env=env)
    import django

    django.setup()
    if not seeded:
        setup["seed_seconds"] = _seed(rows=args.rows)
    setup["snapshots_seconds"], setup["snapshots"] = _snapshots_compute()
    _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=env)
    users = _users(args.users)

    port = _free_port()
    log_path = OUT_DIR / "dashboard_load.access.log"
    log_path.write_text("")
    server_log = (OUT_DIR / "dashboard_load.gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            f"--workers={args.workers}",
            f"--bind={HOST}:{port}",
            f"--timeout={REQUEST_TIMEOUT}",
            "--backlog=2048",
            f"--access-logfile={log_path}",
            "--access-logformat=%(m)s %(U)s %(s)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port)
        sessions = _sign_in(port, users)
        cold = _warm_up(sessions[0], log_path)
        runs = []
        for number in range(1, args.runs + 1):
            if time.monotonic() > deadline:
                raise BenchError(f"time limit of {TIME_LIMIT} s reached")
            pages = _phase(sessions, log_path, requests=args.requests, pages=_pages)
            baseline = _phase(
                sessions[: args.baseline_users or len(sessions)],
                log_path,
                requests=args.baseline_requests,
                pages=lambda user, index: BASELINE,
            )
            runs.append(_compare(pages, baseline))
            print(f"run {number}: {json.dumps(runs[-1]['summary'])}", file=sys.stderr)
    except BenchError as error:
        print(f"Benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    print(json.dumps(_report(args, env, setup, cold, runs, load_before), indent=2))
    return 0


# ------------------------------------------------------------------------------------------------
# Set-up
# ------------------------------------------------------------------------------------------------


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="feedback rows to seed")
    parser.add_argument("--users", type=int, default=50, help="concurrent signed-in users")
    parser.add_argument("--requests", type=int, default=20, help="page requests per user and run")
    parser.add_argument("--baseline-requests", type=int, default=1, help="per user and run")
    parser.add_argument(
        "--baseline-users",
        type=int,
        default=None,
        help="users at once on the baseline (default all; it keeps every worker busy from"
        " --workers users on, and each of its requests takes seconds)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args()
    if not (1_000 <= args.rows <= 5_000_000 and 1 <= args.users <= 200 and 1 <= args.runs <= 10):
        parser.error("keep it bounded: --rows 1k..5M, --users 1..200, --runs 1..10")
    if not (1 <= args.requests <= 200 and 0 <= args.baseline_requests <= 20):
        parser.error("--requests 1..200, --baseline-requests 0..20")
    return args


def _environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    if not env["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("This benchmark runs against PostgreSQL: set DATABASE_URL=postgres://…")
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(SUPPORT)]),
        DJANGO_SECRET_KEY="bench-dashboard-only-not-a-secret-5d1c7e2a9b",  # noqa: S106
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_LOG_LEVEL="WARNING",
        BACKLIGHT_VAR_DIR=str(OUT_DIR / "dashboard_var"),
    )
    return env


def _run(command: list[str], *, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _database_seeded(url: str, rows: int) -> bool:
    parts = urllib.parse.urlsplit(url)
    result = subprocess.run(
        [
            "psql",
            "-h",
            parts.hostname,
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username,
            "-d",
            parts.path.lstrip("/"),
            "-tAc",
            "SELECT count(*) FROM insights_feedback",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == str(rows)


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _seed(*, rows: int) -> float:
    """Accounts, usage, pain points and `rows` feedback; returns the seconds it took."""
    from django.db import connection
    from django.utils import timezone

    from insights.demo_text import PAIN_POINTS, comment_compose
    from insights.models import Customer, Plan, Region, Segment, Theme, UsageSnapshot

    started = time.perf_counter()
    rng = random.Random(SEED)
    today = timezone.localdate()
    customers = Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"BENCH-{n:05d}",
                name=f"Bench account {n}",
                domain=f"bench{n}.example",
                segment=rng.choices(Segment.values, weights=(6, 3, 1))[0],
                plan=rng.choice(Plan.values),
                region=rng.choice(Region.values),
                arr=Decimal(rng.randint(2, 300) * 1000),
                seats=rng.randint(5, 500),
                customer_since=dt.date(2022, 1, 1),
            )
            for n in range(ACCOUNTS)
        ],
        batch_size=1000,
    )
    features = ("export", "dashboards", "search", "alerts", "api", "sso")
    months = [
        dt.date(
            (today.year * 12 + today.month - 1 - back) // 12, (today.month - back - 1) % 12 + 1, 1
        )
        for back in range(MONTHS)
    ]
    usage = []
    for customer in customers:
        active = rng.randint(5, 200)
        for month in months:
            attempts = rng.randint(50, 2000)
            usage.append(
                UsageSnapshot(
                    customer=customer,
                    period=month,
                    active_users=active,
                    feature_adoption={f: rng.randint(0, active) for f in features},
                    task_attempts=attempts,
                    task_successes=int(attempts * rng.uniform(0.8, 0.99)),
                )
            )
    UsageSnapshot.objects.bulk_create(usage, batch_size=5000)
    pains = [pain.key for pain in PAIN_POINTS]
    themes = Theme.objects.bulk_create(
        [
            Theme(
                label=f"{pains[n % len(pains)].replace('_', ' ')} {n}",
                keywords=[pains[n % len(pains)]],
                impact=100 - n * 3,
                emerging=n % 7 == 0,
                statistics={
                    "volume_90": 900 - n * 20,
                    "volume_30": rng.randint(50, 400),
                    "volume_previous_30": rng.randint(50, 400),
                },
            )
            for n in range(THEMES)
        ]
    )
    texts = [
        _copy_text(
            comment_compose(
                rng, tone=rng.choice(("pain", "praise", "generic")), pain_point=rng.choice(pains)
            )
        )
        for _ in range(500)
    ]
    sources = ("survey", "support_ticket", "review", "interview", "touchpoint", "api")
    source_weights = (60, 25, 5, 2, 3, 5)
    sentiments = (("negative", -0.6), ("neutral", 0.0), ("positive", 0.7), ("", None))
    theme_ids = [theme.pk for theme in themes]
    theme_weights = [1 / (rank + 1) for rank in range(len(theme_ids))]
    customer_ids = [customer.pk for customer in customers]
    now = timezone.now()
    span = MONTHS * 30 * 24 * 3600
    stamp = now.isoformat()
    columns = ", ".join(FEEDBACK_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    written = 0
    while written < rows:
        buffer = io.StringIO()
        for _ in range(min(COPY_CHUNK, rows - written)):
            text = rng.choice(texts)
            received = (now - dt.timedelta(seconds=rng.randrange(span))).isoformat()
            source = rng.choices(sources, weights=source_weights)[0]
            survey = source == "survey"
            nps = rng.choices(range(11), weights=(4, 2, 2, 3, 3, 4, 6, 10, 14, 20, 18))[0]
            label, score = rng.choices(sentiments, weights=(30, 30, 30, 10))[0]
            row = (
                text,
                text,
                source,
                "in-app" if survey else "",
                "What is the main reason for your score?" if survey else "",
                received,
                rng.choice(customer_ids) if rng.random() < 0.95 else None,
                nps if survey and rng.random() < 0.7 else None,
                rng.randint(1, 5) if rng.random() < 0.25 else None,
                rng.randint(1, 7) if rng.random() < 0.1 else None,
                None if score is None else round(score + rng.uniform(-0.3, 0.3), 3),
                label,
                rng.choices(theme_ids, weights=theme_weights)[0] if rng.random() < 0.7 else None,
                "f",
                "en",
                "",
                "",
                "",
                "",
                "{}",
                stamp,
                stamp,
            )
            buffer.write("\t".join(_copy_text(value) for value in row) + "\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY insights_feedback ({columns}) FROM STDIN", buffer, 8 << 20)
        written += min(COPY_CHUNK, rows - written)
        print(f"seed: {written:,} feedback rows", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute(SEARCH_INDEX_SQL)
        cursor.execute("VACUUM ANALYZE insights_feedback")
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"seed: {seconds:.0f} s", file=sys.stderr)
    return round(seconds, 1)


def _snapshots_compute() -> tuple[float, int]:
    from metrics.services import metric_snapshots_compute

    started = time.perf_counter()
    run = metric_snapshots_compute(force=True)
    seconds = time.perf_counter() - started
    if run is None:
        raise SystemExit("The snapshot computation did not run (another one holds the lock?)")
    print(f"snapshots: {seconds:.0f} s, {run.metrics.get('snapshots')} rows", file=sys.stderr)
    return round(seconds, 1), run.metrics.get("snapshots", 0)


def _users(count: int) -> list[str]:
    """Four executives for every product manager, created once with the bench password."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from insights.roles import Role

    names = []
    model = get_user_model()
    groups = {role: Group.objects.get(name=role) for role in (Role.EXECUTIVE, Role.PRODUCT_MANAGER)}
    for n in range(count):
        role = Role.PRODUCT_MANAGER if n % 5 == 4 else Role.EXECUTIVE
        name = f"bench_{'pm' if role == Role.PRODUCT_MANAGER else 'exec'}_{n:03d}"
        user, created = model.objects.get_or_create(username=name)
        if created:
            user.set_password(PASSWORD)
            user.save()
        user.groups.add(groups[role])
        names.append(name)
    return names


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# ------------------------------------------------------------------------------------------------
# HTTP: one keep-alive connection per user, cookies by hand (production cookies are Secure, which
# a cookie jar would not send over the loopback's plain HTTP)
# ------------------------------------------------------------------------------------------------


class Session:
    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, float]:
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content, elapsed

    def sign_in(self) -> None:
        status, page, _ = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise BenchError(f"login page answered {status}")
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "username": self.username,
                "password": PASSWORD,
            }
        )
        status, _, _ = self.request("POST", "/accounts/login/", body)
        if status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"{self.username} could not sign in ({status})")


def _wait_until_up(port: int) -> None:
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": HOST})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError("gunicorn did not answer /healthz within 30 s")


def _in_threads(items: list, work) -> list:
    results: list = [None] * len(items)

    def run(index: int) -> None:
        results[index] = work(index, items[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _sign_in(port: int, users: list[str]) -> list[Session]:
    sessions = [Session(port, name) for name in users]
    errors = _in_threads(sessions, lambda i, session: _try(session.sign_in))
    failed = [error for error in errors if error]
    if failed:
        raise BenchError(f"{len(failed)} sign-ins failed: {failed[0]}")
    return sessions


def _try(func) -> str | None:
    try:
        func()
    except (BenchError, OSError, http.client.HTTPException) as error:
        return str(error)
    return None


# ------------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------------


def _pages(user: int, index: int) -> str:
    if index % 2 == 0:
        return EXECUTIVE
    query = DASHBOARD_FILTERS[(user + index // 2) % len(DASHBOARD_FILTERS)]
    return f"{DASHBOARD}?{query}" if query else DASHBOARD


def _server_times(log_path: Path, start: int) -> dict[str, list[float]]:
    """Milliseconds in the server per path, from the access log lines written after `start`."""
    times: dict[str, list[float]] = defaultdict(list)
    with log_path.open("rb") as log:
        log.seek(start)
        for line in log.read().decode().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == "GET":
                times[parts[1]].append(int(parts[3]) / 1000)
    return times


def _warm_up(session: Session, log_path: Path) -> dict:
    """The first request of each page after a computation: it builds the cached page."""
    start = log_path.stat().st_size
    cold = {}
    for path in [EXECUTIVE, *(f"{DASHBOARD}?{q}" if q else DASHBOARD for q in DASHBOARD_FILTERS)]:
        status, _, elapsed = session.request("GET", path)
        if status != 200:
            raise BenchError(f"warm-up: {path} answered {status}")
        cold[path] = {"client_ms": round(elapsed * 1000, 1)}
    status, _, elapsed = session.request("GET", BASELINE)
    if status != 200:
        raise BenchError(f"warm-up: {BASELINE} answered {status}")
    cold[BASELINE] = {"client_ms": round(elapsed * 1000, 1)}
    # gunicorn writes the access log line just after the response: let the last one land.
    time.sleep(0.5)
    server = _server_times(log_path, start)
    cold[EXECUTIVE]["server_ms"] = server[EXECUTIVE][0]
    cold[BASELINE]["server_ms"] = server[BASELINE][0]
    for index, ms in enumerate(server[DASHBOARD]):
        query = DASHBOARD_FILTERS[index]
        cold[f"{DASHBOARD}?{query}" if query else DASHBOARD]["server_ms"] = ms
    return cold


def _phase(sessions: list[Session], log_path: Path, *, requests: int, pages) -> dict:
    """Every session at once, `requests` requests each; client and server times, errors."""
    if requests == 0:
        return {}
    start = log_path.stat().st_size
    started = time.perf_counter()

    def work(user: int, session: Session) -> tuple[list[float], list[str]]:
        latencies, errors = [], []
        for index in range(requests):
            path = pages(user, index)
            try:
                status, _, elapsed = session.request("GET", path)
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{path}: {error}")
                continue
            latencies.append(elapsed * 1000)
            if status != 200:
                errors.append(f"{path}: {status}")
        return latencies, errors

    results = _in_threads(sessions, work)
    wall = time.perf_counter() - started
    time.sleep(0.5)
    server = _server_times(log_path, start)
    client = [ms for latencies, _ in results for ms in latencies]
    errors = [error for _, found in results for error in found]
    by_page = {path: _percentiles(times) for path, times in server.items()}
    all_server = [ms for times in server.values() for ms in times]
    return {
        "requests": len(sessions) * requests,
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_seconds": round(wall, 1),
        "requests_per_second": round(len(client) / wall, 1),
        "server_ms": _percentiles(all_server),
        "server_ms_by_page": by_page,
        "client_ms": _percentiles(client),
    }


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def rank(share: float) -> float:
        return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)

    return {"n": len(ordered), "p50": rank(0.5), "p95": rank(0.95), "p99": rank(0.99)}


def _compare(pages: dict, baseline: dict) -> dict:
    p95 = pages["server_ms"]["p95"]
    base_p95 = baseline.get("server_ms", {}).get("p95")
    return {
        "summary": {
            "pages_server_p95_ms": p95,
            "pages_errors": pages["errors"],
            "baseline_server_p95_ms": base_p95,
            "baseline_errors": baseline.get("errors"),
            "baseline_vs_pages_p95": round(base_p95 / p95, 1) if base_p95 and p95 else None,
            "bar_met": p95 <= P95_BAR_MS and pages["errors"] == 0,
        },
        "pages": pages,
        "baseline": baseline,
    }


def _report(args, env, setup, cold, runs, load_before) -> dict:
    def median(key: str):
        values = sorted(run["summary"][key] for run in runs if run["summary"][key] is not None)
        return values[len(values) // 2] if values else None

    return {
        "benchmark": "dashboard_load",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "node": platform.node(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "commit": _commit(),
        "database": env["DATABASE_URL"].rsplit("@", 1)[-1],
        "parameters": vars(args),
        "setup": setup,
        "cold_first_requests": cold,
        "median_over_runs": {
            key: median(key)
            for key in (
                "pages_server_p95_ms",
                "baseline_server_p95_ms",
                "baseline_vs_pages_p95",
            )
        },
        "errors_total": sum(
            r["summary"]["pages_errors"] + (r["summary"]["baseline_errors"] or 0) for r in runs
        ),
        "bar_p95_ms": P95_BAR_MS,
        "bar_met_every_run": all(run["summary"]["bar_met"] for run in runs),
        "runs": runs,
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
