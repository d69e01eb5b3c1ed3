"""The dashboard's reads: everything comes from MetricValue rows (never raw CRM rows), in a
handful of queries, reshaped with pandas. Periods are month-aligned: a month, a quarter or a
custom range of months, compared with the period of equal length just before it."""

from __future__ import annotations

import calendar
import re
from urllib.parse import urlencode
from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace

from .metrics.registry import ATTRIBUTION_MODELS, REGISTRY
from .models import MetricRun, MetricValue
from crm.models import Channel

# Summable over months; ratios are recomputed from these sums, never averaged.
ADDITIVE = {"spend", "impressions", "clicks", "leads", "new_customers", "revenue", "orders",
            "funnel_entries", "campaign_recipients"}
ADDITIVE_PREFIXES = ("attributed_conversions.", "attributed_revenue.")
DERIVED = {  # key → (numerator, denominator, scale)
    "ctr": ("clicks", "impressions", 1.0),
    "cpc": ("spend", "clicks", 1.0),
    "cpm": ("spend", "impressions", 1000.0),
    "cpl": ("spend", "leads", 1.0),
    "cac": ("spend", "new_customers", 1.0),
    "aov": ("revenue", "orders", 1.0),
}
PERIOD_KINDS = ("month", "quarter", "custom")
CHANNEL_COLUMNS = [("name", _("Channel"), ""), ("spend", _("Spend"), "currency"),
                   ("leads", _("Leads"), "count"), ("customers", _("Customers"), "count"),
                   ("cac", _("CAC"), "currency"), ("roas", _("ROAS"), "multiple"),
                   ("ltv_cac", _("LTV:CAC"), "multiple"),
                   ("lead_quality", _("Lead quality"), "score")]


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day of the first month
    end: date  # first day of the last month
    label: str

    @property
    def months(self) -> list[date]:
        return [d.date() for d in pd.date_range(self.start, self.end, freq="MS")]

    @property
    def last_day(self) -> date:
        return self.end.replace(day=calendar.monthrange(self.end.year, self.end.month)[1])

    def previous(self) -> "Period":
        n = len(self.months)
        start = (pd.Timestamp(self.start) - pd.DateOffset(months=n)).date()
        end = (pd.Timestamp(self.start) - pd.DateOffset(months=1)).date()
        return Period(self.kind, start, end, "")


def _month(value: str) -> date | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse_period(params, today: date | None = None) -> tuple[Period, list[str]]:
    """The period the picker asks for (default: last complete month), and any input errors."""
    today = today or timezone.localdate()
    errors = []
    this_month = today.replace(day=1)
    last_month = (pd.Timestamp(this_month) - pd.DateOffset(months=1)).date()
    kind = params.get("period") or "month"
    if kind not in PERIOD_KINDS:
        errors.append(_("Unknown period; showing last month."))
        kind = "month"
    if kind == "quarter":
        m = re.fullmatch(r"(\d{4})-Q([1-4])", params.get("quarter") or "")
        if m:
            start = date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        else:
            if params.get("quarter"):
                errors.append(_("Quarter must look like 2026-Q3."))
            q = (last_month.month - 1) // 3
            start = date(last_month.year, 3 * q + 1, 1)
        end = (pd.Timestamp(start) + pd.DateOffset(months=2)).date()
        q = (start.month - 1) // 3 + 1
        return Period("quarter", start, end, f"{start.year}-Q{q}"), errors
    if kind == "custom":
        start, end = _month(params.get("from", "")), _month(params.get("to", ""))
        if start and end and start <= end and len(pd.date_range(start, end, freq="MS")) <= 36:
            return Period("custom", start, end, f"{start:%Y-%m} → {end:%Y-%m}"), errors
        errors.append(_("Choose a custom range as two months, from ≤ to, at most 36 months."))
    month = _month(params.get("month", "")) or last_month
    if params.get("month") and not _month(params.get("month", "")):
        errors.append(_("Month must look like 2026-10."))
    return Period("month", month, month, f"{month:%Y-%m}"), errors


def recent_months(n: int, today: date | None = None) -> list[str]:
    """The last n months as YYYY-MM, newest first (for the picker)."""
    this_month = (today or timezone.localdate()).replace(day=1)
    return [d.strftime("%Y-%m") for d in
            pd.date_range(end=this_month, periods=n, freq="MS")[::-1]]


