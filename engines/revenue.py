"""The subscription revenue screens' data: the MRR movements table and waterfall (from the
stored MetricValues), and the drill-down from one movement to the subscriptions behind it
(recomputed from the subscriptions with the same pure functions the pipeline runs)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Subscription
from crm.subscriptions.selectors import subscriptions_of_customers
from mos.models import Workspace

from .models import MetricValue

MOVEMENT_LABELS = {
    "new": _("New business"), "expansion": _("Expansion"), "reactivation": _("Reactivation"),
    "contraction": _("Contraction"), "churn": _("Churn"),
}
ROW_KEYS = ["mrr", "mrr_new", "mrr_expansion", "mrr_reactivation", "mrr_contraction",
            "mrr_churn", "mrr_net_new", "subscription_customers", "arpa_mrr", "logo_churn",
            "mrr_churn_rate", "grr_mrr", "nrr_mrr", "trial_conversion", "subscription_ltv"]


def has_subscriptions(workspace: Workspace) -> bool:
    return Subscription.objects.filter(workspace=workspace).exists()


def months_until(end: date, n: int) -> list[date]:
    first = pd.Timestamp(end).to_period("M") - (n - 1)
    return [(first + i).start_time.date() for i in range(n)]


def mrr_table(workspace: Workspace, end: date, months: int = 6) -> dict:
    """{key: {month: value}} for the workspace-level subscription keys, and the months."""
    ms = months_until(end, months)
    rows = MetricValue.objects.filter(workspace=workspace, grain="month", dimension="",
                                      key__in=ROW_KEYS, period__in=ms).values_list(
        "key", "period", "value")
    table: dict = {k: {} for k in ROW_KEYS}
    for key, period, value in rows:
        table[key][period] = value
    return {"months": ms, "values": table}


DRILL = {"mrr_new": "new", "mrr_expansion": "expansion", "mrr_reactivation": "reactivation",
         "mrr_contraction": "contraction", "mrr_churn": "churn"}


def mrr_rows(workspace: Workspace, end: date, months: int = 6) -> dict:
    """The movements table: one row per key, one cell per month (value, drill-down kind)."""
    from .metrics.registry import REGISTRY

    t = mrr_table(workspace, end, months)
    rows = []
    for key in ROW_KEYS:
        d = REGISTRY[key]
        rows.append({"key": key, "label": d.label, "unit": d.unit, "kind": DRILL.get(key, ""),
                     "cells": [(m, t["values"][key].get(m)) for m in t["months"]]})
    last = t["months"][-1]
    v = t["values"]
    prev = t["months"][-2] if len(t["months"]) > 1 else None
    return {"months": t["months"], "rows": rows, "month": last,
            "start": v["mrr"].get(prev) if prev else None, "end": v["mrr"].get(last),
            "moves": {k: v[f"mrr_{k}"].get(last) for k in MOVEMENT_LABELS},
            "plan_ltv": plan_ltv(workspace, last),
            "breakdown": breakdown(workspace, last), "cohorts": cohort_table(workspace, last)}


BREAKDOWN_KEYS = ["mrr", "mrr_new", "mrr_expansion", "mrr_reactivation", "mrr_contraction",
                  "mrr_churn", "grr_mrr", "nrr_mrr"]


def breakdown(workspace: Workspace, month: date) -> list[dict]:
    """One month's MRR, movements, GRR and NRR per plan and per segment: [{"dimension",
    "name", "values": {key: value}}], plans first, each by name."""
    from crm.models import Segment

    rows: dict = {}
    for key, dim, value, v in MetricValue.objects.filter(
            workspace=workspace, grain="month", period=month, key__in=BREAKDOWN_KEYS,
            dimension__in=("plan", "segment")).values_list(
            "key", "dimension", "dimension_value", "value"):
        rows.setdefault((dim, value), {})[key] = v
    names = dict((str(c), n) for c, n in Segment.objects.filter(workspace=workspace)
                 .values_list("code", "name"))
    out = []
    for (dim, value), vals in rows.items():
        if dim == "segment" and value not in names:
            continue  # a deleted segment
        out.append({"dimension": dim, "value": value,
                    "name": names.get(value, value) if dim == "segment" else value,
                    "values": [vals.get(k) for k in BREAKDOWN_KEYS],
                    "cells": [(vals.get(k), DRILL.get(k, "")) for k in BREAKDOWN_KEYS]})
    return sorted(out, key=lambda r: (r["dimension"] != "plan", str(r["name"]).lower()))


def cohort_table(workspace: Workspace, month: date, n: int = 6) -> dict:
    """The last n cohorts' NRR and GRR by age (0 … n − 1 months): {"ages", "rows": [(cohort
    month, [(nrr, grr) per age])]}."""
    cohorts = months_until(month, n)
    cells: dict = {}
    for key, period, age, v in MetricValue.objects.filter(
            workspace=workspace, grain="month", key__in=("nrr_cohort", "grr_cohort"),
            dimension="age", period__in=cohorts).values_list(
            "key", "period", "dimension_value", "value"):
        cells[(key, period, age)] = v
    ages = [str(a) for a in range(n)]
    rows = [(c, [(cells.get(("nrr_cohort", c, a)), cells.get(("grr_cohort", c, a)))
                 for a in ages]) for c in cohorts
            if any(k[1] == c for k in cells)]
    return {"ages": list(range(n)), "rows": rows}


def plan_ltv(workspace: Workspace, month: date) -> list[tuple[str, float]]:
    """Subscription LTV per plan for one month."""
    return list(MetricValue.objects.filter(
        workspace=workspace, grain="month", key="subscription_ltv", dimension="plan",
        period=month).order_by("dimension_value").values_list("dimension_value", "value"))


def movement_subscriptions(workspace: Workspace, *, month: date, kind: str, as_of: date,
                           plan: str | None = None, segment=None):
    """The customers behind one movement of one month, each with the movement's amount and
    their subscriptions: [{"customer": Contact or account name, "amount", "before", "after",
    "at", "subscriptions": [...]}], largest movement first."""
    from .metrics.loaders import Window, load_subscriptions
    from .metrics.subscriptions import movement_rows

    window = Window.trailing(as_of=as_of, tz=workspace.timezone or "UTC")
    frame = load_subscriptions(workspace.pk, window)
    if plan is not None:  # the per-plan definition: that plan's subscriptions on their own
        from .metrics.subscriptions import NO_PLAN

        frame = frame[frame["plan"].astype(object).where(frame["plan"].astype(bool), NO_PLAN)
                      == plan]
    if segment is not None:  # the segment's contacts now
        from crm.selectors import segment_contacts

        ids = list(segment_contacts(segment).values_list("pk", flat=True))
        frame = frame[frame["customer_id"].isin(ids)]
    rows = movement_rows(frame, as_of=as_of, month=month, kind=kind)
    if rows.empty:
        return []
    rows = rows.sort_values(["amount", "customer_id"], ascending=[False, True])
    ids = [int(c) for c in rows["customer_id"]]
    subs: dict[int, list] = {}
    for s in subscriptions_of_customers(workspace, ids):
        key = s.contact_id if s.contact_id else -s.account_id
        subs.setdefault(key, []).append(s)
    contacts = {c.pk: c for c in Contact.objects.filter(
        workspace=workspace, pk__in=[i for i in ids if i > 0])}
    out = []
    for cid, at, amount, before, after in rows[["customer_id", "at", "amount", "before",
                                                "after"]].itertuples(index=False, name=None):
        cid = int(cid)
        owned = subs.get(cid, [])
        contact = contacts.get(cid)
        name = (contact.name or contact.email or str(contact.code)) if contact else (
            owned[0].account.name if owned and owned[0].account_id else "")
        out.append({"contact": contact, "name": name, "at": at, "amount": amount,
                    "before": before, "after": after, "subscriptions": owned})
    return out
