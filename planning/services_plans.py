"""Writes of the plans: SOSTAC plans and their published versions, quarterly bets, template
checklists and the monthly budget split. One transaction each, validated, audited."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.audit import audit
from mos.periods import add_months, period_start
from mos.writes import audited_create, audited_update

from . import selectors_plans as sel
from .budget import propose_split
from .checklists import TEMPLATES
from .models_plans import (SERVICE_MIX, BudgetPlan, Checklist, ChecklistItem, PlanAction,
                           PlanObjective, PlanVersion, QuarterlyBet, SostacPlan)

PLAN_FIELDS = ["title", "starts", "ends", "situation", "diagnostics", "positioning",
               "service_mix", "tactics", "control"]
PLAN_M2M = ["segments", "personas", "channels", "campaigns"]
BET_FIELDS = ["quarter", "title", "expected_effect", "kpi", "baseline", "expected", "owner",
              "engine"]


def _check_workspace(actor, **objs):
    """Related rows must be the actor's workspace's (forms and serializers scope them too)."""
    for name, obj in objs.items():
        items = obj if isinstance(obj, (list, tuple, set)) else [obj]
        for o in items:
            if o is not None and getattr(o, "workspace_id", actor.workspace.pk) != \
                    actor.workspace.pk:
                raise ValidationError({name: [_("Not found.")]})


def _check_member(actor, field, user):
    if user is not None and not sel.members(actor.workspace).filter(pk=user.pk).exists():
        raise ValidationError({field: [_("Not a member of this workspace.")]})


def _plan_clean(plan):
    plan.full_clean()
    if plan.ends < plan.starts:
        raise ValidationError({"ends": [_("The plan cannot end before it starts.")]})
    keys = {k for k, _l in SERVICE_MIX}
    if not isinstance(plan.service_mix, dict) or set(plan.service_mix) - keys or any(
            not isinstance(v, str) for v in plan.service_mix.values()):
        raise ValidationError({"service_mix": [
            _("The service mix takes text for: %(keys)s.") % {"keys": ", ".join(sorted(keys))}]})
    known = set(sel.DIAGNOSTICS)
    if not isinstance(plan.diagnostics, dict) or set(plan.diagnostics) - known or any(
            not isinstance(v, str) for v in plan.diagnostics.values()):
        raise ValidationError({"diagnostics": [
            _("Answers are text for: %(keys)s.") % {"keys": ", ".join(sel.DIAGNOSTICS)}]})


def _set_m2m(actor, plan, m2m: dict):
    for name, values in m2m.items():
        if values is None:
            continue
        values = list(values)
        _check_workspace(actor, **{name: values})
        getattr(plan, name).set(values)


@transaction.atomic
def plan_create(*, actor, title: str, starts: date, ends: date, segments=None, personas=None,
                channels=None, campaigns=None, **fields) -> SostacPlan:
    """A new SOSTAC plan; its situation text starts from the last closed month's numbers."""
    if not fields.get("situation"):
        fields["situation"] = situation_summary(sel.situation(actor.workspace))
    fields.setdefault("control", _("Weekly review of the engines' KPIs; monthly report; "
                                   "quarterly bets scored at the quarter's end."))
    plan = audited_create(actor, SostacPlan, PLAN_FIELDS, "plan.create",
                          {"title": title, "starts": starts, "ends": ends, **fields},
                          validate=_plan_clean)
    plan.created_by = actor.user
    plan.save(update_fields=["created_by"])
    _set_m2m(actor, plan, {"segments": segments, "personas": personas, "channels": channels,
                           "campaigns": campaigns})
    return plan


def situation_summary(sit: dict) -> str:
    """Two or three sentences from the numbers, in the current language."""
    from engines.templatetags.metric_format import format_value

    vals = {h["key"]: h for h in sit["headline"]}
    parts = []
    rev, new = vals.get("revenue"), vals.get("new_customers")
    if rev and rev["value"] is not None:
        parts.append(_("In %(month)s: revenue %(revenue)s, %(new)s new customers.") % {
            "month": sit["month"], "revenue": format_value(rev["value"], "currency"),
            "new": format_value((new or {}).get("value"), "count")})
    cac, ltv_cac = vals.get("cac"), vals.get("ltv_cac")
    if cac and cac["value"] is not None:
        parts.append(_("Blended CAC %(cac)s; LTV:CAC %(ratio)s.") % {
            "cac": format_value(cac["value"], "currency"),
            "ratio": format_value((ltv_cac or {}).get("value"), "multiple")})
    weakest = min((f for f in sit["funnel"] if f["conversion"] is not None),
                  key=lambda f: f["conversion"], default=None)
    if weakest:
        from crm.models import Stage

        parts.append(_("The funnel leaks most after %(stage)s (%(rate)s move on).") % {
            "stage": Stage(weakest["stage"]).label,
            "rate": format_value(weakest["conversion"], "ratio")})
    return " ".join(parts)


