"""The weekly review on a projector: full screen, keyboard-driven; decisions recorded and
experiments moved from the screen (htmx)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.tenancy import workspace_view

from . import review as review_data
from . import selectors, services
from .forms import DecisionForm


def _context(request) -> dict:
    ws = request.workspace
    return {
        "screens": review_data.review_screens(ws),
        "week": review_data.week_start(),
        "can_decide": request.actor.can("reports.draft"),
        "can_run": request.actor.can("experiments.run"),
        "can_checkin": request.actor.can("engines.edit"),
        "members": list(ws.memberships.select_related("user").order_by("user__name")),
        "engines": selectors.engine_choices(ws),
    }


@workspace_view("reports.view")
def review(request):
    """/w/<slug>/review/: the meeting's screens, no app chrome."""
    return render(request, "reports/review.html", _context(request))


@workspace_view("reports.view", write_perm="reports.draft")
@require_POST
def review_decision(request):
    """Record a decision during the meeting; answers the decisions list of the screen."""
    ws = request.workspace
    form = DecisionForm(request.POST, workspace=ws)
    error = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.decision_create(actor=request.actor, report=None, kind=d["kind"],
                                     subject=d["subject"], rationale=d["rationale"],
                                     owner=d["owner"], due_date=d["due_date"],
                                     engine=d.get("engine"))
        except ValidationError as e:
            error = " ".join(e.messages)
    else:
        error = " ".join(f"{form.fields[f].label if f in form.fields else ''} "
                         f"{' '.join(v)}".strip() for f, v in form.errors.items())
    engine = form.cleaned_data.get("engine") if form.is_valid() else None
    decisions = selectors.open_decisions(ws)
    if engine is not None:
        decisions = [d for d in decisions if d.engine_id == engine.pk][:4]
    else:
        decisions = decisions[:6]
    return render(request, "reports/review/decision_list.html", {
        "decisions": decisions, "error": error,
        "saved": _("Decision recorded.") if not error else ""})


def _engine_experiments(request, engine):
    ctx = {"ex": review_data.engine_experiments(request.workspace, engine),
           "engine": engine, "can_run": request.actor.can("experiments.run")}
    return ctx


@workspace_view("experiments.run")
@require_POST
def review_experiment_status(request, experiment_code):
    """Move an experiment from the screen (e.g. planned → running, running → analysing);
    answers the engine's experiments block with the new live status."""
    from experiments import selectors as exp_selectors
    from experiments import services as exp_services

    exp = exp_selectors.get_experiment(request.workspace, experiment_code)
    error = None
    try:
        exp_services.experiment_transition(actor=request.actor, experiment=exp,
                                           to=request.POST.get("to", ""))
    except ValidationError as e:
        error = " ".join(e.messages)
    ctx = _engine_experiments(request, exp.engine)
    ctx["error"] = error
    return render(request, "reports/review/experiments.html", ctx)


@workspace_view("engines.edit")
@require_POST
def review_checkin(request, engine_code):
    """Keep the meeting's outcome as the engine's check-in for the week."""
    from engines import selectors as eng_selectors
    from engines import services as eng_services

    engine = eng_selectors.get_engine(request.workspace, engine_code)
    error = None
    what = (request.POST.get("what_changed") or "").strip()
    if not what:
        error = _("Say what changed this week.")
    else:
        try:
            eng_services.engine_checkin_create(
                actor=request.actor, engine=engine, week=review_data.week_start(),
                what_changed=what[:2000],
                what_we_learned=(request.POST.get("what_we_learned") or "").strip()[:2000],
                next_step=(request.POST.get("next_step") or "").strip()[:2000])
        except ValidationError as e:
            error = " ".join(e.messages)
    return render(request, "reports/review/checkin.html", {
        "engine": engine, "error": error, "checkin": review_data.week_checkin(engine),
        "can_checkin": True})
