"""Time the demo generator on PostgreSQL (run by hand).

    .venv/bin/python benchmarks/bench_seed.py [--contacts 1000000] [--months 18] [--seed 42]
        [--database-url postgres://postgres@127.0.0.1:5432/mos_seedbench] [--keep]

Creates the database if needed, migrates it, builds a workspace with the demo team and calls
crm.demo.build_demo_data (COPY for every big table, chunks of 50,000 contacts), then prints the
rows and seconds per table, the total, the peak memory and the command line. The database
is the benchmark's own: it is dropped and re-created at the start, and left filled afterwards
(a ready-made large workspace "seedbench" for metric benchmarks).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_seedbench"


def fresh_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=18)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--database-url", default=DEFAULT_URL)
    args = ap.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    fresh_database(args.database_url)
    t = time.monotonic()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0", "--skip-checks"],
                   check=True, env=os.environ.copy(), cwd=ROOT)
    print(f"migrate: {time.monotonic() - t:.1f} s")

    import django

    django.setup()
    from demo.generator import build_demo_data
    from demo.management.commands.seed_demo import Command

    ws = Command()._team("seedbench")
    stats = build_demo_data(ws, seed=args.seed, contacts=args.contacts, months=args.months,
                            log=lambda m: print(m, flush=True))
    counts, secs = stats["counts"], stats["seconds"]
    print(f"\n{'table':<22}{'rows':>14}{'seconds':>10}{'rows/s':>12}")
    for table, n in counts.items():
        s = secs.get(table)
        rate = f"{n / s:,.0f}" if s else ""
        print(f"{table:<22}{n:>14,}{(f'{s:.1f}' if s is not None else ''):>10}{rate:>12}")
    for step in ("setup_and_spend", "simulate", "segments_kpis_audit"):
        print(f"{step:<22}{'':>14}{secs.get(step, 0):>10.1f}")
    rows = sum(counts.values())
    print(f"{'total':<22}{rows:>14,}{stats['total_seconds']:>10.1f}"
          f"{rows / stats['total_seconds']:>12,.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:,.0f} MB")
    print(f"period: {stats['start']} → {stats['end']}")
    print("command: DATABASE_URL=" + args.database_url + " .venv/bin/python "
          + " ".join(sys.argv))


if __name__ == "__main__":
    main()
