"""Grow bench_seed's workspace to 5M contacts / 50M events in SQL, for the search and screen
benchmarks at that size (run by hand; PostgreSQL only).

    .venv/bin/python benchmarks/bench_scale_seed.py [--source mos_seedbench] [--target mos_seed5m]
        [--factor 5] [--events 50000000] [--slug seedbench]   # --events 0: contacts only

The demo generator writes about 2,400 contacts a second, so 5M contacts and 50M events would
take it hours; this copies what bench_seed.py built instead. It clones the source database
(CREATE DATABASE … TEMPLATE, so the source must have no open connection), then in one
transaction with foreign-key triggers off and the two tables' secondary indexes dropped:

- contacts: factor − 1 copies of every contact, each with a new code, e-mail (a "+c<k>" tag
  on the local part, so no copy collides with a real address), external id, phone (last two digits shifted) and created_at (k × 3 days
  earlier); names, companies, cities, stages and owners repeat, as in a real large CRM where
  many people share a name;
- events: every event once more per contact copy (the copy's contact; anonymous visitors get
  their own anonymous id), then whole time-shifted copies (35 days earlier each) until the
  table holds --events rows.

Then it rebuilds the dropped indexes, ANALYZEs and prints the rows and seconds of each step.
Orders, stage changes and metric values are not multiplied (the dashboard reads metric
values only; bench_screens times the contacts list, search and the dashboard)."""

from __future__ import annotations

import argparse
import math
import sys
import time

import psycopg2

BASE = "postgres://postgres@127.0.0.1:5432/"


def step(label: str, t0: float) -> float:
    t = time.monotonic()
    print(f"  {label}: {t - t0:.1f} s", flush=True)
    return t


