"""The demo workspace's plans: a SOSTAC plan in English (one published version) and one in
Arabic (draft), last quarter's bets scored and this quarter's open, a 30-60-90 plan under way
and a 14-day launch checklist done, last month's budget split accepted (with an edit, so the
comparison shows) and next month's proposed. Runs after the metrics; deterministic."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from mos.actors import Actor
from mos.models import Membership
from mos.periods import add_months, period_start

MIX_EN = {
    "product": "Marketing analytics as a service: dashboard, monthly report, experiments.",
    "price": "Three plans; annual plan two months free.",
    "promotion": "SEO content hub, paid search on high-intent terms, partner webinars.",
    "place": "Online; self-serve sign-up and a sales-assisted path for teams.",
    "process": "Onboarding in 14 days; answer support tickets within 4 hours.",
    "physical": "Case studies, security page, real office address and phone.",
    "people": "A named success manager for every team plan.",
    "performance": "Dashboard loads under a second; 99.9 % uptime.",
}
MIX_AR = {
    "product": "تحليلات تسويقية كخدمة: لوحة قياس وتقرير شهري وتجارب.",
    "price": "ثلاث باقات؛ الاشتراك السنوي بشهرين مجانًا.",
    "promotion": "محتوى SEO وإعلانات بحث على كلمات عالية النية وندوات مع الشركاء.",
    "place": "عبر الإنترنت؛ تسجيل ذاتي ومسار بمساعدة المبيعات للفرق.",
    "process": "تهيئة خلال 14 يومًا؛ الرد على التذاكر خلال 4 ساعات.",
    "physical": "دراسات حالة وصفحة أمان وعنوان وهاتف حقيقيان.",
    "people": "مدير نجاح مسمّى لكل باقة فرق.",
    "performance": "اللوحة تفتح في أقل من ثانية؛ توفر 99.9٪.",
}


def build_demo_plans(ws, *, today: dt.date | None = None, log=None) -> dict:
    from crm.models import Channel, Persona, Segment
    from engines.models import KPI, GrowthEngine
    from experiments.models import Experiment
    from planning import services_plans as svc
    from planning.models_plans import BudgetPlan

    today = today or timezone.localdate()
    members = {m.role: m for m in Membership.objects.filter(workspace=ws)
               .select_related("user", "workspace")}
    lead_m = members.get("growth_lead") or members.get("admin")
    actor = Actor.for_member(lead_m) if lead_m else Actor.system(ws)
    lead = lead_m.user if lead_m else None
    marketer = members["marketer"].user if "marketer" in members else lead
    analyst = members["analyst"].user if "analyst" in members else lead
    month = today.replace(day=1)
    kpis = list(KPI.objects.filter(workspace=ws).order_by("position", "id"))
    engines = list(GrowthEngine.objects.filter(workspace=ws).order_by("id"))
    experiments = list(Experiment.objects.filter(workspace=ws).order_by("id"))
    channels = list(Channel.objects.filter(workspace=ws).order_by("name"))

    # SOSTAC, English, with a published version
    plan = svc.plan_create(
        actor=actor, title="Growth plan 2026–27", starts=month, ends=add_months(month, 12),
        positioning="The marketing team's operating system: every plan judged by its numbers.",
        service_mix=MIX_EN,
        tactics="SEO content clusters; paid search on high-intent terms; onboarding e-mails; "
                "a referral programme.",
        diagnostics={"lead_definition": "Yes: lead, MQL and SQL written with sales in May.",
                     "journey": "From the first click, except offline events.",
                     "tools": "CRM, billing and the product feed MOS; ads by CSV import.",
                     "budget": "By performance since we started the monthly split."},
        segments=Segment.objects.filter(workspace=ws)[:2],
        personas=Persona.objects.filter(workspace=ws)[:2], channels=channels[:4])
    for k, mult in zip(kpis[:3], (1.2, 1.1, 0.9)):
        base = float(k.target or 100)
        svc.objective_add(actor=actor, plan=plan, kpi=k, target=round(base * mult, 2),
                          due=add_months(month, 6))
    for what, owner, days in (("Launch the pricing page test", marketer, 21),
                              ("Write the SQL hand-over rule with sales", lead, 30),
                              ("Rebuild the channel dashboard for the review", analyst, 45)):
        svc.action_add(actor=actor, plan=plan, what=what, owner=owner,
                       due=today + dt.timedelta(days=days))
    svc.plan_publish(actor=actor, plan=plan, note="First version, agreed in the quarterly review")

    # SOSTAC, Arabic, a draft
    svc.plan_create(
        actor=actor, title="خطة التسويق للخدمات – الربع القادم", starts=add_months(month, 1),
        ends=add_months(month, 4), positioning="نظام تشغيل التسويق: كل خطة تُحاكم بأرقامها.",
        service_mix=MIX_AR, tactics="محتوى تعليمي أسبوعي، حملات بريد للتفعيل، ندوات شهرية.",
        control="مراجعة أسبوعية لمؤشرات المحركات، تقرير شهري، تقييم الرهانات كل ربع.",
        diagnostics={"lead_definition": "نعم، تعريف موحّد مع فريق المبيعات."})

    # quarterly bets: last quarter's scored, this quarter's open
    this_q = period_start("quarter", today)
    last_q = add_months(this_q, -3)
    ns = next((k for k in kpis if k.is_north_star), kpis[0] if kpis else None)
    bets = 0
    from planning.selectors_plans import kpi_quarter_actual

    for q, rows in ((last_q, [  # (title, expected effect on the quarter before's value, who)
            ("Referral programme in the product", 1.15, 0),
            ("Onboarding e-mails for trials", 1.05, 1),
            ("Pause paid social, move the budget to search", 1.1, 2),
            ("Annual plan offer at checkout", 1.6, 3)]), (this_q, [
            ("Pricing page with three plans", 1.1, 0),
            ("Partner webinars every month", 1.05, 1),
            ("Win-back flow for at-risk accounts", 1.08, 2)])):
        # the baseline: the North Star over the quarter before (a quarter's sum, not a month's)
        base = (kpi_quarter_actual(ws, ns, add_months(q, -3)) if ns else None) or 100.0
        for title, e, i in rows:
            b = 1.0
            bet = svc.bet_create(
                actor=actor, quarter=q, title=title, kpi=ns,
                expected_effect="+%d %% on the North Star" % round((e / b - 1) * 100),
                baseline=round(base * b, 2), expected=round(base * e, 2),
                owner=[lead, marketer, analyst][i % 3],
                engine=engines[i % len(engines)] if engines else None,
                experiments=experiments[i:i + 1])
            bets += 1
            if q == last_q:
                svc.bet_score(actor=actor, bet=bet)

    # checklists
    cl = svc.checklist_start(actor=actor, template="30_60_90",
                             starts=today - dt.timedelta(days=40), owner=lead)
    for item in cl.items.all()[:4]:
        svc.checklist_item_update(actor=actor, item=item, done=True)
    mvp = svc.checklist_start(actor=actor, template="mvp14",
                              starts=today - dt.timedelta(days=120), owner=marketer)
    for item in mvp.items.all():
        svc.checklist_item_update(actor=actor, item=item, done=True)

    # budget: last month's split accepted with an edit, next month's proposed
    splits = 0
    last = add_months(month, -1)
    for target in (last, month):
        try:
            p = svc.budget_propose(actor=actor, month=target)
        except ValidationError:  # a demo without spend in that month has no split
            continue
        splits += 1
        if target == last and p.proposal:
            first = p.proposal[0]
            svc.budget_accept(actor=actor, plan=p,
                              amounts={first["channel"]: round(first["proposed"] * 0.95, 2)},
                              note="Kept 5 % back on the first channel for a creative test.")
    out = {"plans": 2, "bets": bets, "checklists": 2, "budget_splits": splits,
           "accepted": BudgetPlan.objects.filter(workspace=ws, status="accepted").count()}
    if log:
        log(f"Plans: {out}")
    return out