@transaction.atomic
def plan_update(*, actor, plan: SostacPlan, segments=None, personas=None, channels=None,
                campaigns=None, **fields) -> SostacPlan:
    fields["updated_at"] = timezone.now()
    plan = audited_update(actor, plan, PLAN_FIELDS + ["updated_at"], "plan.update", fields,
                          validate=_plan_clean)
    _set_m2m(actor, plan, {"segments": segments, "personas": personas, "channels": channels,
                           "campaigns": campaigns})
    return plan


@transaction.atomic
def plan_delete(*, actor, plan: SostacPlan) -> None:
    audit(actor, "plan.delete", plan)
    plan.delete()


@transaction.atomic
def objective_add(*, actor, plan: SostacPlan, kpi, target, due: date) -> PlanObjective:
    _check_workspace(actor, kpi=kpi)
    if isinstance(target, float):
        from decimal import Decimal

        target = Decimal(str(round(target, 4)))
    return audited_create(actor, PlanObjective, ["plan", "kpi", "target", "due"],
                          "plan.objective_add",
                          {"plan": plan, "kpi": kpi, "target": target, "due": due})


@transaction.atomic
def action_add(*, actor, plan: SostacPlan, what: str, owner, due: date) -> PlanAction:
    _check_member(actor, "owner", owner)
    return audited_create(actor, PlanAction, ["plan", "what", "owner", "due"],
                          "plan.action_add",
                          {"plan": plan, "what": what, "owner": owner, "due": due})


@transaction.atomic
def action_update(*, actor, action: PlanAction, **fields) -> PlanAction:
    if "owner" in fields:
        _check_member(actor, "owner", fields["owner"])
    return audited_update(actor, action, ["what", "owner", "due", "done"],
                          "plan.action_update", fields)


@transaction.atomic
def plan_row_delete(*, actor, row) -> None:
    audit(actor, f"plan.{row._meta.model_name}_delete", row)
    row.delete()


def _unit(key: str) -> str:
    from engines.metrics.registry import REGISTRY

    return REGISTRY[key].unit if key in REGISTRY else ""


def plan_content(plan: SostacPlan, sit: dict | None = None) -> dict:
    """Everything a published version freezes: sections, objectives, actions and the
    situation's numbers (keys, so a frozen copy still reads in either language)."""
    return {
        "title": plan.title, "starts": plan.starts.isoformat(), "ends": plan.ends.isoformat(),
        "situation": plan.situation, "diagnostics": plan.diagnostics,
        "numbers": sit if sit is not None else sel.situation(plan.workspace),
        "objectives": [{"code": str(o.code), "kpi": o.kpi.name, "metric": o.kpi.metric_key,
                        "unit": _unit(o.kpi.metric_key), "target": float(o.target),
                        "due": o.due.isoformat()}
                       for o in plan.objectives.select_related("kpi")],
        "segments": [s.name for s in plan.segments.all()],
        "personas": [p.name for p in plan.personas.all()],
        "positioning": plan.positioning, "service_mix": plan.service_mix,
        "channels": [c.name for c in plan.channels.all()],
        "campaigns": [c.name for c in plan.campaigns.all()],
        "tactics": plan.tactics,
        "actions": [{"code": str(a.code), "what": a.what, "owner": (a.owner.name or a.owner.email) if a.owner
                     else "", "due": a.due.isoformat(), "done": a.done}
                    for a in plan.actions.select_related("owner")],
        "control": plan.control,
    }


