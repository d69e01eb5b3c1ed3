"""Time a 3-year metrics backfill against the same months in hand-written SQL (run by hand).

    .venv/bin/python benchmarks/bench_backfill.py [--runs 1]
        [--database-url postgres://postgres@127.0.0.1:5432/mos_pipebench] [--slug pipebench]
        [--from 2023-11-02 --as-of 2026-10-31]

Needs bench_pipeline.py's data set, built first (1M contacts, ~9.8M events, ~950k orders, 20
channels × 3 years of spend):

    .venv/bin/python benchmarks/bench_pipeline.py --build-only

Each pass, in this order so all three see the same machine load:

  1. the anchor: benchmarks/core_month.sql over the 36 months (spend per channel, leads, new
     customers, revenue, orders, first-touch channel and CAC, blended CAC per month);
  2. one as-of recompute (compute_workspace, force=True: every family, the trailing 400 days,
     week + month, ~13 months written);
  3. the backfill, as an admin starts it: `manage.py compute_metrics --workspace pipebench
     --from … --as-of …` (metric_run_start, sync): chunks of BACKFILL_CHUNK_MONTHS, each
     computing every family up to its own end and writing its months. Progress is polled from
     the run row while it works; each chunk's time is printed.

Then every value of core_month.sql is checked equal to the MetricValue the backfill wrote
(the pipeline may not have a value of those keys the SQL lacks). Prints the medians, the
backfill's cost per month of history against the single recompute's, and its ratio to the SQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_pipeline as bp  # noqa: E402


def months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month + 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=bp.DEFAULT_URL)
    ap.add_argument("--slug", default=bp.SLUG)
    ap.add_argument("--from", dest="start", type=date.fromisoformat, default=bp.START)
    ap.add_argument("--as-of", type=date.fromisoformat, default=bp.END)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from engines.metrics import pipeline
    from engines.metrics.loaders import Window
    from engines.models import MetricRun, MetricValue
    from mos.models import Workspace

    ws = Workspace.objects.filter(slug=args.slug).first()
    if ws is None:
        sys.exit(f"no workspace {args.slug!r}: build it with bench_pipeline.py --build-only")
    with connection.cursor() as cur:
        for table in ("crm_contact", "crm_order", "crm_event"):
            cur.execute(f"SELECT COUNT(*) FROM {table} WHERE workspace_id = %s", [ws.pk])
            print(f"  {table}: {cur.fetchone()[0]:,} rows")
    n_months = months_between(args.start, args.as_of)
    span = Window(start=args.start.replace(day=1), end=args.as_of,
                  history_start=args.start, events_start=args.start, tz=ws.timezone or "UTC")
    print(f"backfill {args.start} → {args.as_of}: {n_months} months, chunks of "
          f"{pipeline.BACKFILL_CHUNK_MONTHS}")

    # each chunk's time: wrap the pipeline's per-window function (the bench's own hook)
    chunk_times: list[float] = []
    inner = pipeline._compute_window

    def timed_window(*a, **kw):
        t = time.perf_counter()
        try:
            return inner(*a, **kw)
        finally:
            chunk_times.append(time.perf_counter() - t)

    pipeline._compute_window = timed_window

    def poll(stop: threading.Event, since: datetime) -> None:
        """Print the backfill run's progress from its row (another connection)."""
        last = None
        while not stop.wait(15):
            run = (MetricRun.objects.filter(workspace=ws, backfill_from__isnull=False,
                                            created_at__gte=since)
                   .order_by("-pk").values("progress", "step").first())
            if run and (run["progress"], run["step"]) != last:
                last = (run["progress"], run["step"])
                print(f"    progress {run['progress']} % ({run['step']})", flush=True)
        connection.close()

    sql_s, single_s, back_s, per_chunk = [], [], [], []
    rows, run = None, None
    bp.run_core_sql(ws, span)  # warm the cache for every side alike
    for i in range(args.runs):
        s, rows = bp.run_core_sql(ws, span)
        sql_s.append(s)
        one = MetricRun.objects.create(workspace=ws, trigger="manual")
        chunk_times.clear()
        t = time.perf_counter()
        one = pipeline.compute_workspace(one, as_of=args.as_of, force=True)
        single_s.append(time.perf_counter() - t)
        if one.status != "succeeded":
            sys.exit(f"single recompute failed: {one.error} {one.error_detail}")
        single_months = months_between(one.window_start, one.window_end)
        chunk_times.clear()
        stop = threading.Event()
        since = datetime.now().astimezone()
        watcher = threading.Thread(target=poll, args=(stop, since), daemon=True)
        watcher.start()
        t = time.perf_counter()
        call_command("compute_metrics", workspace=ws.slug, as_of=args.as_of.isoformat(),
                     backfill_from=args.start.isoformat())
        back_s.append(time.perf_counter() - t)
        stop.set()
        watcher.join()
        per_chunk.append(list(chunk_times))
        run = MetricRun.objects.filter(workspace=ws, backfill_from__isnull=False).latest("pk")
        print(f"  pass {i + 1}: core_month.sql {s:.2f} s ({len(rows):,} values); single "
              f"recompute {single_s[-1]:.1f} s ({single_months} months, {one.rows_written:,} "
              f"written); backfill {back_s[-1]:.1f} s ({len(chunk_times)} chunks, "
              f"{run.rows_written:,} written)", flush=True)
        print("    chunks (s): " + ", ".join(f"{c:.1f}" for c in chunk_times))
        print("    backfill steps (s, summed over chunks): " + ", ".join(
            f"{k} {v:.1f}" for k, v in sorted(run.timings.items(), key=lambda kv: -kv[1])))
    n, diffs = bp.compare_with_pipeline(ws, rows)
    print(f"core_month.sql vs the backfilled MetricValues: {n:,} values compared over "
          f"{len({r[1] for r in rows})} months, {len(diffs)} differ")
    for d in diffs[:20]:
        print("   ", d)
    oldest = (MetricValue.objects.filter(workspace=ws, grain="month", key="revenue",
                                         dimension="").order_by("period")
              .values_list("period", "value")[:3])
    print("  oldest revenue months stored: " + ", ".join(f"{p} {v:,.2f}" for p, v in oldest))
    med = statistics.median
    sql, single, back = med(sql_s), med(single_s), med(back_s)
    print(f"median of {args.runs} ({datetime.utcnow():%Y-%m-%d %H:%M} UTC, load average "
          f"{open('/proc/loadavg').read().split()[0]}):")
    print(f"  anchor, core_month.sql over {n_months} months          {sql:8.2f} s")
    print(f"  one as-of recompute ({single_months} months written)        {single:8.2f} s = "
          f"{single / single_months:.2f} s a month")
    print(f"  backfill of {n_months} months                          {back:8.2f} s = "
          f"{back / n_months:.2f} s a month = {back / sql:.1f}× the SQL; "
          f"{(back / n_months) / (single / single_months):.2f}× the single recompute's cost "
          f"a month; {back / single:.1f} single recomputes")
    if diffs:
        sys.exit(1)


if __name__ == "__main__":
    main()
