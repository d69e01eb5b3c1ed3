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
         family="acquisition", additive=True,
         description=_("How many times your ads were shown in the period, summed from the "
                       "ad-spend rows (also per channel and campaign)."))
register("clicks", label=_("Clicks"), unit="count", direction="up",
         family="acquisition", additive=True,
         description=_("Clicks on your ads in the period, summed from the ad-spend rows."))
register("spend", label=_("Ad spend"), unit="currency", direction="neutral",
         family="acquisition", additive=True,
         description=_("Money spent on ads in the period, in the workspace currency. Spend "
                       "recorded for a channel but no campaign counts for the channel only."))
register("ctr", label=_("Click-through rate (CTR)"), unit="ratio", direction="up",
         family="acquisition",
         ratio=Ratio("clicks", "impressions"),
         description=_("Clicks ÷ impressions in the period: the share of ad views that got a "
                       "click. No value without impressions."))
register("cpc", label=_("Cost per click (CPC)"), unit="currency", direction="down",
         family="acquisition",
         ratio=Ratio("spend", "clicks"),
         description=_("Ad spend ÷ clicks in the period. No value without clicks."))
register("cpm", label=_("Cost per 1,000 impressions (CPM)"), unit="currency", direction="down",
         family="acquisition",
         ratio=Ratio("spend", "impressions", scale=1000.0),
         description=_("Ad spend ÷ impressions × 1,000 in the period: what 1,000 ad views "
                       "cost."))
register("leads", label=_("New leads"), unit="count", direction="up",
         family="acquisition", additive=True,
         description=_("Contacts who reached the lead stage (or a later one) for the first "
                       "time in the period. Per channel and campaign they count under the "
                       "contact's source (first touch)."))
register("cpl", label=_("Cost per lead (CPL)"), unit="currency", direction="down",
         family="acquisition",
         ratio=Ratio("spend", "leads"),
         description=_("Ad spend ÷ new leads in the period. Channels with leads but no spend "
                       "(organic) have no CPL."))

# --- funnel (engines/metrics/funnel.py)
register("funnel_entries", label=_("Contacts entering stage"), unit="count", direction="up",
         family="funnel", additive=True,
         description=_("Contacts who reached this stage for the first time in the period. A "
                       "skipped stage counts as reached; moving back and forth counts once."))
register("funnel_conversion", label=_("Step conversion to next stage"), unit="ratio",
         direction="up", family="funnel",
         description=_("Of the contacts who entered this stage in the period, the share that "
                       "has reached the next stage by today, so recent periods still grow."))
register("funnel_days_to_next", label=_("Median days to next stage"), unit="days",
         direction="down", family="funnel",
         description=_("Median days from first reaching this stage to first reaching the next "
                       "one, over the period's contacts who made it. A skipped stage counts as "
                       "0 days."))

# --- economics (engines/metrics/economics.py)
register("new_customers", label=_("New customers"), unit="count", direction="up",
         family="economics", additive=True,
         description=_("Contacts who became customers in the period: the earlier of reaching "
                       "the customer stage and their first purchase. A refund alone does not "
                       "make a customer."))
register("revenue", label=_("Revenue (net of refunds)"), unit="currency", direction="up",
         family="economics", additive=True,
         description=_("Sales minus refunds in the period, in the workspace currency. A refund "
                       "lowers the period in which it was refunded, not the period of the "
                       "sale."))
register("orders", label=_("Orders"), unit="count", direction="up",
         family="economics", additive=True,
         description=_("Orders (new, renewal or expansion) placed in the period. Refunds are "
                       "not orders and do not lower this count."))
register("paying_customers", label=_("Paying customers"), unit="count", direction="up",
         family="economics",
         description=_("Distinct contacts with at least one order (not a refund) in the "
                       "period."))
register("aov", label=_("Average order value (AOV)"), unit="currency", direction="up",
         family="economics",
         ratio=Ratio("revenue", "orders"),
         description=_("Revenue (net of refunds) ÷ orders in the period."))
register("arpa", label=_("Average revenue per account (ARPA)"), unit="currency", direction="up",
         family="economics",
         description=_("Revenue (net of refunds) ÷ paying customers in the period."))
register("gross_margin", label=_("Gross margin"), unit="ratio", direction="up", family="economics",
         description=_("Share of the period's sales kept as gross margin: each order's own "
                       "margin (or the workspace default), weighted by its amount. Refunds do "
                       "not change it."))
register("cac", label=_("Blended CAC"), unit="currency", direction="down", family="economics",
         ratio=Ratio("spend", "new_customers", when_positive="spend"),
         description=_("All ad spend ÷ all new customers in the period, whatever brought them. "
                       "No value in a period without spend."))
