"""Subscription revenue (MRR movements, drill-down with CSV) and the Models page."""

from __future__ import annotations

from datetime import date

from urllib.parse import urlencode

from django.db.models import Case, Count, F, Sum, When
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from crm.models import Order
from mos.csvsafe import csv_response
from mos.periods import workspace_today
from mos.tenancy import workspace_view

from . import charts, revenue
from .models import MetricRun, ModelFit


def mrr_section(workspace, end: date) -> dict:
    """The dashboard's MRR part (only for a workspace with subscriptions)."""
    if not revenue.has_subscriptions(workspace):
        return {}
    data = revenue.mrr_rows(workspace, end)
    data["fig"] = charts.mrr_waterfall_figure(
        data["start"], data["moves"], data["end"], revenue.MOVEMENT_LABELS,
        _("MRR at start"), _("MRR at end"))
    return {"mrr": data}


def _month_param(value: str | None) -> date | None:
    try:
        y, m = (int(p) for p in (value or "").split("-"))
        return date(y, m, 1)
    except (TypeError, ValueError):
        return None


@workspace_view("metrics.view")
def mrr_movements(request):
    """/w/<slug>/revenue/movements/?month=YYYY-MM&kind=churn: the customers and subscriptions
    behind one MRR movement; &format=csv downloads them."""
    ws = request.workspace
    today = workspace_today(ws)
    month = _month_param(request.GET.get("month") or f"{today:%Y-%m}")
    kind = request.GET.get("kind") or "new"
    if month is None or kind not in revenue.MOVEMENT_LABELS:
        raise Http404
    plan = request.GET.get("plan") or None
    segment = None
    if request.GET.get("segment"):
        from crm.models import Segment
        from mos.codes import as_code

        code = as_code(request.GET["segment"])
        segment = Segment.objects.filter(workspace=ws, code=code).first() if code else None
        if segment is None:
            raise Http404
    rows = revenue.movement_subscriptions(ws, month=month, kind=kind, as_of=today,
                                          plan=plan, segment=segment)
    if request.GET.get("format") == "csv":
        def lines():
            for r in rows:
                for s in r["subscriptions"] or [None]:
                    yield [r["name"], r["contact"].email if r["contact"] else "",
                           r["at"].strftime("%Y-%m-%d %H:%M"), r["amount"], r["before"],
                           r["after"], s.external_id if s else "", s.plan if s else "",
                           float(s.mrr) if s else "", s.get_status_display() if s else ""]
        return csv_response(
            f"mrr-{kind}-{month:%Y-%m}.csv",
            [_("Customer"), _("E-mail"), _("When"), _("Movement"), _("MRR before"),
             _("MRR after"), _("Subscription"), _("Plan"), _("MRR"), _("Status")], lines())
    total = sum(r["amount"] for r in rows)
    return render(request, "engines/mrr_movements.html", {
        "rows": rows, "month": month, "kind": kind, "label": revenue.MOVEMENT_LABELS[kind],
        "plan": plan, "segment": segment,
        "scope": urlencode({"plan": plan} if plan else {"segment": segment.code} if segment
                           else {}),
        "total": total, "kinds": revenue.MOVEMENT_LABELS.items()})


@workspace_view("metrics.view")
def models_page(request):
    """/w/<slug>/models/: what the latest run's models fitted, and how well they predicted."""
    ws = request.workspace
    run = (MetricRun.objects.filter(workspace=ws, model_fits__isnull=False)
           .order_by("-created_at").first())
    fits = {f.kind: f for f in ModelFit.objects.filter(run=run)} if run else {}
    markov = fits.get("markov")
    effects = sorted((markov.params.get("removal_effects") or {}).items(),
                     key=lambda kv: -(kv[1] or 0)) if markov else []
    matrix = []
    if markov:
        states = markov.details.get("states", [])
        for name, row in zip(states, markov.details.get("matrix", [])):
            matrix.append((name, row))
    bg = fits.get("bgnbd")
    holdout_error = None
    if bg and bg.holdout_actual:
        holdout_error = (bg.holdout_predicted - bg.holdout_actual) / bg.holdout_actual
    conversions = markov.details.get("conversions", 0) if markov else 0
    total_effect = sum(v for _k, v in effects) or 1
    return render(request, "engines/models.html", {
        "run": run, "bg": bg, "gg": fits.get("gamma_gamma"), "markov": markov,
        "effects": [(k, v, conversions * v / total_effect) for k, v in effects],
        "matrix": matrix, "states": markov.details.get("states", []) if markov else [],
        "holdout_error": holdout_error})