def _load(workspace: Workspace, start: date, end: date) -> pd.DataFrame:
    rows = MetricValue.objects.filter(workspace=workspace, grain="month", period__gte=start,
                                      period__lte=end).values_list(
        "key", "period", "dimension", "dimension_value", "value")
    df = pd.DataFrame.from_records(list(rows), columns=["key", "period", "dimension",
                                                       "dimension_value", "value"])
    if not df.empty:
        df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


def _is_additive(key: str) -> bool:
    return key in ADDITIVE or key.startswith(ADDITIVE_PREFIXES)


def aggregate(df: pd.DataFrame, months: list[date], dimension: str = "") -> pd.DataFrame:
    """One value per (key, dimension_value) over `months`: sums for additive keys, ratios
    recomputed from those sums, and the last month's value for point-in-time metrics."""
    part = df[(df["dimension"] == dimension) & df["period"].isin(months)] if not df.empty else df
    if part.empty:
        return pd.DataFrame(columns=["key", "dimension_value", "value"])
    add = part[part["key"].map(_is_additive)]
    sums = add.groupby(["key", "dimension_value"], as_index=False)["value"].sum()
    last = (part[~part["key"].map(_is_additive)].sort_values("period")
            .groupby(["key", "dimension_value"], as_index=False).last()[
                ["key", "dimension_value", "value"]])
    out = pd.concat([sums, last], ignore_index=True)
    if len(months) > 1:  # recompute ratios from the period's sums
        wide = sums.pivot(index="dimension_value", columns="key", values="value")
        derived = []
        for key, (num, den, scale) in DERIVED.items():
            if num in wide and den in wide:
                v = (wide[num] / wide[den].where(wide[den] != 0)) * scale
                derived.append(pd.DataFrame({"key": key, "dimension_value": v.index,
                                             "value": v.values}).dropna())
        if derived:
            out = out[~out["key"].isin(DERIVED)]
            out = pd.concat([out, *derived], ignore_index=True)
    return out


