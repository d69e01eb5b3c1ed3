"""The demo workspace's content calendar, campaign plans and customer service: a few weeks of
content around today (English and Arabic titles), plans with targets and one after-action
review, complaints and suggestions with their handling, and an NPS and a CSAT survey with
answers from customers. Deterministic; written before the metrics run (NPS is a metric)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Campaign, Channel, Complaint, Contact, Persona, Segment, Survey, \
    SurveyAnswer
from planning.content.models import CampaignPlan, ContentItem

CONTENT = [  # (channel key, title, persona index or None, campaign utm or "")
    ("seo", "How to pick a CRM for a 10-person team", 0, ""),
    ("seo", "دليل اختيار نظام إدارة العملاء للشركات الصغيرة", 0, ""),
    ("meta_ads", "Ramadan offer — carousel, 3 cards", 1, "meta_ramadan_offer"),
    ("meta_ads", "عرض رمضان — فيديو قصير ١٥ ثانية", 1, "meta_ramadan_offer"),
    ("linkedin_ads", "Webinar: pipeline reviews that work", 2, "li_webinar_promo"),
    ("linkedin_ads", "ندوة عبر الإنترنت: مراجعة خط المبيعات", 2, "li_webinar_promo"),
    ("email", "Newsletter: what's new this month", None, ""),
    ("email", "النشرة الشهرية: الجديد في المنتج", None, ""),
    ("google_ads", "New ad copy: 'CRM in Arabic'", 0, "gads_generic_crm"),
    ("referral", "Customer story: Riyadh dental clinic", None, "ref_programme"),
    ("referral", "قصة عميل: عيادة أسنان في الرياض", None, "ref_programme"),
    ("seo", "Checklist: 14 days to launch an MVP", 0, ""),
]
STATUSES = ["published", "published", "scheduled", "draft", "idea"]
COMPLAINTS = [
    ("complaint", "Invoice shows the wrong VAT number"),
    ("complaint", "الفاتورة لا تظهر الرقم الضريبي الصحيح"),
    ("complaint", "Import of contacts stopped at 80 %"),
    ("complaint", "تأخر الرد من الدعم الفني"),
    ("complaint", "Cannot change the plan from the app"),
    ("suggestion", "Add WhatsApp as a channel"),
    ("suggestion", "إضافة تقارير باللغة العربية بصيغة PDF"),
    ("suggestion", "Dark mode for the weekly review"),
]
COMMENTS_LOW = ["Support took three days to answer.", "الدعم بطيء جدا في الرد",
                "Too expensive for what we use.", "التقارير معقدة"]
COMMENTS_HIGH = ["The weekly review changed our meetings.", "سهل الاستخدام والدعم ممتاز",
                 "Arabic interface is great.", ""]


def build_demo_content(ws, *, seed: int = 42, end=None) -> dict:
    rng = np.random.default_rng(seed + 14)
    today = (end or timezone.now().date())
    if isinstance(today, dt.datetime):
        today = today.date()
    users = list(get_user_model().objects.filter(memberships__workspace=ws,
                                                 memberships__role__in=["marketer",
                                                                        "growth_lead"]))
    channels = {c.key: c for c in Channel.objects.filter(workspace=ws)}
    campaigns = {c.utm_campaign: c for c in Campaign.objects.filter(workspace=ws)}
    personas = list(Persona.objects.filter(workspace=ws).order_by("id"))
    items = []
    for i in range(40):
        key, title, persona, utm = CONTENT[i % len(CONTENT)]
        if key not in channels:
            continue
        day = today + dt.timedelta(days=int(i * 1.6) - 35)
        status = ("published" if day < today else
                  STATUSES[2 + int(rng.integers(0, 3))] if day < today + dt.timedelta(days=10)
                  else "idea")
        items.append(ContentItem(
            workspace=ws, title=title, channel=channels[key], status=status, publish_on=day,
            publish_time=dt.time(9 + int(rng.integers(0, 10)), 0) if i % 3 else None,
            owner=users[i % len(users)] if users else None,
            persona=personas[persona] if persona is not None and persona < len(personas)
            else None, campaign=campaigns.get(utm)))
    ContentItem.objects.bulk_create(items)
    # plans for the three campaigns that brought the most customers, with targets and budget
    # near what they did (some beaten, some missed), so the reports read like a real quarter
    from planning.content.results import campaign_results

    res = campaign_results(ws, [c.pk for c in campaigns.values()])
    ranked = sorted(campaigns.values(), key=lambda c: (-res[c.pk]["customers"], c.pk))[:3]
    segs = list(Segment.objects.filter(workspace=ws).order_by("id"))
    markets = ["KSA and UAE, SMB owners", "Gulf enterprise marketing directors",
               "Saudi Arabia, Arabic-speaking SMBs"]
    messages = ["One month free to start", "Pipeline reviews in 30 minutes",
                "The CRM that speaks Arabic"]
    plans = []
    for n, c in enumerate(ranked):
        r = res[c.pk]
        factor = [1.25, 0.85, 1.1][n]
        c.budget = Decimal(round(float(r["spend"]) * [1.1, 0.9, 1.0][n], -2) or 5000)
        c.save(update_fields=["budget"])
        plans.append(CampaignPlan(
            workspace=ws, campaign=c, market=markets[n],
            segment=segs[n] if n < len(segs) else None,
            persona=personas[n] if n < len(personas) else None, message=messages[n],
            target_leads=max(1, round(r["leads"] * factor)),
            target_customers=max(1, round(r["customers"] * factor)),
            target_revenue=Decimal(round(float(r["revenue"]) * factor, -2) or 1000),
            owner=users[n % len(users)] if users else None))
    CampaignPlan.objects.bulk_create(plans)
    if plans:
        p = plans[0]
        p.expected = f"{p.target_customers} new customers within budget."
        p.happened = "Leads came in as planned; customers came in slower than planned."
        p.why = "عرض الشهر المجاني جذب عملاء يبحثون عن الخصومات ولم يتحول كثير منهم."
        p.next_steps = "Keep the offer for loyal segments only; test a shorter trial."
        p.reviewed_at = timezone.now()
        p.save()
    contacts = list(Contact.objects.filter(workspace=ws, stage__in=["customer", "advocate"])
                    .order_by("id").values_list("id", flat=True)[:2000])
    now = timezone.now()
    complaints = []
    for i in range(90):
        kind, subject = COMPLAINTS[i % len(COMPLAINTS)]
        received = now - dt.timedelta(days=int(rng.integers(1, 180)),
                                      hours=int(rng.integers(0, 24)))
        resolved = None
        status = "resolved"
        if rng.random() < 0.15:
            status = "open" if rng.random() < 0.5 else "in_progress"
        else:
            resolved = received + dt.timedelta(hours=float(rng.gamma(2.0, 12.0)))
            if resolved > now:
                resolved, status = None, "in_progress"
        via = ["phone", "email", "chat", "social"][int(rng.integers(0, 4))]
        complaints.append(Complaint(
            workspace=ws, kind=kind, via=via, subject=subject, status=status,
            contact_id=contacts[int(rng.integers(0, len(contacts)))] if contacts else None,
            received_at=received, resolved_at=resolved,
            handling_minutes=int(rng.integers(4, 25)) if via == "phone" else None,
            owner=users[i % len(users)] if users else None,
            resolution="Fixed and confirmed with the customer." if resolved else ""))
    Complaint.objects.bulk_create(complaints)
    answers = 0
    seg = Segment.objects.filter(workspace=ws, name="Loyal customers in SA").first()
    for kind, name, days_ago, lo, hi in (("nps", "Quarterly NPS — Q3", 120, 0, 10),
                                         ("nps", "Quarterly NPS — Q4", 30, 0, 10),
                                         ("csat", "Support CSAT", 20, 1, 5)):
        sent = now - dt.timedelta(days=days_ago)
        recipients = contacts[:600] if kind == "nps" else contacts[-300:]
        survey = Survey.objects.create(workspace=ws, kind=kind, name=name, segment=seg,
                                       sent_at=sent, sent_count=len(recipients), created_at=sent)
        rows = []
        for cid in recipients:
            if rng.random() > 0.35:  # about a third answer
                continue
            if kind == "nps":
                score = int(np.clip(round(rng.normal(8.6 if days_ago < 60 else 8.1, 1.8)), 0, 10))
                low = score <= 6
            else:
                score = int(np.clip(round(rng.normal(4.0, 0.9)), 1, 5))
                low = score <= 2
            pool = COMMENTS_LOW if low else COMMENTS_HIGH
            comment = pool[int(rng.integers(0, len(pool)))] if rng.random() < 0.4 else ""
            rows.append(SurveyAnswer(workspace=ws, survey=survey, contact_id=cid, score=score,
                                     comment=comment,
                                     answered_at=sent + dt.timedelta(
                                         hours=float(rng.uniform(1, 96)))))
        SurveyAnswer.objects.bulk_create(rows)
        answers += len(rows)
    return {"content_items": len(items), "campaign_plans": len(plans),
            "complaints": len(complaints), "survey_answers": answers}