register("cac", label=_("CAC"), unit="currency", direction="down", family="economics",
         per_model=True,
         ratio=Ratio("spend", "attributed_conversions.{model}", when_positive="spend"),
         description=_("A channel's ad spend ÷ the new customers the attribution model credits "
                       "to it in the period (one customer can be shared between channels). No "
                       "value without spend or credited customers."))
register("roas", label=_("Blended ROAS"), unit="multiple", direction="up", family="economics",
         ratio=Ratio("revenue", "spend", when_positive="spend"),
         description=_("Revenue (net of refunds) ÷ all ad spend in the period, also called "
                       "MER. No value in a period without spend."))
register("roas", label=_("ROAS"), unit="multiple", direction="up",
         family="economics", per_model=True,
         ratio=Ratio("attributed_revenue.{model}", "spend", when_positive="spend"),
         description=_("First-order revenue the attribution model credits to a channel ÷ that "
                       "channel's ad spend in the period. Spend that brought nothing shows 0; "
                       "the channels do not add up to the blended ROAS."))
register("ltv_subscription", label=_("LTV (ARPA × margin / churn)"), unit="currency",
         direction="up", family="economics",
         description=_("Subscription businesses: the month's ARPA × gross margin ÷ the month's "
                       "customer churn, all from orders. Complete months only; no value in a "
                       "month nobody churned."))
register("ltv_cohort_12m", label=_("Realised 12-month cohort LTV"), unit="currency",
         direction="up", family="economics",
         description=_("Gross margin actually earned per customer over their first 12 months, "
                       "for the customers whose first purchase was in this month (refunds "
                       "subtract). Shown once those 12 months are over."))
register("ltv_cac", label=_("LTV:CAC"), unit="multiple", direction="up", family="economics",
         ratio=Ratio("ltv", "cac"),
         description=_("LTV ÷ blended CAC of the same month (3 or more is healthy). LTV is the "
                       "subscription LTV for a subscription business and the realised 12-month "
                       "cohort LTV for a transactional one, so there recent months have none."))
register("cac_payback_months", label=_("CAC payback"), unit="months", direction="down",
         family="economics",
         description=_("Months of gross margin needed to earn back what a customer cost: "
                       "blended CAC ÷ (ARPA × gross margin) of the month."))

# --- retention (engines/metrics/retention.py)
register("cohort_retention", label=_("Cohort retention"), unit="ratio", direction="up",
         family="retention",
         description=_("Of the customers whose first purchase was in the cohort's month, the "
                       "share who ordered again a given number of months later (the age). The "
                       "current month shows the share so far."))
register("cohort_size", label=_("Cohort size"), unit="count", direction="up", family="retention",
         description=_("Customers whose first purchase was in the month: the base the cohort "
                       "retention shares are taken of."))
register("retention_d7", label=_("Day-7 retention"), unit="ratio", direction="up",
         family="retention",
         description=_("Of the contacts who signed up in the period, the share with any "
                       "activity on day 7 after signing up or later. Messages you send them "
                       "are not activity."))
register("retention_d30", label=_("Day-30 retention"), unit="ratio", direction="up",
         family="retention",
         description=_("Of the contacts who signed up in the period, the share with any "
                       "activity on day 30 after signing up or later. Messages you send them "
                       "are not activity."))
register("churn", label=_("Customer churn (monthly)"), unit="ratio", direction="down",
         family="retention",
         description=_("Share of the customers active at the month's start who are not active "
                       "at its end. Active: an order in the last 31 days (subscription "
                       "business) or within the activity window, 90 days by default "
                       "(transactional). Complete months only."))
register("nrr_monthly", label=_("Net revenue retention (month over month)"), unit="ratio",
         direction="up", family="retention",
         description=_("Revenue this month from the customers who paid last month ÷ what they "
                       "paid last month (net of refunds; expansions count, new customers are "
                       "left out). Complete months only."))
register("nrr_yearly", label=_("Net revenue retention (year over year)"), unit="ratio",
         direction="up", family="retention",
         description=_("Revenue this month from the customers who paid in the same month a "
                       "year earlier ÷ what they paid then (net of refunds; new customers are "
                       "left out). Complete months only."))
register("new_order_share", label=_("Share of orders from first-time customers"), unit="ratio",
         direction="neutral", family="retention",
         description=_("Orders that are their customer's first purchase ÷ all orders in the "
                       "period."))
register("repeat_order_share", label=_("Share of orders from repeat customers"), unit="ratio",
         direction="neutral", family="retention",
         description=_("Orders from customers who had bought before ÷ all orders in the period "
                       "(1 − the first-time share)."))

