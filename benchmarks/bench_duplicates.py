"""The duplicates page's grouping (run by hand, PostgreSQL, on a bench_seed workspace).

    .venv/bin/python benchmarks/bench_seed.py --contacts 100000 \
        --database-url postgres://postgres@127.0.0.1:5432/mos_misc16_bench
    .venv/bin/python benchmarks/bench_duplicates.py [--runs 5] \
        [--database-url postgres://postgres@127.0.0.1:5432/mos_misc16_bench] [--slug seedbench]

Times, per run and in the same run:
  - MOS: crm.duplicates.duplicate_groups(workspace) — the keys computed and grouped in SQL
    (crm migration 0024), only the first page of groups fetched, then its contacts;
  - the anchor: the former page, every contact of the workspace read into Python, keyed by
    email_key / phone_key / name_key and bucketed there, then the same contacts fetched.
It checks that both show the same groups in the same order, and prints the medians, the ratio,
the number of contacts and groups, the load average and the command line. The database is
bench_seed's (migrated here, not re-created).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_misc16_bench"


def python_scan(workspace, limit: int = 200) -> list[tuple]:
    """The page before crm 0024: every contact keyed in Python (the former duplicate_groups)."""
    from crm.duplicates import email_key, name_key, phone_key
    from crm.models import Contact

    buckets: dict[tuple, list[int]] = defaultdict(list)
    rows = (Contact.objects.filter(workspace=workspace).order_by()
            .values_list("id", "name", "email", "phone"))
    for pk, name, email, phone in rows.iterator(chunk_size=5000):
        if k := email_key(email):
            buckets[("email", k)].append(pk)
        if k := phone_key(phone):
            buckets[("phone", k)].append(pk)
        if k := name_key(name):
            buckets[("name", k)].append(pk)
    order = {"email": 0, "phone": 1, "name": 2}
    seen, groups = set(), []
    for (reason, key), ids in sorted(buckets.items(),
                                     key=lambda kv: (order[kv[0][0]], -max(kv[1]))):
        if len(ids) < 2 or len(ids) > 20 or frozenset(ids) in seen:
            continue
        seen.add(frozenset(ids))
        groups.append((reason, key, sorted(ids)))
    groups.sort(key=lambda g: -max(g[2]))
    groups = groups[:limit]
    contacts = Contact.objects.filter(workspace=workspace).select_related(
        "account", "owner").in_bulk([i for g in groups for i in g[2]])
    return [(r, k, [contacts[i].pk for i in ids]) for r, k, ids in groups]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--slug", default="seedbench")
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0", "--skip-checks"],
                   check=True, env=os.environ.copy(), cwd=ROOT)
    import django

    django.setup()
    from crm.duplicates import duplicate_groups
    from crm.models import Contact
    from mos.models import Workspace

    ws = Workspace.objects.get(slug=args.slug)
    n = Contact.objects.filter(workspace=ws).count()
    sql_t, py_t = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        shown = [(g["reason"], g["key"], [c.pk for c in g["contacts"]])
                 for g in duplicate_groups(ws)]
        sql_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        anchor = python_scan(ws)
        py_t.append(time.perf_counter() - t)
        assert shown == anchor, "the SQL grouping and the Python scan differ"
    sql_m, py_m = statistics.median(sql_t), statistics.median(py_t)
    print(f"contacts: {n:,}; groups shown: {len(shown)} "
          f"({', '.join(f'{r} {sum(g[0] == r for g in shown)}' for r in ('email', 'phone', 'name'))})")
    print(f"MOS duplicate_groups (SQL):   median {sql_m * 1000:,.0f} ms  runs "
          + " ".join(f"{x * 1000:.0f}" for x in sql_t))
    print(f"anchor: former Python scan:   median {py_m * 1000:,.0f} ms  runs "
          + " ".join(f"{x * 1000:.0f}" for x in py_t))
    print(f"ratio MOS / anchor: {sql_m / py_m:.2f} (same groups, same order: yes)")
    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; load average: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("command: " + " ".join([".venv/bin/python", "benchmarks/bench_duplicates.py"]
                                 + sys.argv[1:]))


if __name__ == "__main__":
    main()