@transaction.atomic
def plan_publish(*, actor, plan: SostacPlan, note: str = "") -> PlanVersion:
    """Freeze the plan as it reads now as the next version; the plan stays editable."""
    plan = SostacPlan.objects.select_for_update().get(pk=plan.pk)
    number = plan.version + 1
    version = PlanVersion(workspace=plan.workspace, plan=plan, number=number,
                          snapshot=plan_content(plan), note=note[:300],
                          published_by=actor.user)
    version.full_clean()
    version.save()
    plan.version = number
    plan.save(update_fields=["version"])
    audit(actor, "plan.publish", plan, changes={"version": [number - 1, number]})
    return version


# --- quarterly bets -------------------------------------------------------------------------

def _bet_clean(bet: QuarterlyBet):
    bet.full_clean()
    if bet.quarter != period_start("quarter", bet.quarter):
        raise ValidationError({"quarter": [_("A quarter starts on 1 January, April, July "
                                             "or October.")]})


@transaction.atomic
def bet_create(*, actor, quarter: date, title: str, experiments=None,
               confirm_extra: bool = False, **fields) -> QuarterlyBet:
    """Seed 001: 3–5 bets a quarter; a sixth (or more) only when confirmed."""
    ws = actor.workspace
    quarter = period_start("quarter", quarter)
    _check_workspace(actor, kpi=fields.get("kpi"), engine=fields.get("engine"),
                     experiments=list(experiments or []))
    _check_member(actor, "owner", fields.get("owner"))
    n = QuarterlyBet.objects.select_for_update().filter(workspace=ws, quarter=quarter).count()
    if n >= sel.BETS_MAX and not confirm_extra:
        raise ValidationError({"confirm_extra": [
            _("This quarter has %(n)d bets already; seed 001 says 3–5. Confirm to add "
              "another.") % {"n": n}]}, code="too_many_bets")
    if fields.get("kpi") is None:
        fields["kpi"] = sel.north_star(ws)
    bet = audited_create(actor, QuarterlyBet, BET_FIELDS, "bet.create",
                         {"quarter": quarter, "title": title, **fields}, validate=_bet_clean)
    if experiments:
        bet.experiments.set(experiments)
    return bet


@transaction.atomic
def bet_update(*, actor, bet: QuarterlyBet, experiments=None, confirm_extra=False,
               **fields) -> QuarterlyBet:
    _check_workspace(actor, kpi=fields.get("kpi"), engine=fields.get("engine"),
                     experiments=list(experiments or []))
    if "owner" in fields:
        _check_member(actor, "owner", fields["owner"])
    if "quarter" in fields and fields["quarter"] is not None:
        fields["quarter"] = period_start("quarter", fields["quarter"])
    bet = audited_update(actor, bet, BET_FIELDS, "bet.update", fields, validate=_bet_clean)
    if experiments is not None:
        bet.experiments.set(experiments)
    return bet


@transaction.atomic
def bet_delete(*, actor, bet: QuarterlyBet) -> None:
    audit(actor, "bet.delete", bet)
    bet.delete()


@transaction.atomic
def bet_score(*, actor, bet: QuarterlyBet) -> QuarterlyBet:
    """Score the bet against what happened (its KPI over the quarter); only once it is over."""
    ws = actor.workspace
    if not sel.quarter_over(ws, bet.quarter):
        raise ValidationError({"quarter": [_("A bet is scored once its quarter is over.")]})
    actual = sel.bet_actual(ws, bet)
    kpi = bet.kpi or sel.north_star(ws)
    bet.actual = actual
    bet.score = sel.score_bet(actual, bet.baseline, bet.expected,
                              kpi.direction if kpi else "up")
    bet.scored_at = timezone.now()
    bet.save(update_fields=["actual", "score", "scored_at"])
    audit(actor, "bet.score", bet, changes={"actual": [None, actual], "score": [None,
                                                                               bet.score]})
    return bet


# --- checklists from templates --------------------------------------------------------------

@transaction.atomic
def checklist_start(*, actor, template: str, starts: date, title: str = "",
                    owner=None) -> Checklist:
    """A checklist from a template: its items with due dates counted from `starts`."""
    if template not in TEMPLATES:
        raise ValidationError({"template": [_("Unknown template.")]})
    _check_member(actor, "owner", owner)
    t = TEMPLATES[template]
    cl = audited_create(actor, Checklist, ["template", "title", "starts"], "checklist.start",
                        {"template": template, "title": title,
                         "starts": starts})
    cl.created_by = actor.user
    cl.save(update_fields=["created_by"])
    ChecklistItem.objects.bulk_create([
        ChecklistItem(workspace=actor.workspace, checklist=cl, position=i, phase=phase,
                      item_key=key, owner=owner, due=starts + timedelta(days=days))
        for i, (key, phase, days, _label, _page) in enumerate(t["items"])])
    return cl


