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
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace

from crm.models import Channel
from mos.periods import add_months, month_starts, workspace_today

from .metrics.registry import ATTRIBUTION_MODELS, REGISTRY, is_additive, ltv_key
from .metrics.rollup import aggregate, lookup, ratio_of, roll_up  # noqa: F401
from .models import MetricRun, MetricValue
from .selectors import cached_read, values_version

PERIOD_KINDS = ("month", "quarter", "custom")
# (field, header, unit, the metric whose definition the header links to)
CHANNEL_COLUMNS = [("name", _("Channel"), "", ""), ("spend", _("Spend"), "currency", "spend"),
                   ("leads", _("Leads"), "count", "leads"),
                   ("customers", _("Customers"), "count", "attributed_conversions"),
                   ("cac", _("CAC"), "currency", "cac"), ("roas", _("ROAS"), "multiple", "roas"),
                   ("ltv_cac", _("LTV:CAC"), "multiple", "ltv_cac"),
                   ("lead_quality", _("Lead quality"), "score", "lead_quality")]


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day of the first month
    end: date  # first day of the last month
    label: str
    as_of: date | None = None  # the workspace's today, when the period is still running

    @property
    def to_date(self) -> bool:
        """True for the current month/quarter/range: its numbers are "to date"."""
        return self.as_of is not None

    @property
    def elapsed_share(self) -> float:
        """The share of the period's last month that has passed (1.0 for a complete period):
        the factor a monthly target of a sum is pro-rated by."""
        if self.as_of is None:
            return 1.0
        days = calendar.monthrange(self.end.year, self.end.month)[1]
        if self.as_of < self.end:
            return 0.0
        return min(1.0, self.as_of.day / days)

    @property
    def months(self) -> list[date]:
        return month_starts(self.start, self.end)

    @property
    def last_day(self) -> date:
        return self.end.replace(day=calendar.monthrange(self.end.year, self.end.month)[1])

    def previous(self) -> "Period":
        n = len(self.months)
        start, end = add_months(self.start, -n), add_months(self.start, -1)
        return Period(self.kind, start, end, "")

    def with_today(self, today: date) -> "Period":
        """The same period, marked "to date" when `today` falls in it (or before its end)."""
        if self.last_day < today:
            return self
        return Period(self.kind, self.start, self.end, self.label, today)


# Periods a hand-edited query string may ask for: pandas cannot represent dates before 1677,
# and no marketing data is older than this or further ahead.
PERIOD_YEARS = range(1970, 2201)


def _month(value: str) -> date | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) not in PERIOD_YEARS:
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse_period(params, today: date) -> tuple[Period, list[str]]:
    """The period the picker asks for, and any input errors. Month and Quarter default the same
    way: the last complete one before `today` (the workspace's). A period still running is
    marked "to date" (Period.as_of), so its targets are pro-rated."""
    period, errors = _parse_period(params, today)
    return period.with_today(today), errors


def _parse_period(params, today: date) -> tuple[Period, list[str]]:
    errors = []
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
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
            this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
            start = add_months(this_quarter, -3)
        end = add_months(start, 2)
        q = (start.month - 1) // 3 + 1
        return Period("quarter", start, end, f"{start.year}-Q{q}"), errors
    if kind == "custom":
        start, end = _month(params.get("from", "")), _month(params.get("to", ""))
        if start and end and start <= end and len(month_starts(start, end)) <= 36:
            return Period("custom", start, end, f"{start:%Y-%m} → {end:%Y-%m}"), errors
        errors.append(_("Choose a custom range as two months, from ≤ to, at most 36 months."))
    month = _month(params.get("month", "")) or last_month
    if params.get("month") and not _month(params.get("month", "")):
        errors.append(_("Month must look like 2026-10."))
    return Period("month", month, month, f"{month:%Y-%m}"), errors


