"""The demo data generator: deterministic, and the shapes the dashboards rely on."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pytest
from django.db.models import Count, Max, Sum

from demo.generator import build_demo_data
from crm.models import (
    Consent, Contact, Event, LeadFeedback, Order, Segment, StageChange, TrackedEvent,
)
from engines.models import KPI
from crm.models import Campaign, Channel, Spend
from demo.management.commands.seed_demo import TEAM, Command
from mos.models import Membership, User, Workspace
from mos.roles import Role

END = dt.date(2026, 6, 15)
START = dt.date(2024, 12, 15)  # 18 months back
END_AT = dt.datetime(2026, 6, 15, tzinfo=dt.timezone.utc)
PAID = ["google_ads", "meta_ads", "linkedin_ads", "referral", "partners"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One 2,000-contact, 18-month build shared by the read-only tests of this module."""
    with django_db_blocker.unblock():
        ws = Command()._team("demo-gen-test")
        stats = build_demo_data(ws, seed=42, contacts=2000, months=18, end=END)
        yield ws, stats
        Spend.objects.filter(workspace=ws).delete()  # spend and campaigns protect channels
        Campaign.objects.filter(workspace=ws).delete()
        Workspace.objects.filter(pk=ws.pk).delete()
        User.objects.filter(email__in=[t[0] for t in TEAM], memberships__isnull=True).delete()


def _fingerprint(ws):
    emails = sorted(Contact.objects.filter(workspace=ws).values_list("email", flat=True))
    orders = sorted((str(a), k) for a, k in
                    Order.objects.filter(workspace=ws).values_list("amount", "kind"))
    stages = dict(StageChange.objects.filter(workspace=ws).values_list("to_stage")
                  .annotate(n=Count("id")))
    return emails, orders, stages


@pytest.mark.django_db
def test_same_seed_and_end_give_the_same_data_and_another_seed_does_not():
    a, b, c = (Command()._team(slug) for slug in ("demo-a", "demo-b", "demo-c"))
    build_demo_data(a, seed=11, contacts=300, months=6, end=END)
    build_demo_data(b, seed=11, contacts=300, months=6, end=END)
    build_demo_data(c, seed=12, contacts=300, months=6, end=END)
    fa, fb, fc = _fingerprint(a), _fingerprint(b), _fingerprint(c)
    assert len(fa[0]) == 300 and len(set(fa[0])) == 300
    assert fa[1], "some orders"
    assert fa == fb
    assert fa[0] != fc[0]
    assert Order.objects.filter(workspace=a).aggregate(s=Sum("amount")) == \
        Order.objects.filter(workspace=b).aggregate(s=Sum("amount"))


@pytest.mark.django_db
def test_stats_count_the_rows_written(demo):
    ws, stats = demo
    counts = stats["counts"]
    assert counts["contacts"] == Contact.objects.filter(workspace=ws).count() == 2000
    assert counts["events"] == Event.objects.filter(workspace=ws).count()
    assert counts["orders"] == Order.objects.filter(workspace=ws).count()
    assert counts["stage_changes"] == StageChange.objects.filter(workspace=ws).count()
    assert counts["consents"] == Consent.objects.filter(workspace=ws).count()
    assert counts["spend"] == Spend.objects.filter(workspace=ws).count()
    assert stats["start"] == START.isoformat() and stats["end"] == END.isoformat()


@pytest.mark.django_db
def test_funnel_drops_off_at_every_step(demo):
    ws, _ = demo
    reached = dict(StageChange.objects.filter(workspace=ws).values_list("to_stage")
                   .annotate(n=Count("contact", distinct=True)))
    assert 0 < reached["customer"] < reached["opportunity"] < reached["sql"] \
        < reached["mql"] < reached["lead"] <= 2000
    assert 0 < reached["advocate"] < reached["customer"]


@pytest.mark.django_db
def test_history_is_ordered_and_ends_in_the_contact_stage(demo):
    ws, _ = demo
    rows = StageChange.objects.filter(workspace=ws).order_by("contact_id", "at", "id") \
        .values_list("contact_id", "from_stage", "to_stage", "at")
    last = {}
    for contact, frm, to, at in rows:
        prev = last.get(contact)
        if prev is None:
            assert frm == "" and to in ("subscriber", "lead")
        else:
            assert frm == prev[0] and at > prev[1]
        assert at < END_AT
        last[contact] = (to, at)
    stages = dict(Contact.objects.filter(workspace=ws).values_list("id", "stage"))
    assert {c: s for c, (s, _) in last.items()} == stages


