"""Pages: growth engines (list, page with KPIs, experiments, velocity and weekly check-ins),
the insights inventory, the ICE backlog, the experiment template and page, the learnings
library. The engine page lives here because it shows experiments (experiments sits above
engines: engines cannot import this app)."""

from __future__ import annotations

import math

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engines import selectors as engine_selectors
from engines import services as engine_services
from engines.models import FunnelStage
from mos.tenancy import workspace_view

from . import selectors, services
from .analysis import cumulative_series, experiment_analysis
from .charts import cumulative_figure
from .forms import (CheckInForm, DecisionForm, EngineForm, ExperimentForm, InsightForm,
                    ReviewForm, SettingsForm, experiment_initial)
from .models import Experiment, Insight


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def _engine_from(request):
    code = request.GET.get("engine")
    if not code:
        return None
    return engine_selectors.get_engine(request.workspace, code)


# --- engines ---------------------------------------------------------------------------------

@workspace_view("experiments.view")
def engine_list(request):
    ws = request.workspace
    engines = list(engine_selectors.engine_list(ws))
    counts = {}
    for e in engines:
        counts[e.pk] = selectors.status_counts(ws, engine=e)
    return render(request, "experiments/engines.html", {
        "engines": [(e, counts[e.pk]) for e in engines],
        "active": sum(1 for e in engines if e.is_active),
        "velocity": selectors.velocity(ws)})


def _engine_form_page(request, engine):
    ws = request.workspace
    initial = {"is_active": True}
    if engine is not None:
        initial = {f: getattr(engine, f) for f in ("name", "owner", "description",
                                                    "funnel_stages", "main_kpi",
                                                    "weekly_commitment", "is_active")}
        initial["channels"] = list(engine.channels.all())
    form = EngineForm(request.POST or None, workspace=ws, initial=initial)
    needs_confirm = False
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        channels = list(data.pop("channels"))
        confirm = data.pop("confirm_over_focus")
        try:
            if engine is None:
                engine = engine_services.engine_create(actor=request.actor, channels=channels,
                                                       confirm_over_focus=confirm, **data)
            else:
                engine = engine_services.engine_update(actor=request.actor, engine=engine,
                                                       channels=channels,
                                                       confirm_over_focus=confirm, **data)
        except ValidationError as e:
            if "confirm_over_focus" in getattr(e, "error_dict", {}):
                needs_confirm = True
                form.data = form.data.copy()
                form.data["confirm_over_focus"] = "on"
            _form_errors(form, e)
        else:
            messages.success(request, _("Engine saved."))
            return redirect("engine_detail", slug=ws.slug, engine_code=engine.code)
    return render(request, "experiments/engine_form.html", {
        "form": form, "engine": engine, "needs_confirm": needs_confirm,
        "warning": engine_services.engine_focus_warning()})


@workspace_view("engines.edit")
def engine_create(request):
    return _engine_form_page(request, None)


@workspace_view("engines.edit")
def engine_edit(request, engine_code):
    return _engine_form_page(request, engine_selectors.get_engine(request.workspace,
                                                                  engine_code))


@workspace_view("metrics.view", write_perm="engines.edit")
def engine_detail(request, engine_code):
    ws = request.workspace
    engine = engine_selectors.get_engine(ws, engine_code)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            engine_services.engine_checkin_create(actor=request.actor, engine=engine,
                                                  **form.cleaned_data)
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, _("Check-in saved."))
            return redirect("engine_detail", slug=ws.slug, engine_code=engine.code)
    experiments = selectors.experiment_list(ws, engine=engine)
    running = [e for e in experiments if e.status in ("running", "analysing")]
    recent = list(selectors.learnings(ws, engine=engine)[:5])
    return render(request, "experiments/engine_detail.html", {
        "engine": engine, "form": form, "checkins": engine_selectors.engine_checkins(engine),
        "kpis": engine_selectors.engine_kpis(ws, engine, timezone.localdate()),
        "running": running, "recent": recent,
        "open_decisions": [e for e in running if e.status == "analysing"],
        "backlog": [e for e in experiments if e.status in ("backlog", "planned")][:5],
        "velocity": selectors.velocity(ws, engine=engine)})