def default_period(workspace: Workspace) -> Period:
    """The period shown when none is asked for: the workspace's last complete month."""
    return parse_period({}, workspace_today(workspace))[0]


def recent_months(n: int, today: date) -> list[dict]:
    """The last n months up to `today`'s, newest first (for the picker): value YYYY-MM and a
    label in the page's language, the running month marked "to date"."""
    from django.utils.formats import date_format

    this_month = today.replace(day=1)
    out = []
    for d in (add_months(this_month, -i) for i in range(n)):
        label = date_format(d, "F Y")
        if d == this_month:
            label = _("%(month)s (to date)") % {"month": label}
        out.append({"value": d.strftime("%Y-%m"), "label": label})
    return out


def _load(workspace: Workspace, start: date, end: date) -> pd.DataFrame:
    rows = MetricValue.objects.filter(workspace=workspace, grain="month", period__gte=start,
                                      period__lte=end).values_list(
        "key", "period", "dimension", "dimension_value", "value")
    df = pd.DataFrame.from_records(list(rows), columns=["key", "period", "dimension",
                                                       "dimension_value", "value"])
    if not df.empty:
        df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


# the dimensions the dashboard reads: workspace totals, the channel table, the funnel
DASHBOARD_DIMENSIONS = ("", "channel", "stage")


def _rows(workspace: Workspace, start: date, end: date, dimensions) -> list[tuple]:
    """The workspace's monthly values from `start` to `end` in `dimensions`, as plain tuples
    (key, period, dimension, dimension_value, value) for roll_up: no frame to build."""
    return list(MetricValue.objects.filter(
        workspace=workspace, grain="month", period__gte=start, period__lte=end,
        dimension__in=dimensions).values_list("key", "period", "dimension", "dimension_value",
                                              "value"))


# shown only when the workspace measures them (customer-service surveys, seed 003)
HEADLINE_IF_MEASURED = {"nps"}


def headline(workspace: Workspace, cur_v: dict, prev_v: dict,
             elapsed_share: float = 1.0) -> list[dict]:
    """The key numbers of the period (workspace-level `lookup`s) with the change against the
    previous period. For a period still running, a sum is compared with the previous period's
    sum pro-rated to the same share of its last month (`elapsed_share`), never with the whole."""
    keys = ["revenue", "new_customers", "leads", "spend", "cac", ltv_key(workspace), "ltv_cac",
            "cac_payback_months", "churn", "nrr_monthly", "nps"]
    out = []
    for key in keys:
        if key not in REGISTRY:
            continue
        d = REGISTRY[key]
        now, before = cur_v.get((key, "")), prev_v.get((key, ""))
        if key in HEADLINE_IF_MEASURED and now is None and before is None:
            continue  # a workspace that runs no NPS survey sees no empty NPS card
        if d.additive and before is not None and elapsed_share < 1.0:
            before = before * elapsed_share
        change = None
        if now is not None and before not in (None, 0):
            change = (now - before) / abs(before)
        good = None
        if change is not None and d.direction != "neutral" and change != 0:
            good = (change > 0) == (d.direction == "up")
        out.append({"key": key, "label": d.label, "unit": d.unit, "value": now,
                    "description": d.description, "additive": d.additive,
                    "previous": before, "change": change, "good": good})
    return out


def _prev_share(period: Period) -> float:
    """The share of the previous period a running period's sums are compared with: its
    complete months plus the elapsed share of the running one, over its length."""
    n = len(period.months)
    return (n - 1 + period.elapsed_share) / n


