"""MRR movements for 1M subscriptions × 36 months: MOS against hand-written SQL (run by hand).

    .venv/bin/python benchmarks/bench_mrr.py [--subscriptions 1000000] [--months 36] [--runs 3]
        [--database-url postgres://postgres@127.0.0.1:5432/mos_mrrbench] [--reuse]

Generates `subscriptions` (default 1M) over `months` (default 36) for ~0.6 × as many customers:
starts spread over the months, 30 % with a 14-day trial, 55 % ended after a geometric number
of months, MRR from a few price points × seats, four plans; a fifth of the customers hold a
second subscription (expansion / contraction). It creates the database (migrated), one
workspace, a contact per customer and COPYs the subscriptions into crm_subscription (--reuse
keeps them when the counts match). Then, --runs times, alternating so every side sees the same
machine load:

  1. the anchor, benchmarks/mrr_movements.sql: the workspace-level monthly keys (MRR, ARR,
     customers, ARPA, the five movements and their customers, net new, logo churn, MRR churn
     rate, NRR, GRR, subscription LTV) in plain PostgreSQL, from crm_subscription;
  2. MOS's path from the same table: loaders.load_subscriptions + the pure functions of
     engines/metrics/subscriptions.py for the same keys (paying_spans, customer_movements,
     monthly_movements, the values) — the like-for-like figure; the loader's share is printed;
  3. MOS's functions alone on the loaded frame (no database), and compute_subscriptions (every
     subscription key: workspace, per plan, cohort retention, trials) for scale.

Every value of the SQL is checked equal (rtol 1e-9) to MOS's, and MOS may not have a value the
SQL lacks. Prints the medians and the ratios to the anchor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_mrrbench"
SLUG = "mrrbench"
MARGIN = 0.8
SQL = ROOT / "benchmarks" / "mrr_movements.sql"

from engines.metrics import subscriptions as subs_metrics  # noqa: E402


def generate(n: int, months: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Timestamp]:
    rng = np.random.default_rng(seed)
    start0 = pd.Timestamp("2023-01-01")
    as_of = start0 + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    days = (as_of - start0).days
    started = start0 + pd.to_timedelta(rng.integers(0, days, n), "D") + pd.to_timedelta(
        rng.integers(0, 86400, n), "s")
    trial = pd.Series(started + pd.Timedelta(days=14)).where(rng.random(n) < 0.3)
    life = pd.to_timedelta(rng.geometric(0.08, n) * 30 + rng.integers(0, 30, n), "D")
    ended = pd.Series(started + life).where(rng.random(n) < 0.55)
    customers = int(n * 0.6)
    customer = np.concatenate([np.arange(customers), rng.integers(0, customers, n - customers)])
    plans = np.array(["starter", "pro", "team", "enterprise"], dtype=object)
    plan = plans[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])]
    price = np.array([19.0, 49.0, 99.0, 499.0])[pd.Index(plans).get_indexer(plan)]
    mrr = price * rng.integers(1, 6, n)
    frame = pd.DataFrame({"subscription_id": np.arange(n, dtype=np.int64),
                          "customer_id": customer.astype(np.int64), "plan": plan,
                          "mrr": mrr, "started_at": started,
                          "trial_end": trial.astype("datetime64[ns]"),
                          "ended_at": ended.astype("datetime64[ns]")})
    return frame, as_of


def iso(t: pd.Series) -> np.ndarray:
    """tz-naive times (taken as UTC) → ISO text for COPY; NaT → NULL."""
    out = np.char.add(np.datetime_as_string(t.to_numpy().astype("datetime64[s]"), unit="s"),
                      "+00").astype(object)
    out[t.isna().to_numpy()] = None
    return out


def load_database(frame: pd.DataFrame, ws_id: int) -> None:
    """A contact per customer, then the subscriptions, with COPY."""
    from bench_pipeline import copy_frame
    from django.db import connection

    now = datetime.utcnow().isoformat() + "+00"
    with connection.cursor() as c:
        cur = c.cursor
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM crm_contact")
        base = cur.fetchone()[0] + 1
        n = int(frame["customer_id"].max()) + 1
        ids = np.arange(base, base + n)
        copy_frame(cur, "crm_contact", pd.DataFrame({
            "id": ids, "workspace_id": ws_id, "created_at": now, "updated_at": now,
            "stage": "customer", "properties": "{}"}), now)
        cur.execute("SELECT setval(pg_get_serial_sequence('crm_contact', 'id'), "
                    "(SELECT MAX(id) FROM crm_contact))")
        ended = frame["ended_at"].notna().to_numpy()
        copy_frame(cur, "crm_subscription", pd.DataFrame({
            "workspace_id": ws_id, "contact_id": ids[frame["customer_id"].to_numpy()],
            "plan": frame["plan"], "mrr": frame["mrr"].map("{:.2f}".format), "quantity": 1,
            "status": np.where(ended, "ended", "active"),
            "started_at": iso(frame["started_at"]), "trial_end": iso(frame["trial_end"]),
            "ended_at": iso(frame["ended_at"]), "properties": "{}"}), now)
        cur.execute("ANALYZE crm_contact")
        cur.execute("ANALYZE crm_subscription")


def sql_query() -> str:
    """mrr_movements.sql with its psql variables (:ws, :'tz'…) as psycopg2 parameters."""
    import re

    text = "\n".join(line for line in SQL.read_text().splitlines()
                     if not line.lstrip().startswith("--"))
    return re.sub(r"(?<![:\w]):'?([a-z_]+)'?", r"%(\1)s", text.strip().rstrip(";"))


def workspace_values(subs: pd.DataFrame, as_of) -> pd.DataFrame:
    """MOS's workspace-level monthly keys (what compute_subscriptions writes with dimension "")."""
    spans = subs_metrics.paying_spans(subs, as_of=as_of)
    mm = subs_metrics.monthly_movements(subs_metrics.customer_movements(spans), as_of=as_of)
    return pd.concat(subs_metrics._long(subs_metrics._values(mm, MARGIN)), ignore_index=True)


