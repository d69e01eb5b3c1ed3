"""Nightly experiment results and analysis at scale, and the experiment page's server time.

    .venv/bin/python benchmarks/bench_experiments.py [--experiments 1000]
        [--events 10000000] [--contacts 1000000] [--repeat 3] [--page-requests 20]
        [--database-url postgres://postgres@127.0.0.1:5432/mos_expbench] [--keep]

Builds (once; --keep reuses it) a workspace with N running A/B experiments and writes
`experiment_viewed` exposure events (GrowthBook's experiment_id / variation_id properties)
with COPY: each experiment gets events/N exposures over its last 28 days from random
contacts (a contact may see a test several times), and about 12 % of the exposed contacts
send the test's goal event afterwards (treatment +10 % on half of the tests). Then it times,
with time.perf_counter():

- a hand-written SQL anchor (per experiment and variant: contacts first exposed, of them
  converted), the whole nightly computation with its upsert (compute_workspace_results) and,
  inside it, MOS's SQL daily rows (experiments.compute.daily_results_sql: every metric,
  CUPED sums, local days; the stored rows checked equal to the anchor's counts and sums),
  and unless --skip-pandas the previous pandas path (load_inputs + daily_results),
  `--repeat` times, in the same run;
- the analysis of every running experiment (experiments.analysis: frequentist, Bayesian,
  SRM, sequential, gate), all N of them, one at a time and batched (analyse_experiments);
- the experiment page (GET /w/<slug>/experiments/<code>/ through django.test.Client,
  server side only), `--page-requests` times after a warm-up.

It prints the medians. PostgreSQL only (the events are COPYed)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_expbench"
SLUG = "expbench"


def _ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    out = subprocess.run(["psql", base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
                         capture_output=True, text=True, check=True).stdout.strip()
    if out != "1":
        subprocess.run(["psql", base, "-c", f'CREATE DATABASE "{name}"'], check=True,
                       capture_output=True)


class _IndexesDropped:
    """Drop a table's secondary indexes and unique constraints (not its primary key) for a bulk
    load and build them again afterwards, with a large maintenance_work_mem: one sort per index
    instead of 10M index insertions. Only for the benchmark's own database."""

    def __init__(self, table: str):
        self.table, self.saved = table, []

    def __enter__(self):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("""
              SELECT i.relname, con.conname, pg_get_indexdef(x.indexrelid),
                     pg_get_constraintdef(con.oid)
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid
                                         AND con.conrelid = x.indrelid
              WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""", [self.table])
            self.saved = cur.fetchall()
            for index, constraint, _idef, _cdef in self.saved:
                if constraint:
                    cur.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{constraint}"')
                else:
                    cur.execute(f'DROP INDEX "{index}"')
        return self

    def __exit__(self, *exc):
        from django.db import connection

        t = time.perf_counter()
        with connection.cursor() as cur:
            # the deferred foreign-key checks of the load run now (ALTER TABLE refuses to
            # run with trigger events pending)
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET maintenance_work_mem = '1GB'")
            for _index, constraint, idef, cdef in self.saved:
                if constraint:
                    cur.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{constraint}" {cdef}')
                else:
                    cur.execute(idef)
            cur.execute("RESET maintenance_work_mem")
        print(f"  {self.table}: {len(self.saved)} indexes rebuilt in "
              f"{time.perf_counter() - t:.0f} s", flush=True)
        return False