@pytest.mark.django_db
def test_churn_follows_a_customer_stage_and_some_come_back(demo):
    ws, _ = demo
    first_customer = dict(StageChange.objects.filter(workspace=ws, to_stage="customer")
                          .values_list("contact_id").annotate(n=Count("id"))
                          .values_list("contact_id", "n"))
    churns = list(StageChange.objects.filter(workspace=ws, to_stage="churned")
                  .values_list("contact_id", "at"))
    assert churns
    for contact, at in churns:
        assert StageChange.objects.filter(contact_id=contact, to_stage="customer",
                                          at__lt=at).exists()
    back = StageChange.objects.filter(workspace=ws, from_stage="churned", to_stage="customer")
    assert back.exists()
    assert all(first_customer[c] == 2 for c in back.values_list("contact_id", flat=True))


@pytest.mark.django_db
def test_orders_follow_the_subscription(demo):
    ws, _ = demo
    kinds = Counter(Order.objects.filter(workspace=ws).values_list("kind", flat=True))
    assert kinds["renewal"] > kinds["new"] > kinds["expansion"] > 0 and kinds["refund"] > 0
    customers = set(StageChange.objects.filter(workspace=ws, to_stage="customer")
                    .values_list("contact_id", flat=True))
    new_buyers = set(Order.objects.filter(workspace=ws, kind="new")
                     .values_list("contact_id", flat=True))
    assert new_buyers == customers
    # a contact churned now renews nothing after its last churn
    last_churn = StageChange.objects.filter(workspace=ws, to_stage="churned",
                                            contact__stage="churned") \
        .values("contact_id").annotate(at=Max("at")).values_list("contact_id", "at")
    assert last_churn
    for contact, at in last_churn:
        assert not Order.objects.filter(contact_id=contact, kind__in=["new", "renewal"],
                                        occurred_at__gt=at).exists()
    margins = Order.objects.filter(workspace=ws).values_list("margin", flat=True)
    assert all(0.75 <= float(m) <= 0.85 for m in margins)


@pytest.mark.django_db
def test_spend_every_day_for_each_paid_channel(demo):
    ws, _ = demo
    n_days = (END - START).days
    for key in PAID:
        days = Spend.objects.filter(workspace=ws, channel__key=key).values("date").distinct()
        assert days.count() == n_days, key
    rows = Spend.objects.filter(workspace=ws)
    assert rows.filter(date__lt=START).count() == 0 and rows.filter(date__gte=END).count() == 0
    totals = rows.aggregate(c=Sum("clicks"), i=Sum("impressions"))
    assert 0.01 <= totals["c"] / totals["i"] <= 0.04
    assert not Spend.objects.filter(workspace=ws, channel__key__in=["seo", "direct"]).exists()


@pytest.mark.django_db
def test_channels_have_distinct_cost_per_lead(demo):
    ws, _ = demo
    cpl = {}
    for key in PAID:
        spend = float(Spend.objects.filter(workspace=ws, channel__key=key)
                      .aggregate(s=Sum("amount"))["s"])
        leads = StageChange.objects.filter(workspace=ws, to_stage="lead",
                                           contact__source_channel__key=key).count()
        cpl[key] = spend / leads
    assert cpl["linkedin_ads"] > cpl["google_ads"] > cpl["partners"] > cpl["meta_ads"] \
        > cpl["referral"]
    assert Channel.objects.filter(workspace=ws).count() == 9


@pytest.mark.django_db
def test_current_consent_includes_withdrawals(demo):
    ws, _ = demo
    latest = {}
    for contact, channel, status in Consent.objects.filter(workspace=ws) \
            .order_by("at", "id").values_list("contact_id", "channel", "status"):
        latest[(contact, channel)] = status
    current = Counter(latest.values())
    assert current["withdrawn"] > 0 and current["granted"] > 5 * current["withdrawn"]
    emails = sum(1 for (c, ch), s in latest.items() if ch == "email" and s == "granted")
    assert emails > 0.7 * 2000


