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
register("calls_logged", label=_("Calls logged"), unit="count", direction="neutral",
         family="crm", additive=True, description="calls logged with a duration")
register("call_handling_time", label=_("Average call handling time"), unit="minutes",
         direction="neutral", family="crm",
         description="seed 003: mean duration of the calls logged in the period")
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

# --- subscriptions (engines/metrics/subscriptions.py); also per plan (dimension "plan")
register("mrr", label=_("MRR"), unit="currency", direction="up", family="subscriptions",
         description=_("Monthly recurring revenue of paying subscriptions at the month's end."))
register("arr", label=_("ARR"), unit="currency", direction="up", family="subscriptions",
         description=_("Annual run rate: 12 × MRR."))
register("subscription_customers", label=_("Paying subscribers"), unit="count", direction="up",
         family="subscriptions")
register("arpa_mrr", label=_("ARPA (MRR per paying customer)"), unit="currency",
         direction="up", family="subscriptions")
register("mrr_net_new", label=_("Net new MRR"), unit="currency", direction="up",
         family="subscriptions")
register("mrr_new", label=_("New business MRR"), unit="currency", direction="up",
         family="subscriptions")
register("mrr_expansion", label=_("Expansion MRR"), unit="currency", direction="up",
         family="subscriptions")
register("mrr_contraction", label=_("Contraction MRR"), unit="currency", direction="down",
         family="subscriptions")
register("mrr_churn", label=_("Churned MRR"), unit="currency", direction="down",
         family="subscriptions")
register("mrr_reactivation", label=_("Reactivation MRR"), unit="currency", direction="up",
         family="subscriptions")
register("mrr_new_customers", label=_("New subscribers"), unit="count", direction="up",
         family="subscriptions")
register("mrr_expansion_customers", label=_("Customers who expanded"), unit="count",
         direction="up", family="subscriptions")
register("mrr_contraction_customers", label=_("Customers who contracted"), unit="count",
         direction="down", family="subscriptions")
register("mrr_churn_customers", label=_("Customers who churned"), unit="count",
         direction="down", family="subscriptions")
register("mrr_reactivation_customers", label=_("Customers who came back"), unit="count",
         direction="up", family="subscriptions")
register("logo_churn", label=_("Customer (logo) churn"), unit="ratio", direction="down",
         family="subscriptions")
register("mrr_churn_rate", label=_("Gross MRR churn rate"), unit="ratio", direction="down",
         family="subscriptions")
register("grr_mrr", label=_("Gross revenue retention (GRR)"), unit="ratio", direction="up",
         family="subscriptions")
register("nrr_mrr", label=_("Net revenue retention (NRR, MRR)"), unit="ratio", direction="up",
         family="subscriptions")
register("trials_ended", label=_("Trials ended"), unit="count", direction="neutral",
         family="subscriptions")
register("trial_conversion", label=_("Trial → paid conversion"), unit="ratio", direction="up",
         family="subscriptions")
register("subscription_ltv", label=_("Subscription LTV (ARPA × margin ÷ churn)"),
         unit="currency", direction="up", family="subscriptions")
# subscription cohorts: period = the month the customers first paid, dimension "age"
register("cohort_mrr", label=_("Cohort MRR"), unit="currency", direction="up",
         family="subscriptions",
         description=_("MRR of the customers who first paid in the cohort's month, months "
                       "later (dimension age)."))
register("cohort_subscribers", label=_("Cohort subscribers still paying"), unit="count",
         direction="up", family="subscriptions")
register("nrr_cohort", label=_("Cohort NRR"), unit="ratio", direction="up",
         family="subscriptions",
         description=_("Cohort MRR months later ÷ the cohort's MRR at the end of its first "
                       "month (expansion and reactivation included)."))
register("grr_cohort", label=_("Cohort GRR"), unit="ratio", direction="up",
         family="subscriptions",
         description=_("Like cohort NRR, but each customer counts at most its starting MRR "
                       "(no expansion): only losses show."))

# --- models (engines/metrics/pipeline.step_models): Markov's inside, for the as-of month
register("markov_removal_effect", label=_("Markov removal effect"), unit="ratio",
         direction="neutral", family="models",
         description=_("Share of conversions lost when the channel is removed from the chain."))
register("markov_conversions_global", label=_("Markov conversions (global formula)"),
         unit="count", direction="up", family="models",
         description=_("All conversions of the window split in proportion to the channels' "
                       "removal effects (ChannelAttribution's formula)."))
