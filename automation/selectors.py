"""Reads: flows, their steps, and per flow the numbers its page shows."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from crm.models import Event, Order, StageChange
from mos.codes import as_code

from .lift import lift_interval
from .models import Enrollment, Flow, Message, Step, Task


def get_flow(workspace, code) -> Flow:
    """The workspace's flow, or 404 (also for another workspace's code)."""
    code = as_code(code)
    flow = Flow.objects.filter(workspace=workspace, code=code).first() if code else None
    if flow is None:
        raise Http404
    return flow


def get_step(flow: Flow, code) -> Step:
    code = as_code(code)
    step = flow.steps.filter(code=code).first() if code else None
    if step is None:
        raise Http404
    return step


def flow_list(workspace) -> QuerySet:
    sent = Count("messages", filter=Q(messages__status=Message.Status.SENT), distinct=True)
    return (Flow.objects.filter(workspace=workspace).exclude(status=Flow.Status.ARCHIVED)
            .annotate(n_enrolled=Count("enrollments", distinct=True), n_sent=sent)
            .order_by("name", "id"))


def converted_q(flow: Flow):
    """An Exists() that is true when the enrollment's contact met the goal after enrolling."""
    if flow.goal == Flow.Goal.STAGE:
        sub = StageChange.objects.filter(contact=OuterRef("contact"), to_stage=flow.goal_value,
                                         at__gte=OuterRef("enrolled_at"))
    elif flow.goal == Flow.Goal.EVENT:
        sub = Event.objects.filter(workspace_id=flow.workspace_id, contact=OuterRef("contact"),
                                   name=flow.goal_value, occurred_at__gte=OuterRef("enrolled_at"))
    else:
        sub = Order.objects.filter(contact=OuterRef("contact"),
                                   occurred_at__gte=OuterRef("enrolled_at")).exclude(
            kind__in=[Order.Kind.REFUND, Order.Kind.RENEWAL])
    return Exists(sub)


def flow_stats(flow: Flow) -> dict:
    """Enrolled, treated vs holdout conversion with the lift interval, messages by status,
    unsubscribes and per-step counts (messages or contacts past each step)."""
    groups = (Enrollment.objects.filter(flow=flow).annotate(conv=converted_q(flow))
              .values("holdout").annotate(n=Count("id"), c=Count("id", filter=Q(conv=True))))
    g = {row["holdout"]: row for row in groups}
    n_t, c_t = g.get(False, {}).get("n", 0), g.get(False, {}).get("c", 0)
    n_h, c_h = g.get(True, {}).get("n", 0), g.get(True, {}).get("c", 0)
    by_status = dict(Message.objects.filter(flow=flow).values_list("status")
                     .annotate(n=Count("id")).values_list("status", "n"))
    unsubscribed = Message.objects.filter(flow=flow, unsubscribed_at__isnull=False).count()
    states = dict(Enrollment.objects.filter(flow=flow, holdout=False).values_list("state")
                  .annotate(n=Count("id")).values_list("state", "n"))
    steps = list(flow.steps.order_by("position", "id"))
    msg_by_step = {row["step"]: row for row in Message.objects.filter(flow=flow).values("step")
                   .annotate(sent=Count("id", filter=Q(status=Message.Status.SENT)),
                             blocked=Count("id", filter=~Q(status__in=[
                                 Message.Status.SENT, Message.Status.QUEUED,
                                 Message.Status.SENDING])))}
    reached = dict(Enrollment.objects.filter(flow=flow, holdout=False).values_list("step_index")
                   .annotate(n=Count("id")).values_list("step_index", "n"))
    step_rows = []
    for i, s in enumerate(steps):
        past = sum(n for idx, n in reached.items() if idx > i)
        m = msg_by_step.get(s.pk, {})
        step_rows.append({"step": s, "past": past, "waiting": reached.get(i, 0) if i else 0,
                          "sent": m.get("sent", 0), "blocked": m.get("blocked", 0)})
    # the tasks its steps created: CRM task activities (the Task table holds older ones)
    from crm.models import Activity

    tasks = (Activity.objects.filter(workspace_id=flow.workspace_id, source=f"flow:{flow.code}")
             .count() + Task.objects.filter(flow=flow).count())
    lift = lift_interval(c_t, n_t, c_h, n_h)
    pct = {k: v * 100 for k, v in lift.items() if k in ("treated", "holdout", "lift", "low",
                                                          "high")} if lift else None
    return {"treated": n_t, "treated_conv": c_t, "holdout": n_h, "holdout_conv": c_h,
            "lift": lift, "pct": pct, "sent": by_status.get("sent", 0),
            "by_status": by_status, "unsubscribed": unsubscribed, "states": states,
            "steps": step_rows, "tasks": tasks, "conversions": c_t + c_h}


def enrollment_list(workspace) -> QuerySet:
    return Enrollment.objects.filter(workspace=workspace).select_related("flow", "contact")


def message_list(workspace) -> QuerySet:
    return Message.objects.filter(workspace=workspace).select_related("flow", "contact", "step")