def compare(rows: list, mos: pd.DataFrame) -> list[str]:
    want = {(k, p): float(v) for k, p, v in rows}
    got = {(k, p): v for k, p, v in zip(mos["key"], mos["period"], mos["value"])}
    diffs = [f"{k}: SQL {v} MOS {got.get(k)}" for k, v in want.items()
             if k not in got or not np.isclose(got[k], v, rtol=1e-9, atol=1e-9)]
    diffs += [f"{k}: MOS {v}, not in the SQL" for k, v in got.items() if k not in want]
    return diffs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscriptions", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the database's subscriptions when their count matches")
    args = ap.parse_args()
    frame, as_of = generate(args.subscriptions, args.months)
    print(f"{len(frame):,} subscriptions, {frame['customer_id'].nunique():,} customers, "
          f"{args.months} months to {as_of.date()}")

    from bench_pipeline import ensure_database

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    ensure_database(args.database_url, fresh=not args.reuse)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0", "--skip-checks"],
                   check=True, env=os.environ.copy(), cwd=ROOT)
    import django

    django.setup()
    from django.db import connection, transaction

    from crm.models import Subscription
    from engines.metrics import loaders
    from mos.models import Workspace

    ws = Workspace.objects.filter(slug=SLUG).first()
    if ws is not None and Subscription.objects.filter(workspace=ws).count() != len(frame):
        ws.delete()
        ws = None
    if ws is None:
        ws = Workspace.objects.create(slug=SLUG, name="MRR benchmark")
        t = time.monotonic()
        with transaction.atomic():
            load_database(frame, ws.pk)
        print(f"contacts + subscriptions COPY: {time.monotonic() - t:.1f} s")
    else:
        print("reusing the loaded subscriptions")
    day = as_of.date()
    window = loaders.Window.trailing(as_of=day, tz=ws.timezone or "UTC")
    query = sql_query()
    params = {"ws": ws.pk, "tz": ws.timezone or "UTC", "as_of": day, "margin": MARGIN}

    def anchor():
        with connection.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    times = {k: [] for k in ("sql", "load", "moves", "all")}
    rows = mos = None
    anchor()  # warm the cache for both sides alike
    for i in range(args.runs):
        t = time.perf_counter()
        rows = anchor()
        times["sql"].append(time.perf_counter() - t)
        t = time.perf_counter()
        subs = loaders.load_subscriptions(ws.pk, window)
        times["load"].append(time.perf_counter() - t)
        t = time.perf_counter()
        mos = workspace_values(subs, as_of)
        times["moves"].append(time.perf_counter() - t)
        t = time.perf_counter()
        every = subs_metrics.compute_subscriptions(subs, as_of=as_of, margin=MARGIN)
        times["all"].append(time.perf_counter() - t)
        print(f"  pass {i + 1}: SQL {times['sql'][-1]:.2f} s; MOS load {times['load'][-1]:.2f} s"
              f" + movements {times['moves'][-1]:.2f} s; compute_subscriptions "
              f"{times['all'][-1]:.2f} s ({len(every):,} values)", flush=True)
    diffs = compare(rows, mos)
    print(f"mrr_movements.sql vs MOS: {len(rows):,} values compared "
          f"({len({r[0] for r in rows})} keys × {len({r[1] for r in rows})} months), "
          f"{len(diffs)} differ")
    for d in diffs[:20]:
        print("   ", d)
    m = {k: statistics.median(v) for k, v in times.items()}
    path = [a + b for a, b in zip(times["load"], times["moves"])]
    m["path"] = statistics.median(path)
    print(f"median of {args.runs} ({datetime.utcnow():%Y-%m-%d %H:%M} UTC, load average "
          f"{open('/proc/loadavg').read().split()[0]}):")
    print(f"  anchor, mrr_movements.sql (PostgreSQL, from crm_subscription) {m['sql']:7.2f} s")
    print(f"  MOS from the database: load_subscriptions + movements        {m['path']:7.2f} s "
          f"= {m['path'] / m['sql']:.2f}× the SQL (loader {m['load']:.2f} s)")
    print(f"  MOS movements alone, frame in memory (pure functions)         {m['moves']:7.2f} s "
          f"= {m['moves'] / m['sql']:.2f}× the SQL")
    print(f"  compute_subscriptions, every key (plan, cohorts, trials)      {m['all']:7.2f} s "
          f"= {m['all'] / m['sql']:.2f}× the SQL")
    last = mos[mos["period"] == mos["period"].max()].set_index("key")["value"]
    print(f"last month: MRR {last['mrr']:,.2f}, customers {last['subscription_customers']:,.0f}, "
          f"new {last['mrr_new']:,.2f}, churn {last['mrr_churn']:,.2f}")
    if diffs:
        sys.exit(1)


if __name__ == "__main__":
    main()
