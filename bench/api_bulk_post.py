"""Benchmark: feedback through POST /api/feedback/, in batches of 1,000 against one by one.

Starts Backlight under gunicorn (2 workers) on 127.0.0.1 against PostgreSQL, creates an admin
token, then for each run:

- bulk: REQUESTS sequential requests of BATCH distinct items each (realistic survey comments and
  support tickets from `insights.demo_text`; some with a known contact's email, some with an
  unknown address at a known account's domain, some with a public address, some without);
- baseline, side by side: the same kind of items posted one per request, for the first
  BASELINE_ITEMS only, extrapolated to the bulk run's item count.

It prints the figures as JSON: per-request latency (p50/p95/max, nearest rank) and items/s for
both, and the ratio. The bar is p95 ≤ 2 s per 1,000-item request.

    .venv/bin/python bench/api_bulk_post.py [--runs 3] [--requests 50] [--batch 1000]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backlight_bench) is migrated first. Every
run posts new items (their received_at is taken from the clock), so repeated runs measure inserts,
not duplicates. Only loopback traffic; the whole benchmark stops itself after TIME_LIMIT.
"""

import argparse
import datetime as dt
import http.client
import json
import math
import os
import platform
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = BASE_DIR / "bench" / "out"
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backlight_bench"
HOST = "127.0.0.1"
WORKERS = 2
SEED = 20260301
ACCOUNTS = 200
TIME_LIMIT = 20 * 60  # seconds, for the whole benchmark
REQUEST_TIMEOUT = 120  # seconds, for one request
P95_BAR = 2.0  # seconds per 1,000-item request
BENCH_USER = "bench_api_admin"


class BenchError(Exception):
    pass


