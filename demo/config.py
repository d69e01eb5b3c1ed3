"""The demo company's fixed facts: channels and their economics, campaigns, plans, personas,
names and places. "Demo Co" sells a B2B marketing SaaS in the Gulf, the Levant, Egypt, the
US and the UK."""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

# Stage indices used by the simulation (funnel order; churned is off-funnel).
SUB, LEAD, MQL, SQL, OPP, CUST = range(6)
FUNNEL = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"]

# key, name, kind, paid, utm_source, utm_medium, contact share, CPL target, CPC, CTR,
# P(start as subscriber), step probabilities lead→MQL, MQL→SQL, SQL→opp, opp→customer,
# speed (multiplies the median days between stages), lead quality (mean of 1–5 feedback),
# plan mix (starter, growth, scale)
CHANNELS = [
    dict(key="google_ads", name="Google Ads", kind="paid_search", paid=True, src="google",
         medium="cpc", share=0.24, cpl=55.0, cpc=2.8, ctr=0.035, p_sub=0.10,
         steps=(0.42, 0.42, 0.50, 0.38), speed=1.0, quality=3.1, plans=(0.45, 0.40, 0.15)),
    dict(key="meta_ads", name="Meta Ads", kind="paid_social", paid=True, src="facebook",
         medium="paid_social", share=0.18, cpl=16.0, cpc=0.85, ctr=0.013, p_sub=0.25,
         steps=(0.25, 0.30, 0.40, 0.28), speed=1.35, quality=2.2, plans=(0.70, 0.25, 0.05)),
    dict(key="linkedin_ads", name="LinkedIn Ads", kind="paid_social", paid=True,
         src="linkedin", medium="paid_social", share=0.07, cpl=145.0, cpc=7.5, ctr=0.011,
         p_sub=0.05, steps=(0.62, 0.60, 0.55, 0.45), speed=0.8, quality=4.1,
         plans=(0.20, 0.45, 0.35)),
    dict(key="seo", name=_("Organic search (SEO)"), kind="seo", paid=False, src="google",
         medium="organic", share=0.15, cpl=0.0, cpc=0.0, ctr=0.0, p_sub=0.45,
         steps=(0.45, 0.45, 0.50, 0.40), speed=1.1, quality=3.3, plans=(0.50, 0.38, 0.12)),
    dict(key="email", name=_("E-mail newsletter"), kind="email", paid=False, src="newsletter",
         medium="email", share=0.06, cpl=0.0, cpc=0.0, ctr=0.0, p_sub=0.60,
         steps=(0.48, 0.45, 0.50, 0.42), speed=0.9, quality=3.4, plans=(0.50, 0.38, 0.12)),
    dict(key="content", name=_("Content & webinars"), kind="content", paid=False, src="blog",
         medium="content", share=0.09, cpl=0.0, cpc=0.0, ctr=0.0, p_sub=0.55,
         steps=(0.42, 0.40, 0.48, 0.36), speed=1.4, quality=3.0, plans=(0.55, 0.35, 0.10)),
    dict(key="referral", name=_("Customer referrals"), kind="referral", paid=True,
         src="referral", medium="referral", share=0.06, cpl=11.0, cpc=0.6, ctr=0.04,
         p_sub=0.05, steps=(0.72, 0.65, 0.60, 0.55), speed=0.6, quality=4.4,
         plans=(0.35, 0.45, 0.20)),
    dict(key="partners", name=_("Agency partners"), kind="partnerships", paid=True,
         src="partner", medium="partner", share=0.06, cpl=42.0, cpc=1.8, ctr=0.015,
         p_sub=0.10, steps=(0.58, 0.55, 0.55, 0.48), speed=0.9, quality=3.8,
         plans=(0.30, 0.45, 0.25)),
    dict(key="direct", name=_("Direct"), kind="direct", paid=False, src="", medium="",
         share=0.09, cpl=0.0, cpc=0.0, ctr=0.0, p_sub=0.30,
         steps=(0.50, 0.48, 0.50, 0.42), speed=0.85, quality=3.5, plans=(0.45, 0.40, 0.15)),
]
N_CH = len(CHANNELS)
CH_INDEX = {c["key"]: i for i, c in enumerate(CHANNELS)}
SUB_TO_LEAD = 0.35
# median days from stage k to k+1 (subscriber→lead, lead→MQL, MQL→SQL, SQL→opp, opp→customer)
BASE_GAP_DAYS = np.array([18.0, 6.0, 8.0, 10.0, 21.0])