def secondary_indexes(cur, table: str) -> list[tuple[str, str]]:
    cur.execute("""SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
                   JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                   WHERE t.relname = %s AND NOT x.indisprimary
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                """, [table])
    return cur.fetchall()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", default="mos_seedbench")
    ap.add_argument("--target", default="mos_seed5m")
    ap.add_argument("--factor", type=int, default=5, help="contacts × factor")
    ap.add_argument("--events", type=int, default=50_000_000,
                    help="events in the end (0: copy the contacts only, keep the events)")
    ap.add_argument("--slug", default="seedbench")
    args = ap.parse_args()

    t_all = t = time.monotonic()
    admin = psycopg2.connect(BASE + "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{args.target}"')
        cur.execute(f'CREATE DATABASE "{args.target}" TEMPLATE "{args.source}"')
    admin.close()
    t = step(f"clone {args.source} → {args.target}", t)

    conn = psycopg2.connect(BASE + args.target)
    with conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK trigger per row
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SELECT id FROM mos_workspace WHERE slug = %s", [args.slug])
        ws = cur.fetchone()[0]
        cur.execute("SELECT max(id) FROM crm_contact")
        offset = 10 ** math.ceil(math.log10(cur.fetchone()[0] + 1))
        cur.execute("SELECT count(*) FROM crm_event WHERE workspace_id = %s", [ws])
        base_events = cur.fetchone()[0]

        dropped = secondary_indexes(cur, "crm_contact") + secondary_indexes(cur, "crm_event")
        for name, _sql in dropped:
            cur.execute(f'DROP INDEX "{name}"')
        t = step(f"drop {len(dropped)} secondary indexes", t)

        copies = list(range(1, args.factor))
        cur.execute("""
            INSERT INTO crm_contact (id, code, external_id, email, phone, name, company, country,
                city, language, customer_type, buying_role, stage, stage_changed_at, properties,
                created_at, updated_at, account_id, owner_id, source_campaign_id,
                source_channel_id, workspace_id, persona_id, erased_at)
            SELECT c.id + k * %(off)s, gen_random_uuid(),
                CASE WHEN c.external_id = '' THEN '' ELSE c.external_id || '-' || k END,
                CASE WHEN c.email = '' THEN ''
                     ELSE split_part(c.email, '@', 1) || '+c' || k || '@'
                          || split_part(c.email, '@', 2)
                END,
                CASE WHEN length(c.phone) < 4 OR right(c.phone, 2) !~ '^[0-9]{2}$' THEN c.phone
                     ELSE left(c.phone, length(c.phone) - 2)
                          || lpad(((right(c.phone, 2)::int + 17 * k) %% 100)::text, 2, '0')
                END,
                c.name, c.company, c.country, c.city, c.language, c.customer_type,
                c.buying_role, c.stage, c.stage_changed_at, c.properties,
                c.created_at - k * interval '3 days', c.updated_at, c.account_id, c.owner_id,
                c.source_campaign_id, c.source_channel_id, c.workspace_id, c.persona_id,
                c.erased_at
            FROM crm_contact c CROSS JOIN unnest(%(ks)s::int[]) AS k
            WHERE c.workspace_id = %(ws)s""", {"off": offset, "ks": copies, "ws": ws})
        t = step(f"contacts: +{cur.rowcount:,}", t)

        copies_events = args.events > 0  # 0: contacts only, the events stay the source's
        event_cols = ("name, utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
                      "received_at, properties, quality_issues, campaign_id, channel_id, "
                      "workspace_id")
        e_cols = ", ".join("e." + c.strip() for c in event_cols.split(","))
        if copies_events:
            cur.execute(f"""
                INSERT INTO crm_event (code, anonymous_id, idempotency_id, contact_id,
                                       occurred_at, {event_cols})
                SELECT gen_random_uuid(),
                    CASE WHEN e.contact_id IS NULL THEN e.anonymous_id || '-' || k
                         ELSE e.anonymous_id END,
                    '', e.contact_id + k * %(off)s, e.occurred_at, {e_cols}
                FROM crm_event e CROSS JOIN unnest(%(ks)s::int[]) AS k
                WHERE e.workspace_id = %(ws)s""", {"off": offset, "ks": copies, "ws": ws})
            t = step(f"events, one per contact copy: +{cur.rowcount:,}", t)

        have = base_events * args.factor
        cur.execute("SELECT max(id) FROM crm_event")
        max_id = cur.fetchone()[0]  # the shifted copies copy these rows, not each other
        shift = 1
        while copies_events and have < args.events * 0.999:
            want = min(args.events - have, base_events * args.factor)
            share = want / (base_events * args.factor)
            cur.execute(f"""
                INSERT INTO crm_event (code, anonymous_id, idempotency_id, contact_id,
                                       occurred_at, {event_cols})
                SELECT gen_random_uuid(), e.anonymous_id, '', e.contact_id,
                       e.occurred_at - %(shift)s * interval '35 days', {e_cols}
                FROM crm_event e
                WHERE e.workspace_id = %(ws)s AND e.id <= %(max_id)s
                  AND (%(share)s >= 1 OR random() < %(share)s)""",
                        {"shift": shift, "ws": ws, "share": share, "max_id": max_id})
            have += cur.rowcount
            t = step(f"events shifted {35 * shift} days earlier: +{cur.rowcount:,}", t)
            shift += 1

        for name, sql in dropped:
            cur.execute(sql)
        t = step(f"rebuild {len(dropped)} indexes", t)
        cur.execute("SELECT setval(pg_get_serial_sequence('crm_contact', 'id'), "
                    "(SELECT max(id) FROM crm_contact))")
        cur.execute("SELECT setval(pg_get_serial_sequence('crm_event', 'id'), "
                    "(SELECT max(id) FROM crm_event))")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE crm_contact")
        cur.execute("ANALYZE crm_event")
        t = step("analyze", t)
        cur.execute("SELECT count(*) FROM crm_contact WHERE workspace_id = %s", [ws])
        n_contacts = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM crm_event WHERE workspace_id = %s", [ws])
        n_events = cur.fetchone()[0]
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
    conn.close()
    print(f"\n{args.target}: {n_contacts:,} contacts, {n_events:,} events, {size}, "
          f"{time.monotonic() - t_all:.0f} s in all")
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
