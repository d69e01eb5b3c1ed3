"""The nightly fan-out across Celery workers: 50 small workspaces with 1 vs 2 worker processes.

    .venv/bin/python benchmarks/bench_fanout.py [--workspaces 50] [--contacts 2000]
        [--months 12] [--runs 3] [--reuse]   # --runs 0: build only
        [--database-url postgres://postgres@127.0.0.1:5432/mos_fanout_bench]
        [--redis-url redis://127.0.0.1:6379/5]

Builds (unless --reuse finds them) N workspaces of the demo generator's data, each with
`contacts` contacts, in the benchmark's own database. Then, alternating, --runs times each:

  anchor   every workspace's full recompute in this one process, one after the other
           (engines.metrics.pipeline.compute_workspace, force=True): no broker, no worker;
  1 / 2    the real nightly path: `compute_all_workspaces` is sent to Redis, a real
           `celery -A mos worker --concurrency=K` (K = 1, then 2 worker processes) creates one
           run per workspace and computes them as a Celery group; the clock stops when every
           run of that night is done (polled in the database).

Every night is forced to recompute everything (the runs' input digests are cleared first), so
each pass does the same work. Prints the medians, the ratio of each to the anchor and the
speed-up of 2 workers over 1. The machine has 2 cores: 2 worker processes can at most halve
the wall time, and PostgreSQL shares the same cores."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_seed import fresh_database  # noqa: E402 (one database-reset for the benchmarks)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_fanout_bench"
PREFIX = "fan"



def build(args) -> None:
    from demo.generator import build_demo_data
    from demo.management.commands.seed_demo import Command

    t = time.monotonic()
    for i in range(args.workspaces):
        ws = Command()._team(f"{PREFIX}{i:03d}")
        build_demo_data(ws, seed=1000 + i, contacts=args.contacts, months=args.months)
    print(f"built {args.workspaces} workspaces × {args.contacts:,} contacts in "
          f"{time.monotonic() - t:.0f} s", flush=True)


def forget_digests() -> None:
    """Every pass recomputes every family: the incremental digests of earlier runs go."""
    from engines.models import MetricRun

    MetricRun.objects.all().delete()


def anchor_pass(workspaces) -> float:
    from engines.metrics.pipeline import compute_workspace
    from engines.models import MetricRun

    forget_digests()
    t = time.perf_counter()
    for ws in workspaces:
        run = MetricRun.objects.create(workspace=ws, trigger=MetricRun.Trigger.MANUAL)
        if compute_workspace(run, force=True).status != MetricRun.Status.SUCCEEDED:
            raise SystemExit(f"the run of {ws.slug} failed: {run.error}")
    return time.perf_counter() - t


def worker_pass(k: int, n: int, env: dict) -> float:
    from engines.models import MetricRun
    from engines.metrics.tasks import compute_all_workspaces

    forget_digests()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mos", "worker", f"--concurrency={k}",
         "--pool=prefork", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "-Q", "celery", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        time.sleep(4)  # the worker's processes are forked and connected before the clock
        if worker.poll() is not None:
            raise SystemExit("the worker did not start:\n" + worker.stderr.read().decode())
        t = time.perf_counter()
        compute_all_workspaces.apply_async()
        done = {MetricRun.Status.SUCCEEDED, MetricRun.Status.FAILED}
        while True:
            time.sleep(0.2)
            statuses = list(MetricRun.objects.values_list("status", flat=True))
            if len(statuses) == n and all(s in done for s in statuses):
                break
            if worker.poll() is not None:
                raise SystemExit("the worker stopped:\n" + worker.stderr.read().decode())
        elapsed = time.perf_counter() - t
        failed = MetricRun.objects.filter(status=MetricRun.Status.FAILED).count()
        if failed:
            raise SystemExit(f"{failed} runs failed")
        return elapsed
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspaces", type=int, default=50)
    ap.add_argument("--contacts", type=int, default=2000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = ap.parse_args()

    env = os.environ.copy()
    env.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, CELERY_EAGER="0",
               DJANGO_SETTINGS_MODULE="mos.settings")
    os.environ.update(env)
    if not args.reuse:
        fresh_database(args.database_url)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0",
                        "--skip-checks"], check=True, env=env, cwd=ROOT)

    import django

    django.setup()
    import redis

    from mos.models import Workspace

    workspaces = list(Workspace.objects.filter(slug__startswith=PREFIX).order_by("pk"))
    if len(workspaces) != args.workspaces:
        if args.reuse and workspaces:
            raise SystemExit(f"found {len(workspaces)} workspaces, not {args.workspaces}")
        build(args)
        workspaces = list(Workspace.objects.filter(slug__startswith=PREFIX).order_by("pk"))
    if args.runs < 1:  # --runs 0: build (or check) the workspaces only
        print(f"{len(workspaces)} workspaces ready")
        return
    redis.Redis.from_url(args.redis_url).flushdb()  # no message of an earlier pass is left

    times = {"anchor": [], 1: [], 2: []}
    for r in range(args.runs):
        times["anchor"].append(anchor_pass(workspaces))
        for k in (1, 2):
            times[k].append(worker_pass(k, len(workspaces), env))
        print(f"pass {r + 1}: anchor {times['anchor'][-1]:.1f} s, 1 worker "
              f"{times[1][-1]:.1f} s, 2 workers {times[2][-1]:.1f} s, load "
              f"{open('/proc/loadavg').read().split()[0]}", flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n{len(workspaces)} workspaces × {args.contacts:,} contacts, median of {args.runs}:")
    print(f"  anchor, one process, no broker:  {med['anchor']:.1f} s")
    for k in (1, 2):
        print(f"  {k} worker process(es):           {med[k]:.1f} s = "
              f"{med[k] / med['anchor']:.2f}× the anchor")
    print(f"  speed-up of 2 workers over 1:    {med[1] / med[2]:.2f}×")
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
