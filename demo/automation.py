"""The demo's lifecycle automation: the four seed flows (welcome, trial → paid, at-risk
win-back, expansion) switched on 45 days before the data ends, contacts enrolled in three
waves with each flow's 10 % holdout, the engine run day by day (sending to Django's in-memory
e-mail backend, consent enforced as always), and a few more conversions among the treated
than the holdout, so the flow pages show a lift."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from django.core import mail
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from automation import engine, services, triggers
from automation.models import Enrollment, Flow
from crm import services as crm_services
from crm.models import Contact, Event, Order
from mos.actors import Actor

# template key → (which contacts, how many per wave, conversion rate treated, holdout)
PLAN = {
    "welcome": (["subscriber", "lead"], 120, 0.30, 0.18),
    "trial_to_paid": (["lead", "mql", "sql", "opportunity"], 80, 0.25, 0.15),
    "win_back": (["customer", "churned"], 40, 0.12, 0.06),
    "expansion": (["customer", "advocate"], 40, 0.20, 0.12),
}
EVENT_OF = {"trial_to_paid": "trial_started", "expansion": "usage_limit_reached"}
# the templates' task titles, in the demo team's language (names and descriptions are
# translated by the template itself)
TASK_TITLES = {"Call the trial user before it ends": _("Call the trial user before it ends"),
               "Offer the upgrade": _("Offer the upgrade")}


def build_demo_flows(ws, *, seed: int = 42, end=None) -> dict:
    t0 = time.monotonic()
    rng = np.random.default_rng(seed + 13)
    end = end or timezone.now()
    if not isinstance(end, dt.datetime):
        end = dt.datetime.combine(end, dt.time(), tzinfo=dt.timezone.utc)
    start = end - dt.timedelta(days=45)
    actor = Actor.system(ws)
    out = {"flows": 0, "enrolled": 0, "sent": 0}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        flows = []
        for key in PLAN:
            flow = services.flow_from_template(actor=actor, key=key)
            Flow.objects.filter(pk=flow.pk).update(status=Flow.Status.ACTIVE, activated_at=start,
                                                   quiet_start=0, quiet_end=0)
            for step in flow.steps.filter(kind="create_task"):
                title = step.config.get("title", "")
                if title in TASK_TITLES:
                    step.config = {**step.config, "title": str(TASK_TITLES[title])}
                    step.save(update_fields=["config"])
            flow.refresh_from_db()
            flows.append(flow)
        used: set[int] = set()
        for wave in range(3):
            at = start + dt.timedelta(days=15 * wave, hours=10)
            for flow in flows:
                stages, n, _pt, _ph = PLAN[flow.template]
                pool = [i for i in Contact.objects.filter(workspace=ws, stage__in=stages)
                        .exclude(email="").order_by("id").values_list("id", flat=True)
                        if i not in used]
                if not pool:
                    continue
                pick = [int(i) for i in rng.choice(pool, size=min(n, len(pool)),
                                                    replace=False)]
                used.update(pick)
                if flow.template in EVENT_OF:  # the product sends these events
                    Event.objects.bulk_create([Event(workspace=ws, contact_id=i,
                                                     name=EVENT_OF[flow.template],
                                                     occurred_at=at) for i in pick])
                out["enrolled"] += triggers.enroll(flow, pick, now=at, occurrence=wave + 1)
        # the engine, day by day (the beat task does this every minute in production)
        day = start
        while day <= end:
            engine.advance_due(now=day, workspace_id=ws.id)
            engine.deliver_queued(older_than_seconds=0)
            day += dt.timedelta(hours=12)
        out["sent"] = len(mail.outbox)
        mail.outbox = []
    # conversions: an order after enrolling, more often among the treated (the flows' effect)
    orders, stage_moves = [], []
    for flow in flows:
        _stages, _n, p_treated, p_holdout = PLAN[flow.template]
        for e in Enrollment.objects.filter(flow=flow).only("contact_id", "holdout",
                                                           "enrolled_at"):
            if rng.random() < (p_holdout if e.holdout else p_treated):
                when = e.enrolled_at + dt.timedelta(days=float(rng.uniform(1, 14)))
                if when < end and flow.goal == Flow.Goal.STAGE:
                    stage_moves.append((e.contact_id, flow.goal_value, when))
                elif when < end:
                    orders.append(Order(workspace=ws, contact_id=e.contact_id,
                                        amount=round(float(rng.uniform(20, 200)), 2),
                                        currency=ws.currency, occurred_at=when,
                                        kind=Order.Kind.NEW))
    Order.objects.bulk_create(orders, batch_size=2000)
    for cid, to_stage, when in stage_moves:
        contact = Contact.objects.get(pk=cid)
        if contact.stage != to_stage:
            crm_services.contact_change_stage(actor=actor, contact=contact, to_stage=to_stage,
                                              reason="demo", at=when)
    out["flows"] = len(flows)
    out["conversions"] = len(orders) + len(stage_moves)
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out