def build(n_exp: int, n_events: int, n_contacts: int, seed: int = 7):
    """The contacts by COPY, the exposure and goal events generated inside PostgreSQL
    (INSERT … SELECT over generate_series, one statement per chunk of experiments), the
    events' indexes built after the load, then VACUUM ANALYZE."""
    import datetime as dt

    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Contact, Event
    from demo.write import new_uuids, reserve_ids, write_rows
    from experiments.models import Experiment, Variant
    from mos import services as mos_services
    from mos.models import User

    t0 = time.perf_counter()
    user = User.objects.filter(email="bench@mos.local").first() or User.objects.create_user(
        email="bench@mos.local", password="bench-password", name="Bench")
    ws = mos_services.workspace_create(user=user, name="Experiment bench", slug=SLUG)
    now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=28)
    with transaction.atomic(), _IndexesDropped(Contact._meta.db_table):
        ids = reserve_ids(Contact, n_contacts)
        created = np.full(n_contacts, int((start - dt.timedelta(days=60)).timestamp()))
        empty = np.full(n_contacts, "", object)
        write_rows(Contact, dict(
            id=ids, code=new_uuids(n_contacts), workspace_id=np.full(n_contacts, ws.pk),
            external_id=empty, email=empty, phone=empty, name=empty, company=empty,
            country=empty, city=empty, language=empty, customer_type=empty, buying_role=empty,
            stage=np.full(n_contacts, "lead", object), properties=np.full(n_contacts, "{}", object),
            created_at=created, updated_at=created))
    print(f"  contacts {n_contacts:,} ({time.perf_counter() - t0:.0f} s)", flush=True)
    with transaction.atomic():
        exps = Experiment.objects.bulk_create([Experiment(
            workspace=ws, key=f"bench-{i:04d}", title=f"Bench test {i}", status="running",
            primary_metric={"key": "goal", "kind": "proportion", "event": f"goal_{i:04d}"},
            baseline=0.12, mde=0.1, required_sample=12000, started_at=start,
            planned_start=start.date(), planned_end=(now + dt.timedelta(days=14)).date())
            for i in range(n_exp)])
        Variant.objects.bulk_create([Variant(workspace=ws, experiment=e, key=k, name=k,
                                             is_control=k == "control", share=0.5, position=j)
                                     for e in exps for j, k in enumerate(("control", "b"))])
    per_exp = n_events // n_exp
    chunk_exps = max(1, 1_000_000 // per_exp)
    event_t = Event._meta.db_table
    # Per exposure: a random contact of the workspace (so some see a test more than once), a
    # random second of the test's 28 days; the arm is the contact id's parity (a contact stays
    # in one arm); about 12 % of the exposed contacts (0.12/1.6 per exposure) send the test's
    # goal event 1 minute to 3 days later, +10 % in the treatment arm of the even tests.
    sql = f"""
    WITH r AS MATERIALIZED (
      SELECT t.i, floor(random() * %(nc)s)::int AS k, floor(random() * 28 * 86400) AS s,
             random() AS u
      FROM generate_series(%(lo)s, %(hi)s) t(i) CROSS JOIN generate_series(1, %(per)s) g(j)
    ),
    x AS MATERIALIZED (
      SELECT r.i, c.id AS contact, %(start)s::timestamptz + make_interval(secs => r.s) AS at,
             r.u < 0.12 / 1.6 * CASE WHEN r.i %% 2 = 0 AND c.id %% 2 = 1 THEN 1.1
                                     ELSE 1.0 END AS conv
      FROM r JOIN bench_contacts c ON c.k = r.k
    ),
    rows AS (
      SELECT contact, 'experiment_viewed' AS name, at,
             jsonb_build_object('experiment_id', 'bench-' || lpad(i::text, 4, '0'),
                                'variation_id', CASE WHEN contact %% 2 = 1 THEN 'b'
                                                     ELSE 'control' END) AS props
      FROM x
      UNION ALL
      SELECT contact, 'goal_' || lpad(i::text, 4, '0'),
             at + make_interval(secs => 60 + floor(random() * (3 * 86400 - 60))), '{{}}'::jsonb
      FROM x WHERE conv
    )
    INSERT INTO {event_t} (code, workspace_id, contact_id, anonymous_id, name, channel_id,
      campaign_id, utm_source, utm_medium, utm_campaign, utm_term, utm_content, occurred_at,
      received_at, properties, quality_issues, idempotency_id)
    SELECT gen_random_uuid(), %(ws)s, contact, '', name, NULL, NULL, '', '', '', '', '', at, at,
           props, '[]'::jsonb, ''
    FROM rows"""
    written = 0
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [seed / 100])
        cur.execute("CREATE TEMP TABLE bench_contacts (k int PRIMARY KEY, id bigint)")
        cur.execute(f"INSERT INTO bench_contacts SELECT (row_number() OVER (ORDER BY id)) - 1, "
                    f"id FROM {Contact._meta.db_table} WHERE workspace_id = %s", [ws.pk])
        cur.execute("ANALYZE bench_contacts")
    with transaction.atomic(), _IndexesDropped(event_t):
        with connection.cursor() as cur:
            # no per-row foreign-key checks during the load (the ids come from this workspace)
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute("SET LOCAL work_mem = '256MB'")
            for lo in range(0, n_exp, chunk_exps):
                hi = min(n_exp, lo + chunk_exps) - 1
                cur.execute(sql, {"start": start, "lo": lo, "hi": hi, "per": per_exp,
                                  "nc": n_contacts, "ws": ws.pk})
                written += cur.rowcount
                print(f"  events {written:,} ({time.perf_counter() - t0:.0f} s)", flush=True)
            cur.execute("SET LOCAL session_replication_role = origin")
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_contacts")
        cur.execute(f"VACUUM ANALYZE {event_t}")
        cur.execute(f"VACUUM ANALYZE {Contact._meta.db_table}")
    print(f"built in {time.perf_counter() - t0:.1f} s: {n_contacts:,} contacts, {n_exp:,} "
          f"experiments, {written:,} events")
    return ws


