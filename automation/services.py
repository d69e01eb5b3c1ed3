"""Writes: flows and their ordered steps, switching a flow on and off, templates, the
suppression list. Running flows is in engine.py; who enters them in triggers.py."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Segment, Stage
from mos.actors import Actor
from mos.audit import audit

from .models import Enrollment, Flow, Message, Step, Suppression, Task
from .templates_seed import TEMPLATES

FLOW_FIELDS = ["name", "description", "trigger", "trigger_config", "goal", "goal_value",
               "exit_on_goal", "holdout_share", "frequency_cap", "quiet_start", "quiet_end"]
STAGES = {s for s, _label in Stage.choices}


def _check_trigger(workspace, trigger: str, cfg: dict) -> dict:
    cfg = dict(cfg or {})
    errors = {}
    if trigger == Flow.Trigger.STAGE_CHANGE and cfg.get("to_stage") not in STAGES:
        errors["trigger_config"] = _("Choose the stage that starts the flow.")
    elif trigger == Flow.Trigger.EVENT and not str(cfg.get("event") or "").strip():
        errors["trigger_config"] = _("Name the event that starts the flow.")
    elif trigger == Flow.Trigger.SEGMENT_ENTRY and not Segment.objects.filter(
            workspace=workspace, code=str(cfg.get("segment") or "")[:36] or None).exists():
        errors["trigger_config"] = _("Choose a segment of this workspace.")
    elif trigger == Flow.Trigger.DATE_PROPERTY and not str(cfg.get("property") or "").isidentifier():
        errors["trigger_config"] = _("Name the date property (letters, digits, underscores).")
    elif trigger == Flow.Trigger.SCHEDULE:
        try:
            if int(cfg.get("every_days") or 0) < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors["trigger_config"] = _("A schedule runs every 1 day or more.")
    if errors:
        raise ValidationError(errors)
    return cfg


def _segment_code_ok(value) -> bool:
    from mos.codes import as_code

    return as_code(value) is not None


def _clean_flow(flow: Flow) -> None:
    if flow.trigger == Flow.Trigger.SEGMENT_ENTRY and not _segment_code_ok(
            (flow.trigger_config or {}).get("segment")):
        raise ValidationError({"trigger_config": [_("Choose a segment of this workspace.")]})
    flow.trigger_config = _check_trigger(flow.workspace, flow.trigger, flow.trigger_config)
    if flow.goal == Flow.Goal.STAGE and flow.goal_value not in STAGES:
        raise ValidationError({"goal_value": [_("Choose the stage that counts as converted.")]})
    if flow.goal == Flow.Goal.EVENT and not flow.goal_value.strip():
        raise ValidationError({"goal_value": [_("Name the event that counts as converted.")]})
    if not 0 <= flow.holdout_share <= 0.5:
        raise ValidationError({"holdout_share": [_("The holdout share is between 0 and 0.5.")]})
    flow.full_clean()


@transaction.atomic
def flow_create(*, actor: Actor, steps: list[dict] | None = None, **fields) -> Flow:
    """A new flow (a draft) with its steps in order."""
    unknown = set(fields) - set(FLOW_FIELDS) - {"template"}
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    flow = Flow(workspace=actor.workspace, created_by=actor.user, **fields)
    _clean_flow(flow)
    flow.save()
    for i, s in enumerate(steps or []):
        step_add(actor=actor, flow=flow, kind=s.get("kind", ""), config=s.get("config") or {},
                 position=i, audited=False)
    audit(actor, "flow.create", flow, changes={"name": flow.name, "trigger": flow.trigger})
    return flow


@transaction.atomic
def flow_update(*, actor: Actor, flow: Flow, steps: list[dict] | None = None,
                **fields) -> Flow:
    """Change a flow's settings (and, when given, replace its steps)."""
    unknown = set(fields) - set(FLOW_FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    for k, v in fields.items():
        setattr(flow, k, v)
    _clean_flow(flow)
    flow.save()
    if steps is not None:
        if flow.enrollments.filter(state="active").exists() and flow.status == "active":
            raise ValidationError({"steps": [_("Pause the flow before replacing its steps.")]})
        flow.steps.all().delete()
        for i, s in enumerate(steps):
            step_add(actor=actor, flow=flow, kind=s.get("kind", ""),
                     config=s.get("config") or {}, position=i, audited=False)
    audit(actor, "flow.update", flow, changes={k: str(v) for k, v in fields.items()})
    return flow


@transaction.atomic
def flow_set_status(*, actor: Actor, flow: Flow, status: str) -> Flow:
    """Switch a flow on (active), pause or archive it. An active flow needs a step that acts."""
    if status not in Flow.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status == Flow.Status.ACTIVE and not flow.steps.exclude(kind=Step.Kind.WAIT).exists():
        raise ValidationError({"status": [_("Add at least one step before switching it on.")]})
    before = flow.status
    flow.status = status
    if status == Flow.Status.ACTIVE and flow.activated_at is None:
        flow.activated_at = timezone.now()
    flow.save(update_fields=["status", "activated_at"])
    audit(actor, "flow.status", flow, changes={"status": [before, status]})
    return flow


@transaction.atomic
def flow_delete(*, actor: Actor, flow: Flow) -> None:
    audit(actor, "flow.delete", flow, changes={"name": flow.name})
    flow.delete()


def _clean_step(kind: str, config: dict) -> dict:
    if kind not in Step.Kind.values:
        raise ValidationError({"kind": [_("Unknown step kind.")]})
    if not isinstance(config, dict):
        raise ValidationError({"config": [_("Step settings must be an object.")]})
    cfg = dict(config)
    if kind == Step.Kind.WAIT:
        try:
            days, hours = float(cfg.get("days") or 0), float(cfg.get("hours") or 0)
        except (TypeError, ValueError):
            raise ValidationError({"config": [_("A wait is a number of days or hours.")]})
        if days < 0 or hours < 0 or days + hours / 24 > 366 or days + hours == 0:
            raise ValidationError({"config": [_("Wait between 1 hour and 366 days.")]})
    elif kind in (Step.Kind.SEND_EMAIL, Step.Kind.SEND_SMS):
        if not str(cfg.get("body_en") or "").strip():
            raise ValidationError({"config": [_("Write the English text of the message.")]})
        if kind == Step.Kind.SEND_EMAIL and not str(cfg.get("subject_en") or "").strip():
            raise ValidationError({"config": [_("Write the English subject.")]})
        from django.template import Template, TemplateSyntaxError

        for key in ("subject_en", "body_en", "subject_ar", "body_ar"):
            try:
                Template(str(cfg.get(key) or ""))
            except TemplateSyntaxError:
                raise ValidationError({"config": [_("The text has a broken {{ … }} tag.")]})
    elif kind == Step.Kind.MOVE_STAGE and cfg.get("to_stage") not in STAGES:
        raise ValidationError({"config": [_("Choose the stage to move the contact to.")]})
    elif kind == Step.Kind.WEBHOOK and not str(cfg.get("url") or "").startswith(
            ("https://", "http://")):
        raise ValidationError({"config": [_("A webhook needs an http(s) URL.")]})
    elif kind == Step.Kind.CONDITION and cfg.get("field") not in (
            "stage", "event", "order", "property", "consent"):
        raise ValidationError({"config": [_("A condition tests stage, event, order, property "
                                            "or consent.")]})
    elif kind == Step.Kind.ADD_TO_SEGMENT and not str(cfg.get("tag") or "").isidentifier():
        raise ValidationError({"config": [_("Name the tag (letters, digits, underscores).")]})
    return cfg


@transaction.atomic
def step_add(*, actor: Actor, flow: Flow, kind: str, config: dict | None = None,
             position: int | None = None, audited: bool = True) -> Step:
    """Add a step at the end (or at `position`)."""
    cfg = _clean_step(kind, config or {})
    if position is None:
        position = flow.steps.count()
    step = Step.objects.create(workspace_id=flow.workspace_id, flow=flow, kind=kind,
                               config=cfg, position=position)
    if audited:
        audit(actor, "flow.step_add", flow, changes={"kind": kind})
    return step


def _renumber(flow: Flow) -> None:
    for i, s in enumerate(flow.steps.order_by("position", "id")):
        if s.position != i:
            Step.objects.filter(pk=s.pk).update(position=i)


@transaction.atomic
def step_delete(*, actor: Actor, step: Step) -> None:
    flow = step.flow
    step.delete()
    _renumber(flow)
    audit(actor, "flow.step_delete", flow, changes={"kind": step.kind})


@transaction.atomic
def step_move(*, actor: Actor, step: Step, direction: int) -> None:
    """Swap the step with its neighbour (direction -1: up, +1: down)."""
    flow = step.flow
    _renumber(flow)
    steps = list(flow.steps.order_by("position", "id"))
    i = next(n for n, s in enumerate(steps) if s.pk == step.pk)
    j = i + (1 if direction > 0 else -1)
    if 0 <= j < len(steps):
        Step.objects.filter(pk=steps[i].pk).update(position=j)
        Step.objects.filter(pk=steps[j].pk).update(position=i)
        audit(actor, "flow.step_move", flow, changes={"from": i, "to": j})


def flow_from_template(*, actor: Actor, key: str) -> Flow:
    """A draft flow from one of the four seed templates."""
    if key not in TEMPLATES:
        raise ValidationError({"template": [_("Unknown template.")]})
    t = TEMPLATES[key]
    return flow_create(actor=actor, name=str(t["name"]), description=str(t["description"]),
                       template=key, trigger=t["trigger"], trigger_config=t["trigger_config"],
                       goal=t["goal"], goal_value=t["goal_value"], steps=t["steps"])


@transaction.atomic
def suppression_add(*, actor: Actor, address: str, reason: str = "") -> Suppression:
    address = (address or "").strip().lower()
    if not address:
        raise ValidationError({"address": [_("Give an e-mail address or phone number.")]})
    row, _created = Suppression.objects.get_or_create(workspace=actor.workspace,
                                                      address=address,
                                                      defaults={"reason": reason[:100]})
    return row


def contact_erased(contact) -> dict:
    """crm's erasure hook: the ledger keeps each message (so counts and lift stay) without
    the address or subject, and the person leaves every flow they are in."""
    now = timezone.now()
    return {
        "message_addresses": Message.objects.filter(contact=contact).update(to="", subject=""),
        "flows_left": Enrollment.objects.filter(
            contact=contact, state=Enrollment.State.ACTIVE).update(
            state=Enrollment.State.EXITED, exit_reason="erased", finished_at=now, due_at=None),
        "tasks": Task.objects.filter(contact=contact).update(title=_("(erased contact)")),
    }


def apply_retention(workspace, policy, now) -> dict:
    """crm's retention hook: sent messages older than the policy's days lose their address
    and subject; the ledger row (status, times) stays for counts and lift."""
    days = policy.message_content_days
    if not days:
        return {}
    return {"message_contents_cleared": Message.objects.filter(
        workspace=workspace, created_at__lt=now - timedelta(days=days)).exclude(
        status__in=[Message.Status.QUEUED, Message.Status.CLAIMED]).exclude(
        to="", subject="").update(to="", subject="")}
