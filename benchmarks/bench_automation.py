"""Lifecycle automation at scale: evaluating triggers over 1M contacts (the nightly pass) and
sending 100k messages through the engine (Django's locmem e-mail backend), each message
claimed in the ledger, consent-checked and rendered in the contact's language.

    DATABASE_URL=sqlite:////tmp/bench_auto.sqlite3 .venv/bin/python benchmarks/bench_automation.py
    (options: --contacts 1000000 --messages 100000 --runs 3)

Prints the median of the runs and an anchor: the same machine's time to COUNT(*) the contacts
table, so the figures can be compared across machines (ratio = time / anchor)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone as dt_tz
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_auto.sqlite3")

import django  # noqa: E402

django.setup()

from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

NOW = datetime(2026, 6, 1, 12, tzinfo=dt_tz.utc)


def _setup(n_contacts: int):
    from crm.models import Consent, Contact, StageChange
    from mos.models import Workspace

    call_command("migrate", verbosity=0)
    Workspace.objects.filter(slug="bench-auto").delete()
    ws = Workspace.objects.create(slug="bench-auto", name="Bench")
    if connection.vendor == "postgresql":  # set-based: a million rows in seconds
        with connection.cursor() as cur:
            cur.execute("""
                INSERT INTO crm_contact (code, external_id, email, phone, name, company, country,
                    city, language, customer_type, buying_role, stage, properties, created_at,
                    updated_at, workspace_id)
                SELECT gen_random_uuid(), '', 'c' || i || '@bench.test', '', 'C' || i, '', '',
                    '', CASE WHEN i %% 3 = 0 THEN 'ar' ELSE 'en' END, '', '',
                    CASE WHEN i %% 10 = 0 THEN 'lead' ELSE 'customer' END, '{}'::jsonb,
                    %s, %s, %s
                FROM generate_series(0, %s - 1) AS i""",
                        [NOW - timedelta(days=400), NOW, ws.id, n_contacts])
            cur.execute("""
                INSERT INTO crm_stagechange (workspace_id, contact_id, from_stage, to_stage, at,
                    reason)
                SELECT %s, id, 'subscriber', 'lead', %s, '' FROM crm_contact
                WHERE workspace_id = %s AND stage = 'lead'""",
                        [ws.id, NOW - timedelta(hours=2), ws.id])
            cur.execute("""
                INSERT INTO crm_consent (workspace_id, contact_id, channel, status, source, at,
                    recorded_at)
                SELECT %s, id, 'email', 'granted', '', %s, %s FROM crm_contact
                WHERE workspace_id = %s AND stage = 'lead'""",
                        [ws.id, NOW - timedelta(days=3), NOW - timedelta(days=3), ws.id])
            cur.execute("ANALYZE")
        return ws
    batch = 50_000
    for start in range(0, n_contacts, batch):
        Contact.objects.bulk_create([
            Contact(workspace=ws, email=f"c{i}@bench.test", name=f"C{i}",
                    language="ar" if i % 3 == 0 else "en", stage="lead" if i % 10 == 0
                    else "customer", created_at=NOW - timedelta(days=400))
            for i in range(start, min(start + batch, n_contacts))], batch_size=5000)
    ids = list(Contact.objects.filter(workspace=ws, stage="lead").values_list("id", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        StageChange.objects.bulk_create([
            StageChange(workspace=ws, contact_id=i, from_stage="subscriber", to_stage="lead",
                        at=NOW - timedelta(hours=2)) for i in chunk], batch_size=5000)
        Consent.objects.bulk_create([
            Consent(workspace=ws, contact_id=i, channel="email", status="granted",
                    at=NOW - timedelta(days=3)) for i in chunk], batch_size=5000)
    return ws


def _flow(ws, trigger, cfg, steps):
    from automation import services
    from automation.models import Enrollment, Flow
    from mos.actors import Actor

    Flow.objects.filter(workspace=ws).delete()
    flow = services.flow_create(actor=Actor.system(ws), name="B", trigger=trigger,
                                trigger_config=cfg, goal="stage", goal_value="customer",
                                steps=steps, quiet_start=0, quiet_end=0, frequency_cap=50)
    Flow.objects.filter(pk=flow.pk).update(status="active", activated_at=NOW - timedelta(days=1))
    flow.refresh_from_db()
    assert not Enrollment.objects.filter(flow=flow).exists()
    return flow


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from automation import engine, triggers
    from automation.models import Enrollment
    from crm.models import Contact

    t = time.perf_counter()
    ws = _setup(args.contacts)
    print(f"setup: {args.contacts} contacts in {time.perf_counter() - t:.1f} s "
          f"({connection.vendor})")
    anchor = statistics.median(_time(lambda: Contact.objects.filter(workspace=ws).count())
                               for _ in range(5))

    # 1. the nightly pass: a stage-change trigger (10 % entered 'lead') and an at-risk schedule
    # (customers with no order or event in 60 days = 90 % of the table) over every contact
    stage_times, risk_times = [], []
    for _ in range(args.runs):
        flow = _flow(ws, "stage_change", {"to_stage": "lead"},
                     [{"kind": "wait", "config": {"days": 1}}])
        stage_times.append(_time(lambda: triggers.evaluate_flow(flow, now=NOW)))
        enrolled = Enrollment.objects.filter(flow=flow).count()
        # evaluating again (the next minute) finds nobody new
        again = _time(lambda: triggers.evaluate_flow(flow, now=NOW))
        flow = _flow(ws, "schedule", {"every_days": 7, "stage": "customer",
                                      "inactive_days": 60},
                     [{"kind": "wait", "config": {"days": 1}}])
        risk_times.append(_time(lambda: triggers.candidates(flow, NOW).count()))
    print(f"trigger stage_change over {args.contacts}: median {statistics.median(stage_times):.2f} s"
          f" ({enrolled} enrolled); re-evaluation {again:.2f} s")
    print(f"trigger at-risk schedule (count) over {args.contacts}: "
          f"median {statistics.median(risk_times):.2f} s")

    # 2. sending: N enrollments due now, one send step each, locmem backend
    send = {"kind": "send_email", "config": {"subject_en": "Hi {{ name }}", "body_en": "Hello",
                                             "subject_ar": "أهلاً {{ name }}",
                                             "body_ar": "مرحباً"}}
    send_times = []
    n = args.messages
    for _ in range(max(1, args.runs - 2)):
        flow = _flow(ws, "stage_change", {"to_stage": "lead"}, [send])
        ids = list(Contact.objects.filter(workspace=ws, stage="lead")
                   .values_list("id", flat=True)[:n])
        Enrollment.objects.bulk_create([
            Enrollment(workspace=ws, flow=flow, contact_id=i, due_at=NOW, enrolled_at=NOW)
            for i in ids], batch_size=5000)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []

            def run():
                while engine.advance_due(now=NOW, limit=5000, workspace_id=ws.id):
                    engine.deliver_queued(older_than_seconds=-3600)

            send_times.append(_time(run))
            sent = len(mail.outbox)
    med = statistics.median(send_times)
    print(f"send {sent} messages: median {med:.1f} s = {sent / med:.0f} messages/s")
    print(f"anchor COUNT(*) of {args.contacts} contacts: {anchor * 1000:.1f} ms; "
          f"ratios: stage trigger {statistics.median(stage_times) / anchor:.0f}x, "
          f"send {med / anchor:.0f}x")


if __name__ == "__main__":
    main()