def anchor(ws, experiments, now) -> dict:
    """Hand-written SQL: per experiment and variant, the contacts first exposed (one arm only)
    and how many of them sent the test's goal event afterwards. Set-based: each contact's
    last goal event per goal name, hash-joined to the first exposures (a correlated EXISTS per
    exposed contact, the first form of this anchor, took more than 5 minutes at 10M events).
    The same work_mem as the MOS query."""
    from django.db import connection, transaction

    since = min(e.started_at for e in experiments).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)
    sql = """
    WITH f AS (
      SELECT properties->>'experiment_id' AS exp_key, properties->>'variation_id' AS var_key,
             contact_id, MIN(occurred_at) AS first_at
      FROM crm_event
      WHERE workspace_id = %s AND name = 'experiment_viewed' AND contact_id IS NOT NULL
        AND occurred_at >= %s AND occurred_at <= %s
      GROUP BY 1, 2, 3),
    one AS (
      SELECT exp_key, contact_id, MIN(var_key) AS var_key, MIN(first_at) AS first_at
      FROM f GROUP BY 1, 2 HAVING COUNT(*) = 1),
    goals AS (
      SELECT contact_id, name, MAX(occurred_at) AS last_at
      FROM crm_event
      WHERE workspace_id = %s AND name LIKE 'goal\\_%%' AND contact_id IS NOT NULL
        AND occurred_at <= %s
      GROUP BY 1, 2)
    SELECT one.exp_key, one.var_key, COUNT(*), COUNT(*) FILTER (WHERE g.last_at >= one.first_at)
    FROM one LEFT JOIN goals g
      ON g.contact_id = one.contact_id AND g.name = 'goal_' || substr(one.exp_key, 7)
    GROUP BY 1, 2"""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(sql, [ws.pk, since, now, ws.pk, now])
        return {(k, v): (int(n), float(c)) for k, v, n, c in cur.fetchall()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--experiments", type=int, default=1000)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--page-requests", type=int, default=20)
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--keep", action="store_true", help="reuse the workspace if it exists")
    ap.add_argument("--skip-pandas", action="store_true",
                    help="do not time the previous pandas path (memory at 10M events)")
    ap.add_argument("--skip-nightly", action="store_true",
                    help="time only the analysis and the page (with --keep: the results of "
                         "an earlier run)")
    a = ap.parse_args()
    os.environ["DATABASE_URL"] = a.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    _ensure_database(a.database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from crm.models import Campaign, Spend
    from experiments.analysis import analyse_experiments, experiment_analysis
    from experiments.compute import compute_workspace_results
    from experiments.models import Experiment, ExperimentResult
    from mos.models import User, Workspace

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    ws = Workspace.objects.filter(slug=SLUG).first()
    if ws is not None and not a.keep:
        from django.db import connection

        with connection.cursor() as cur:  # not through the ORM's cascade: 10M rows
            cur.execute("DELETE FROM crm_event WHERE workspace_id = %s", [ws.pk])
        Spend.objects.filter(workspace=ws).delete()
        Campaign.objects.filter(workspace=ws).delete()
        ws.delete()
        ws = None
    if ws is None:
        ws = build(a.experiments, a.events, a.contacts)

    from django.utils import timezone

    import pandas as pd

    from experiments.compute import daily_results, load_inputs

    now = timezone.now()
    running = [e for e in Experiment.objects.filter(workspace=ws, status="running")]
    runs, anchors, sqls, olds = [], [], [], []
    for _ in range(0 if a.skip_nightly else a.repeat):
        t = time.perf_counter()
        ref = anchor(ws, running, now)
        anchors.append(time.perf_counter() - t)
        if not a.skip_pandas:
            t = time.perf_counter()
            inputs = load_inputs(ws, running, now=now)
            old = daily_results(inputs["exposures"], inputs["events"], inputs["orders"],
                                inputs["metrics"], tz=ws.timezone or "UTC")
            olds.append(time.perf_counter() - t)
        out = compute_workspace_results(workspace=ws, now=now)
        runs.append(out)
        sqls.append(out["load_seconds"])  # daily_results_sql, timed inside the nightly run
        print(f"  anchor {anchors[-1]:.2f} s · SQL path {sqls[-1]:.2f} s · pandas path "
              f"{olds[-1] if olds else float('nan'):.2f} s · nightly {out}", flush=True)
    if runs:
        # the same per-variant counts and sums, every experiment
        stored = ExperimentResult.objects.filter(
            experiment__workspace=ws, metric="goal", source="computed").values_list(
            "experiment__key", "variant__key", "n", "sum")
        got = pd.DataFrame.from_records(list(stored), columns=["experiment", "variant", "n",
                                                               "sum"])
        got = got.groupby(["experiment", "variant"])[["n", "sum"]].sum()
        assert {k: (int(r["n"]), float(r["sum"])) for k, r in got.iterrows()} == ref, \
            "anchor differs"
        if not a.skip_pandas:
            both = old.groupby(["experiment", "variant"])[["n", "sum"]].sum()
            assert both.equals(got.astype(both.dtypes.to_dict())), "pandas path differs"
        n_units = int(got["n"].sum())
        conv = float(got["sum"].sum())
    elif not ExperimentResult.objects.filter(experiment__workspace=ws).exists():
        compute_workspace_results(workspace=ws, now=now)  # the analysis reads these rows

    # the analysis of every running experiment: one at a time (4 queries each, as the API and
    # the page do) and batched (analyse_experiments: the stored totals in two queries)
    def fetch():
        return list(Experiment.objects.filter(workspace=ws, status="running")
                    .prefetch_related("variants"))

    singles, batches = [], []
    for _ in range(a.repeat):
        t = time.perf_counter()
        for e in fetch():
            experiment_analysis(e)
        singles.append(time.perf_counter() - t)
        t = time.perf_counter()
        batched = analyse_experiments(fetch())
        batches.append(time.perf_counter() - t)
        print(f"  analysis: one at a time {singles[-1]:.2f} s · batched {batches[-1]:.2f} s",
              flush=True)
    n_exps = len(batched)

    # the page: cold (cache cleared before each request: the analysis and the chart are
    # computed) and cached (the page cache keyed by the state of the results)
    from django.core.cache import cache

    client = Client()
    client.force_login(User.objects.get(email="bench@mos.local"))
    first = Experiment.objects.filter(workspace=ws, status="running").order_by("key").first()
    url = f"/w/{SLUG}/experiments/{first.code}/"
    for _ in range(3):
        assert client.get(url).status_code == 200
    page = {"cold": [], "cached": []}
    for _ in range(a.page_requests):
        cache.clear()
        for kind in ("cold", "cached"):
            t = time.perf_counter()
            r = client.get(url)
            page[kind].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200

    def p95(xs):
        return statistics.quantiles(xs, n=20, method="inclusive")[18] if len(xs) > 1 else xs[0]

    print()
    print(f"experiments: {n_exps:,} running · load average now {_loadavg()}")
    if runs:
        a_med, s_med = statistics.median(anchors), statistics.median(sqls)
        med = statistics.median(r["seconds"] for r in runs)
        load = statistics.median(r["load_seconds"] for r in runs)
        print(f"contacts first exposed (one arm): {n_units:,}, converters {conv:,.0f} "
              f"({conv / max(n_units, 1):.1%}) · rows written: {runs[-1]['rows']:,}")
        print(f"hand-written SQL anchor (per-variant n and converters, median of {a.repeat}): "
              f"{a_med:.2f} s  {_fmt(anchors)}")
        print(f"MOS SQL daily rows (all metrics, CUPED sums, local days; the query inside "
              f"the nightly run): {s_med:.2f} s = {s_med / a_med:.2f}x the anchor; stored "
              f"values equal the anchor's  {_fmt(sqls)}")
        if olds:
            o_med = statistics.median(olds)
            print(f"previous pandas path (load + join in Python): {o_med:.2f} s = "
                  f"{o_med / a_med:.2f}x the anchor  {_fmt(olds)}")
        print(f"nightly results incl. upsert (median of {a.repeat}): {med:.2f} s "
              f"({med / a_med:.2f}x the anchor), of which the query {load:.2f} s  "
              f"{_fmt([r['seconds'] for r in runs])}")
    s1, b1 = statistics.median(singles), statistics.median(batches)
    print(f"analysis of all {n_exps:,} experiments (median of {a.repeat}): one at a time "
          f"{s1:.2f} s ({s1 / max(n_exps, 1) * 1000:.1f} ms each) {_fmt(singles)}; batched "
          f"{b1:.2f} s ({b1 / max(n_exps, 1) * 1000:.1f} ms each) {_fmt(batches)}")
    for kind, xs in page.items():
        print(f"experiment page server time, {kind}: p50 {statistics.median(xs):.1f} ms, "
              f"p95 {p95(xs):.1f} ms, max {max(xs):.1f} ms ({len(xs)} requests)")


def _fmt(xs) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in xs) + "]"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
