"""Time a full metrics recompute against the same core month figures in hand-written SQL.

    .venv/bin/python benchmarks/bench_pipeline.py            # 1M contacts, 10M events, 1M orders
    .venv/bin/python benchmarks/bench_pipeline.py --small    # 100k contacts, 1M events, 100k orders
        [--database-url postgres://postgres@127.0.0.1:5432/mos_pipebench] [--reuse] [--seed 7]
        [--runs 3] [--slug seedbench --as-of 2026-12-03]   # or an existing workspace
        [--build-only]                                     # generate the data set and stop

Creates the database (unless --reuse finds the workspace already generated, or --slug names
another workspace), migrates it, and generates with numpy in chunks, loaded with COPY: contacts
with stage changes (subscriber → lead → … → customer), orders (first purchase, renewals, a few
refunds), events (40 % carry a channel: the attribution touchpoints) and 20 channels × 3 years
of daily spend. Then, after one cold recompute (empty MetricValue table), it alternates --runs
times

  1. benchmarks/core_month.sql, the anchor: spend per channel, leads, new customers, revenue net
     of refunds, orders, first-touch channel per new customer (30-day look-back), first-touch
     CAC per channel and blended CAC, per month of the window, in plain PostgreSQL;
  2. a full recompute (engines.metrics.pipeline.compute_workspace, force=True: every family);

checks that every value of the SQL equals the MetricValue the pipeline wrote (and that the
pipeline wrote no other value of those keys and dimensions), and prints the medians and their
ratio (goal ≤ 2×). It also times --runs incremental runs with nothing changed (goal ≤ 10 % of
the full recompute, nothing written; on PostgreSQL the change log of engines 0008 tells the run
that the large tables did not change, so it reads none of them) and two "new nights": the
as-of day one day later with no new rows, and with a day's new rows (the last day's events,
orders, stage changes and spend copied one day later, removed again after the run; goal ≤ 20 %
of the full recompute; today a new night recomputes every family).

Read the ratio knowing the work differs: the SQL returns ~900 month values, the recompute also
does the week grain, campaign breakdowns, six attribution models (Markov included) over every
touchpoint path, the funnel, cohort retention, churn, NRR, activity retention, CRM KPIs, the
BG/NBD and Gamma-Gamma fits, and writes ~50,000 values. On a shared machine compare only figures
of one run (the passes alternate so both sides see the same load).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_pipebench"
SLUG = "pipebench"
DAYS = 3 * 365
END = date(2026, 10, 31)  # the last day of data; the recompute's as-of day
START = END - timedelta(days=DAYS - 1)
N_CHANNELS = 20
EVENT_NAMES = np.array(["page_view", "signup", "email_open", "email_click", "add_to_cart",
                        "purchase", "login"])
CHUNK = 100_000  # contacts per generation chunk


def ensure_database(url: str, fresh: bool) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


# --- COPY helpers ------------------------------------------------------------------------------

def table_columns(cur, table: str) -> list[tuple[str, str, bool, bool]]:
    """(name, data type, nullable, has default) of each column of `table`."""
    cur.execute("SELECT column_name, data_type, is_nullable = 'YES', "
                "(column_default IS NOT NULL OR is_identity = 'YES') "
                "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                [table])
    return cur.fetchall()


FILL = {"character varying": "", "text": "", "jsonb": "{}", "boolean": "f", "integer": 0,
        "bigint": 0, "smallint": 0, "numeric": 0, "double precision": 0}


def copy_frame(cur, table: str, df: pd.DataFrame, now: str) -> None:
    """COPY df into table, filling every other NOT NULL column Django would have defaulted."""
    df = df.copy()
    for name, dtype, nullable, has_default in table_columns(cur, table):
        if name in df or nullable or has_default:
            continue
        if dtype == "uuid":
            df[name] = [str(uuid.uuid4()) for _ in range(len(df))]
        elif dtype.startswith("timestamp"):
            df[name] = now
        else:
            df[name] = FILL[dtype]
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    cols = ", ".join(f'"{c}"' for c in df.columns)
    cur.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def ts(base: np.ndarray) -> np.ndarray:
    """Seconds since START (float) → ISO timestamps in UTC."""
    t = np.datetime64(START.isoformat() + "T00:00:00") + base.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(t, unit="s"), "+00")


# --- the synthetic workspace --------------------------------------------------------------------

def generate(ws_id: int, channel_ids: np.ndarray, n_contacts: int, events_per_contact: float,
             orders_target: int, seed: int) -> dict:
    from django.db import connection

    rng = np.random.default_rng(seed)
    now = datetime.utcnow().isoformat() + "+00"
    counts = {"contacts": 0, "stage_changes": 0, "orders": 0, "events": 0, "spend": 0}
    horizon = DAYS * 86400.0
    orders_per_customer = orders_target / (0.3 * n_contacts)
    with connection.cursor() as c:
        cur = c.cursor
        # spend: 20 channels × every day
        days = pd.date_range(START, END, freq="D")
        sp = pd.DataFrame({
            "workspace_id": ws_id,
            "date": np.tile(days.strftime("%Y-%m-%d"), N_CHANNELS),
            "channel_id": np.repeat(channel_ids, len(days)),
            "amount": np.round(rng.gamma(4, 50, N_CHANNELS * len(days)), 2),
            "impressions": rng.integers(1000, 50000, N_CHANNELS * len(days)),
            "clicks": rng.integers(10, 1000, N_CHANNELS * len(days)),
        })
        copy_frame(cur, "engines_spend", sp, now)
        counts["spend"] = len(sp)
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM crm_contact")
        next_id = cur.fetchone()[0] + 1
        for lo in range(0, n_contacts, CHUNK):
            n = min(CHUNK, n_contacts - lo)
            ids = np.arange(next_id + lo, next_id + lo + n)
            created = rng.uniform(0, horizon, n)
            source = rng.choice(channel_ids, n)
            is_lead = rng.random(n) < 0.6
            is_customer = is_lead & (rng.random(n) < 0.5)  # 30 % of contacts
            lead_at = created + rng.exponential(3 * 86400, n)
            cust_at = lead_at + rng.exponential(10 * 86400, n)
            is_lead &= lead_at < horizon
            is_customer &= is_lead & (cust_at < horizon)
            stage = np.where(is_customer, "customer", np.where(is_lead, "lead", "subscriber"))
            copy_frame(cur, "crm_contact", pd.DataFrame({
                "id": ids, "workspace_id": ws_id, "created_at": ts(created),
                "updated_at": ts(created), "stage": stage, "source_channel_id": source,
                "properties": "{}"}), now)
            # stage changes: subscriber at creation, lead, customer
            sc = pd.DataFrame({
                "workspace_id": ws_id,
                "contact_id": np.concatenate([ids, ids[is_lead], ids[is_customer]]),
                "from_stage": np.concatenate([np.full(n, ""), np.full(is_lead.sum(), "subscriber"),
                                              np.full(is_customer.sum(), "lead")]),
                "to_stage": np.concatenate([np.full(n, "subscriber"),
                                            np.full(is_lead.sum(), "lead"),
                                            np.full(is_customer.sum(), "customer")]),
                "at": ts(np.concatenate([created, lead_at[is_lead], cust_at[is_customer]])),
            })
            copy_frame(cur, "crm_stagechange", sc, now)
            # orders: first purchase at the customer moment, then renewals every ~30 days
            cust = ids[is_customer]
            first = cust_at[is_customer]
            k = 1 + rng.poisson(orders_per_customer - 1, len(cust))
            who = np.repeat(np.arange(len(cust)), k)
            nth = np.arange(len(who)) - np.repeat(np.cumsum(k) - k, k)
            when = first[who] + nth * 30 * 86400 + rng.uniform(0, 86400, len(who))
            keep = when < horizon
            who, nth, when = who[keep], nth[keep], when[keep]
            kind = np.where(nth == 0, "new", np.where(rng.random(len(who)) < 0.02, "refund",
                                                      "renewal"))
            copy_frame(cur, "crm_order", pd.DataFrame({
                "workspace_id": ws_id, "contact_id": cust[who], "kind": kind,
                "amount": np.round(rng.gamma(3, 30, len(who)), 2), "currency": "USD",
                "occurred_at": ts(when), "properties": "{}"}), now)
            # events: ~events_per_contact each, after creation; 40 % carry a channel
            m = rng.poisson(events_per_contact, n)
            ev_who = np.repeat(np.arange(n), m)
            ev_at = created[ev_who] + rng.exponential(20 * 86400, len(ev_who))
            ok = ev_at < horizon
            ev_who, ev_at = ev_who[ok], ev_at[ok]
            has_channel = rng.random(len(ev_who)) < 0.4
            channel = np.where(has_channel, np.where(rng.random(len(ev_who)) < 0.5,
                                                     source[ev_who],
                                                     rng.choice(channel_ids, len(ev_who))), -1)
            ev = pd.DataFrame({
                "workspace_id": ws_id, "contact_id": ids[ev_who],
                "name": rng.choice(EVENT_NAMES, len(ev_who)),
                "channel_id": pd.array(np.where(channel > 0, channel, 0), dtype="Int64"),
                "occurred_at": ts(ev_at), "properties": "{}", "quality_issues": "[]"})
            ev.loc[channel < 0, "channel_id"] = pd.NA
            copy_frame(cur, "crm_event", ev, now)
            counts["contacts"] += n
            counts["stage_changes"] += len(sc)
            counts["orders"] += len(who)
            counts["events"] += len(ev)
            print(f"  generated {counts['contacts']:,} contacts, {counts['events']:,} events, "
                  f"{counts['orders']:,} orders", flush=True)
        cur.execute("SELECT setval(pg_get_serial_sequence('crm_contact', 'id'), "
                    "(SELECT MAX(id) FROM crm_contact))")
        cur.execute("ANALYZE")
    return counts


# --- the anchor: the core month figures in hand-written SQL ---------------------------------

CORE_SQL = ROOT / "benchmarks" / "core_month.sql"


def core_sql_query() -> str:
    """core_month.sql with its psql variables (:ws, :'tz'…) as psycopg2 parameters."""
    import re

    text = "\n".join(line for line in CORE_SQL.read_text().splitlines()
                     if not line.lstrip().startswith("--"))
    return re.sub(r"(?<![:\w]):'?([a-z_]+)'?", r"%(\1)s", text.strip().rstrip(";"))


def run_core_sql(ws, window) -> tuple[float, list]:
    """(seconds, rows) of the anchor script over the run's window."""
    from django.db import connection

    params = {"ws": ws.pk, "tz": ws.timezone or "UTC", "window_start": window.start,
              "as_of": window.end, "lookback": int(ws.attribution_lookback_days)}
    query = core_sql_query()
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(query, params)
        rows = cur.fetchall()
        return time.perf_counter() - t, rows