@pytest.mark.django_db
def test_feedback_only_from_reps_on_their_own_leads(demo):
    ws, _ = demo
    reps = set(Membership.objects.filter(workspace=ws, role=Role.SALES_REP)
               .values_list("user_id", flat=True))
    assert len(reps) == 2
    rows = list(LeadFeedback.objects.filter(workspace=ws)
                .values_list("rep_id", "contact__owner_id", "quality", "outcome",
                             "contact__source_channel__key"))
    assert rows
    assert all(rep == owner and rep in reps for rep, owner, *_ in rows)
    assert {r[0] for r in rows} == reps
    assert {r[3] for r in rows} == {"accepted", "rejected", "converted", "no_answer"}
    quality = defaultdict(list)
    for *_, q, _o, key in rows:
        quality[key].append(q)
    mean = {k: sum(v) / len(v) for k, v in quality.items()}
    assert mean["linkedin_ads"] > mean["google_ads"] > mean["meta_ads"]
    assert mean["referral"] > mean["meta_ads"]
    owners = Counter(Contact.objects.filter(workspace=ws, owner__isnull=False)
                     .values_list("owner_id", flat=True))
    assert abs(owners[min(reps)] - owners[max(reps)]) <= 1  # round robin


@pytest.mark.django_db
def test_events_touchpoints_and_data_quality(demo):
    ws, _ = demo
    events = Event.objects.filter(workspace=ws)
    per_contact = Counter(events.filter(contact__isnull=False).exclude(channel=None)
                          .values_list("contact_id", flat=True))
    assert len(per_contact) == 2000
    assert 1 <= min(per_contact.values()) and max(per_contact.values()) <= 8
    assert events.filter(contact__isnull=True).exclude(anonymous_id="").exists()
    plan = set(TrackedEvent.objects.filter(workspace=ws).values_list("name", flat=True))
    unknown = events.exclude(name__in=plan)
    assert unknown.exists()
    assert all(q == ["unknown_event"] for q in unknown.values_list("quality_issues", flat=True))
    missing = [(n, p, q) for n, p, q in events.filter(name__in=plan)
               .exclude(quality_issues=[]).values_list("name", "properties", "quality_issues")]
    assert missing
    for name, props, issues in missing:
        assert issues[0].startswith("missing:") and issues[0][8:] not in props
    assert events.filter(utm_campaign="gads_generic_crm", channel__key="google_ads").exists()


@pytest.mark.django_db
def test_profiles_segments_and_kpis(demo):
    ws, _ = demo
    contacts = Contact.objects.filter(workspace=ws)
    assert set(contacts.values_list("country", flat=True)) == {"SA", "AE", "EG", "JO", "KW",
                                                              "US", "GB"}
    assert contacts.filter(name__regex=r"[\u0600-\u06FF]").exists()  # some Arabic names
    assert contacts.filter(account__isnull=False).count() > 1000
    assert len(set(contacts.values_list("customer_type", flat=True))) == 6
    assert contacts.filter(persona__isnull=True).count() == 0
    segments = Segment.objects.filter(workspace=ws)
    assert segments.count() == 5
    keys = {"stage", "persona", "customer_type", "country", "channel"}
    assert all(set(s.filters) <= keys for s in segments)
    nsm = KPI.objects.get(workspace=ws, is_north_star=True)
    assert nsm.metric_key == "new_customers" and nsm.target > 0
    assert KPI.objects.filter(workspace=ws, guardrail_max__isnull=False).exists()


@pytest.mark.django_db
def test_seed_demo_command_builds_and_replaces_the_workspace():
    from django.core.management import call_command

    args = ["seed_demo", "--skip-checks", "--contacts", "200", "--months", "3", "--no-metrics",
            "--end", "2026-06-15", "--slug", "demo-cmd"]
    call_command(*args)
    ws = Workspace.objects.get(slug="demo-cmd")
    assert Contact.objects.filter(workspace=ws).count() == 200
    assert Spend.objects.filter(workspace=ws, date=dt.date(2026, 6, 14)).exists()
    call_command(*args, "--replace")  # spend and campaigns must not block the delete
    ws2 = Workspace.objects.get(slug="demo-cmd")
    assert ws2.pk != ws.pk
    assert not Contact.objects.filter(workspace_id=ws.pk).exists()
    assert Contact.objects.filter(workspace=ws2).count() == 200