@transaction.atomic
def checklist_item_update(*, actor, item: ChecklistItem, done: bool | None = None,
                          **fields) -> ChecklistItem:
    if "owner" in fields:
        _check_member(actor, "owner", fields["owner"])
    if done is not None:
        fields["done_at"] = (item.done_at or timezone.now()) if done else None
    return audited_update(actor, item, ["text", "owner", "due", "done_at"],
                          "checklist.item_update", fields)


@transaction.atomic
def checklist_delete(*, actor, checklist: Checklist) -> None:
    audit(actor, "checklist.delete", checklist)
    checklist.delete()


def _money(v):
    from decimal import Decimal

    return Decimal(str(round(float(v), 2)))


# --- budget reallocation --------------------------------------------------------------------

@transaction.atomic
def budget_propose(*, actor, month: date, total=None, max_step: float = 0.2,
                   floor_share: float = 0.05) -> BudgetPlan:
    """Propose `month`'s channel split from the month before's numbers (replaces a proposal
    not yet accepted; an accepted split stays as the team decided)."""
    ws = actor.workspace
    month = month.replace(day=1)
    basis = add_months(month, -1)
    errors = {}
    if not 0.1 <= float(max_step) <= 0.2:
        errors["max_step"] = [_("Seed 001 moves budget in steps of 10–20 %.")]
    if not 0 <= float(floor_share) <= 0.3:
        errors["floor_share"] = [_("The floor is a share between 0 and 30 %.")]
    if total is not None and float(total) <= 0:
        errors["total"] = [_("The budget must be more than zero.")]
    existing = BudgetPlan.objects.select_for_update().filter(workspace=ws, month=month).first()
    if existing and existing.status == BudgetPlan.Status.ACCEPTED:
        errors["month"] = [_("This month's split was accepted already.")]
    if errors:
        raise ValidationError(errors)
    inputs = sel.budget_inputs(ws, basis)
    if not inputs:
        raise ValidationError({"month": [_("No channel spent anything in %(month)s: nothing "
                                           "to split.") % {"month": f"{basis:%Y-%m}"}]})
    moves = propose_split(inputs, None if total is None else float(total),
                          max_step=float(max_step), min_step=0.1,
                          floor_share=float(floor_share))
    fields = {"basis_month": basis, "total": _money(sum(m.proposed for m in moves)),
              "max_step": _money(max_step), "floor_share": _money(floor_share),
              "proposal": [m.as_dict() for m in moves]}
    if existing:
        existing.delete()
    return audited_create(actor, BudgetPlan, ["month", "basis_month", "total", "max_step",
                                              "floor_share", "proposal"],
                          "budget.propose", {"month": month, **fields})


@transaction.atomic
def budget_accept(*, actor, plan: BudgetPlan, amounts: dict | None = None,
                  note: str = "") -> BudgetPlan:
    """The team accepts the proposal as it is, or with its own amounts per channel."""
    plan = BudgetPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == BudgetPlan.Status.ACCEPTED:
        raise ValidationError({"status": [_("This split was accepted already.")]})
    proposed = {line["channel"]: line["proposed"] for line in plan.proposal}
    final = dict(proposed)
    errors = {}
    for key, value in (amounts or {}).items():
        if key not in proposed:
            errors[key] = [_("Not a channel of this proposal.")]
            continue
        try:
            v = round(float(value), 2)
        except (TypeError, ValueError):
            errors[key] = [_("Enter a number.")]
            continue
        if v < 0 or v != v or v > 1e12:
            errors[key] = [_("Enter an amount of zero or more.")]
            continue
        final[key] = v
    if errors:
        raise ValidationError(errors)
    plan.accepted = final
    plan.status = BudgetPlan.Status.ACCEPTED
    plan.note = note
    plan.accepted_by = actor.user
    plan.accepted_at = timezone.now()
    plan.save(update_fields=["accepted", "status", "note", "accepted_by", "accepted_at"])
    changed = {k: [proposed[k], v] for k, v in final.items() if v != proposed[k]}
    audit(actor, "budget.accept", plan, changes=changed or None)
    return plan