# --- insights --------------------------------------------------------------------------------

@workspace_view("experiments.view", write_perm="experiments.edit")
def insight_list(request):
    ws = request.workspace
    form = InsightForm(request.POST or None, request.FILES or None, workspace=ws)
    if request.method == "POST" and form.is_valid():
        try:
            services.insight_create(actor=request.actor, **form.cleaned_data)
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, _("Insight filed."))
            return redirect("insights", slug=ws.slug)
    engine = _engine_from(request)
    q, source, tag = (request.GET.get(k, "").strip() for k in ("q", "source", "tag"))
    items = list(selectors.insight_list(ws, q=q, source=source, engine=engine, tag=tag)[:200])
    return render(request, "experiments/insights.html", {
        "form": form, "items": items, "q": q, "source": source, "tag": tag, "engine": engine,
        "sources": Insight.Source.choices, "engines": engine_selectors.engine_list(ws),
        "candidates": selectors.insight_candidates(ws) if request.actor.can(
            "experiments.edit") else None})


@workspace_view("experiments.edit")
@require_POST
def insight_from_feedback(request, feedback_code):
    from crm.models import LeadFeedback

    from .selectors import _code

    fb = LeadFeedback.objects.filter(workspace=request.workspace,
                                     code=_code(feedback_code)).first()
    if fb is None:
        from django.http import Http404

        raise Http404
    try:
        services.insight_from_lead_feedback(actor=request.actor, feedback=fb)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The feedback is now an insight."))
    return redirect("insights", slug=request.workspace.slug)


