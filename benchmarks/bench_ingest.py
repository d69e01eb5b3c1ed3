"""Benchmark the bulk event ingest end to end: gunicorn + PostgreSQL on this machine.

    .venv/bin/python benchmarks/bench_ingest.py [--bulk-requests 30] [--single-requests 2000]

It creates (drops first) a PostgreSQL database of its own, migrates it, makes a workspace, an
API key, channels, a tracking plan and 1,000 contacts, starts
`gunicorn mos.wsgi -w 2 -b 127.0.0.1:<port>` with DEBUG off and a very high rate limit, then
posts from a few client threads over loopback only:

1. bulk: N requests of 10,000 events each (half with a known contact, half anonymous, each
   with a sender id) → events/s sustained, p50/p95 latency per request;
2. single: M requests of one event each → requests/s, p50/p95.

Every loop is bounded in count and in time (--max-seconds per phase); gunicorn is stopped at
the end. Goal (issue): ≥ 20,000 events/s with 10,000-row requests, ≥ 200 single requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shlex
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

SETUP = r"""
import django, json
django.setup()
from mos import services
from mos.actors import Actor
from mos.models import Membership, User
from crm.models import Contact, TrackedEvent
from crm.channels.services import ensure_default_channels
user = User.objects.create_user(email="bench@example.com", password="bench-password-123")
ws = services.workspace_create(user=user, name="Bench")
actor = Actor.for_member(Membership.objects.get(user=user, workspace=ws))
_key, secret = services.api_key_create(actor=actor, name="bench", scope="write")
ensure_default_channels(ws)
TrackedEvent.objects.bulk_create([
    TrackedEvent(workspace=ws, name="page_view", required_properties=["path"]),
    TrackedEvent(workspace=ws, name="signup", required_properties=["plan"]),
    TrackedEvent(workspace=ws, name="purchase", required_properties=["value", "currency"])])
Contact.objects.bulk_create([Contact(workspace=ws, external_id=f"cust-{i}",
                                     email=f"cust{i}@example.com") for i in range(1000)])
