"""Lead scoring of every contact (run by hand, PostgreSQL).

    .venv/bin/python benchmarks/bench_scoring.py [--contacts 1000000] [--events-per-contact 4]
        [--runs 3] [--database-url postgres://postgres@127.0.0.1:5432/mos_work15a] [--reuse]

Builds its own data with generate_series (contacts with country, persona, customer type,
buying role and an account of some size; events of five names over the last 120 days), the
demo's nine scoring rules, then times, per run and in the same run:
  - MOS: crm.scoring.services.scores_recompute(workspace) — load the contacts and the events
    grouped by (contact, name, day), pandas maths, write the scores that changed;
  - the anchor: ONE hand-written SQL INSERT … ON CONFLICT computing the same scores in the
    database and upserting them into the same score table.
Before each timed pass every stored score is deleted (not timed), so both write every
contact's score (the worst night: every score changed). It checks that both give the same score for every contact and prints medians.
The database is the benchmark's own: dropped and re-created unless --reuse.
"""

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

from bench_seed import fresh_database  # noqa: E402 (one database-reset for the benchmarks)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_work15a"

ANCHOR_SQL = """
INSERT INTO crm_contactscore (contact_id, workspace_id, score, computed_at)
  SELECT c.id, %(ws)s, LEAST(100, GREATEST(0, ROUND((
      (CASE WHEN c.persona_id IS NOT NULL THEN 15 ELSE 0 END)
    + (CASE WHEN a.size IN ('11–50', '51–200', '201–1000', '1000+') THEN 15 ELSE 0 END)
    + (CASE WHEN lower(c.buying_role) IN ('decision_maker', 'buyer') THEN 10 ELSE 0 END)
    + (CASE WHEN lower(c.customer_type) IN ('strategic', 'need_driven') THEN 5 ELSE 0 END)
    + COALESCE(e.pts, 0))::double precision))), now()
  FROM crm_contact c
  LEFT JOIN crm_account a ON a.id = c.account_id
  LEFT JOIN (
    SELECT contact_id, SUM(CASE
        WHEN name = 'demo_request' THEN LEAST(40, COALESCE(w30, 0) * 30)
        WHEN name = 'webinar' THEN LEAST(30, COALESCE(w30, 0) * 15)
        WHEN name = 'form_submit' THEN LEAST(20, COALESCE(w30, 0) * 10)
        WHEN name = 'email_click' THEN LEAST(16, COALESCE(w14, 0) * 4)
        WHEN name = 'page_view' THEN LEAST(16, COALESCE(w14, 0) * 2) END) AS pts
    FROM (
      SELECT contact_id, name,
             SUM(n * power(0.5::float8, age / 30.0::float8)) FILTER (WHERE age <= 240) AS w30,
             SUM(n * power(0.5::float8, age / 14.0::float8)) FILTER (WHERE age <= 112) AS w14
      FROM (SELECT contact_id, name, (%(as_of)s::date - (occurred_at AT TIME ZONE 'UTC')::date) AS age,
                   COUNT(*) AS n
            FROM crm_event
            WHERE workspace_id = %(ws)s AND contact_id IS NOT NULL
              AND name IN ('demo_request', 'webinar', 'form_submit', 'email_click', 'page_view')
              AND occurred_at >= %(since)s
            GROUP BY 1, 2, 3) d
      GROUP BY 1, 2) per_name
    GROUP BY 1) e ON e.contact_id = c.id
  WHERE c.workspace_id = %(ws)s
ON CONFLICT (contact_id) DO UPDATE SET score = excluded.score, computed_at = excluded.computed_at
"""