def compare_with_pipeline(ws, rows) -> tuple[int, list[str]]:
    """(values compared, differences) between the anchor's rows and the stored MetricValues."""
    from engines.models import MetricValue

    stored = {(k, p, d, dv): v for k, p, d, dv, v in MetricValue.objects.filter(
        workspace=ws, grain="month", key__in={r[0] for r in rows}).values_list(
        "key", "period", "dimension", "dimension_value", "value")}
    diffs, seen = [], set()
    for key, period, dim, dim_value, value in rows:
        k = (key, period, dim, dim_value)
        seen.add(k)
        got = stored.get(k)
        if got is None or not np.isclose(got, float(value), rtol=1e-9, atol=1e-9):
            diffs.append(f"{k}: SQL {value} pipeline {got}")
    # and nothing the pipeline wrote for the same key and dimension is missing from the SQL
    kinds = {(r[0], r[2]) for r in rows}
    first = min((r[1] for r in rows), default=None)
    diffs += [f"{k}: pipeline {v}, not in the SQL" for k, v in stored.items()
              if (k[0], k[2]) in kinds and k not in seen and k[1] >= first]
    return len(rows), diffs


def vacuum_outputs() -> None:
    """VACUUM the tables a run rewrites, as autovacuum would between nights (this machine's
    server runs with autovacuum off: without it every new night's dead rows slow the next)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) engines_metricvalue, engines_contactprediction")


# A day's new data: the last day's events, orders, stage changes and spend copied one day later
# (new ids and codes), so a "new night" reads ≈ 1/365 new rows, as a real night would.
DAY_TABLES = {"crm_event": ("occurred_at", "code = gen_random_uuid(), idempotency_id = ''"),
              "crm_order": ("occurred_at", "code = gen_random_uuid(), external_id = ''"),
              "crm_stagechange": ("at", None),
              "engines_spend": ("date", "code = gen_random_uuid()")}


def add_a_day(ws, day: date) -> dict[str, int]:
    """Copy the rows of `day` to the day after; returns {table: the largest id before}."""
    from django.db import connection

    marks = {}
    with connection.cursor() as cur:
        for table, (column, sets) in DAY_TABLES.items():
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            marks[table] = cur.fetchone()[0]
            cur.execute(f"CREATE TEMP TABLE day_rows AS SELECT * FROM {table} "
                        f"WHERE workspace_id = %s AND {column} >= %s AND {column} < %s",
                        [ws.pk, day, day + timedelta(days=1)])
            cur.execute(f"UPDATE day_rows SET id = nextval(pg_get_serial_sequence('{table}', "
                        f"'id')), {column} = {column} + interval '1 day'"
                        + (f", {sets}" if sets else ""))
            cur.execute(f"INSERT INTO {table} SELECT * FROM day_rows")
            cur.execute("DROP TABLE day_rows")
    return marks


def remove_the_day(ws, marks: dict[str, int]) -> int:
    from django.db import connection

    n = 0
    with connection.cursor() as cur:
        for table, before in marks.items():
            cur.execute(f"DELETE FROM {table} WHERE workspace_id = %s AND id > %s",
                        [ws.pk, before])
            n += cur.rowcount
    return n


def median(xs: list[float]) -> float:
    return float(np.median(xs)) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true",
                    help="100k contacts, 1M events, 100k orders (minutes instead of an hour)")
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the database and its workspace if already generated")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--window-days", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3, help="timed passes of each side (median)")
    ap.add_argument("--slug", default=SLUG,
                    help="an existing workspace to measure instead (e.g. bench_seed.py's "
                         "seedbench); nothing is generated")
    ap.add_argument("--as-of", type=date.fromisoformat, default=None,
                    help="the recompute's as-of day (default: the generated data's last day)")
    ap.add_argument("--build-only", action="store_true",
                    help="generate (or find, with --reuse) the data set, print its counts and "
                         "stop: nothing is timed")
    args = ap.parse_args()
    n_contacts = 100_000 if args.small else 1_000_000
    url = args.database_url + ("_small" if args.small and args.database_url == DEFAULT_URL
                               else "")

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    ensure_database(url, fresh=not args.reuse and args.slug == SLUG)
    t = time.monotonic()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0", "--skip-checks"],
                   check=True, env=os.environ.copy(), cwd=ROOT)
    print(f"migrate: {time.monotonic() - t:.1f} s")

    import django

    django.setup()
    from django.db import transaction

    from engines.metrics import pipeline
    from engines.metrics.loaders import Window
    from engines.models import MetricRun
    from crm.models import Channel
    from mos.models import Workspace

    ws = Workspace.objects.filter(slug=args.slug).first()
    end = args.as_of or END
    if ws is None and args.slug != SLUG:
        sys.exit(f"no workspace {args.slug!r} in {url}")
    if ws is None:
        ws = Workspace.objects.create(slug=SLUG, name="Pipeline benchmark")
        Channel.objects.bulk_create([Channel(workspace=ws, key=f"ch{i:02d}", name=f"Channel {i}",
                                             is_paid=i < 10) for i in range(N_CHANNELS)])
        channel_ids = np.array(sorted(Channel.objects.filter(workspace=ws)
                                      .values_list("id", flat=True)))
        t = time.monotonic()
        with transaction.atomic():
            counts = generate(ws.pk, channel_ids, n_contacts, events_per_contact=10.0,
                              orders_target=n_contacts, seed=args.seed)
        print(f"generate + COPY: {time.monotonic() - t:.1f} s  {counts}")
    else:
        print("reusing the generated workspace")

    from django.db import connection

    with connection.cursor() as cur:
        for table in ("crm_contact", "crm_stagechange", "crm_order", "crm_event",
                      "engines_spend"):
            cur.execute(f"SELECT COUNT(*) FROM {table} WHERE workspace_id = %s", [ws.pk])
            print(f"  {table}: {cur.fetchone()[0]:,} rows")
    if args.build_only:
        return

    window = Window.trailing(as_of=end, days=args.window_days,
                             lookback_days=ws.attribution_lookback_days, tz=ws.timezone)
    from engines.models import MetricValue

    vacuum_outputs()
    run_core_sql(ws, window)  # warms the cache for both sides alike
    MetricValue.objects.filter(workspace=ws).delete()  # cold: every value is written
    run = MetricRun.objects.create(workspace=ws, trigger="manual")
    t = time.perf_counter()
    run = pipeline.compute_workspace(run, as_of=end, window_days=args.window_days, force=True)
    cold = time.perf_counter() - t
    if run.status != "succeeded":
        print(run.error, run.error_detail)
        sys.exit(1)
    print(f"\nwindow {window.start} → {window.end} (history from {window.history_start})")
    print(f"cold recompute (empty MetricValue): {cold:.1f} s, {run.rows_written:,} values written")

    sql_s, full_s, same_s, night_s, steps, night_steps = [], [], [], [], [], []
    day_s, day_steps = [], []
    for i in range(args.runs):  # alternate, so all three see the same machine load
        s, rows = run_core_sql(ws, window)
        sql_s.append(s)
        full = MetricRun.objects.create(workspace=ws, trigger="manual")
        t = time.perf_counter()
        full = pipeline.compute_workspace(full, as_of=end, window_days=args.window_days,
                                          force=True)
        full_s.append(time.perf_counter() - t)
        steps.append(full.timings)
        n, diffs = compare_with_pipeline(ws, rows)  # before the new night moves the window
        # nothing changed since that run: the incremental run (not forced)
        again = MetricRun.objects.create(workspace=ws, trigger="nightly")
        t = time.perf_counter()
        again = pipeline.compute_workspace(again, as_of=end, window_days=args.window_days)
        same_s.append(time.perf_counter() - t)
        # a new night: the as-of day moves on by one (no new rows here: a lower bound)
        night = MetricRun.objects.create(workspace=ws, trigger="nightly")
        t = time.perf_counter()
        night = pipeline.compute_workspace(night, as_of=end + timedelta(days=1),
                                           window_days=args.window_days)
        night_s.append(time.perf_counter() - t)
        night_steps.append(night.timings)
        # a new night with a day's new rows (the last day's rows copied one day later), after
        # an untimed run at the measured as-of day (so the window moves, as every night)
        pipeline.compute_workspace(MetricRun.objects.create(workspace=ws, trigger="manual"),
                                   as_of=end, window_days=args.window_days, force=True)
        marks = add_a_day(ws, end)
        day = MetricRun.objects.create(workspace=ws, trigger="nightly")
        t = time.perf_counter()
        day = pipeline.compute_workspace(day, as_of=end + timedelta(days=1),
                                         window_days=args.window_days)
        day_s.append(time.perf_counter() - t)
        day_steps.append(day.timings)
        added = remove_the_day(ws, marks)
        # untimed: back to the measured as-of day, so the next pass starts where this one did
        pipeline.compute_workspace(MetricRun.objects.create(workspace=ws, trigger="manual"),
                                   as_of=end, window_days=args.window_days, force=True)
        vacuum_outputs()
        print(f"  pass {i + 1}: core_month.sql {s:.2f} s, full recompute {full_s[-1]:.2f} s "
              f"({full.rows_written:,} values written), nothing changed {same_s[-1]:.2f} s "
              f"({again.rows_written:,} written, steps {sorted(again.timings)}), new night "
              f"{night_s[-1]:.2f} s ({night.rows_written:,} written), new night with a day's "
              f"rows ({added:,} rows) {day_s[-1]:.2f} s ({day.rows_written:,} written)",
              flush=True)
    print(f"core_month.sql vs the pipeline's MetricValues: {n} values compared, "
          f"{len(diffs)} differ")
    for d in diffs[:20]:
        print("   ", d)
    print("full recompute steps (median s): " + ", ".join(
        f"{k} {median([t.get(k, 0) for t in steps]):.2f}" for k in steps[0]))
    print("new night steps (median s): " + ", ".join(
        f"{k} {median([t.get(k, 0) for t in night_steps]):.2f}" for k in night_steps[0]))
    print(f"median of {args.runs}: core_month.sql {median(sql_s):.2f} s, "
          f"full recompute {median(full_s):.2f} s, ratio {median(full_s) / median(sql_s):.2f}× "
          f"(goal ≤ 2×)")
    print(f"median of {args.runs}: nothing-changed run {median(same_s):.2f} s = "
          f"{median(same_s) / median(full_s):.2f} of the full recompute (goal ≤ 0.10)")
    print(f"median of {args.runs}: new night (as-of + 1 day, no new rows) {median(night_s):.2f} s "
          f"= {median(night_s) / median(full_s):.2f} of the full recompute (goal ≤ 0.20)")
    print("new night with a day's rows, steps (median s): " + ", ".join(
        f"{k} {median([t.get(k, 0) for t in day_steps]):.2f}" for k in day_steps[0]))
    print(f"median of {args.runs}: new night with a day's new rows {median(day_s):.2f} s "
          f"= {median(day_s) / median(full_s):.2f} of the full recompute (goal ≤ 0.20)")
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    if diffs:
        sys.exit(1)

if __name__ == "__main__":
    main()