def channel_table(workspace: Workspace, cur: dict, model: str, sort: str,
                  ltv: float | None) -> list[dict]:
    """Per channel: spend, leads, customers, CAC, ROAS, LTV:CAC, lead quality — under `model`,
    from the period's rolled-up channel values ({(key, channel key): value}). `ltv` is the
    workspace's: a channel's LTV:CAC reads its CAC against it."""
    names = dict(Channel.objects.filter(workspace=workspace).values_list("key", "name"))
    by_channel: dict[str, dict[str, float]] = {}
    for (key, ch), v in sorted(cur.items()):
        if v is not None and v == v:  # a missing value is no input
            by_channel.setdefault(ch, {})[key] = float(v)
    rows = []
    for ch, values in sorted(by_channel.items()):
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
            "inputs": values,
        })
    field, _, desc = sort.partition(":")
    if field not in {"name", "spend", "leads", "customers", "cac", "roas", "ltv_cac",
                     "lead_quality"}:
        field, desc = "spend", "desc"
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    present.sort(key=lambda r: r[field], reverse=(desc == "desc"))
    return present + missing


def channel_totals(rows: list[dict], model: str, ltv: float | None) -> dict | None:
    """The channel table's totals row: spend, leads and customers summed over the channels;
    CAC, ROAS and LTV:CAC divided from those sums as the registry declares them (never an
    average of the rows)."""
    if not rows:
        return None
    sums: dict[str, float] = {}
    for r in rows:
        for k, v in r["inputs"].items():
            if is_additive(k):
                sums[k] = sums.get(k, 0.0) + v
    cac = ratio_of(f"cac.{model}", sums)
    return {"spend": sums.get("spend"), "leads": sums.get("leads"),
            "customers": sums.get(f"attributed_conversions.{model}"), "cac": cac,
            "roas": ratio_of(f"roas.{model}", sums),
            "ltv_cac": ratio_of("ltv_cac", {"ltv": ltv, "cac": cac})}


def funnel(values: dict) -> list[dict]:
    """Each funnel stage over the period: entries, entries as a share of the previous stage's
    entries (what the chart's bars show, so chart and table read the same number), and the
    share of the stage's own entrants who reached the next stage (a cohort rate: a customer
    who became an advocate this period but entered before it is not in it). `values` are the
    period's rolled-up stage values ({(key, stage): value})."""
    from crm.models import FUNNEL_STAGES, Stage

    out = []
    before = None
    for s in FUNNEL_STAGES:
        entries = values.get(("funnel_entries", s.value))
        out.append({"stage": s.value, "label": Stage(s).label, "entries": entries,
                    "of_previous": (entries / before if entries is not None and before
                                    else None),
                    "conversion": values.get(("funnel_conversion", s.value)),
                    "days": values.get(("funnel_days_to_next", s.value))})
        before = entries
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


def cohort_rows(workspace: Workspace, end: date, months: int = 12,
                version: tuple | None = None) -> dict:
    """The cohort heat map as table rows: each first-purchase month with its size (customers)
    and its retention shares by months since, each with a shade 0–5 (darker = more customers
    still buying). With the values' `version` (selectors.values_version) they are read once
    per run."""
    return cached_read(workspace, version, "cohort-rows", (end, months),
                       lambda: _cohort_rows(workspace, end, months))


def _cohort_rows(workspace: Workspace, end: date, months: int) -> dict:
    matrix = cohort_matrix(workspace, end, months)
    if matrix is None or matrix.empty:
        return {"ages": [], "rows": []}
    sizes = dict(MetricValue.objects.filter(
        workspace=workspace, key="cohort_size", grain="month", dimension="",
        period__in=list(matrix.index)).values_list("period", "value"))
    ages = [int(a) for a in matrix.columns]
    rows = []
    for cohort, shares in matrix.iterrows():
        cells = []
        for age in ages:
            v = shares.get(age)
            v = None if v is None or pd.isna(v) else float(v)
            cells.append({"age": age, "value": v,
                          "shade": None if v is None else min(5, int(v * 5 + 0.5))})
        rows.append({"cohort": cohort, "size": sizes.get(cohort), "cells": cells})
    return {"ages": ages, "rows": rows}


