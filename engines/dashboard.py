"""The dashboard's reads: everything comes from MetricValue rows (never raw CRM rows), in a
handful of queries, reshaped with pandas. Periods are month-aligned: a month, a quarter or a
custom range of months, compared with the period of equal length just before it. Values over
several months come from engines.metrics.rollup (sums, and ratios as the registry declares
them); "today" is the workspace's (mos.periods.workspace_today)."""

from __future__ import annotations

import calendar
import re
from urllib.parse import urlencode
from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace

from crm.models import Channel
from mos.periods import workspace_today

from .metrics.registry import ATTRIBUTION_MODELS, REGISTRY, ltv_key
from .metrics.rollup import aggregate, lookup, ratio_of
from .models import MetricRun, MetricValue

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


# Periods a hand-edited query string may ask for: pandas cannot represent dates before 1677,
# and no marketing data is older than this or further ahead.
PERIOD_YEARS = range(1970, 2201)


def _month(value: str) -> date | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) not in PERIOD_YEARS:
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse_period(params, today: date) -> tuple[Period, list[str]]:
    """The period the picker asks for (default: last complete month before `today`, the
    workspace's today), and any input errors."""
    errors = []
    this_month = today.replace(day=1)
    last_month = (pd.Timestamp(this_month) - pd.DateOffset(months=1)).date()
    kind = params.get("period") or "month"
    if kind not in PERIOD_KINDS:
        errors.append(_("Unknown period; showing last month."))
        kind = "month"
    if kind == "quarter":
        m = re.fullmatch(r"(\d{4})-Q([1-4])", params.get("quarter") or "")
        if m and int(m.group(1)) in PERIOD_YEARS:
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


def default_period(workspace: Workspace) -> Period:
    """The period shown when none is asked for: the workspace's last complete month."""
    return parse_period({}, workspace_today(workspace))[0]


def recent_months(n: int, today: date) -> list[str]:
    """The last n months up to `today`'s as YYYY-MM, newest first (for the picker)."""
    this_month = today.replace(day=1)
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
        values = {k: float(v) for k, v in wide.loc[ch].items() if pd.notna(v)}
        # CAC, ROAS and LTV:CAC as the registry declares them, from the period's sums
        cac = ratio_of(f"cac.{model}", values)
        rows.append({
            "key": ch, "name": names.get(ch, ch), "spend": values.get("spend"),
            "leads": values.get("leads"),
            "customers": values.get(f"attributed_conversions.{model}"), "cac": cac,
            "roas": ratio_of(f"roas.{model}", values),
            "ltv_cac": ratio_of("ltv_cac", {"ltv": ltv, "cac": cac}),
            "lead_quality": values.get("lead_quality"),
            "acceptance": values.get("lead_acceptance_rate"),
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
    from crm.corrections import corrected_since

    # an order, event or spend row corrected or deleted since the last good run started
    stale = last_ok is not None and corrected_since(workspace, last_ok.started_at
                                                    or last_ok.created_at)
    return {"last": runs[0] if runs else None, "last_ok": last_ok, "active": active,
            "recent": runs, "stale": stale}


def dashboard_data(workspace: Workspace, params) -> dict:
    """Everything the dashboard shows, for the period the picker asks for."""
    period, errors = parse_period(params, workspace_today(workspace))
    prev = period.previous()
    model = params.get("model") or workspace.attribution_model
    if model not in ATTRIBUTION_MODELS:
        model = workspace.attribution_model
    df = _load(workspace, prev.start, period.end)
    aliases = {"ltv": ltv_key(workspace)}
    totals = lookup(aggregate(df, period.months, aliases=aliases))
    prev_totals = lookup(aggregate(df, prev.months, aliases=aliases))
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
        "month_choices": recent_months(12, workspace_today(workspace)),
    }