def main() -> int:
    args = _arguments()
    deadline = time.monotonic() + TIME_LIMIT
    env = _environment()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "manage.py", "migrate", "--noinput"], env=env)
    token = _admin_token(env)
    port = _free_port()
    log = (OUT_DIR / "api_bulk_post.gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            f"--workers={WORKERS}",
            f"--bind={HOST}:{port}",
            f"--timeout={REQUEST_TIMEOUT}",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        client = Client(port=port, token=token, deadline=deadline)
        client.wait_until_up()
        _accounts_upsert(client)
        _warm_up(client)
        runs = []
        for number in range(1, args.runs + 1):
            bulk = _bulk(client, requests=args.requests, batch=args.batch, run=number)
            single = _one_by_one(client, items=args.baseline_items, run=number)
            runs.append(_compare(bulk, single, items=args.requests * args.batch))
            print(f"run {number}: {json.dumps(runs[-1])}", file=sys.stderr)
    except BenchError as error:
        print(f"Benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    print(json.dumps(_report(args, env, runs), indent=2))
    return 0


# ------------------------------------------------------------------------------------------------
# Set-up
# ------------------------------------------------------------------------------------------------


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50, help="bulk requests per run")
    parser.add_argument("--batch", type=int, default=1000, help="items per bulk request")
    parser.add_argument(
        "--baseline-items", type=int, default=2000, help="items posted one by one per run"
    )
    args = parser.parse_args()
    if not (1 <= args.batch <= 1000 and 1 <= args.requests <= 200 and 1 <= args.runs <= 10):
        parser.error("keep it bounded: --batch 1..1000, --requests 1..200, --runs 1..10")
    if not 1 <= args.baseline_items <= 5000:
        parser.error("--baseline-items 1..5000")
    return args


def _environment() -> dict[str, str]:
    """The app as deployed, minus what production needs for the outside world: DEBUG off,
    PostgreSQL, in-process tasks (nothing here enqueues), loopback only."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not env["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("This benchmark runs against PostgreSQL: set DATABASE_URL=postgres://…")
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def _run(command: list[str], *, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _admin_token(env: dict[str, str]) -> str:
    """A user in the Admin role and their API token (created once, reused by later runs)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from insights.roles import Role

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    user.groups.add(Group.objects.get(name=Role.ADMIN))
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Client:
    """Keep-alive HTTP to the local server, JSON in and out, every request timed."""

    def __init__(self, *, port: int, token: str, deadline: float) -> None:
        self.port = port
        self.token = token
        self.deadline = deadline
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def wait_until_up(self) -> None:
        for _ in range(100):
            try:
                self.connection.request("GET", "/healthz")
                response = self.connection.getresponse()
                response.read()
                if response.status == 200:
                    return
            except OSError:
                self.connection.close()
            time.sleep(0.2)
        raise BenchError("gunicorn did not answer /healthz within 20 s")

    def post(self, path: str, body) -> tuple[float, int, dict]:
        if time.monotonic() > self.deadline:
            raise BenchError(f"time limit of {TIME_LIMIT} s reached")
        payload = json.dumps(body).encode()
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        self.connection.request("POST", path, body=payload, headers=headers)
        response = self.connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
        if response.status >= 300:
            raise BenchError(f"POST {path} answered {response.status}: {answer[:500]!r}")
        return elapsed, response.status, json.loads(answer)


def _accounts_upsert(client: Client) -> None:
    """Accounts and contacts to match against, the same every time (an upsert)."""
    accounts = [
        {
            "external_id": f"BENCH-{n:04d}",
            "name": f"Bench account {n}",
            "domain": f"bench{n}.example",
            "segment": ("smb", "mid_market", "enterprise")[n % 3],
            "seats": 10 + n,
            "contacts": [
                {"email": f"user{k}@bench{n}.example", "name": f"User {k}"} for k in range(3)
            ],
        }
        for n in range(ACCOUNTS)
    ]
    client.post("/api/customers/", accounts)


def _warm_up(client: Client) -> None:
    """A few small requests first, so that both workers have loaded the app and connected."""
    for item in _items(count=8, seed=SEED - 1, tag="warm-up"):
        client.post("/api/feedback/", item)


# ------------------------------------------------------------------------------------------------
# The measurements
# ------------------------------------------------------------------------------------------------


def _items(*, count: int, seed: int, tag: str) -> list[dict]:
    """`count` distinct items. The words come from the seed; received_at from the clock, which
    makes every call's items new to the database."""
    from insights.demo_text import PAIN_POINTS, comment_compose, ticket_compose

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    pains = [pain.key for pain in PAIN_POINTS]
    items = []
    for n in range(count):
        account = rng.randrange(ACCOUNTS)
        who = rng.random()
        if who < 0.4:
            email = f"user{rng.randrange(3)}@bench{account}.example"  # a known contact
        elif who < 0.6:
            email = f"someone{n}@bench{account}.example"  # the account's domain
        elif who < 0.7:
            email = f"someone{n}@gmail.com"  # says nothing about the account
        else:
            email = ""
        item = {
            "received_at": (now - dt.timedelta(seconds=n)).isoformat(),
            "email": email,
            "metadata": {"bench": tag},
        }
        if rng.random() < 0.3:
            item["source"] = "support_ticket"
            item["text"] = ticket_compose(
                rng,
                pain_point=rng.choice([*pains, None]),
                requester="Sam Doe",
                requester_email=email or "sam@example.com",
            )
            item["external_id"] = f"{tag}-T{n}"
        else:
            item["source"] = "survey"
            tone = rng.choice(("pain", "pain", "mixed", "praise", "generic"))
            pain = rng.choice(pains) if tone in ("pain", "mixed") else None
            item["text"] = comment_compose(rng, tone=tone, pain_point=pain)
            item["nps"] = rng.randint(0, 10)
            item["question"] = "What is the main reason for your score?"
            item["channel"] = "in-app NPS"
        items.append(item)
    return items


def _bulk(client: Client, *, requests: int, batch: int, run: int) -> dict:
    items = _items(count=requests * batch, seed=SEED, tag=f"bulk-{run}-{time.time_ns()}")
    latencies, created = [], 0
    for start in range(0, len(items), batch):
        elapsed, _, answer = client.post("/api/feedback/", items[start : start + batch])
        latencies.append(elapsed)
        created += answer["created"]
    if created != len(items):
        raise BenchError(f"bulk: {created} of {len(items)} items were created")
    return {"requests": requests, "items": len(items), **_latency(latencies, items=len(items))}


def _one_by_one(client: Client, *, items: int, run: int) -> dict:
    singles = _items(count=items, seed=SEED, tag=f"single-{run}-{time.time_ns()}")
    latencies, created = [], 0
    for item in singles:
        elapsed, _, answer = client.post("/api/feedback/", item)
        latencies.append(elapsed)
        created += answer["created"]
    if created != len(singles):
        raise BenchError(f"one by one: {created} of {len(singles)} items were created")
    return {"requests": len(singles), "items": len(singles), **_latency(latencies, items=items)}


def _latency(latencies: list[float], *, items: int) -> dict:
    ordered = sorted(latencies)

    def rank(share: float) -> float:
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    total = sum(latencies)
    return {
        "seconds": round(total, 3),
        "latency_p50_s": round(rank(0.50), 4),
        "latency_p95_s": round(rank(0.95), 4),
        "latency_max_s": round(ordered[-1], 4),
        "items_per_s": round(items / total, 1),
    }


def _compare(bulk: dict, single: dict, *, items: int) -> dict:
    return {
        "bulk": bulk,
        "one_by_one": {
            **single,
            "extrapolated_seconds_for_bulk_items": round(items / single["items_per_s"], 1),
        },
        "speed_up": round(bulk["items_per_s"] / single["items_per_s"], 1),
        "p95_within_bar": bulk["latency_p95_s"] <= P95_BAR,
    }


def _report(args: argparse.Namespace, env: dict[str, str], runs: list[dict]) -> dict:
    def median(path: tuple[str, str]) -> float:
        values = sorted(run[path[0]][path[1]] for run in runs)
        return values[len(values) // 2]

    def spread(path: tuple[str, str]) -> list[float]:
        values = [run[path[0]][path[1]] for run in runs]
        return [min(values), max(values)]

    keys = [
        ("bulk", "latency_p50_s"),
        ("bulk", "latency_p95_s"),
        ("bulk", "latency_max_s"),
        ("bulk", "items_per_s"),
        ("one_by_one", "latency_p50_s"),
        ("one_by_one", "latency_p95_s"),
        ("one_by_one", "items_per_s"),
    ]
    speed_ups = sorted(run["speed_up"] for run in runs)
    return {
        "benchmark": "api_bulk_post",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "database": env["DATABASE_URL"].rsplit("@", 1)[-1],
            "gunicorn_workers": WORKERS,
        },
        "commit": _commit(),
        "seed": SEED,
        "parameters": {
            "runs": args.runs,
            "bulk_requests": args.requests,
            "batch": args.batch,
            "baseline_items": args.baseline_items,
        },
        "median_over_runs": {f"{a}.{b}": median((a, b)) for a, b in keys},
        "spread_over_runs": {f"{a}.{b}": spread((a, b)) for a, b in keys},
        "speed_up_median": speed_ups[len(speed_ups) // 2],
        "p95_bar_s": P95_BAR,
        "p95_within_bar_every_run": all(run["p95_within_bar"] for run in runs),
        "runs": runs,
    }


def _commit() -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
