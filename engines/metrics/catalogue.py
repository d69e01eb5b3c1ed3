"""Every metric key MOS computes, declared once: label, unit, direction and family.

Pure declarations (no pandas): `EnginesConfig.ready()` imports this module, so the registry
is full as soon as Django is set up, while the families' maths (pandas, scipy) is imported only
when something computes. The formulas themselves live in the family modules named below.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .registry import Ratio, register

# --- acquisition (engines/metrics/acquisition.py)
register("impressions", label=_("Impressions"), unit="count", direction="up",
         family="acquisition", additive=True)
register("clicks", label=_("Clicks"), unit="count", direction="up",
         family="acquisition", additive=True)
register("spend", label=_("Ad spend"), unit="currency", direction="neutral",
         family="acquisition", additive=True)
register("ctr", label=_("Click-through rate (CTR)"), unit="ratio", direction="up",
         family="acquisition",
         ratio=Ratio("clicks", "impressions"))
register("cpc", label=_("Cost per click (CPC)"), unit="currency", direction="down",
         family="acquisition",
         ratio=Ratio("spend", "clicks"))
register("cpm", label=_("Cost per 1,000 impressions (CPM)"), unit="currency", direction="down",
         family="acquisition",
         ratio=Ratio("spend", "impressions", scale=1000.0))
register("leads", label=_("New leads"), unit="count", direction="up",
         family="acquisition", additive=True)
register("cpl", label=_("Cost per lead (CPL)"), unit="currency", direction="down",
         family="acquisition",
         ratio=Ratio("spend", "leads"))

# --- funnel (engines/metrics/funnel.py)
register("funnel_entries", label=_("Contacts entering stage"), unit="count", direction="up",
         family="funnel", additive=True)
register("funnel_conversion", label=_("Step conversion to next stage"), unit="ratio",
         direction="up", family="funnel")
register("funnel_days_to_next", label=_("Median days to next stage"), unit="days",
         direction="down", family="funnel")

# --- economics (engines/metrics/economics.py)
register("new_customers", label=_("New customers"), unit="count", direction="up",
         family="economics", additive=True)
register("revenue", label=_("Revenue (net of refunds)"), unit="currency", direction="up",
         family="economics", additive=True)
register("orders", label=_("Orders"), unit="count", direction="up",
         family="economics", additive=True)
register("paying_customers", label=_("Paying customers"), unit="count", direction="up",
         family="economics")
register("aov", label=_("Average order value (AOV)"), unit="currency", direction="up",
         family="economics",
         ratio=Ratio("revenue", "orders"))
register("arpa", label=_("Average revenue per account (ARPA)"), unit="currency", direction="up",
         family="economics")
register("gross_margin", label=_("Gross margin"), unit="ratio", direction="up", family="economics")
register("cac", label=_("Blended CAC"), unit="currency", direction="down", family="economics",
         ratio=Ratio("spend", "new_customers", when_positive="spend"))
register("cac", label=_("CAC"), unit="currency", direction="down", family="economics",
         per_model=True,
         ratio=Ratio("spend", "attributed_conversions.{model}", when_positive="spend"))
register("roas", label=_("Blended ROAS"), unit="multiple", direction="up", family="economics",
         ratio=Ratio("revenue", "spend", when_positive="spend"))
register("roas", label=_("ROAS"), unit="multiple", direction="up",
         family="economics", per_model=True,
         ratio=Ratio("attributed_revenue.{model}", "spend", when_positive="spend"))
register("ltv_subscription", label=_("LTV (ARPA × margin / churn)"), unit="currency",
         direction="up", family="economics")
register("ltv_cohort_12m", label=_("Realised 12-month cohort LTV"), unit="currency",
         direction="up", family="economics")
register("ltv_cac", label=_("LTV:CAC"), unit="multiple", direction="up", family="economics",
         ratio=Ratio("ltv", "cac"))
register("cac_payback_months", label=_("CAC payback"), unit="months", direction="down",
         family="economics")

# --- retention (engines/metrics/retention.py)
register("cohort_retention", label=_("Cohort retention"), unit="ratio", direction="up",
         family="retention")
register("cohort_size", label=_("Cohort size"), unit="count", direction="up", family="retention")
register("retention_d7", label=_("Day-7 retention"), unit="ratio", direction="up",
         family="retention")
register("retention_d30", label=_("Day-30 retention"), unit="ratio", direction="up",
         family="retention")
register("churn", label=_("Customer churn (monthly)"), unit="ratio", direction="down",
         family="retention")
register("nrr_monthly", label=_("Net revenue retention (month over month)"), unit="ratio",
         direction="up", family="retention")
register("nrr_yearly", label=_("Net revenue retention (year over year)"), unit="ratio",
         direction="up", family="retention")
register("new_order_share", label=_("Share of orders from first-time customers"), unit="ratio",
         direction="neutral", family="retention")
register("repeat_order_share", label=_("Share of orders from repeat customers"), unit="ratio",
         direction="neutral", family="retention")

# --- crm (engines/metrics/crm.py)
register("new_customer_share", label=_("Share of new customers"), unit="ratio",
         direction="neutral", family="crm")
register("repeat_customer_share", label=_("Share of repeat customers"), unit="ratio",
         direction="neutral", family="crm")
register("lead_acceptance_rate", label=_("Leads accepted by sales"), unit="ratio",
         direction="up", family="crm")
register("lead_quality", label=_("Average lead quality (1–5)"), unit="score", direction="up",
         family="crm", description="mean sales feedback score, 1 (poor) to 5 (excellent)")
register("campaign_recipients", label=_("Campaign recipients"), unit="count", direction="up",
         family="crm", additive=True)
register("campaign_response_rate", label=_("Campaign response rate"), unit="ratio",
         direction="up", family="crm")

# --- attribution (engines/metrics/attribution.py)
register("attributed_conversions", label=_("Attributed conversions"), unit="count",
         direction="up", family="attribution", per_model=True,
         description=_("Conversions credited to the channel by the attribution model."),
         additive=True)
register("attributed_revenue", label=_("Attributed revenue"), unit="currency",
         direction="up", family="attribution", per_model=True,
         description=_("First-order revenue credited to the channel by the attribution model."),
         additive=True)

# --- clv (engines/metrics/clv.py)
register("ltv_predicted", label=_("Predicted LTV (12 months)"), unit="currency", direction="up",
         family="clv", description=_("Mean expected gross margin over the next 12 months per "
                                     "active customer (BG/NBD + Gamma-Gamma)."))
register("expected_purchases_12m", label=_("Expected purchases per customer (12 months)"),
         unit="count", direction="up", family="clv",
         description=_("Mean expected number of purchases over the next 12 months per active "
                       "customer (BG/NBD)."))