@pytest.mark.django_db
def test_seed_demo_in_arabic_writes_the_demo_texts_in_arabic():
    """Issue 12: `seed_demo --language ar` writes the demo team's own texts (KPI names,
    personas, segments, stage definitions, tracking plan) in Arabic and opens its screens in
    Arabic; so are its experiments, insights, flows and monthly reports. The default stays
    English."""
    from django.core.management import call_command

    from crm.models import LifecycleStage, Persona, Segment
    from crm.models import TrackedEvent
    from mos.models import User

    # with the metrics: the monthly reports are drafted from them
    args = ["seed_demo", "--skip-checks", "--contacts", "120", "--months", "2",
            "--end", "2026-06-15"]
    call_command(*args, "--slug", "demo-ar", "--language", "ar")
    ar = Workspace.objects.get(slug="demo-ar")
    names = set(KPI.objects.filter(workspace=ar).values_list("name", flat=True))
    assert "العملاء الجدد الذين يدفعون" in names and "New paying customers" not in names
    assert Persona.objects.filter(workspace=ar, name="مؤسس شركة في مرحلة النمو").exists()
    assert Segment.objects.filter(workspace=ar, name="العملاء الأوفياء في السعودية").exists()
    sql = LifecycleStage.objects.get(workspace=ar, key="sql")
    assert sql.definition.startswith("عميل مؤهل تسويقيًا اتصل به مندوب مبيعات")
    assert sql.name == "Sales-qualified lead (SQL)"  # a default name: translated per reader
    assert TrackedEvent.objects.get(workspace=ar, name="webinar").description == \
        "حضر ندوة مباشرة عبر الإنترنت."
    assert User.objects.get(email="demo@mos.local").language == "ar"
    # the experiments: engines, titles, hypotheses, decisions and learnings, insights
    from automation.models import Flow, Step
    from engines.models import GrowthEngine
    from experiments.models import Experiment, Insight
    from reports.models import MonthlyReport, ReportDecision

    assert GrowthEngine.objects.filter(workspace=ar, name="المحتوى وتحسين محركات البحث").exists()
    exps = Experiment.objects.filter(workspace=ar)
    assert exps.filter(title="نموذج تسجيل أقصر").exists()
    win = exps.filter(decision="win").first()
    assert win.hypothesis_if.startswith("جرّبنا «") and "بنسبة 10 %" in win.hypothesis_then
    assert win.decision_reason == "ثبت التحسّن عند حجم العينة المخطط، ومؤشرات الحماية مستقرة."
    assert (win.aar_happened, win.aar_next) == ("نجحت، لكن أقل قليلًا مما أملنا.", "التعميم")
    assert Insight.objects.filter(workspace=ar, text="يطلب العملاء نسخة PDF من التقرير الشهري."
                                  ).exists()
    latin = re.compile(r"[A-Za-z]{4,}")  # no English sentence left (names like CSV, NPS may be)
    for e in exps:
        for text in (e.title, e.hypothesis_if, e.hypothesis_then, e.decision_reason,
                     e.aar_happened, e.aar_why, e.aar_next):
            assert not latin.search(text.replace("LinkedIn", "")), (e.key, text)
    assert not any(latin.search(t.replace("LinkedIn", "").replace("GrowthBook", ""))
                   for t in Insight.objects.filter(workspace=ar).values_list("text", flat=True)
                   if not t.startswith("حكم المبيعات"))
    # the flows: names, descriptions and the task a step creates
    assert set(Flow.objects.filter(workspace=ar).values_list("name", flat=True)) == {
        "الترحيب", "من التجربة إلى الدفع", "استعادة العملاء المعرّضين للفقد", "توسّع"}
    assert all(not latin.search(d.replace("P(alive)", ""))
               for d in Flow.objects.filter(workspace=ar).values_list("description", flat=True))
    assert Step.objects.filter(flow__workspace=ar, kind="create_task",
                               config__title="اعرض الترقية").exists()
    # the monthly reports: summaries and the results written on decisions
    reports = MonthlyReport.objects.filter(workspace=ar, status="published")
    assert reports.count() == 6
    assert all(not latin.search(r.summary.replace("LinkedIn", "")) for r in reports)
    assert ReportDecision.objects.filter(report__workspace=ar,
                                         result_note="تم: أُطلق في موعده.").exists()
    # the channels the decisions name: brands stay as they are, the others in Arabic
    from crm.models import Channel

    assert set(Channel.objects.filter(workspace=ar, key__in=["seo", "google_ads"])
               .values_list("name", flat=True)) == {"البحث العضوي (SEO)", "Google Ads"}
    assert ReportDecision.objects.filter(report__workspace=ar, kind="start",
                                         subject__in=exps.values("title")).exists()

    call_command(*args, "--slug", "demo-en")
    en = Workspace.objects.get(slug="demo-en")
    assert KPI.objects.filter(workspace=en, name="New paying customers").exists()
    assert Persona.objects.filter(workspace=en, name="Growth-stage founder").exists()
    assert Experiment.objects.filter(workspace=en, title="Shorter sign-up form").exists()
    assert Flow.objects.filter(workspace=en, name="Welcome").exists()
    assert Step.objects.filter(flow__workspace=en, config__title="Offer the upgrade").exists()