@workspace_view("experiments.edit")
@require_POST
def insight_from_quality(request):
    try:
        services.insight_from_quality_finding(
            actor=request.actor, kind=request.POST.get("kind", ""),
            subject=request.POST.get("subject", ""), detail=request.POST.get("detail", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The finding is now an insight."))
    return redirect("insights", slug=request.workspace.slug)


# --- experiments -----------------------------------------------------------------------------

@workspace_view("experiments.view")
def backlog(request):
    ws = request.workspace
    engine = _engine_from(request)
    stage, status, q = (request.GET.get(k, "").strip() for k in ("stage", "status", "q"))
    items = list(selectors.experiment_list(ws, engine=engine, stage=stage, status=status,
                                           q=q)[:300])
    return render(request, "experiments/backlog.html", {
        "items": items, "engine": engine, "stage": stage, "status": status, "q": q,
        "engines": engine_selectors.engine_list(ws), "stages": FunnelStage.choices,
        "statuses": Experiment.Status.choices, "counts": selectors.status_counts(ws),
        "settings_form": SettingsForm(initial={
            "correction": services.experiment_settings(ws).correction})})


@workspace_view("workspace.settings")
@require_POST
def experiment_settings(request):
    form = SettingsForm(request.POST)
    if form.is_valid():
        services.experiment_settings_update(actor=request.actor, **form.cleaned_data)
        messages.success(request, _("Experiment settings saved."))
    return redirect("experiments", slug=request.workspace.slug)


def _experiment_form_page(request, exp):
    ws = request.workspace
    initial = {}
    if exp is not None:
        initial = experiment_initial(exp)
    elif code := request.GET.get("engine"):
        initial = {"engine": engine_selectors.get_engine(ws, code)}
    elif code := request.GET.get("insight"):
        insight = selectors.get_insight(ws, code)
        initial = {"insight": insight.code, "engine": insight.engine,
                   "hypothesis_because": insight.text, "title": insight.text[:80]}
    form = ExperimentForm(request.POST or None, workspace=ws, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        traffic = form.cleaned_data["daily_traffic"] or selectors.recent_daily_traffic(ws)
        try:
            if exp is None:
                exp = services.experiment_create(actor=request.actor, daily_traffic=traffic,
                                                 variants=form.cleaned_data["variants"],
                                                 **fields)
            else:
                variants = form.cleaned_data["variants"]
                if exp.status not in services.EDITABLE_STATUSES:
                    variants = None
                exp = services.experiment_update(actor=request.actor, experiment=exp,
                                                 daily_traffic=traffic, variants=variants,
                                                 **fields)
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, _("Experiment saved."))
            return redirect("experiment_detail", slug=ws.slug, experiment_code=exp.code)
    return render(request, "experiments/experiment_form.html", {
        "form": form, "experiment": exp, "plan": _plan(request, form)})


def _plan(request, form=None) -> dict:
    """Required sample per variant and expected duration, for the live template."""
    from .stats import expected_duration_days, required_sample_size

    src = request.GET if request.method == "GET" and "baseline" in request.GET else (
        form.data if form is not None and form.is_bound else {})

    def num(key, default=None):
        try:
            return float(src.get(key) or default)
        except (TypeError, ValueError):
            return default

    baseline, mde = num("baseline"), num("mde")
    alpha, power = num("alpha", 0.05), num("power", 0.8)
    kind, std = src.get("metric_kind") or "proportion", num("baseline_std")
    variants = max(2, len([line for line in (src.get("variants") or "").splitlines()
                           if line.strip()]))
    traffic = num("daily_traffic") or selectors.recent_daily_traffic(request.workspace)
    out = {"n": None, "days": None, "traffic": traffic, "variants": variants}
    if baseline and mde:
        try:
            out["n"] = int(required_sample_size(baseline, mde, alpha=alpha, power=power,
                                                relative=True, kind=kind, std=std))
        except (ValueError, ZeroDivisionError, TypeError):
            out["error"] = _("These numbers give no sample size: check the baseline and "
                             "the effect.")
        if out["n"] and traffic:
            out["days"] = math.ceil(expected_duration_days(out["n"], variants, traffic))
    return out


@workspace_view("experiments.view")
def sample_size(request):
    """htmx: the template's live sample size and duration."""
    return render(request, "experiments/partials/plan.html", {"plan": _plan(request)})


@workspace_view("experiments.edit")
def experiment_create(request):
    return _experiment_form_page(request, None)


@workspace_view("experiments.edit")
def experiment_edit(request, experiment_code):
    return _experiment_form_page(request, selectors.get_experiment(request.workspace,
                                                                   experiment_code))


@workspace_view("experiments.view")
def experiment_detail(request, experiment_code):
    exp = selectors.get_experiment(request.workspace, experiment_code)
    return render(request, "experiments/experiment_detail.html",
                  _detail_context(request, exp))


PAGE_CACHE_SECONDS = 24 * 3600


def _page_key(exp) -> str:
    """What the analysis and the chart depend on: the stored results (their count, total and
    last write: a nightly run or a typed-in day changes it), every field of the experiment, its
    variants, the workspace's correction, today and the language. One small query each."""
    import hashlib

    from django.db.models import Count, Max, Sum
    from django.utils.translation import get_language

    from .analysis import _correction
    from .models import ExperimentResult

    sig = ExperimentResult.objects.filter(experiment=exp).aggregate(
        c=Count("id"), n=Sum("n"), s=Sum("sum"), m=Max("updated_at"))
    parts = (sig, [getattr(exp, f.attname) for f in exp._meta.concrete_fields],
             [(v.pk, v.key, v.name, v.share, v.is_control) for v in exp.variants.all()],
             _correction(exp.workspace_id), timezone.localdate(), get_language())
    return f"exp-page:{exp.pk}:{hashlib.sha1(repr(parts).encode()).hexdigest()}"


def _page_data(exp):
    """The analysis and the cumulative chart, cached per state of the results (a run)."""
    from django.core.cache import cache

    key = _page_key(exp)
    hit = cache.get(key)
    if hit is not None:
        return hit
    analysis = experiment_analysis(exp)
    fig = cumulative_figure(cumulative_series(exp)) if analysis["has_data"] else None
    cache.set(key, (analysis, fig), PAGE_CACHE_SECONDS)
    return analysis, fig


def _detail_context(request, exp, **forms):
    analysis, fig = _page_data(exp)
    from .compute import CUPED_LOOKBACK_DAYS

    return {"exp": exp, "a": analysis, "fig": fig, "cuped_days": CUPED_LOOKBACK_DAYS,
            "transitions": sorted(services.TRANSITIONS.get(exp.status, set())),
            "status_labels": dict(Experiment.Status.choices),
            "decision_form": forms.get("decision_form") or DecisionForm(),
            "review_form": forms.get("review_form") or ReviewForm(initial={
                "expected": exp.aar_expected, "happened": exp.aar_happened,
                "why": exp.aar_why, "next": exp.aar_next}),
            "can_override": request.actor.can("experiments.override")}


# --- POST actions on an experiment ------------------------------------------------------------
# Each action runs one service call and goes back to the experiment page. Two shapes:
# a plain action shows a service refusal as a flash message; a form action re-renders the
# page with the form's errors (status 400).

def _back_to(request, exp):
    return redirect("experiment_detail", slug=request.workspace.slug, experiment_code=exp.code)


def _errors_text(e: ValidationError) -> str:
    return " ".join(e.messages)


def _post_action(request, experiment_code, call, *, success: str | None = None,
                 error_text=_errors_text):
    """Run `call(exp)`; a ValidationError becomes an error message; back to the page."""
    exp = selectors.get_experiment(request.workspace, experiment_code)
    try:
        call(exp)
    except ValidationError as e:
        messages.error(request, error_text(e))
    else:
        if success:
            messages.success(request, success)
    return _back_to(request, exp)


def _form_action(request, experiment_code, form_class, form_name: str, call, success: str):
    """Validate `form_class` from the POST, run `call(exp, cleaned_data)`; errors (the form's
    or the service's) re-render the experiment page with the form, status 400."""
    exp = selectors.get_experiment(request.workspace, experiment_code)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(exp, form.cleaned_data)
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, success)
            return _back_to(request, exp)
    return render(request, "experiments/experiment_detail.html",
                  _detail_context(request, exp, **{form_name: form}), status=400)


@workspace_view("experiments.run")
@require_POST
def experiment_status(request, experiment_code):
    return _post_action(request, experiment_code, lambda exp: services.experiment_transition(
        actor=request.actor, experiment=exp, to=request.POST.get("to", "")))


@workspace_view("experiments.decide")
@require_POST
def experiment_decide(request, experiment_code):
    return _form_action(request, experiment_code, DecisionForm, "decision_form",
                        lambda exp, data: services.experiment_decide(
                            actor=request.actor, experiment=exp, **data),
                        _("Decision recorded."))


@workspace_view("experiments.decide")
@require_POST
def experiment_srm(request, experiment_code):
    return _post_action(request, experiment_code,
                        lambda exp: services.experiment_acknowledge_srm(
                            actor=request.actor, experiment=exp,
                            note=request.POST.get("note", "")))


@workspace_view("experiments.edit")
@require_POST
def experiment_review(request, experiment_code):
    return _form_action(request, experiment_code, ReviewForm, "review_form",
                        lambda exp, data: services.experiment_review(
                            actor=request.actor, experiment=exp, **data),
                        _("After-action review saved."))


def _results_error(e: ValidationError) -> str:
    errs = e.message_dict.get("rows", e.messages) if hasattr(e, "error_dict") else e.messages
    return _("Not saved: %(e)s") % {"e": errs}


@workspace_view("experiments.edit")
@require_POST
def experiment_results(request, experiment_code):
    """Type in one day's totals for one variant and metric."""
    from .models import ExperimentResult

    row = {k: request.POST.get(k, "") for k in ("variant", "metric", "date", "n", "sum",
                                                 "sum_sq")}
    if not row["sum_sq"]:
        row["sum_sq"] = row["sum"]
    return _post_action(request, experiment_code, lambda exp: services.results_upsert(
        actor=request.actor, experiment=exp, rows=[row], source=ExperimentResult.Source.MANUAL),
        success=_("Results saved."), error_text=_results_error)


@workspace_view("experiments.view")
def learning_list(request):
    ws = request.workspace
    engine = _engine_from(request)
    f = {k: request.GET.get(k, "").strip() for k in ("stage", "metric", "decision", "q")}
    items = list(selectors.learnings(ws, engine=engine, **f)[:200])
    return render(request, "experiments/learnings.html", {
        "items": items, "engine": engine, **f, "engines": engine_selectors.engine_list(ws),
        "stages": FunnelStage.choices, "decisions": Experiment.Decision.choices,
        "velocity": selectors.velocity(ws)})
