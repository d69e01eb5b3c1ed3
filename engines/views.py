"""The dashboard, "recompute now" with progress, and the KPI settings screens."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from . import charts, dashboard, selectors, services, views_revenue
from .forms import KPIForm, KPITargetFormSet
from .metrics.registry import metric_groups
from .models import KPI, MetricRun

logger = logging.getLogger(__name__)

@workspace_view()
def home(request):
    """/w/<slug>/: the dashboard; a sales rep (no metrics) goes to their leads."""
    if request.session.get("workspace") != request.workspace.slug:
        # written only when it changes: a session save is an UPDATE and a COMMIT per view
        request.session["workspace"] = request.workspace.slug
    if not request.actor.can("metrics.view"):
        return redirect("my_leads", slug=request.workspace.slug)
    ws = request.workspace
    data = dashboard.dashboard_data(ws, request.GET)
    if request.htmx and request.htmx.target == "channel-table":  # sort / attribution switch
        return render(request, "engines/partials/channel_table.html", data)
    end = data["period"].end
    version = data["values_version"]  # the reads below are cached per metric run
    data["kpis"] = selectors.kpi_status(ws, data["period"], version)
    for i, k in enumerate(data["kpis"]):
        k["spark"] = charts.sparkline([v for _p, v in k.get("trend", [])])
        k["spark_id"] = f"spark-{i}"
    data["fig_funnel"] = charts.funnel_figure(data["funnel"])
    data["fig_trend"] = charts.trend_figure(
        dashboard.trend(ws, ["revenue", "new_customers"], end, version=version),
        [("revenue", _("Revenue")), ("new_customers", _("New customers"))])
    # the cohort table is the page's largest fragment (a cell per cohort and month): rendered
    # once per run and language
    data["cohorts_html"] = mark_safe(selectors.cached_read(
        ws, version, "cohorts-html", (end, get_language()),
        lambda: render_to_string("engines/partials/cohorts.html",
                                 {"cohorts": dashboard.cohort_rows(ws, end, version=version)})))
    data.update(views_revenue.mrr_section(ws, end))
    return render(request, "engines/dashboard.html", data)


@workspace_view("metrics.recompute")
@require_POST
def recompute(request):
    """Recompute now; admins may give an as-of day and a backfill start (the small form)."""
    from django.core.exceptions import ValidationError

    from .forms import RecomputeForm

    ws = request.workspace
    form = RecomputeForm(request.POST)
    dates = {}
    if request.actor.can("workspace.settings") and form.is_valid():
        dates = {k: v for k, v in form.cleaned_data.items() if v}
    errors = dict(form.errors) if form.errors else {}
    run = None
    if not errors:
        try:
            run = services.metric_run_start(workspace=ws, trigger=MetricRun.Trigger.MANUAL,
                                            by=request.user, **dates)
        except ValidationError as e:
            errors = e.message_dict
    return render(request, "engines/partials/run_status.html",
                  {"run": run, "freshness": dashboard.freshness(ws), "form_errors": errors})


@workspace_view("metrics.view")
def run_status(request, run_code):
    run = selectors.get_metric_run(request.workspace, run_code)
    return render(request, "engines/partials/run_status.html",
                  {"run": run, "freshness": dashboard.freshness(request.workspace)})


@workspace_view("metrics.view")
def metric_definitions(request):
    """Every metric the dashboard shows: what it counts, its unit, which way is good, and for
    a ratio the two inputs it is divided from (the registry's one declaration)."""
    return render(request, "engines/metric_definitions.html",
                  {"families": selectors.metric_definitions()})


@workspace_view("metrics.view")
def kpis(request):
    items = selectors.kpi_status(request.workspace, dashboard.default_period(request.workspace))
    first_movable = next((n for n, k in enumerate(items) if not k["kpi"].is_north_star), 0)
    return render(request, "engines/kpis.html", {"items": items, "first_movable": first_movable})


def _kpi_form_page(request, kpi: KPI | None):
    ws = request.workspace
    initial = {}
    targets_initial = []
    if kpi is not None:
        initial = {f: getattr(kpi, f) for f in ("name", "metric_key", "scope", "grain",
                                                "direction", "target", "guardrail_min",
                                                "guardrail_max", "is_north_star")}
        initial["channel"] = kpi.channel.key if kpi.channel else None
        initial["segment"] = kpi.segment.code if kpi.segment else None
        initial["engine"] = kpi.engine.code if kpi.engine else None
        targets_initial = [{"period": t.period, "target": t.target} for t in kpi.targets.all()]
    form = KPIForm(request.POST or None, workspace=ws, initial=initial)
    targets = KPITargetFormSet(request.POST or None, initial=targets_initial, prefix="targets")
    if request.method == "POST" and form.is_valid() and targets.is_valid():
        fields = dict(form.cleaned_data)
        fields["targets"] = [{"period": t["period"], "target": t["target"]}
                             for t in targets.cleaned_data if t.get("period")]
        try:
            if kpi is None:
                services.kpi_create(actor=request.actor, **fields)
            else:
                services.kpi_update(actor=request.actor, kpi=kpi, **fields)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("KPI saved."))
            return redirect("kpis", slug=ws.slug)
    return render(request, "engines/kpi_form.html", {"form": form, "targets": targets,
                                                     "kpi": kpi,
                                                     "metric_groups": metric_groups()})


@workspace_view("metrics.configure")
def kpi_create(request):
    return _kpi_form_page(request, None)


@workspace_view("metrics.configure")
def kpi_edit(request, kpi_code):
    return _kpi_form_page(request, selectors.get_kpi(request.workspace, kpi_code))


@workspace_view("metrics.configure")
@require_POST
def kpi_move(request, kpi_code):
    """Move a KPI one place up or down the list (a plain form button: no script needed)."""
    kpi = selectors.get_kpi(request.workspace, kpi_code)
    direction = request.POST.get("direction")
    if direction in ("up", "down"):
        services.kpi_move(actor=request.actor, kpi=kpi, up=direction == "up")
    return redirect("kpis", slug=request.workspace.slug)


@workspace_view("metrics.configure")
@require_POST
def kpi_delete(request, kpi_code):
    kpi = selectors.get_kpi(request.workspace, kpi_code)
    services.kpi_delete(actor=request.actor, kpi=kpi)
    messages.success(request, _("KPI deleted."))
    return redirect("kpis", slug=request.workspace.slug)
