"""Pages of the plans (plan14): the planning hub, SOSTAC plans and versions (print, PDF),
quarterly bets, template checklists, the budget split, roles and rhythm, the cycle view.
Views validate, call one service or selector and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.periods import add_months, workspace_today
from mos.tenancy import workspace_view

from . import checklists as tpl
from . import cycle as cycle_mod
from . import rhythm as rhythm_mod
from . import selectors_plans as sel
from . import services_plans as svc
from .forms_plans import (SECTION_FORMS, ActionForm, BetForm, BudgetProposeForm,
                          ChecklistItemForm, ChecklistStartForm, ObjectiveForm, PlanForm,
                          PublishForm)
from .models_plans import SERVICE_MIX, PlanAction, PlanObjective


def _flash_errors(request, e: ValidationError):
    msgs = ([m for ms in e.message_dict.values() for m in ms] if hasattr(e, "error_dict")
            else e.messages)
    for m in msgs:
        messages.error(request, m)


def _flash_form_errors(request, form):
    """A bound form's errors as messages, each led by its field's label (the form sits inside
    the plan page, which is shown again after the redirect)."""
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errs)}" if label else " ".join(errs))


@workspace_view("planning.view")
def planning_index(request):
    """The planning hub: every area of the planning app."""
    return render(request, "planning/index.html", {})


# --- SOSTAC ---------------------------------------------------------------------------------

@workspace_view("planning.view", write_perm="planning.edit")
def sostac_list(request):
    ws = request.workspace
    form = PlanForm(request.POST or None, workspace=ws, initial={
        "starts": workspace_today(ws).replace(day=1),
        "ends": add_months(workspace_today(ws).replace(day=1), 12)})
    if request.method == "POST" and form.is_valid():
        try:
            plan = svc.plan_create(actor=request.actor, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("planning_plan", slug=ws.slug, plan_code=plan.code)
    return render(request, "planning/plans/sostac_list.html", {
        "plans": sel.plan_list(ws), "form": form})


# what a snapshot holds (an older or hand-made one may lack a part: it reads as empty)
EMPTY_CONTENT = {"title": "", "starts": "", "ends": "", "situation": "", "diagnostics": {},
                 "numbers": {"month": "", "headline": [], "channels": [], "funnel": [],
                             "cohorts": []},
                 "objectives": [], "segments": [], "personas": [], "positioning": "",
                 "service_mix": {}, "channels": [], "campaigns": [], "tactics": "",
                 "actions": [], "control": ""}


def _plan_context(request, plan, content: dict, *, version=None, printing=False) -> dict:
    from crm.models import Stage
    from engines.metrics.registry import REGISTRY

    ws = request.workspace
    editable = version is None and not printing and request.actor.can("planning.edit")
    content = {**EMPTY_CONTENT, **content}
    numbers = {**EMPTY_CONTENT["numbers"], **(content["numbers"] or {})}
    content["numbers"] = numbers
    headline = [dict(h, label=REGISTRY[h["key"]].label if h["key"] in REGISTRY else h["key"])
                for h in numbers["headline"]]
    funnel = [dict(f, label=Stage(f["stage"]).label) for f in numbers["funnel"]]
    questions = sel.diagnostic_questions()
    hints = sel.diagnostic_hints(ws, numbers) if editable else {}
    ctx = {
        "plan": plan, "c": content, "version": version, "editable": editable,
        "printing": printing, "headline": headline, "funnel": funnel,
        "diagnostics": [{"key": k, "question": q, "answer": content["diagnostics"].get(k, ""),
                         "hint": hints.get(k)} for k, q in questions],
        "mix": [{"key": k, "label": label, "text": content["service_mix"].get(k, "")}
                for k, label in SERVICE_MIX],
        "versions": list(plan.versions.select_related("published_by")),
        "can_publish": version is None and request.actor.can("planning.decide"),
        "rtl": get_language() == "ar",
    }
    if editable:
        ctx["objective_form"] = ObjectiveForm(workspace=ws)
        ctx["action_form"] = ActionForm(workspace=ws)
        ctx["section_forms"] = {name: _section_form(name, plan, ws) for name in SECTION_FORMS}
    return ctx


def _section_form(name, plan, ws, data=None):
    initial = {"situation": plan.situation, "positioning": plan.positioning,
               "tactics": plan.tactics, "control": plan.control,
               "segments": plan.segments.all(), "personas": plan.personas.all(),
               "channels": plan.channels.all(), "campaigns": plan.campaigns.all()}
    initial.update({f"diag_{k}": v for k, v in plan.diagnostics.items()})
    initial.update({f"mix_{k}": v for k, v in plan.service_mix.items()})
    return SECTION_FORMS[name](data, workspace=ws, initial=initial)


@workspace_view("planning.view")
def plan_detail(request, plan_code):
    plan = sel.get_plan(request.workspace, plan_code)
    printing = request.GET.get("print") == "1"
    ctx = _plan_context(request, plan, svc.plan_content(plan), printing=printing)
    return render(request, "planning/plans/plan_print.html" if printing
                  else "planning/plans/plan.html", ctx)


@workspace_view("planning.view", write_perm="planning.edit")
@require_POST
def plan_section(request, plan_code, section):
    """Save one section's form (situation, strategy, tactics, control)."""
    ws = request.workspace
    plan = sel.get_plan(ws, plan_code)
    if section not in SECTION_FORMS:
        messages.error(request, _("Unknown section."))
        return redirect("planning_plan", slug=ws.slug, plan_code=plan.code)
    form = _section_form(section, plan, ws, request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("planning_plan", slug=ws.slug, plan_code=plan.code)
    d = form.cleaned_data
    fields = {k: v for k, v in d.items() if not k.startswith(("diag_", "mix_"))}
    if section == "situation":
        fields["diagnostics"] = {k[5:]: v for k, v in d.items() if k.startswith("diag_") and v}
    if section == "strategy":
        fields["service_mix"] = {k[4:]: v for k, v in d.items() if k.startswith("mix_") and v}
    try:
        svc.plan_update(actor=request.actor, plan=plan, **fields)
    except ValidationError as e:
        _flash_errors(request, e)
    else:
        messages.success(request, _("Saved."))
    return redirect(f"{request.path.rsplit('sections/', 1)[0]}#{section}")


def _plan_row_add(request, plan_code, form_class, add, anchor: str):
    """Add an objective or an action to the plan from its form; back to its section."""
    ws = request.workspace
    plan = sel.get_plan(ws, plan_code)
    form = form_class(request.POST, workspace=ws)
    if form.is_valid():
        try:
            add(actor=request.actor, plan=plan, **form.cleaned_data)
        except ValidationError as e:
            _flash_errors(request, e)
    else:
        _flash_form_errors(request, form)
    return redirect(f"{_plan_url(ws, plan)}#{anchor}")


@workspace_view("planning.view", write_perm="planning.edit")
@require_POST
def plan_objective_add(request, plan_code):
    return _plan_row_add(request, plan_code, ObjectiveForm, svc.objective_add, "objectives")


@workspace_view("planning.view", write_perm="planning.edit")
@require_POST
def plan_action_add(request, plan_code):
    return _plan_row_add(request, plan_code, ActionForm, svc.action_add, "action")


@workspace_view("planning.view", write_perm="planning.edit")
@require_POST
def plan_row(request, plan_code, row_code):
    """Tick an action done / not done, or delete an objective or an action."""
    ws = request.workspace
    plan = sel.get_plan(ws, plan_code)
    from django.http import Http404

    from mos.codes import as_code

    code = as_code(row_code)
    row = (PlanAction.objects.filter(plan=plan, code=code).first()
           or PlanObjective.objects.filter(plan=plan, code=code).first()) if code else None
    if row is None:
        raise Http404
    if request.POST.get("delete") == "1":
        svc.plan_row_delete(actor=request.actor, row=row)
    elif isinstance(row, PlanAction):
        svc.action_update(actor=request.actor, action=row, done=request.POST.get("done") == "1")
    anchor = "action" if isinstance(row, PlanAction) else "objectives"
    return redirect(f"{_plan_url(ws, plan)}#{anchor}")


def _plan_url(ws, plan):
    from django.urls import reverse

    return reverse("planning_plan", kwargs={"slug": ws.slug, "plan_code": plan.code})


@workspace_view("planning.decide")
@require_POST
def plan_publish(request, plan_code):
    ws = request.workspace
    plan = sel.get_plan(ws, plan_code)
    form = PublishForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    version = svc.plan_publish(actor=request.actor, plan=plan, note=note)
    messages.success(request, _("Version %(n)d published: it will not change.") % {
        "n": version.number})
    return redirect("planning_plan_version", slug=ws.slug, plan_code=plan.code,
                    number=version.number)


@workspace_view("planning.view")
def plan_version(request, plan_code, number):
    plan = sel.get_plan(request.workspace, plan_code)
    version = sel.get_version(plan, number)
    printing = request.GET.get("print") == "1"
    ctx = _plan_context(request, plan, version.snapshot, version=version, printing=printing)
    return render(request, "planning/plans/plan_print.html" if printing
                  else "planning/plans/plan.html", ctx)


@workspace_view("planning.view")
def plan_pdf(request, plan_code, number):
    """A published version as a PDF (A4) in the reader's language; version 0: the draft."""
    from mos.pdf import html_to_pdf

    plan = sel.get_plan(request.workspace, plan_code)
    if str(number) == "0":
        version, content = None, svc.plan_content(plan)
    else:
        version = sel.get_version(plan, number)
        content = version.snapshot
    ctx = _plan_context(request, plan, content, version=version, printing=True)
    ctx["for_pdf"] = True
    html = render_to_string("planning/plans/plan_print.html", ctx, request=request)
    resp = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    name = f"{request.workspace.slug}-sostac-v{number}-{get_language()}"
    resp["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return resp


# --- quarterly bets -------------------------------------------------------------------------

@workspace_view("planning.view", write_perm="planning.edit")
def bets(request):
    ws = request.workspace
    quarter = sel.current_quarter(ws)
    if request.GET.get("quarter"):
        try:
            quarter = sel.parse_quarter(request.GET["quarter"])
        except Http404:
            messages.error(request, _("Quarter must look like 2026-Q3."))
    form = BetForm(request.POST or None, workspace=ws)
    if request.method == "POST" and form.is_valid():
        try:
            svc.bet_create(actor=request.actor, quarter=quarter, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("Bet added."))
            return redirect(f"{request.path}?quarter={sel.quarter_label(quarter)}")
    items = list(sel.bet_list(ws, quarter))
    ns = sel.north_star(ws)
    for b in items:
        b.unit = sel.kpi_unit(b.kpi or ns)
    if len(items) < sel.BETS_MAX and "confirm_extra" not in form.errors:
        del form.fields["confirm_extra"]  # asked only when a sixth bet is on the way
    return render(request, "planning/plans/bets.html", {
        "quarter": quarter, "label": sel.quarter_label(quarter), "bets": items, "form": form,
        "north_star": ns, "over": sel.quarter_over(ws, quarter),
        "prev": sel.quarter_label(add_months(quarter, -3)),
        "next": sel.quarter_label(add_months(quarter, 3)),
        "too_few": len(items) < sel.BETS_MIN, "at_max": len(items) >= sel.BETS_MAX,
        "need_confirm": "confirm_extra" in form.errors})


@workspace_view("planning.decide")
@require_POST
def bet_score(request, bet_code):
    ws = request.workspace
    bet = sel.get_bet(ws, bet_code)
    try:
        svc.bet_score(actor=request.actor, bet=bet)
    except ValidationError as e:
        _flash_errors(request, e)
    return redirect(f"{_url('planning_bets', ws)}?quarter={sel.quarter_label(bet.quarter)}")


@workspace_view("planning.edit")
@require_POST
def bet_delete(request, bet_code):
    ws = request.workspace
    bet = sel.get_bet(ws, bet_code)
    q = sel.quarter_label(bet.quarter)
    svc.bet_delete(actor=request.actor, bet=bet)
    return redirect(f"{_url('planning_bets', ws)}?quarter={q}")


def _url(name, ws, **kw):
    from django.urls import reverse

    return reverse(name, kwargs={"slug": ws.slug, **kw})


# --- checklists -----------------------------------------------------------------------------

@workspace_view("planning.view", write_perm="planning.edit")
def checklist_list(request):
    ws = request.workspace
    form = ChecklistStartForm(request.POST or None, workspace=ws,
                              initial={"starts": workspace_today(ws)})
    if request.method == "POST" and form.is_valid():
        try:
            cl = svc.checklist_start(actor=request.actor, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("planning_checklist", slug=ws.slug, checklist_code=cl.code)
    lists = []
    for cl in sel.checklist_list(ws):
        items = list(cl.items.all())
        done = sum(1 for i in items if i.done_at)
        lists.append({"c": cl, "done": done, "total": len(items),
                      "pct": round(100 * done / len(items)) if items else 0})
    return render(request, "planning/plans/checklists.html", {
        "lists": lists, "form": form, "templates": tpl.TEMPLATES})


@workspace_view("planning.view")
def checklist_detail(request, checklist_code):
    ws = request.workspace
    cl = sel.get_checklist(ws, checklist_code)
    today = workspace_today(ws)
    items = []
    for i in cl.items.select_related("owner"):
        page = tpl.item_page(cl.template, i.item_key)
        items.append({"i": i, "label": i.text or tpl.item_label(cl.template, i.item_key),
                      "late": not i.done_at and i.due < today, "page": page})
    done = sum(1 for x in items if x["i"].done_at)
    return render(request, "planning/plans/checklist.html", {
        "cl": cl, "items": items, "done": done, "total": len(items),
        "pct": round(100 * done / len(items)) if items else 0,
        "members": list(sel.members(ws)), "can_edit": request.actor.can("planning.edit")})


@workspace_view("planning.edit")
@require_POST
def checklist_item(request, item_code):
    ws = request.workspace
    item = sel.get_checklist_item(ws, item_code)
    form = ChecklistItemForm(request.POST, workspace=ws)
    if form.is_valid():
        d = form.cleaned_data
        fields = {"done": d["done"]}
        if "owner" in request.POST:
            fields["owner"] = d["owner"]
        if d.get("due"):
            fields["due"] = d["due"]
        try:
            svc.checklist_item_update(actor=request.actor, item=item, **fields)
        except ValidationError as e:
            _flash_errors(request, e)
    else:
        messages.error(request, _("Could not save the item."))
    return redirect("planning_checklist", slug=ws.slug, checklist_code=item.checklist.code)


# --- budget ---------------------------------------------------------------------------------

@workspace_view("planning.view", write_perm="planning.edit")
def budget_list(request):
    ws = request.workspace
    next_month = add_months(workspace_today(ws).replace(day=1), 1)
    form = BudgetProposeForm(request.POST or None, initial={"month": f"{next_month:%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = svc.budget_propose(actor=request.actor, month=d["month"], total=d["total"],
                                      max_step=d["max_step"],
                                      floor_share=float(d["floor_share"]) / 100)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("planning_budget_plan", slug=ws.slug, budget_code=plan.code)
    return render(request, "planning/plans/budget_list.html", {
        "plans": sel.budget_plan_list(ws), "form": form})


def move_reason(line: dict) -> str:
    """One sentence explaining a move with its numbers, in the reader's language."""
    from engines.templatetags.metric_format import format_value

    n = line["numbers"]
    judged = {"marginal_ltv_cac": _("LTV / marginal CAC"), "ltv_cac": _("LTV:CAC"),
              "roas": _("ROAS")}.get(line["judged_by"])
    rule = {"grow_big": _("grow by the largest step"), "grow": _("grow by the smallest step"),
            "cut": _("cut by the smallest step"), "cut_big": _("cut by the largest step"),
            "hold": _("hold"), "no_data": _("no numbers to judge by: hold")}[line["rule"]]
    if line["judged_by"] == "no_customers":
        return _("No customer for %(spend)s of spend → %(rule)s.") % {
            "spend": format_value(n.get("spend"), "currency"), "rule": rule}
    if not judged:
        return rule
    parts = [_("%(judged)s %(ratio)s → %(rule)s.") % {
        "judged": judged, "ratio": format_value(line["ratio"], "multiple"), "rule": rule}]
    if n.get("cac") is not None:
        parts.append(_("CAC %(cac)s") % {"cac": format_value(n["cac"], "currency")})
    if n.get("marginal_cac") is not None:
        parts.append(_("marginal CAC %(m)s") % {"m": format_value(n["marginal_cac"],
                                                                  "currency")})
    if n.get("roas") is not None:
        parts.append(_("ROAS %(r)s") % {"r": format_value(n["roas"], "multiple")})
    if line["rule"] == "hold" and n.get("wanted_step"):
        parts.append(_("(no channel to balance the move, or the floor was reached)"))
    return " · ".join(parts)


@workspace_view("planning.view", write_perm="planning.decide")
def budget_plan(request, budget_code):
    ws = request.workspace
    plan = sel.get_budget_plan(ws, budget_code)
    if request.method == "POST":
        amounts = {line["channel"]: request.POST.get(f"amount_{line['channel']}")
                   for line in plan.proposal if request.POST.get(f"amount_{line['channel']}")}
        try:
            svc.budget_accept(actor=request.actor, plan=plan, amounts=amounts,
                              note=request.POST.get("note", "")[:2000])
        except ValidationError as e:
            _flash_errors(request, e)
        else:
            messages.success(request, _("Split accepted."))
        return redirect("planning_budget_plan", slug=ws.slug, budget_code=plan.code)
    lines = [dict(line, reason=move_reason(line),
                  accepted=plan.accepted.get(line["channel"]) if plan.accepted else None)
             for line in plan.proposal]
    return render(request, "planning/plans/budget_plan.html", {
        "plan": plan, "lines": lines, "outcome": sel.budget_outcome(ws, plan),
        "can_accept": plan.status == "proposed" and request.actor.can("planning.decide"),
        "accepted_total": sum(plan.accepted.values()) if plan.accepted else None})


# --- rhythm and cycle -----------------------------------------------------------------------

@workspace_view("planning.view")
def rhythm(request):
    ws = request.workspace
    return render(request, "planning/plans/rhythm.html", {
        "owners": rhythm_mod.owners(ws),
        "calendar": rhythm_mod.meeting_calendar(workspace_today(ws)),
        "bets": list(sel.bet_list(ws, sel.current_quarter(ws))),
        "quarter": sel.quarter_label(sel.current_quarter(ws))})


@workspace_view("planning.view")
def cycle(request):
    ws = request.workspace
    from engines.dashboard import _month

    month = _month(request.GET.get("month", "")) or sel.last_closed_month(ws)
    bad = bool(request.GET.get("month")) and _month(request.GET.get("month", "")) is None
    data = cycle_mod.cycle(ws, month)
    return render(request, "planning/plans/cycle.html", {
        "c": data, "month": month, "bad_month": bad,
        "prev": f"{add_months(month, -1):%Y-%m}", "next": f"{add_months(month, 1):%Y-%m}"})
