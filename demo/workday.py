"""The team's workday in the demo: lead-scoring rules that make the MQL definition ("a lead
scoring 50 or more") executable, every contact scored, calls / notes / e-mails / meetings on
the leads in sales' hands, the reps' open tasks (some overdue, some today), a few buying-role
gatekeepers and champions, and a handful of Arabic/Latin duplicates for the duplicates page.
Texts follow the contact's language (Arabic or English)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from crm.models import Activity, Contact, ScoringRule, ScoringSettings
from crm.scoring.services import scores_recompute
from mos.models import Membership

RULES = [
    # fit: the persona and a company of 10+ staff (the MQL definition's "fits a persona")
    ("fit", "persona", [], 15, None, None),
    ("fit", "account_size", ["11–50", "51–200", "201–1000", "1000+"], 15, None, None),
    ("property", "buying_role", ["decision_maker", "buyer"], 10, None, None),
    ("fit", "customer_type", ["strategic", "need_driven"], 5, None, None),
    # intent within ~30 days: demo request, webinar, forms, e-mail clicks, visits
    ("event", "demo_request", [], 30, 30, 40),
    ("event", "webinar", [], 15, 30, 30),
    ("event", "form_submit", [], 10, 30, 20),
    ("event", "email_click", [], 4, 14, 16),
    ("event", "page_view", [], 2, 14, 16),
]

CALL_NOTES = {
    "en": ["Asked about the Growth plan; wants a quote for 12 seats.",
           "Interested, but budget is only confirmed next quarter.",
           "Spoke to the assistant; the manager is travelling until Sunday.",
           "Compared us with a competitor; sent the ROI sheet.",
           "Happy with the trial; wants a second demo for the finance team."],
    "ar": ["سأل عن باقة النمو ويريد عرض سعر لـ ١٢ مستخدمًا.",
           "مهتم، لكن الميزانية تُعتمد في الربع القادم.",
           "تحدثت مع المساعدة؛ المدير مسافر حتى الأحد.",
           "يقارننا بمنافس؛ أرسلت له ملف العائد على الاستثمار.",
           "راضٍ عن التجربة ويريد عرضًا ثانيًا لفريق المالية."],
}
TASKS = {
    "en": ["Call back about the quote", "Send the case study", "Book the second demo",
           "Confirm the decision maker", "Follow up on the trial"],
    "ar": ["معاودة الاتصال بشأن عرض السعر", "إرسال دراسة الحالة", "حجز العرض الثاني",
           "التأكد من صاحب القرار", "متابعة الفترة التجريبية"],
}
MEETINGS = {"en": "Demo with the team", "ar": "عرض توضيحي مع الفريق"}
EMAILS = {"en": "Sent pricing and the onboarding plan", "ar": "أرسلت الأسعار وخطة الإطلاق"}
DUPLICATES = [("Mohammed Al-Harbi", "محمد الحربي"), ("Fatimah Al-Zahra", "فاطمة الزهراء"),
              ("Khalid Othman", "خالد عثمان"), ("Yousef Qasim", "يوسف قاسم")]
OUTCOMES = ["connected", "connected", "connected", "no_answer", "voicemail", "busy"]


@transaction.atomic
def build_demo_workday(ws, *, seed: int = 42, end=None) -> dict:
    rng = np.random.default_rng(seed + 15)
    now = timezone.now() if end is None else dt.datetime.combine(
        end, dt.time(9), tzinfo=dt.timezone.utc)
    ScoringRule.objects.bulk_create([
        ScoringRule(workspace=ws, kind=k, field=f, values=v, points=p, half_life_days=h,
                    max_points=m) for k, f, v, p, h, m in RULES])
    ScoringSettings.objects.update_or_create(workspace=ws, defaults={
        "mql_threshold": 50, "sql_threshold": 80})
    # seed 003's other buying roles: some B2B contacts are gatekeepers or champions
    b2b = list(Contact.objects.filter(workspace=ws, account__isnull=False)
               .values_list("id", flat=True))
    pick = rng.permutation(len(b2b))[: len(b2b) // 10]
    half = len(pick) // 2
    Contact.objects.filter(id__in=[b2b[i] for i in pick[:half]]).update(buying_role="gatekeeper")
    Contact.objects.filter(id__in=[b2b[i] for i in pick[half:]]).update(buying_role="champion")
    # a few people who signed up twice, once in each script: pairs of subscribers get the
    # same person's name (Latin and Arabic) and phone (international and local form)
    spare = list(Contact.objects.filter(workspace=ws, stage="subscriber", owner__isnull=True)
                 .order_by("id")[:2 * len(DUPLICATES)])
    dups = []
    for i, (latin, arabic) in enumerate(DUPLICATES[:len(spare) // 2]):
        phone = f"+9665{rng.integers(10_000_000, 99_999_999)}"
        a, b = spare[2 * i], spare[2 * i + 1]
        a.name, a.phone, b.name, b.phone = latin, phone, arabic, "0" + phone[4:]
        dups += [a, b]
    Contact.objects.bulk_update(dups, ["name", "phone"])
    scored = scores_recompute(ws, as_of=now.date())

    reps = {m.user_id: m.user for m in Membership.objects.filter(
        workspace=ws, role="sales_rep").select_related("user")}
    from crm.scoring.selectors import with_score

    leads = list(with_score(Contact.objects.filter(
        workspace=ws, owner_id__in=list(reps), stage__in=["lead", "mql", "sql", "opportunity"]))
                 .order_by("-score", "id").values_list("id", "owner_id", "language", "account_id")[:600])
    acts = []
    for n, (cid, owner_id, lang, acc_id) in enumerate(leads):
        lang = "ar" if lang == "ar" else "en"
        for _k in range(int(rng.integers(1, 4))):
            kind = rng.choice(["call", "call", "call", "note", "email", "meeting"])
            at = now - dt.timedelta(days=int(rng.integers(0, 45)), hours=int(rng.integers(0, 8)))
            a = Activity(workspace=ws, contact_id=cid, owner_id=owner_id, kind=kind, at=at,
                         created_at=at, updated_at=at, created_by_id=owner_id)
            if kind == "call":
                a.call_outcome = str(rng.choice(OUTCOMES))
                if a.call_outcome == "connected":
                    a.duration_seconds = int(np.clip(rng.lognormal(np.log(300), 0.5), 40, 2400))
                    a.body = str(rng.choice(CALL_NOTES[lang]))
                else:
                    a.duration_seconds = int(rng.integers(10, 40))
            elif kind == "note":
                a.body = str(rng.choice(CALL_NOTES[lang]))
            elif kind == "email":
                a.subject = EMAILS[lang]
            else:
                a.subject = MEETINGS[lang]
                a.duration_seconds = int(rng.choice([1800, 2700, 3600]))
            acts.append(a)
        if n < 120:  # the reps' to-do lists: overdue, today, the coming days, and done ones
            due_days = int(rng.choice([-3, -1, 0, 0, 1, 2, 4, 6, -10]))
            due = now.replace(hour=int(rng.integers(9, 17)), minute=0, second=0,
                              microsecond=0) + dt.timedelta(days=due_days)
            created = due - dt.timedelta(days=5)
            done = created + dt.timedelta(days=2) if due_days <= -10 else None
            acts.append(Activity(workspace=ws, contact_id=cid, owner_id=owner_id, kind="task",
                                 subject=str(rng.choice(TASKS[lang])), due_at=due, done_at=done,
                                 at=created, created_at=created, updated_at=created,
                                 created_by_id=owner_id))
    accounts = list({acc for *_x, acc in leads if acc})[:40]
    for acc_id in accounts:
        at = now - dt.timedelta(days=int(rng.integers(1, 60)))
        acts.append(Activity(workspace=ws, account_id=acc_id, kind="note", at=at, created_at=at,
                             updated_at=at, body="Procurement asked for the security "
                             "questionnaire. · طلبت المشتريات استبيان الأمان."))
    Activity.objects.bulk_create(acts, batch_size=2000)
    return {"scoring_rules": len(RULES), "scores_changed": scored, "activities": len(acts),
            "duplicates_added": len(dups)}