# Campaigns of the paid channels: channel, name, utm_campaign, weight, Ramadan-only
CAMPAIGNS = [
    ("google_ads", "Search — Brand", "gads_brand", 0.25, False),
    ("google_ads", "Search — CRM software", "gads_generic_crm", 0.50, False),
    ("google_ads", "Search — Competitor names", "gads_competitors", 0.25, False),
    ("meta_ads", "Lead ads — Free trial", "meta_leadgen_trial", 0.55, False),
    ("meta_ads", "Retargeting — Pricing visitors", "meta_retargeting", 0.45, False),
    ("meta_ads", "Ramadan offer", "meta_ramadan_offer", 0.60, True),
    ("linkedin_ads", "Decision makers — KSA & UAE", "li_decision_makers_gcc", 0.65, False),
    ("linkedin_ads", "Webinar promotion", "li_webinar_promo", 0.35, False),
    ("referral", "Customer referral programme", "ref_programme", 1.0, False),
    ("partners", "Agency partner programme", "partners_agencies", 0.70, False),
    ("partners", "Marketplace listing", "partners_marketplace", 0.30, False),
]

PLANS = [("Starter", 99.0), ("Growth", 299.0), ("Scale", 899.0)]
ADD_ONS = [("Onboarding workshop", 750.0), ("Extra seats pack", 240.0),
           ("Data migration", 1200.0), ("Training day", 500.0)]

CUSTOMER_TYPES = ["strategic", "loyal", "discount_driven", "need_driven", "impulsive",
                  "wandering"]
CUSTOMER_TYPE_P = np.array([0.10, 0.18, 0.17, 0.27, 0.12, 0.16])
# monthly churn hazard and win-back probability per customer type
CHURN_HAZARD = np.array([0.012, 0.018, 0.065, 0.035, 0.08, 0.10])
WINBACK_P = np.array([0.35, 0.40, 0.45, 0.30, 0.25, 0.20])
ADVOCATE_P = np.array([0.20, 0.22, 0.03, 0.08, 0.05, 0.02])

BUYING_ROLES = ["end_user", "buyer", "influencer", "decision_maker"]

PERSONAS = [
    dict(name=_("Growth-stage founder"),
         description=_("Founder or CEO of a 10–50 person start-up in Riyadh, Dubai or Cairo "
                     "who still signs off every marketing riyal."),
         needs=_("One place to see which channel brings paying customers; a weekly rhythm the "
               "small team can keep."),
         objections=_("“We already use spreadsheets.” Worried about set-up time and price."),
         value_proposition=_("A living dashboard in one afternoon: CAC and LTV per channel "
                           "without a data team.")),
    dict(name=_("SME marketing manager"),
         description=_("Runs a 2–5 person marketing team at an established SME; reports to the "
                     "general manager every month."),
         needs=_("A monthly report that writes itself, campaign reporting on ROI, and lead "
               "feedback from sales."),
         objections=_("Integration with the ad platforms and the existing CRM; Arabic support."),
         value_proposition=_("The one-page monthly report and Stop / Start / Continue decisions, "
                           "bilingual, from data already flowing in.")),
    dict(name=_("Enterprise marketing director"),
         description=_("Heads marketing at a group with several brands across the GCC; judged "
                     "on pipeline and CAC payback."),
         needs=_("Attribution the board trusts, guardrails on spend, data quality and "
               "permissions per team."),
         objections=_("Security review, data residency, change management across teams."),
         value_proposition=_("One operating system for every engine: North Star, guardrails "
                           "and experiments with statistics that hold.")),
    dict(name=_("Agency account lead"),
         description=_("Manages 5–15 client accounts at a performance agency in Amman or Dubai."),
         needs=_("Client-ready reports, fast experiment cycles, proof of ROAS per client."),
         objections=_("Per-workspace pricing; clients who won’t share their sales data."),
         value_proposition=_("A workspace per client and a weekly review screen that shows the "
                           "work, not just the spend.")),
]
# P(persona | channel), rows follow CHANNELS
PERSONA_P = np.array([
    [0.35, 0.35, 0.10, 0.20], [0.45, 0.35, 0.05, 0.15], [0.10, 0.30, 0.50, 0.10],
    [0.30, 0.40, 0.15, 0.15], [0.25, 0.45, 0.15, 0.15], [0.30, 0.40, 0.15, 0.15],
    [0.30, 0.35, 0.20, 0.15], [0.15, 0.25, 0.15, 0.45], [0.30, 0.35, 0.20, 0.15],
])

COUNTRIES = ["SA", "AE", "EG", "JO", "KW", "US", "GB"]
COUNTRY_P = np.array([0.33, 0.20, 0.14, 0.07, 0.06, 0.12, 0.08])
ARAB = np.array([True, True, True, True, True, False, False])
DIAL = ["+9665", "+9715", "+2010", "+9627", "+9655", "+1", "+447"]
CITIES = {
    "SA": ["Riyadh", "Jeddah", "Dammam", "Khobar", "Mecca", "Medina"],
    "AE": ["Dubai", "Abu Dhabi", "Sharjah", "Ajman"],
    "EG": ["Cairo", "Alexandria", "Giza", "Mansoura"],
    "JO": ["Amman", "Irbid", "Zarqa"],
    "KW": ["Kuwait City", "Hawalli", "Salmiya"],
    "US": ["New York", "Austin", "Chicago", "San Francisco", "Boston"],
    "GB": ["London", "Manchester", "Birmingham", "Leeds"],
}