print(json.dumps({"secret": secret}))
"""


def sh(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, **kw)


def prepare_database(db_url: str, env: dict) -> str:
    """Drop and create the bench database, migrate it, seed it; returns the API secret."""
    import psycopg2

    u = urlparse(db_url)
    name = u.path.lstrip("/")
    admin = psycopg2.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432,
                             user=u.username or "postgres", password=u.password or None,
                             dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    sh([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    out = sh([PY, "-c", SETUP], env, capture_output=True).stdout
    return json.loads(out.strip().splitlines()[-1])["secret"]


def wait_up(port: int, proc, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def event_rows(n: int, rng: random.Random, start: datetime) -> list[dict]:
    names = ["page_view", "page_view", "signup", "purchase", "newsletter_open"]
    sources = ["google", "facebook", "newsletter", ""]
    rows = []
    for k in range(n):
        row = {"id": uuid.uuid4().hex, "name": rng.choice(names),
               "occurred_at": (start - timedelta(seconds=rng.randint(0, 86400 * 30))).isoformat(),
               "properties": {"path": f"/p/{rng.randint(1, 500)}"}}
        if k % 2:
            row["contact"] = f"cust-{rng.randrange(1000)}"
        else:
            row["anonymous_id"] = f"anon-{rng.randrange(10**9)}"
        if k % 3 == 0:
            row["channel"] = "paid_search"
        else:
            src = rng.choice(sources)
            if src:
                row["utm_source"] = src
                row["utm_medium"] = "cpc"
        rows.append(row)
    return rows


FIRST_FAILURE: list[str] = []


def run_phase(port: int, secret: str, bodies: list[bytes], concurrency: int,
              max_seconds: float) -> tuple[list[float], float, list[int], int]:
    """POST every body (bounded by max_seconds) from `concurrency` threads."""
    lock = threading.Lock()
    queue = list(reversed(bodies))
    latencies, statuses, errors = [], [], [0]
    first_failure = FIRST_FAILURE
    deadline = time.time() + max_seconds
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.time() < deadline:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/events/bulk", body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                status = resp.status
                if status != 200 and not first_failure:
                    first_failure.append(f"{status} {payload[:300]!r}")
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    errors[0] += 1
                continue
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0, statuses, errors[0]


def _cpu_seconds(pids) -> float:
    """utime + stime of these processes (Linux /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def server_pids(gunicorn_pid: int, db_url: str) -> tuple[list[int], list[int]]:
    """The gunicorn master and workers, and the PostgreSQL backends serving the bench DB."""
    workers = [gunicorn_pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == gunicorn_pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    import psycopg2

    u = urlparse(db_url)
    with psycopg2.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432,
                          user=u.username or "postgres", password=u.password or None,
                          dbname=u.path.lstrip("/")) as conn, conn.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")
        backends = [r[0] for r in cur.fetchall()]
    return workers, backends


class CpuSampler(threading.Thread):
    """Samples the CPU time of the gunicorn processes and of the bench DB's PostgreSQL
    backends every 0.5 s (backends come and go: Django recycles connections), so a phase's
    server CPU = the sum over processes of (last sample − first sample, or 0 if new)."""

    def __init__(self, gunicorn_pid: int, db_url: str):
        super().__init__(daemon=True)
        self.gunicorn_pid, self.db_url = gunicorn_pid, db_url
        self.first: dict = {}
        self.last: dict = {}
        self.stop_event = threading.Event()
        self.started_once = False

    def sample(self) -> None:
        web, db = server_pids(self.gunicorn_pid, self.db_url)
        for kind, pids in (("web", web), ("db", db)):
            for pid in pids:
                cpu = _cpu_seconds([pid])
                key = (kind, pid)
                # a process first seen after the phase started is counted from zero
                self.first.setdefault(key, cpu if not self.started_once else 0.0)
                self.last[key] = max(cpu, self.last.get(key, 0.0))
        self.started_once = True

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - sampling must never break the benchmark
                pass

    def totals(self) -> tuple[float, float]:
        self.stop_event.set()
        self.join(timeout=5)
        self.sample()
        out = {"web": 0.0, "db": 0.0}
        for key, last in self.last.items():
            out[key[0]] += last - self.first.get(key, 0.0)
        return out["web"], out["db"]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mos_bench"))
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--bulk-requests", type=int, default=30)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--single-requests", type=int, default=2000)
    ap.add_argument("--max-seconds", type=float, default=120, help="per phase")
    args = ap.parse_args()

    env = {**os.environ, "DATABASE_URL": args.database_url, "DEBUG": "false",
           "SECRET_KEY": "bench-" + uuid.uuid4().hex, "MOS_API_RATE": "1000000/min",
           "LOG_LEVEL": "WARNING", "SECURE_COOKIES": "false", "DJANGO_SETTINGS_MODULE":
           "mos.settings", "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    print("preparing database", args.database_url, flush=True)
    secret = prepare_database(args.database_url, env)

    if not args.port:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    print(f"building {args.bulk_requests} bodies of {args.rows} events …", flush=True)
    bulk_bodies = [json.dumps({"rows": event_rows(args.rows, rng, now)}).encode()
                   for _ in range(args.bulk_requests)]
    single_bodies = [json.dumps({"rows": event_rows(1, rng, now)}).encode()
                     for _ in range(args.single_requests)]

    cmd = [GUNICORN, "mos.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{args.port}",
           "--timeout", "120", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        wait_up(args.port, proc)
        # warm-up: each worker's first request pays imports and connection set-up
        run_phase(args.port, secret, single_bodies[:20], args.concurrency, 30)
        single_bodies = single_bodies[20:]

        sampler = CpuSampler(proc.pid, args.database_url)
        sampler.sample()
        sampler.start()
        load0 = load_average()
        lat, wall, st, errs = run_phase(args.port, secret, bulk_bodies, args.concurrency,
                                        args.max_seconds)
        web_cpu, db_cpu = sampler.totals()
        cpu0, cpu1 = (0.0, 0.0), (web_cpu, db_cpu)
        ok = sum(1 for s in st if s == 200)
        events = ok * args.rows
        server_cpu = web_cpu + db_cpu
        bulk = {"requests": len(st), "ok": ok, "errors": errs, "rows_per_request": args.rows,
                "events": events, "seconds": round(wall, 2),
                "events_per_s": round(events / wall), "p50_s": round(pct(lat, 50), 3),
                "p95_s": round(pct(lat, 95), 3),
                "web_cpu_s": round(cpu1[0] - cpu0[0], 2), "db_cpu_s": round(cpu1[1] - cpu0[1], 2),
                "events_per_server_cpu_s": round(events / server_cpu) if server_cpu else 0,
                "load_before": load0, "load_after": load_average()}

        sampler = CpuSampler(proc.pid, args.database_url)
        sampler.sample()
        sampler.start()
        load0 = load_average()
        lat, wall, st, errs = run_phase(args.port, secret, single_bodies, args.concurrency,
                                        args.max_seconds)
        web_cpu, db_cpu = sampler.totals()
        cpu0, cpu1 = (0.0, 0.0), (web_cpu, db_cpu)
        ok = sum(1 for s in st if s == 200)
        server_cpu = web_cpu + db_cpu
        single = {"requests": len(st), "ok": ok, "errors": errs, "seconds": round(wall, 2),
                  "requests_per_s": round(ok / wall, 1),
                  "p50_ms": round(pct(lat, 50) * 1000, 1),
                  "p95_ms": round(pct(lat, 95) * 1000, 1),
                  "web_cpu_s": round(cpu1[0] - cpu0[0], 2), "db_cpu_s": round(cpu1[1] - cpu0[1], 2),
                  "requests_per_server_cpu_s": round(ok / server_cpu, 1) if server_cpu else 0,
                  "load_before": load0, "load_after": load_average()}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    print()
    if FIRST_FAILURE:
        print("first non-200 answer:", FIRST_FAILURE[0])
    print("command:", " ".join(shlex.quote(c) for c in cmd))
    print(f"client: {args.concurrency} threads, loopback; database {args.database_url}")
    print(f"bulk   ({args.rows}-row requests): {bulk['events_per_s']:,} events/s  "
          f"p50 {bulk['p50_s']} s  p95 {bulk['p95_s']} s  "
          f"({bulk['events']:,} events in {bulk['requests']} requests, {bulk['seconds']} s, "
          f"errors {bulk['errors']}, non-200 {bulk['requests'] - bulk['ok']})")
    print(f"single (1-row requests):     {single['requests_per_s']} req/s  "
          f"p50 {single['p50_ms']} ms  p95 {single['p95_ms']} ms  "
          f"({single['requests']} requests, {single['seconds']} s, errors {single['errors']}, "
          f"non-200 {single['requests'] - single['ok']})")
    print(f"server CPU (gunicorn + PostgreSQL backends): bulk {bulk['web_cpu_s']} + "
          f"{bulk['db_cpu_s']} s → {bulk['events_per_server_cpu_s']:,} events per CPU-second; "
          f"single {single['web_cpu_s']} + {single['db_cpu_s']} s → "
          f"{single['requests_per_server_cpu_s']} requests per CPU-second")
    cores = os.cpu_count() or 2
    print(f"capacity if the server had the {cores} cores to itself (events or requests per "
          f"CPU-second × {cores}): bulk ≈ {bulk['events_per_server_cpu_s'] * cores:,} events/s, "
          f"single ≈ {round(single['requests_per_server_cpu_s'] * cores)} req/s")
    print(f"load average before/after: bulk {bulk['load_before']} / {bulk['load_after']}, "
          f"single {single['load_before']} / {single['load_after']} "
          f"({os.cpu_count()} CPUs; other work on the machine shares them)")
    print(json.dumps({"bulk": bulk, "single": single}))


if __name__ == "__main__":
    sys.exit(main())
