"""Lifecycle automation at scale: evaluating triggers over 1M contacts (the nightly pass) and
sending 100k messages through the engine to a local aiosmtpd server, each message claimed in
the ledger (in batches), consent-checked and rendered in the contact's language.

    DATABASE_URL=sqlite:////tmp/bench_auto.sqlite3 .venv/bin/python benchmarks/bench_automation.py
    (options: --contacts 1000000 --messages 100000 --runs 3)

Prints the median of the runs and anchors measured in the same run: raw smtplib sending the
same messages over one connection (for sending), the stage-change trigger as hand-written SQL
(for the trigger pass), and COUNT(*) of the contacts table."""

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
                    recorded_at, lawful_basis)
                SELECT %s, id, 'email', 'granted', '', %s, %s, 'consent' FROM crm_contact
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


class _Counter:
    """An aiosmtpd handler that accepts and counts messages (no parsing: the server is not
    what is measured)."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _smtp_server():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler, port


def _raw_smtplib(port: int, rows) -> None:
    """The anchor: the same messages (address, subject, body) sent with smtplib over one
    connection, no database, no consent, no ledger."""
    import smtplib
    from email.message import EmailMessage

    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, subject, body in rows:
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = "mos@localhost", to, subject
            m.set_content(body)
            smtp.send_message(m)


def _trigger_sql(ws, flow) -> int:
    """The anchor for the trigger pass: the stage-change trigger as hand-written SQL (the
    fresh contacts' ids, fetched), without the holdout draw or the insert."""
    since = flow.activated_at
    with connection.cursor() as cur:
        cur.execute("""
            SELECT c.id FROM crm_contact c WHERE c.workspace_id = %s AND EXISTS (
                SELECT 1 FROM crm_stagechange s WHERE s.contact_id = c.id
                AND s.to_stage = 'lead' AND s.at >= %s AND s.at <= %s)
            AND NOT EXISTS (SELECT 1 FROM automation_enrollment e WHERE e.flow_id = %s
                AND e.contact_id = c.id AND e.occurrence = 1)""",
                    [ws.id, since, NOW, flow.id])
        return len(cur.fetchall())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--legacy", type=int, default=1_000,
                    help="messages sent one by one (one claim, gate, connection each)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from automation import engine, triggers
    from automation.models import Enrollment, Message
    from crm.models import Contact

    t = time.perf_counter()
    ws = _setup(args.contacts)
    print(f"setup: {args.contacts} contacts in {time.perf_counter() - t:.1f} s "
          f"({connection.vendor})")
    anchor = statistics.median(_time(lambda: Contact.objects.filter(workspace=ws).count())
                               for _ in range(5))

    # 1. the nightly pass: a stage-change trigger (10 % entered 'lead') and an at-risk schedule
    # (customers with no order or event in 60 days = 90 % of the table) over every contact
    stage_times, sql_times, risk_times = [], [], []
    for _ in range(args.runs):
        flow = _flow(ws, "stage_change", {"to_stage": "lead"},
                     [{"kind": "wait", "config": {"days": 1}}])
        sql_times.append(_time(lambda: _trigger_sql(ws, flow)))
        stage_times.append(_time(lambda: triggers.evaluate_flow(flow, now=NOW)))
        enrolled = Enrollment.objects.filter(flow=flow).count()
        # evaluating again (the next minute) finds nobody new
        again = _time(lambda: triggers.evaluate_flow(flow, now=NOW))
        flow = _flow(ws, "schedule", {"every_days": 7, "stage": "customer",
                                      "inactive_days": 60},
                     [{"kind": "wait", "config": {"days": 1}}])
        risk_times.append(_time(lambda: triggers.candidates(flow, NOW).count()))
    st, sq = statistics.median(stage_times), statistics.median(sql_times)
    print(f"trigger stage_change over {args.contacts}: median {st:.2f} s ({enrolled} enrolled)"
          f"; re-evaluation {again:.2f} s; hand-written SQL select {sq:.2f} s -> {st / sq:.1f}x")
    print(f"trigger at-risk schedule (count) over {args.contacts}: "
          f"median {statistics.median(risk_times):.2f} s")

    # 2. sending: N enrollments due now, one send step each, to a local aiosmtpd server
    send = {"kind": "send_email", "config": {"subject_en": "Hi {{ name }}", "body_en": "Hello",
                                             "subject_ar": "أهلاً {{ name }}",
                                             "body_ar": "مرحباً"}}
    controller, counter, port = _smtp_server()
    smtp = dict(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
                EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="")
    n = args.messages
    lead_ids = list(Contact.objects.filter(workspace=ws, stage="lead")
                    .order_by("id").values_list("id", flat=True)[:n])
    n = len(lead_ids)

    def due_flow():
        flow = _flow(ws, "stage_change", {"to_stage": "lead"}, [send])
        Enrollment.objects.bulk_create([
            Enrollment(workspace=ws, flow=flow, contact_id=i, due_at=NOW, enrolled_at=NOW)
            for i in lead_ids], batch_size=5000)
        return flow

    send_times, raw_times, legacy_rates = [], [], []
    try:
        with override_settings(**smtp):
            for _ in range(args.runs):
                due_flow()
                before = counter.count

                def run():
                    while engine.advance_due(now=NOW, limit=5000, workspace_id=ws.id):
                        pass
                    engine.deliver_queued(older_than_seconds=-3600)

                send_times.append(_time(run))
                sent = counter.count - before
                assert sent == n == Message.objects.filter(status="sent").count(), (sent, n)
                rows = [(f"c{i}@bench.test", f"Hi C{i}", "Hello") for i in range(n)]
                raw_times.append(_time(lambda: _raw_smtplib(port, rows)))
                # the one-by-one path (what every message cost before batching), on a slice
                due_flow()
                m = min(args.legacy, n)
                t = time.perf_counter()
                engine.advance_due(now=NOW, limit=m, workspace_id=ws.id, batch=1)
                legacy_rates.append(m / (time.perf_counter() - t))
    finally:
        controller.stop()
    med, raw = statistics.median(send_times), statistics.median(raw_times)
    print(f"send {n} messages end to end (advance, gate, claim, SMTP, ledger): median "
          f"{med:.1f} s = {n / med:.0f} messages/s; raw smtplib over one connection "
          f"{raw:.1f} s = {n / raw:.0f}/s -> ratio {med / raw:.1f}x")
    print(f"one by one (batch of 1: a claim, a gate, a connection per message): "
          f"{statistics.median(legacy_rates):.0f} messages/s")
    print(f"anchor COUNT(*) of {args.contacts} contacts: {anchor * 1000:.1f} ms; "
          f"ratios: stage trigger {st / anchor:.0f}x, send {med / anchor:.0f}x")


if __name__ == "__main__":
    main()