# --- crm (engines/metrics/crm.py)
register("new_customer_share", label=_("Share of new customers"), unit="ratio",
         direction="neutral", family="crm",
         description=_("Of the customers who ordered in the period, the share buying for the "
                       "first time. Each customer counts once, however many orders."))
register("repeat_customer_share", label=_("Share of repeat customers"), unit="ratio",
         direction="neutral", family="crm",
         description=_("Of the customers who ordered in the period, the share who had bought "
                       "before it."))
register("lead_acceptance_rate", label=_("Leads accepted by sales"), unit="ratio",
         direction="up", family="crm",
         description=_("Of the leads sales gave a verdict on in the period, the share accepted "
                       "or converted. Each lead counts once, with its latest verdict; “no "
                       "answer” is not a verdict."))
register("lead_quality", label=_("Average lead quality (1–5)"), unit="score", direction="up",
         family="crm",
         description=_("Average quality score sales gave the leads in the period, from 1 "
                       "(poor) to 5 (excellent). Feedback without a score is left out."))
register("calls_logged", label=_("Calls logged"), unit="count", direction="neutral",
         family="crm", additive=True,
         description=_("Calls logged with a duration in the period."))
register("call_handling_time", label=_("Average call handling time"), unit="minutes",
         direction="neutral", family="crm",
         description=_("Average duration, in minutes, of the calls logged in the period."))
register("campaign_recipients", label=_("Campaign recipients"), unit="count", direction="up",
         family="crm", additive=True,
         description=_("Contacts first sent a campaign message (e-mail, SMS, push or campaign "
                       "send) in the period; each contact counts once per campaign."))
register("campaign_response_rate", label=_("Campaign response rate"), unit="ratio",
         direction="up", family="crm",
         description=_("Of the period's campaign recipients, the share who responded to the "
                       "same campaign within 7 days of the first send: a click, reply, form, "
                       "sign-up or purchase. Opens do not count."))

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
         family="subscriptions",
         description=_("Customers with a paying subscription (MRR above 0) at the month's end."))
register("arpa_mrr", label=_("ARPA (MRR per paying customer)"), unit="currency",
         direction="up", family="subscriptions",
         description=_("MRR ÷ paying subscribers at the month's end."))
register("mrr_net_new", label=_("Net new MRR"), unit="currency", direction="up",
         family="subscriptions",
         description=_("How much MRR changed in the month: new + expansion + reactivation − "
                       "contraction − churned MRR."))
register("mrr_new", label=_("New business MRR"), unit="currency", direction="up",
         family="subscriptions",
         description=_("MRR from customers who started paying for the first time in the month."))
register("mrr_expansion", label=_("Expansion MRR"), unit="currency", direction="up",
         family="subscriptions",
         description=_("MRR added in the month by paying customers whose subscriptions grew "
                       "(upgrades, more seats)."))
register("mrr_contraction", label=_("Contraction MRR"), unit="currency", direction="down",
         family="subscriptions",
         description=_("MRR lost in the month by customers who still pay, but less "
                       "(downgrades)."))
register("mrr_churn", label=_("Churned MRR"), unit="currency", direction="down",
         family="subscriptions",
         description=_("MRR lost in the month from customers who stopped paying."))
register("mrr_reactivation", label=_("Reactivation MRR"), unit="currency", direction="up",
         family="subscriptions",
         description=_("MRR from customers who had churned and started paying again in the "
                       "month."))
register("mrr_new_customers", label=_("New subscribers"), unit="count", direction="up",
         family="subscriptions",
         description=_("Customers who started paying for the first time in the month."))
register("mrr_expansion_customers", label=_("Customers who expanded"), unit="count",
         direction="up", family="subscriptions",
         description=_("Customers whose MRR went up in the month."))
register("mrr_contraction_customers", label=_("Customers who contracted"), unit="count",
         direction="down", family="subscriptions",
         description=_("Customers whose MRR went down in the month but not to zero."))
register("mrr_churn_customers", label=_("Customers who churned"), unit="count",
         direction="down", family="subscriptions",
         description=_("Customers whose MRR fell to zero in the month."))
register("mrr_reactivation_customers", label=_("Customers who came back"), unit="count",
         direction="up", family="subscriptions",
         description=_("Customers who had churned and started paying again in the month."))
register("logo_churn", label=_("Customer (logo) churn"), unit="ratio", direction="down",
         family="subscriptions",
         description=_("Customers who stopped paying in the month ÷ customers paying at its "
                       "start: a count of customers, not of money."))
register("mrr_churn_rate", label=_("Gross MRR churn rate"), unit="ratio", direction="down",
         family="subscriptions",
         description=_("Churned plus contraction MRR in the month ÷ MRR at its start."))