# (Latin, Arabic) first and last names
ARAB_FIRST = [("Ahmed", "أحمد"), ("Mohammed", "محمد"), ("Layla", "ليلى"), ("Omar", "عمر"),
              ("Sara", "سارة"), ("Khalid", "خالد"), ("Noura", "نورة"), ("Yousef", "يوسف"),
              ("Fatima", "فاطمة"), ("Abdullah", "عبدالله"), ("Huda", "هدى"), ("Faisal", "فيصل"),
              ("Reem", "ريم"), ("Tariq", "طارق"), ("Mariam", "مريم"), ("Hassan", "حسن"),
              ("Lina", "لينا"), ("Saad", "سعد"), ("Dana", "دانة"), ("Ziad", "زياد"),
              ("Aisha", "عائشة"), ("Karim", "كريم"), ("Nadia", "نادية"), ("Majed", "ماجد")]
ARAB_LAST = [("Al-Otaibi", "العتيبي"), ("Al-Harbi", "الحربي"), ("Haddad", "حداد"),
             ("Al-Qahtani", "القحطاني"), ("Mansour", "منصور"), ("Al-Shehri", "الشهري"),
             ("Khoury", "خوري"), ("Al-Dosari", "الدوسري"), ("Saleh", "صالح"),
             ("Al-Mutairi", "المطيري"), ("Nasser", "ناصر"), ("Farouk", "فاروق"),
             ("Al-Zahrani", "الزهراني"), ("Abdelrahman", "عبدالرحمن"), ("Hamdan", "حمدان"),
             ("Al-Kuwari", "الكواري"), ("Obeidat", "عبيدات"), ("El-Sayed", "السيد")]
EN_FIRST = ["James", "Emily", "Oliver", "Sophia", "Daniel", "Grace", "Michael", "Chloe",
            "William", "Hannah", "Thomas", "Olivia", "Jack", "Amelia", "Ryan", "Lucy",
            "Ethan", "Megan", "Noah", "Isabel"]
EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Clarke",
           "Walker", "Wright", "Hughes", "Miller", "Carter", "Bennett", "Foster", "Reid"]

ACCOUNT_WORDS = ["Nakhla", "Sahara", "Gulf", "Falcon", "Oasis", "Najd", "Marina", "Cedar",
                 "Nile", "Petra", "Dune", "Pearl", "Horizon", "Summit", "Atlas", "Harbor",
                 "Zaytoun", "Qamar", "Noor", "Bayan"]
ACCOUNT_SUFFIX = ["Tech", "Logistics", "Retail", "Health", "Foods", "Realty", "Labs",
                  "Consulting", "Travel", "Education", "Fintech", "Media"]
INDUSTRIES = {"Tech": "Software", "Logistics": "Logistics", "Retail": "Retail",
              "Health": "Healthcare", "Foods": "Food & beverage", "Realty": "Real estate",
              "Labs": "Software", "Consulting": "Professional services", "Travel": "Travel",
              "Education": "Education", "Fintech": "Financial services", "Media": "Media"}
SIZES = ["1–10", "11–50", "51–200", "201–1000", "1000+"]
SIZE_P = np.array([0.25, 0.35, 0.22, 0.12, 0.06])

URLS = ["/", "/pricing", "/features", "/blog/cac-vs-ltv", "/blog/north-star-metric",
        "/blog/ramadan-campaign-ideas", "/customers", "/integrations", "/demo",
        "/blog/monthly-marketing-report", "/ar/pricing", "/ar/"]
SEARCH_TERMS = ["crm software", "marketing dashboard", "cac calculator", "برنامج تسويق",
                "marketing report template", "hubspot alternative"]
WEBINARS = ["Growth engines 101", "Monthly report in 30 minutes", "Ramadan playbook",
            "Attribution without tears"]
FORMS = ["trial_signup", "newsletter", "ebook_download", "contact_us"]

# Ramadan starts (approximate; 30 days) — the demo's seasonal bump
RAMADAN_STARTS = ["2022-04-02", "2023-03-23", "2024-03-11", "2025-03-01", "2026-02-18",
                  "2027-02-08", "2028-01-28", "2029-01-16", "2030-01-06", "2030-12-26",
                  "2031-12-15", "2032-12-04"]

# the tracking plan: event name → required properties
TRACKING_PLAN = {
    "page_view": (["url"], _("A page of the website or app was viewed.")),
    "ad_click": (["url"], _("A paid ad was clicked through to a landing page.")),
    "email_open": (["email_id"], _("A marketing e-mail was opened.")),
    "email_click": (["email_id", "url"], _("A link in a marketing e-mail was clicked.")),
    "form_submit": (["form"], _("A website form was submitted (sign-up, download, contact).")),
    "webinar": (["webinar"], _("Attended a live webinar.")),
    "demo_request": (["form"], _("Asked for a product demo.")),
    "login": ([], _("Signed in to the product (customers).")),
}
UNKNOWN_EVENTS = ["pageView", "video_play", "chat_started"]
