"""What partitioning the events table by month changes, tried on the 5M-contact / 50M-event
data (run by hand; PostgreSQL only).

    .venv/bin/python benchmarks/bench_partition.py [--database-url postgres://…/mos_seed5m]
        [--slug seedbench] [--runs 3] [--keep]

Builds (unless --keep finds it) `bench_event_bymonth`, a copy of `crm_event` declared
`PARTITION BY RANGE (occurred_at)` with one partition per month, the same secondary indexes as
`crm_event` (they become per-partition) and a primary key on (id, occurred_at), and ANALYZEs
it. It never changes `crm_event` or MOS's schema: this is the trial docs/scaling.md asks for.
Then it runs the same queries on both tables, alternating, --runs times, and prints the
medians and the ratio partitioned / plain:

- the nightly loaders' two event reads (engines/metrics/loaders.py): the attribution
  touchpoints of the window (the events with a channel, from the look-back before the window
  to the as-of day) and each contact's latest activity in the window, streamed with COPY as
  the loaders do;
- the dashboard-style count of the last 30 days' events by name;
- 200 contact timelines (a contact's 50 latest events: what the profile shows), which have no
  date bound, so the partitioned table must look into every partition;
- dropping the oldest month as a retention policy would: DELETE of its rows vs DETACH of
  its partition (both inside a transaction that is rolled back).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import date

import psycopg2

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_seed5m"
TABLE = "bench_event_bymonth"


def month_add(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def build(cur) -> None:
    t = time.monotonic()
    cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cur.execute("SELECT min(occurred_at)::date, max(occurred_at)::date FROM crm_event")
    lo, hi = cur.fetchone()
    cur.execute(f"""CREATE TABLE {TABLE} (LIKE crm_event INCLUDING DEFAULTS)
                    PARTITION BY RANGE (occurred_at)""")
    m, n = date(lo.year, lo.month, 1), 0
    while m <= hi:
        nxt = month_add(m, 1)
        cur.execute(f"CREATE TABLE {TABLE}_{m:%Y%m} PARTITION OF {TABLE} "
                    f"FOR VALUES FROM ('{m}') TO ('{nxt}')")
        m, n = nxt, n + 1
    cur.execute(f"INSERT INTO {TABLE} SELECT * FROM crm_event")
    rows = cur.rowcount
    print(f"  copied {rows:,} events into {n} monthly partitions: "
          f"{time.monotonic() - t:.0f} s", flush=True)
    t = time.monotonic()
    cur.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id, occurred_at)")
    for sql in (
            f"CREATE INDEX ON {TABLE} (workspace_id, occurred_at)",
            f"CREATE INDEX ON {TABLE} (contact_id, occurred_at) WHERE contact_id IS NOT NULL",
            f"CREATE INDEX ON {TABLE} (channel_id) WHERE channel_id IS NOT NULL",
            f"CREATE INDEX ON {TABLE} (campaign_id) WHERE campaign_id IS NOT NULL",
            f"CREATE INDEX ON {TABLE} (workspace_id, anonymous_id) WHERE contact_id IS NULL"):
        cur.execute(sql)
    cur.execute(f"ANALYZE {TABLE}")
    print(f"  indexes and ANALYZE: {time.monotonic() - t:.0f} s", flush=True)


def copy_out(cur, sql: str, params) -> int:
    buf = io.BytesIO()
    cur.copy_expert(f"COPY ({cur.mogrify(sql, params).decode()}) TO STDOUT", buf)
    return buf.tell()


def scenarios(ws: int, as_of: date, contacts: list[int], oldest: date):
    start = date.fromordinal(as_of.toordinal() - 400)
    events_start = date.fromordinal(start.toordinal() - 30)
    end = date.fromordinal(as_of.toordinal() + 1)
    recent = date.fromordinal(as_of.toordinal() - 30)

    def touchpoints(cur, table):
        return copy_out(cur, f"SELECT contact_id, channel_id, occurred_at FROM {table} "
                             "WHERE workspace_id = %s AND contact_id IS NOT NULL "
                             "AND channel_id IS NOT NULL AND occurred_at >= %s "
                             "AND occurred_at < %s", [ws, events_start, end])

    def latest_activity(cur, table):
        return copy_out(cur, f"SELECT contact_id, MAX(occurred_at) FROM {table} "
                             "WHERE workspace_id = %s AND contact_id IS NOT NULL "
                             "AND occurred_at >= %s AND occurred_at < %s GROUP BY contact_id",
                        [ws, events_start, end])

    def last_30_days(cur, table):
        cur.execute(f"SELECT name, count(*) FROM {table} WHERE workspace_id = %s "
                    "AND occurred_at >= %s AND occurred_at < %s GROUP BY name",
                    [ws, recent, end])
        return len(cur.fetchall())

    def timelines(cur, table):
        n = 0
        for c in contacts:
            cur.execute(f"SELECT id, name, occurred_at FROM {table} WHERE contact_id = %s "
                        "ORDER BY occurred_at DESC LIMIT 50", [c])
            n += len(cur.fetchall())
        return n

    def drop_oldest_month(cur, table):
        nxt = month_add(oldest, 1)
        cur.execute("SAVEPOINT s")
        if table == TABLE:
            cur.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {TABLE}_{oldest:%Y%m}")
            n = -1
        else:
            cur.execute(f"DELETE FROM {table} WHERE occurred_at >= %s AND occurred_at < %s",
                        [oldest, nxt])
            n = cur.rowcount
        cur.execute("ROLLBACK TO SAVEPOINT s")
        return n

    return [("loader: touchpoints of the window (COPY)", touchpoints),
            ("loader: latest activity per contact (COPY)", latest_activity),
            ("events of the last 30 days by name", last_30_days),
            (f"{len(contacts)} contact timelines (50 latest events)", timelines),
            ("drop the oldest month (DELETE vs DETACH, rolled back)", drop_oldest_month)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--slug", default="seedbench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="reuse the partitioned copy")
    args = ap.parse_args()

    conn = psycopg2.connect(args.database_url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET maintenance_work_mem = '1GB'")
    cur.execute("SELECT id FROM mos_workspace WHERE slug = %s", [args.slug])
    ws = cur.fetchone()[0]
    cur.execute("SELECT to_regclass(%s)", [TABLE])
    if not (args.keep and cur.fetchone()[0]):
        build(cur)
    cur.execute("SELECT count(*), max(occurred_at)::date, min(occurred_at)::date "
                "FROM crm_event WHERE workspace_id = %s", [ws])
    n_events, as_of, lo = cur.fetchone()
    oldest = date(lo.year, lo.month, 1)
    cur.execute("SELECT id FROM crm_contact WHERE workspace_id = %s "
                "ORDER BY md5(id::text) LIMIT 200", [ws])
    contacts = [r[0] for r in cur.fetchall()]
    cur.execute(f"SELECT count(*) FROM pg_inherits WHERE inhparent = '{TABLE}'::regclass")
    parts = cur.fetchone()[0]
    print(f"{n_events:,} events, {parts} monthly partitions, as of {as_of}; "
          f"median of {args.runs}, load {open('/proc/loadavg').read().split()[0]}")

    print(f"\n{'query':<58}{'plain s':>10}{'by month s':>12}{'ratio':>8}")
    for label, fn in scenarios(ws, as_of, contacts, oldest):
        times = {"crm_event": [], TABLE: []}
        for _ in range(args.runs):
            for table in ("crm_event", TABLE):
                conn.autocommit = label.startswith("drop") is False
                t = time.perf_counter()
                fn(cur, table)
                times[table].append(time.perf_counter() - t)
                if not conn.autocommit:
                    conn.rollback()
                    conn.autocommit = True
        a, b = statistics.median(times["crm_event"]), statistics.median(times[TABLE])
        print(f"{label:<58}{a:>10.3f}{b:>12.3f}{b / a:>7.2f}×", flush=True)
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