def _drill_period(request):
    """The dashboard's period from the query string (the same parser), or 404 on nonsense."""
    from . import dashboard
    from .drilldown import period_bounds

    period, errors = dashboard.parse_period(request.GET, workspace_today(request.workspace))
    if errors:
        raise Http404
    lo, hi = period_bounds(request.workspace, period.start, period.last_day)
    return period, lo, hi, urlencode(
        {k: v for k, v in request.GET.items() if k in ("period", "month", "quarter", "from",
                                                          "to")})


@workspace_view("metrics.view")
def order_rows(request):
    """/w/<slug>/revenue/orders/?period=month&month=YYYY-MM[&only=sales]: the paid orders
    behind the dashboard's revenue (refunds subtract) or, with only=sales, its order count;
    &format=csv downloads them."""
    from .drilldown import period_orders, signed

    ws = request.workspace
    period, lo, hi, scope = _drill_period(request)
    sales_only = request.GET.get("only") == "sales"
    orders = period_orders(ws, lo, hi, sales_only=sales_only)
    if request.GET.get("format") == "csv":
        tz = lo.tzinfo

        def lines():
            for o in orders.iterator(chunk_size=2000):
                yield [o.contact.name or "", o.contact.email, o.external_id,
                       o.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                       o.get_kind_display(), o.get_status_display(), signed(o), o.currency,
                       float(o.original_amount) if o.original_amount is not None else "",
                       o.original_currency]
        name = "orders" if sales_only else "revenue"
        return csv_response(
            f"{name}-{period.label.replace(' ', '')}.csv",
            [_("Customer"), _("E-mail"), _("Order"), _("When"), _("Kind"), _("Payment status"),
             _("Amount"), _("Currency"), _("Original amount"), _("Original currency")], lines())
    rows = list(orders[:500])
    totals = orders.order_by().aggregate(n=Count("id"), total=Sum(Case(
        When(kind=Order.Kind.REFUND, then=-F("amount")), default=F("amount"))))
    total = float(totals["total"] or 0)
    return render(request, "engines/drill_orders.html", {
        "orders": [(o, signed(o)) for o in rows], "count": totals["n"], "total": total,
        "shown": len(rows), "period": period, "scope": scope, "sales_only": sales_only})


@workspace_view("metrics.view")
def new_customer_rows(request):
    """/w/<slug>/revenue/new-customers/?period=…: the contacts behind the dashboard's new
    customers (first customer stage or first purchase in the period); &format=csv."""
    from .drilldown import new_customers

    ws = request.workspace
    period, lo, hi, scope = _drill_period(request)
    rows = new_customers(ws, lo, hi)
    hows = {"purchase": _("First purchase"), "stage": _("Customer stage")}
    if request.GET.get("format") == "csv":
        tz = lo.tzinfo
        return csv_response(
            f"new-customers-{period.label.replace(' ', '')}.csv",
            [_("Customer"), _("E-mail"), _("External id"), _("Became a customer"), _("How")],
            ([str(r["contact"]), r["contact"].email, r["contact"].external_id,
              r["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"), hows[r["how"]]]
             for r in rows))
    for r in rows:
        r["how_label"] = hows[r["how"]]
    return render(request, "engines/drill_new_customers.html", {
        "rows": rows[:500], "count": len(rows), "shown": min(len(rows), 500),
        "period": period, "scope": scope})
