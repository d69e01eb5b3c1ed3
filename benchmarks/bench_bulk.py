"""Time one bulk action — select all contacts matching a filter and assign them an owner —
against a hand-written SQL UPDATE of the same rows in the same run (run by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mos_work15b \\
        .venv/bin/python benchmarks/bench_bulk.py [--contacts 120000] [--match 100000] [--runs 3]

Creates (or reuses) a workspace `bulkbench` with --contacts contacts, of which --match are
leads (the filter `stage=lead`), the rest MQLs. Each run first sets every owner back to none,
then times

  1. the bulk action: crm.bulk.services.bulk_action_start → bulk_action_process in this
     process (count, then chunks of 2,000 contacts in id order: read their owners, write the
     before-image rows for Undo, UPDATE, record progress and renew the lease, one audit entry);
  2. the anchor: `UPDATE crm_contact SET owner_id = …, updated_at = now() WHERE workspace_id =
     … AND stage = 'lead'` in one transaction (no before-image, no progress, no audit);

and prints the median of --runs of each and their ratio. Also times the Undo (set-based, from
the before-image)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--contacts", type=int, default=120_000)
    p.add_argument("--match", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    settings.MOS_BULK_INLINE_MAX = 10 ** 9  # run in this process, as the worker would

    from crm.bulk import services as bulk
    from crm.models import BulkAction, Contact
    from mos import services as mos_services
    from mos.actors import Actor
    from mos.models import Membership, User, Workspace

    ws = Workspace.objects.filter(slug="bulkbench").first()
    if ws is None:
        user = User.objects.filter(email="bench@bulk.test").first() or \
            User.objects.create_user(email="bench@bulk.test", password="x", name="Bench")
        ws = mos_services.workspace_create(user=user, name="bulkbench")
    m = Membership.objects.select_related("user", "workspace").filter(workspace=ws).first()
    actor = Actor.for_member(m)
    have = Contact.objects.filter(workspace=ws).count()
    if have < args.contacts:
        t = time.perf_counter()
        rows = []
        for i in range(have, args.contacts):
            rows.append(Contact(workspace=ws, name=f"Contact {i}", email=f"c{i}@bulk.test",
                                stage="lead" if i < args.match else "mql"))
            if len(rows) == 10_000:
                Contact.objects.bulk_create(rows)
                rows = []
        Contact.objects.bulk_create(rows)
        print(f"generated {args.contacts - have} contacts in {time.perf_counter() - t:.1f} s")
    n_match = Contact.objects.filter(workspace=ws, stage="lead").count()
    print(f"{connection.vendor}: {Contact.objects.filter(workspace=ws).count()} contacts, "
          f"{n_match} match stage=lead")

    def reset():
        BulkAction.objects.filter(workspace=ws).delete()
        Contact.objects.filter(workspace=ws).update(owner=None)
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                c.execute("VACUUM ANALYZE crm_contact")

    action_s, anchor_s, undo_s = [], [], []
    for run in range(args.runs):
        reset()
        t = time.perf_counter()
        action = bulk.bulk_action_start(actor=actor, kind="assign_owner",
                                        selection={"filters": {"stage": "lead"}},
                                        params={"owner": m.user.email})
        action_s.append(time.perf_counter() - t)
        assert action.status == "done" and action.changed == n_match, action.status
        t = time.perf_counter()
        restored = bulk.bulk_action_undo(actor=actor, action=action)
        undo_s.append(time.perf_counter() - t)
        assert restored == n_match
        reset()
        t = time.perf_counter()
        with transaction.atomic(), connection.cursor() as c:
            c.execute("UPDATE crm_contact SET owner_id = %s, updated_at = now() "
                      "WHERE workspace_id = %s AND stage = 'lead'", [m.user_id, ws.pk])
            assert c.rowcount == n_match
        anchor_s.append(time.perf_counter() - t)
        print(f"run {run + 1}: bulk action {action_s[-1]:.2f} s, undo {undo_s[-1]:.2f} s, "
              f"anchor UPDATE {anchor_s[-1]:.2f} s")
    a, b, u = (statistics.median(x) for x in (action_s, anchor_s, undo_s))
    print(f"median of {args.runs}: bulk action {a:.2f} s ({n_match / a:,.0f} contacts/s), "
          f"undo {u:.2f} s, anchor {b:.2f} s → ratio {a / b:.1f}×")
    reset()


if __name__ == "__main__":
    main()
