"""A campaign's results from MOS's data (crm intake): spend, leads, customers, revenue, and the
ratios a campaign is judged by. Leads, customers and revenue are first-touch: contacts whose
source campaign is the campaign (the workspace's default attribution for CAC, DESIGN §5).

- spend: every spend row of the campaign
- leads: those contacts who reached lead or a later stage (now or in their history)
- customers: those who became customers (stage history, or a counted order)
- revenue: their counted orders minus their refunds, all time
- ROI = (revenue − spend) / spend; ROAS = revenue / spend; CAC = spend / customers;
  CPL = spend / leads
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from crm.models import Contact, Order, Spend, Stage

LEAD_OR_LATER = [Stage.LEAD, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER,
                 Stage.ADVOCATE]
CUSTOMER_STAGES = [Stage.CUSTOMER, Stage.ADVOCATE]
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=3))


def _ratio(num, den):
    return float(num) / float(den) if num is not None and den else None


def campaign_results(workspace, campaign_ids) -> dict[int, dict]:
    """{campaign id: results} for the workspace's campaigns named; four grouped queries."""
    ids = list({i for i in campaign_ids if i})
    out = {i: {"spend": Decimal("0"), "leads": 0, "customers": 0, "revenue": Decimal("0")}
           for i in ids}
    if not ids:
        return out
    for row in (Spend.objects.filter(workspace=workspace, campaign_id__in=ids)
                .values("campaign_id").annotate(total=Sum("amount"))):
        out[row["campaign_id"]]["spend"] = row["total"] or Decimal("0")
    contacts = Contact.objects.filter(workspace=workspace, source_campaign_id__in=ids)
    leads = (contacts.filter(Q(stage__in=LEAD_OR_LATER)
                             | Q(stage_changes__to_stage__in=LEAD_OR_LATER))
             .values("source_campaign_id").annotate(n=Count("id", distinct=True)))
    for row in leads:
        out[row["source_campaign_id"]]["leads"] = row["n"]
    customers = (contacts.filter(Q(stage__in=CUSTOMER_STAGES)
                                 | Q(stage_changes__to_stage__in=CUSTOMER_STAGES)
                                 | Q(orders__status__in=Order.COUNTED_STATUSES,
                                     orders__kind__in=["new", "renewal", "expansion"]))
                 .values("source_campaign_id").annotate(n=Count("id", distinct=True)))
    for row in customers:
        out[row["source_campaign_id"]]["customers"] = row["n"]
    counted = Q(status__in=Order.COUNTED_STATUSES)
    revenue = (Order.objects.filter(workspace=workspace, contact__source_campaign_id__in=ids)
               .values("contact__source_campaign_id")
               .annotate(sales=Coalesce(Sum("amount", filter=counted & ~Q(kind="refund")), ZERO),
                         refunds=Coalesce(Sum("amount", filter=Q(kind="refund")), ZERO)))
    for row in revenue:
        out[row["contact__source_campaign_id"]]["revenue"] = row["sales"] - row["refunds"]
    for r in out.values():
        spend = r["spend"]
        r["roi"] = _ratio(r["revenue"] - spend, spend) if spend else None
        r["roas"] = _ratio(r["revenue"], spend)
        r["cac"] = _ratio(spend, r["customers"])
        r["cpl"] = _ratio(spend, r["leads"])
    return out


def plan_report(plan) -> dict:
    """The plan's report after the fact: results, against budget and targets."""
    campaign = plan.campaign
    r = campaign_results(plan.workspace, [campaign.pk])[campaign.pk]
    budget = campaign.budget
    rows = [
        ("spend", r["spend"], budget, _ratio(r["spend"], budget)),
        ("leads", r["leads"], plan.target_leads, _ratio(r["leads"], plan.target_leads)),
        ("customers", r["customers"], plan.target_customers,
         _ratio(r["customers"], plan.target_customers)),
        ("revenue", r["revenue"], plan.target_revenue, _ratio(r["revenue"], plan.target_revenue)),
    ]
    return {**r, "budget": budget,
            "budget_used": _ratio(r["spend"], budget),
            "rows": [{"key": k, "actual": a, "target": t, "share": s} for k, a, t, s in rows]}