def trend(workspace: Workspace, keys: list[str], end: date, months: int = 12,
          version: tuple | None = None) -> pd.DataFrame:
    """Monthly workspace-level values of `keys` for the `months` up to `end` (read once per run
    with the values' `version`, as cohort_rows)."""
    return cached_read(workspace, version, "trend", (tuple(keys), end, months),
                       lambda: _trend(workspace, keys, end, months))


def _trend(workspace: Workspace, keys: list[str], end: date, months: int) -> pd.DataFrame:
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
    from crm.corrections import bulk_written_since, corrected_since, service_written_since

    stale = corrected = written = serviced = False
    if last_ok is not None:
        # an order, event or spend row corrected or deleted since the last good run started
        since = last_ok.started_at or last_ok.created_at
        corrected = corrected_since(workspace, since)
        # rows written through a bulk API endpoint since then (imports are told apart below)
        written = bulk_written_since(workspace, since)
        # complaints logged or changed, surveys answered (the service family: NPS, CSAT)
        serviced = service_written_since(workspace, since)
    if last_ok is not None and last_ok.finished_at is not None:
        from django.utils import timezone

        from crm.models import ImportJob

        last_ok.just_now = (timezone.now() - last_ok.finished_at).total_seconds() < 60
        # an import finished after the last run: the numbers do not include it yet
        stale = ImportJob.objects.filter(workspace=workspace, status=ImportJob.Status.DONE,
                                         finished_at__gt=last_ok.finished_at).exists()
    return {"last": runs[0] if runs else None, "last_ok": last_ok, "active": active,
            "stale": stale or corrected or written or serviced, "corrected": corrected,
            "imported": stale, "written": written, "serviced": serviced,
            "recent": runs}


def dashboard_data(workspace: Workspace, params) -> dict:
    """Everything the dashboard shows, for the period the picker asks for."""
    period, errors = parse_period(params, workspace_today(workspace))
    prev = period.previous()
    model = params.get("model") or workspace.attribution_model
    if model not in ATTRIBUTION_MODELS:
        model = workspace.attribution_model
    fresh = freshness(workspace)
    version = values_version(fresh["recent"])

    def read() -> tuple[bool, dict]:
        rows = _rows(workspace, prev.start, period.end, DASHBOARD_DIMENSIONS)
        # one pass over the rows: both periods, every dimension the page shows
        return bool(rows), roll_up(rows, {"cur": period.months, "prev": prev.months},
                                   DASHBOARD_DIMENSIONS, {"": {"ltv": ltv_key(workspace)}})

    any_rows, rolled = cached_read(workspace, version, "dashboard",
                                   (prev.start, period.start, period.end, ltv_key(workspace)),
                                   read)
    totals, prev_totals = rolled[("cur", "")], rolled[("prev", "")]
    query = {"period": period.kind, "model": model}
    if period.kind == "month":
        query["month"] = period.label
    elif period.kind == "quarter":
        query["quarter"] = period.label
    else:
        query.update({"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}"})
    ltv = totals.get((ltv_key(workspace), ""))
    channels = channel_table(workspace, rolled[("cur", "channel")], model,
                             params.get("sort", ""), ltv)
    return {
        "base_query": urlencode(query), "channel_columns": CHANNEL_COLUMNS,
        "period": period, "previous": prev, "errors": errors, "model": model,
        "models": list(ATTRIBUTION_MODELS.items()),
        "has_data": any_rows or MetricValue.objects.filter(workspace=workspace).exists(),
        "headline": headline(workspace, totals, prev_totals,
                             _prev_share(period) if period.to_date else 1.0),
        "orders_count": totals.get(("orders", "")),
        "channels": channels, "channel_total": channel_totals(channels, model, ltv),
        "sort": params.get("sort", "spend:desc"),
        "funnel": funnel(rolled[("cur", "stage")]),
        "freshness": fresh, "values_version": version,
        "month_choices": recent_months(12, workspace_today(workspace)),
        "today": (date_format(period.as_of, "DATE_FORMAT") if period.as_of else ""),
    }