register("grr_mrr", label=_("Gross revenue retention (GRR)"), unit="ratio", direction="up",
         family="subscriptions",
         description=_("Of the MRR paying at the month's start, the share those customers "
                       "still pay at its end, upgrades left out: only losses show (100 % at "
                       "most)."))
register("nrr_mrr", label=_("Net revenue retention (NRR, MRR)"), unit="ratio", direction="up",
         family="subscriptions",
         description=_("MRR at the month's end of the customers who paid at its start ÷ their "
                       "MRR at the start. Upgrades count; new and returning customers are left "
                       "out."))
register("trials_ended", label=_("Trials ended"), unit="count", direction="neutral",
         family="subscriptions",
         description=_("Trials whose end date falls in the month."))
register("trial_conversion", label=_("Trial → paid conversion"), unit="ratio", direction="up",
         family="subscriptions",
         description=_("Of the trials that ended in the month, the share that went on to pay."))
register("subscription_ltv", label=_("Subscription LTV (ARPA × margin ÷ churn)"),
         unit="currency", direction="up", family="subscriptions",
         description=_("MRR per paying customer × the workspace's gross margin ÷ monthly "
                       "customer churn averaged over the last 12 months. No value while no "
                       "customer has churned."))
# subscription cohorts: period = the month the customers first paid, dimension "age"
register("cohort_mrr", label=_("Cohort MRR"), unit="currency", direction="up",
         family="subscriptions",
         description=_("MRR of the customers who first paid in the cohort's month, months "
                       "later (dimension age)."))
register("cohort_subscribers", label=_("Cohort subscribers still paying"), unit="count",
         direction="up", family="subscriptions",
         description=_("Customers of the cohort (who first paid in the cohort's month) still "
                       "paying a given number of months later."))
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

# --- customer service (engines/metrics/service.py; seed 003): NPS, CSAT, complaints
register("nps_responses", label=_("NPS answers"), unit="count", direction="up",
         family="service", additive=True,
         description=_("NPS survey answers given in the period."))
register("nps_net", label=_("Promoters minus detractors"), unit="count", direction="up",
         family="service", additive=True,
         description=_("NPS answers of 9–10 (promoters) minus answers of 0–6 (detractors) in "
                       "the period: the count behind NPS."))
register("nps", label=_("Net Promoter Score (NPS)"), unit="score", direction="up",
         family="service", ratio=Ratio("nps_net", "nps_responses", scale=100.0),
         description=_("Share of answers scoring 9–10 minus share scoring 0–6, × 100 "
                       "(−100 to 100), over the NPS answers given in the period."))
register("csat_responses", label=_("CSAT answers"), unit="count", direction="up",
         family="service", additive=True,
         description=_("CSAT survey answers given in the period."))
register("csat_satisfied", label=_("Satisfied answers (4–5)"), unit="count", direction="up",
         family="service", additive=True,
         description=_("CSAT answers of 4 or 5 (out of 5) given in the period."))
register("csat", label=_("Customer satisfaction (CSAT)"), unit="ratio", direction="up",
         family="service", ratio=Ratio("csat_satisfied", "csat_responses"),
         description=_("Share of CSAT answers of 4 or 5 (out of 5) given in the period."))
register("complaints", label=_("Complaints received"), unit="count", direction="down",
         family="service", additive=True,
         description=_("Complaints received in the period."))
register("suggestions", label=_("Suggestions received"), unit="count", direction="up",
         family="service", additive=True,
         description=_("Suggestions received in the period."))
register("complaints_resolved", label=_("Complaints resolved"), unit="count", direction="up",
         family="service", additive=True,
         description=_("Complaints resolved in the period, counted when resolved, whenever "
                       "they were received."))
register("resolution_days_median", label=_("Median days to resolve a complaint"),
         unit="days", direction="down", family="service",
         description=_("Of the complaints resolved in the period: median time from received "
                       "to resolved."))
register("handling_minutes_total", label=_("Handling minutes"), unit="count",
         direction="neutral", family="service", additive=True,
         description=_("Minutes spent handling the complaints and suggestions received in the "
                       "period, of those with a time recorded."))
register("handled_contacts", label=_("Complaints with a handling time"), unit="count",
         direction="neutral", family="service", additive=True,
         description=_("Complaints and suggestions received in the period that have a handling "
                       "time recorded."))
register("handling_minutes_avg", label=_("Average handling time (minutes)"), unit="score",
         direction="down", family="service",
         ratio=Ratio("handling_minutes_total", "handled_contacts"),
         description=_("Minutes spent per complaint or call, over those with a time recorded "
                       "in the period they were received."))
