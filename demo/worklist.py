"""The demo workspace's worklist (issue 15): saved views of the contacts list (English and
Arabic names, shared and private), a hand-picked segment filled by a bulk action, a bulk owner
assignment that can still be undone, and the alerts of the seeded numbers in the bell."""

from __future__ import annotations

from crm import saved_views as sv
from crm import services as crm_services
from crm.bulk.services import bulk_action_start
from crm.models import Contact
from mos.actors import Actor
from mos.models import Membership


def _actor(ws, email: str) -> Actor:
    return Actor.for_member(Membership.objects.select_related("workspace", "user").get(
        workspace=ws, user__email=email))


def build_demo_worklist(ws, *, alerts: bool = True) -> dict:
    lead = _actor(ws, "lead@mos.local")
    marketer = _actor(ws, "marketer@mos.local")
    rep = Membership.objects.select_related("user").get(workspace=ws,
                                                        user__email="rep@mos.local").user
    views = [
        sv.saved_view_create(actor=marketer, name="MQLs to hand over", shared=True,
                             filters={"stage": "mql"}, sort="-created_at",
                             columns=["name", "email", "stage", "owner", "source", "created"]),
        sv.saved_view_create(actor=lead, name="عملاء مؤهلون للمبيعات", shared=True,
                             filters={"stage": "sql"}, sort="name",
                             columns=["name", "company", "stage", "owner", "country", "city"]),
        sv.saved_view_create(actor=lead, name="My newest leads", filters={"stage": "lead"},
                             columns=["name", "email", "phone", "source", "created"]),
    ]
    sv.saved_view_set_default(actor=marketer, view=views[0])
    webinar = crm_services.segment_create(
        actor=marketer, name="Webinar follow-up (hand-picked)", filters={},
        description="Leads Omar picked after the March webinar; filled with a bulk action.")
    picked = [str(c) for c in Contact.objects.filter(workspace=ws, stage="mql").order_by(
        "-created_at").values_list("code", flat=True)[:40]]
    actions = []
    if picked:
        actions.append(bulk_action_start(actor=marketer, kind="segment_add",
                                         selection={"codes": picked},
                                         params={"segment": str(webinar.code)}))
    unassigned = [str(c) for c in Contact.objects.filter(
        workspace=ws, stage="mql", owner__isnull=True).order_by("created_at").values_list(
        "code", flat=True)[:25]]
    if unassigned:
        actions.append(bulk_action_start(actor=lead, kind="assign_owner",
                                         selection={"codes": unassigned},
                                         params={"owner": rep.email}))
    sent = 0
    if alerts:
        from mos.notifications import evaluate_alerts

        sent = evaluate_alerts(ws, send_email=False)
    return {"saved_views": len(views), "bulk_actions": len(actions), "alerts": sent}