def build(ws, n: int, per: int) -> None:
    from django.db import connection

    from crm.models import Persona

    personas = [Persona.objects.create(workspace=ws, name=f"P{i}").pk for i in range(4)]
    with connection.cursor() as cur:
        cur.execute("""INSERT INTO crm_account (code, workspace_id, name, domain, industry, size,
                           plan, external_id, created_at)
                       SELECT gen_random_uuid(), %s, 'Co ' || g, '', '',
                              (ARRAY['1–10','11–50','51–200','201–1000','1000+'])[1 + g %% 5],
                              '', '', now() FROM generate_series(1, %s) g""", [ws.pk, n // 4])
        cur.execute("SELECT min(id) FROM crm_account WHERE workspace_id = %s", [ws.pk])
        acc0 = cur.fetchone()[0]
        cur.execute("""INSERT INTO crm_contact (code, workspace_id, external_id, email, phone, name,
                           account_id, company, country, city, language, persona_id, customer_type,
                           buying_role, stage, properties, created_at, updated_at)
                       SELECT gen_random_uuid(), %s, '', '', '', 'C ' || g,
                              CASE WHEN g %% 3 = 0 THEN NULL ELSE %s + (g %% %s) END, '',
                              'SA', '', 'ar',
                              CASE WHEN g %% 4 = 0 THEN NULL ELSE (%s::bigint[])[1 + g %% 4] END,
                              (ARRAY['strategic','loyal','need_driven','wandering',''])[1 + g %% 5],
                              (ARRAY['decision_maker','buyer','influencer','end_user',''])[1 + (g / 7) %% 5],
                              'lead', '{}', now(), now()
                       FROM generate_series(1, %s) g""",
                    [ws.pk, acc0, n // 4, personas, n])
        cur.execute("SELECT min(id), max(id) FROM crm_contact WHERE workspace_id = %s", [ws.pk])
        lo, hi = cur.fetchone()
        cur.execute("""INSERT INTO crm_event (code, workspace_id, contact_id, anonymous_id, name,
                           utm_source, utm_medium, utm_campaign, utm_term, utm_content,
                           occurred_at, received_at, properties, quality_issues, idempotency_id)
                       SELECT gen_random_uuid(), %s, %s + floor(random() * (%s - %s + 1))::bigint,
                              '', (ARRAY['page_view','page_view','page_view','email_click',
                                         'form_submit','webinar','demo_request'])[1 + floor(random() * 7)::int],
                              '', '', '', '', '', now() - random() * interval '120 days', now(),
                              '{}', '[]', ''
                       FROM generate_series(1, %s) g""", [ws.pk, lo, hi, lo, n * per])
        cur.execute("ANALYZE crm_contact; ANALYZE crm_event; ANALYZE crm_account")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--events-per-contact", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--reuse", action="store_true")
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    if not args.reuse:
        fresh_database(args.database_url)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0",
                        "--skip-checks"], check=True, env=os.environ.copy(), cwd=ROOT)
    import django

    django.setup()
    from datetime import datetime, time as dtime, timedelta, timezone as tz

    from django.db import connection

    from crm.models import ScoringRule
    from crm.scoring.services import scores_recompute
    from demo.workday import RULES
    from mos.models import Workspace

    ws = Workspace.objects.filter(slug="scorebench").first()
    if ws is None:
        ws = Workspace.objects.create(slug="scorebench", name="Score bench", currency="USD")
        t = time.monotonic()
        build(ws, args.contacts, args.events_per_contact)
        ScoringRule.objects.bulk_create([
            ScoringRule(workspace=ws, kind=k, field=f, values=v, points=p, half_life_days=h,
                        max_points=m) for k, f, v, p, h, m in RULES])
        print(f"built {args.contacts:,} contacts, {args.contacts * args.events_per_contact:,} "
              f"events in {time.monotonic() - t:.0f} s", flush=True)
    as_of = datetime.now(tz.utc).date()
    since = datetime.combine(as_of - timedelta(days=240), dtime.min, tzinfo=tz.utc)

    def reset():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM crm_contactscore WHERE workspace_id = %s", [ws.pk])

    mos_t, sql_t = [], []
    for run in range(args.runs):
        reset()
        t = time.monotonic()
        changed = scores_recompute(ws, as_of=as_of)
        mos_t.append(time.monotonic() - t)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_mos_scores")
            cur.execute("CREATE TEMP TABLE bench_mos_scores AS SELECT contact_id, score "
                        "FROM crm_contactscore WHERE workspace_id = %s", [ws.pk])
        reset()
        t = time.monotonic()
        with connection.cursor() as cur:
            cur.execute(ANCHOR_SQL, {"ws": ws.pk, "as_of": as_of, "since": since})
            anchor_changed = cur.rowcount
        sql_t.append(time.monotonic() - t)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM crm_contactscore c FULL JOIN bench_mos_scores m "
                        "ON m.contact_id = c.contact_id WHERE c.workspace_id = %s "
                        "AND c.score IS DISTINCT FROM m.score", [ws.pk])
            differ = cur.fetchone()[0]
        print(f"run {run + 1}: MOS {mos_t[-1]:.2f} s ({changed:,} written) · anchor SQL "
              f"{sql_t[-1]:.2f} s ({anchor_changed:,} written) · contacts whose scores differ: "
              f"{differ}", flush=True)
    from crm.models import ContactScore

    dist = dict(ContactScore.objects.filter(workspace=ws).values_list("score").annotate(
        n=django.db.models.Count("contact_id")).order_by("-n")[:3])
    m, s = statistics.median(mos_t), statistics.median(sql_t)
    print(f"\nmedian of {args.runs}: MOS {m:.2f} s, anchor {s:.2f} s → {m / s:.2f}× the anchor")
    print(f"most common scores: {dist}; load average {os.getloadavg()[0]:.1f}")
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