def lookup(agg: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """{(key, dimension value): value} of an aggregate, for many lookups at dict speed."""
    if agg is None or agg.empty:
        return {}
    return {(k, dv): float(v) for k, dv, v in
            zip(agg["key"], agg["dimension_value"], agg["value"])}


def ltv_key(workspace: Workspace) -> str:
    """The LTV the workspace reads: the subscription formula, or predicted (BG/NBD) LTV."""
    return "ltv_subscription" if workspace.business == "subscription" else "ltv_predicted"


def headline(workspace: Workspace, cur_v: dict, prev_v: dict) -> list[dict]:
    """The key numbers of the period (workspace-level `lookup`s) with the change against the
    previous period."""
    keys = ["revenue", "new_customers", "leads", "spend", "cac", ltv_key(workspace), "ltv_cac",
            "cac_payback_months", "churn", "nrr_monthly"]
    out = []
    for key in keys:
        if key not in REGISTRY:
            continue
        d = REGISTRY[key]
        now, before = cur_v.get((key, "")), prev_v.get((key, ""))
        change = None
        if now is not None and before not in (None, 0):
            change = (now - before) / abs(before)
        good = None
        if change is not None and d.direction != "neutral" and change != 0:
            good = (change > 0) == (d.direction == "up")
        out.append({"key": key, "label": d.label, "unit": d.unit, "value": now,
                    "previous": before, "change": change, "good": good})
    return out


def channel_table(workspace: Workspace, cur: pd.DataFrame, model: str, sort: str,
                  ltv: float | None) -> list[dict]:
    """Per channel: spend, leads, customers, CAC, ROAS, LTV:CAC, lead quality — under `model`.
    `ltv` is the workspace's: a channel's LTV:CAC reads its CAC against it."""
    names = dict(Channel.objects.filter(workspace=workspace).values_list("key", "name"))
    chan = cur if not cur.empty else pd.DataFrame(columns=["key", "dimension_value", "value"])
    wide = chan.pivot_table(index="dimension_value", columns="key", values="value",
                            aggfunc="first") if not chan.empty else pd.DataFrame()
    rows = []
    for ch in wide.index:
        get = (lambda k, ch=ch: float(wide.at[ch, k]) if k in wide and pd.notna(wide.at[ch, k])
               else None)
        spend = get("spend")
        customers = get(f"attributed_conversions.{model}")
        revenue = get(f"attributed_revenue.{model}")
        cac = spend / customers if spend and customers else None
        rows.append({
            "key": ch, "name": names.get(ch, ch), "spend": spend, "leads": get("leads"),
            "customers": customers, "cac": cac,
            "roas": revenue / spend if revenue is not None and spend else None,
            "ltv_cac": ltv / cac if ltv and cac else None,
            "lead_quality": get("lead_quality"),
            "acceptance": get("lead_acceptance_rate"),
        })
    field, _, desc = sort.partition(":")
    if field not in {"name", "spend", "leads", "customers", "cac", "roas", "ltv_cac",
                     "lead_quality"}:
        field, desc = "spend", "desc"
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    present.sort(key=lambda r: r[field], reverse=(desc == "desc"))
    return present + missing


def funnel(cur: pd.DataFrame) -> list[dict]:
    from crm.models import FUNNEL_STAGES, Stage

    values = lookup(cur)
    out = []
    for s in FUNNEL_STAGES:
        out.append({"stage": s.value, "label": Stage(s).label,
                    "entries": values.get(("funnel_entries", s.value)),
                    "conversion": values.get(("funnel_conversion", s.value)),
                    "days": values.get(("funnel_days_to_next", s.value))})
    return out


def cohort_matrix(workspace: Workspace, end: date, months: int = 12) -> pd.DataFrame:
    """Retention share by first-purchase month (rows) × months since (columns), only for cells
    whose calendar month is within the period shown (a month still running would read as a
    false drop to 0 %)."""
    start = (pd.Timestamp(end) - pd.DateOffset(months=months - 1)).date()
    rows = MetricValue.objects.filter(workspace=workspace, key="cohort_retention", grain="month",
                                      period__gte=start, period__lte=end,
                                      dimension="age").values_list("period", "dimension_value",
                                                                   "value")
    df = pd.DataFrame.from_records(list(rows), columns=["cohort", "age", "value"])
    if df.empty:
        return df
    df["age"] = df["age"].astype(int)
    month_index = lambda d: d.year * 12 + d.month  # noqa: E731
    df = df[df["cohort"].map(month_index) + df["age"] <= month_index(end)]
    return df.pivot(index="cohort", columns="age", values="value").sort_index()


def trend(workspace: Workspace, keys: list[str], end: date, months: int = 12) -> pd.DataFrame:
    """Monthly workspace-level values of `keys` for the `months` up to `end`."""
    start = (pd.Timestamp(end) - pd.DateOffset(months=months - 1)).date()
    rows = MetricValue.objects.filter(workspace=workspace, grain="month", key__in=keys,
                                      dimension="", period__gte=start,
                                      period__lte=end).values_list("period", "key", "value")
    df = pd.DataFrame.from_records(list(rows), columns=["period", "key", "value"])
    return df.pivot(index="period", columns="key", values="value").sort_index() if len(df) else df


def freshness(workspace: Workspace) -> dict:
    runs = list(MetricRun.objects.filter(workspace=workspace).order_by("-created_at")[:5])
    last_ok = next((r for r in runs if r.status == MetricRun.Status.SUCCEEDED), None)
    active = next((r for r in runs if r.status in (MetricRun.Status.PENDING,
                                                  MetricRun.Status.RUNNING)), None)
    return {"last": runs[0] if runs else None, "last_ok": last_ok, "active": active,
            "recent": runs}


def dashboard_data(workspace: Workspace, params) -> dict:
    """Everything the dashboard shows, for the period the picker asks for."""
    period, errors = parse_period(params)
    prev = period.previous()
    model = params.get("model") or workspace.attribution_model
    if model not in ATTRIBUTION_MODELS:
        model = workspace.attribution_model
    df = _load(workspace, prev.start, period.end)
    totals = lookup(aggregate(df, period.months))
    prev_totals = lookup(aggregate(df, prev.months))
    cur_channel = aggregate(df, period.months, "channel")
    query = {"period": period.kind, "model": model}
    if period.kind == "month":
        query["month"] = period.label
    elif period.kind == "quarter":
        query["quarter"] = period.label
    else:
        query.update({"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}"})
    return {
        "base_query": urlencode(query), "channel_columns": CHANNEL_COLUMNS,
        "period": period, "previous": prev, "errors": errors, "model": model,
        "models": list(ATTRIBUTION_MODELS.items()),
        "has_data": MetricValue.objects.filter(workspace=workspace).exists(),
        "headline": headline(workspace, totals, prev_totals),
        "channels": channel_table(workspace, cur_channel, model, params.get("sort", ""),
                                  totals.get((ltv_key(workspace), ""))),
        "sort": params.get("sort", "spend:desc"),
        "funnel": funnel(aggregate(df, period.months, "stage")),
        "freshness": freshness(workspace),
    }
