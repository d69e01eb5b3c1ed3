"""How the tenancy test fills in URL parameters: one entry per URL kwarg (browser pages) or
per DRF basename (API detail routes). Each factory takes the *owner's* workspace and returns
the value to put in the URL — an object of that workspace, so the outsider asking for it must
get 404. A route with a kwarg or basename missing here makes the tenancy test FAIL: add the
factory when you add the route."""

from __future__ import annotations

from mos.models import ApiKey, Membership


def _member(ws):
    return Membership.objects.filter(workspace=ws).first().code


def _api_key(ws):
    return ApiKey.objects.filter(workspace=ws).first().code


def _contact(ws):
    from crm.models import Contact

    c = Contact.objects.filter(workspace=ws).first() or Contact.objects.create(
        workspace=ws, name="Tenancy Contact", email="tenancy-contact@example.test")
    return c.code


def _segment(ws):
    from crm.models import Segment

    s = Segment.objects.filter(workspace=ws).first() or Segment.objects.create(
        workspace=ws, name="Tenancy segment", filters={"stage": ["lead"]})
    return s.code


def _persona(ws):
    from crm.models import Persona

    p = Persona.objects.filter(workspace=ws).first() or Persona.objects.create(
        workspace=ws, name="Tenancy persona")
    return p.code


def _import_job(ws):
    from django.core.files.base import ContentFile

    from crm.models import ImportJob

    job = ImportJob.objects.filter(workspace=ws).first()
    if job is None:
        job = ImportJob(workspace=ws, kind="contacts", layout="contacts",
                        filename="tenancy.csv", total_rows=1,
                        report={"encoding": "utf-8", "delimiter": ",", "header_line": 1,
                                "headers": ["email"], "mapping": [["email", "email"]]})
        job.file.save("tenancy.csv", ContentFile(b"email\ntenancy@example.test\n"))
    return job.code


def _tracked_event(ws):
    from crm.models import TrackedEvent

    te = TrackedEvent.objects.filter(workspace=ws).first() or TrackedEvent.objects.create(
        workspace=ws, name="tenancy_probe", required_properties=["plan"])
    return te.code


def _order(ws):
    from django.utils import timezone

    from crm.models import Contact, Order

    o = Order.objects.filter(workspace=ws).first()
    if o is None:
        contact = Contact.objects.get(workspace=ws, code=_contact(ws))
        o = Order.objects.create(workspace=ws, contact=contact, amount=5, currency="USD",
                                 occurred_at=timezone.now())
    return o.code


def _event(ws):
    from django.utils import timezone

    from crm.models import Contact, Event

    e = Event.objects.filter(workspace=ws, contact__isnull=False).first()
    if e is None:
        contact = Contact.objects.get(workspace=ws, code=_contact(ws))
        e = Event.objects.create(workspace=ws, contact=contact, name="tenancy_probe",
                                 occurred_at=timezone.now())
    return e.code


def _spend(ws):
    import datetime as dt

    from crm.models import Channel, Spend

    s = Spend.objects.filter(workspace=ws).first()
    if s is None:
        ch = Channel.objects.filter(workspace=ws).first() or Channel.objects.create(
            workspace=ws, key="tenancy_channel", name="Tenancy channel")
        s = Spend.objects.create(workspace=ws, channel=ch, date=dt.date(2026, 1, 1), amount=5)
    return s.code


# browser pages: URL kwarg name → factory(workspace) → value
KWARG_FACTORIES = {
    "order_code": _order,
    "event_code": _event,
    "tracked_event_code": _tracked_event,
    "member_code": _member,
    "key_code": _api_key,
    "contact_code": _contact,
    "segment_code": _segment,
    "persona_code": _persona,
    "import_code": _import_job,
    "channel_code": lambda ws: _channel(ws),
    "campaign_code": lambda ws: _campaign(ws),
}

def _account(ws):
    from crm.models import Account

    a = Account.objects.filter(workspace=ws).first() or Account.objects.create(
        workspace=ws, name="Tenancy account")
    return a.code


def _subscription(ws):
    from django.utils import timezone

    from crm.models import Contact, Subscription

    sub = Subscription.objects.filter(workspace=ws).first()
    if sub is None:
        contact = Contact.objects.get(workspace=ws, code=_contact(ws))
        sub = Subscription.objects.create(workspace=ws, contact=contact, plan="pro", mrr=10,
                                          started_at=timezone.now())
    return sub.code


def _model_fit(ws):
    from engines.models import MetricRun, ModelFit

    fit = ModelFit.objects.filter(workspace=ws).first()
    if fit is None:
        run = MetricRun.objects.get(workspace=ws, code=_metric_run(ws))
        fit = ModelFit.objects.create(workspace=ws, run=run, kind="bgnbd",
                                      params={"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4})
    return fit.code


def _lead(ws):
    """A contact in stage 'lead' owned by the workspace's admin (so the admin sees it)."""
    from crm.models import Contact

    admin = Membership.objects.filter(workspace=ws, role="admin").first().user
    c = Contact.objects.filter(workspace=ws, owner=admin, stage="lead").first() or \
        Contact.objects.create(workspace=ws, name="Tenancy lead", owner=admin, stage="lead",
                               email="tenancy-lead@example.test")
    return c.code


def _lead_feedback(ws):
    from crm.models import Contact, LeadFeedback

    fb = LeadFeedback.objects.filter(workspace=ws).first()
    if fb is None:
        contact = Contact.objects.get(workspace=ws, code=_lead(ws))
        fb = LeadFeedback.objects.create(workspace=ws, contact=contact, quality=3,
                                         outcome="accepted")
    return fb.code


def _channel(ws):
    from crm.models import Channel

    ch = Channel.objects.filter(workspace=ws).first() or Channel.objects.create(
        workspace=ws, key="tenancy", name="Tenancy channel")
    return ch.code


def _campaign(ws):
    from crm.models import Campaign, Channel

    camp = Campaign.objects.filter(workspace=ws).first()
    if camp is None:
        channel = Channel.objects.get(workspace=ws, code=_channel(ws))
        camp = Campaign.objects.create(workspace=ws, channel=channel, name="Tenancy campaign")
    return camp.code


def _metric_run(ws):
    from engines.models import MetricRun

    run = MetricRun.objects.filter(workspace=ws).first() or MetricRun.objects.create(
        workspace=ws, trigger="api", status="succeeded")
    return run.code


def _kpi(ws):
    from engines.models import KPI

    kpi = KPI.objects.filter(workspace=ws).first() or KPI.objects.create(
        workspace=ws, name="Tenancy KPI", metric_key="revenue")
    return kpi.code


def _report(ws):
    """A draft report of the last closed month (the page URL names the month)."""
    from reports.models import MonthlyReport
    from reports.selectors import last_closed_month

    r = MonthlyReport.objects.filter(workspace=ws).first() or MonthlyReport.objects.create(
        workspace=ws, month=last_closed_month())
    return r


def _report_month(ws):
    return _report(ws).slug


def _report_code(ws):
    return _report(ws).code


def _decision(ws):
    from reports.models import ReportDecision

    d = ReportDecision.objects.filter(workspace=ws).first() or ReportDecision.objects.create(
        workspace=ws, report=_report(ws), kind="stop", subject="Tenancy decision")
    return d.code


KWARG_FACTORIES["month"] = _report_month
KWARG_FACTORIES["decision_code"] = _decision


# API detail routes: DRF basename → factory(workspace) → lookup value (the object's code)
API_FACTORIES: dict = {
    "order": _order,
    "event": _event,
    "spend": _spend,
    "tracked-event": _tracked_event,
    "contact": _contact,
    "account": _account,
    "subscription": _subscription,
    "model-fit": _model_fit,
    "persona": _persona,
    "segment": _segment,
    "lead": _lead,
    "lead-feedback": _lead_feedback,
    "channel": _channel,
    "campaign": _campaign,
    "metric-run": _metric_run,
    "kpi": _kpi,
    "report": _report_code,
    "report-decision": _decision,
}
def _engine(ws):
    from engines.models import GrowthEngine

    e = GrowthEngine.objects.filter(workspace=ws).first() or GrowthEngine.objects.create(
        workspace=ws, name="Tenancy engine")
    return e.code


def _insight(ws):
    from experiments.models import Insight

    i = Insight.objects.filter(workspace=ws).first() or Insight.objects.create(
        workspace=ws, source="interview", text="Tenancy insight")
    return i.code


def _experiment(ws):
    from experiments.models import Experiment, Variant

    e = Experiment.objects.filter(workspace=ws).first()
    if e is None:
        e = Experiment.objects.create(
            workspace=ws, key="tenancy", title="Tenancy experiment",
            primary_metric={"key": "signup", "kind": "proportion", "event": "signup"})
        Variant.objects.create(workspace=ws, experiment=e, key="control", name="Control",
                               is_control=True, share=0.5)
        Variant.objects.create(workspace=ws, experiment=e, key="b", name="B", share=0.5)
    return e.code


def _variant(ws):
    from experiments.models import Variant

    _experiment(ws)
    return Variant.objects.filter(workspace=ws).first().code


API_FACTORIES.update({"engine": _engine, "insight": _insight, "experiment": _experiment,
                      "variant": _variant})
KWARG_FACTORIES.update({"engine_code": _engine, "insight_code": _insight,
                        "experiment_code": _experiment, "feedback_code": _lead_feedback})
# the metrics pages (run status, KPI edit/delete) name the same objects
KWARG_FACTORIES.setdefault("run_code", _metric_run)
KWARG_FACTORIES.setdefault("kpi_code", _kpi)



def _flow(ws):
    from automation.models import Flow, Step

    f = Flow.objects.filter(workspace=ws).first()
    if f is None:
        f = Flow.objects.create(workspace=ws, name="Tenancy flow", trigger="event",
                                trigger_config={"event": "signup"}, goal="order")
        Step.objects.create(workspace=ws, flow=f, kind="wait", config={"days": 1})
    return f.code


def _flow_step(ws):
    from automation.models import Step

    _flow(ws)
    return Step.objects.filter(workspace=ws).first().code


def _flow_message(ws):
    """An enrollment and a ledger row of the workspace's flow (the API reads both)."""
    from automation.models import Enrollment, Flow, Message, Step
    from crm.models import Contact

    m = Message.objects.filter(workspace=ws).first()
    if m is None:
        flow = Flow.objects.get(workspace=ws, code=_flow(ws))
        contact = Contact.objects.get(workspace=ws, code=_contact(ws))
        Enrollment.objects.get_or_create(workspace=ws, flow=flow, contact=contact)
        m = Message.objects.create(workspace=ws, flow=flow, contact=contact,
                                   step=Step.objects.filter(flow=flow).first(), channel="email",
                                   status="sent", to=contact.email, subject="Tenancy")
    return m


def _enrollment(ws):
    from automation.models import Enrollment

    _flow_message(ws)
    return Enrollment.objects.filter(workspace=ws).first().code


API_FACTORIES.update({"flow": _flow, "enrollment": _enrollment,
                      "message": lambda ws: _flow_message(ws).code})
KWARG_FACTORIES.update({"flow_code": _flow, "step_code": _flow_step})

# Routes that are not inside a workspace (auth, health, schema, …): name → why.
PUBLIC_ROUTES = {
    "home": "redirects to your own workspace",
    "signup": "creates a new account",
    "signup_confirm": "secret token in URL; a wrong token redirects to log in",
    "login": "auth", "logout": "auth",
    "password_reset": "auth", "password_reset_done": "auth",
    "password_reset_confirm": "auth", "password_reset_complete": "auth",
    "invitation_accept": "secret token in URL; a wrong token is 404",
    "workspace_create": "creates a workspace of your own",
    "profile": "the signed-in person's own name and language",
    "password_change": "the signed-in person's own password",
    "set_language": "language cookie",
    "healthz": "liveness",
    "api-schema": "public OpenAPI schema", "api-docs": "public Swagger UI",
    "api-me": "answers about the caller's own workspace only",
    "api-workspace": "answers about the caller's own workspace only",
    "automation_unsubscribe": "signed token in URL (a message's unsubscribe link works "
                              "without logging in); a wrong token is 404",
    "lifecycle-stage-detail": "looked up by stage key (mql, sql…) inside the caller's own "
                              "workspace only: every workspace has the same nine keys",
}


def _activity(ws):
    """A task on the workspace's admin-owned lead, owned by the admin (everyone may read it;
    a rep of the workspace sees it only when it is on their lead)."""
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Activity, Contact

    a = Activity.objects.filter(workspace=ws).first()
    if a is None:
        contact = Contact.objects.get(workspace=ws, code=_lead(ws))
        a = Activity.objects.create(workspace=ws, kind="task", contact=contact,
                                    owner=contact.owner, subject="Tenancy task",
                                    due_at=timezone.now() + timedelta(days=1))
    return a.code


def _scoring_rule(ws):
    from crm.models import ScoringRule

    r = ScoringRule.objects.filter(workspace=ws).first() or ScoringRule.objects.create(
        workspace=ws, kind="property", field="country", values=["SA"], points=10)
    return r.code


KWARG_FACTORIES.update({"account_code": _account, "activity_code": _activity,
                        "rule_code": _scoring_rule})
API_FACTORIES.update({"activity": _activity, "scoring-rule": _scoring_rule})


# --- planning: plans, bets, checklists, budget (plan14) -----------------------------------

def _sostac_plan(ws):
    import datetime as dt

    from planning.models import SostacPlan

    return SostacPlan.objects.filter(workspace=ws).first() or SostacPlan.objects.create(
        workspace=ws, title="Tenancy plan", starts=dt.date(2026, 1, 1),
        ends=dt.date(2026, 12, 31))


def _plan_version(ws):
    from planning.models import PlanVersion

    plan = _sostac_plan(ws)
    return PlanVersion.objects.filter(plan=plan).first() or PlanVersion.objects.create(
        workspace=ws, plan=plan, number=1, snapshot={"title": plan.title})


def _plan_action(ws):
    import datetime as dt

    from planning.models import PlanAction

    plan = _sostac_plan(ws)
    return PlanAction.objects.filter(plan=plan).first() or PlanAction.objects.create(
        workspace=ws, plan=plan, what="Tenancy action", due=dt.date(2026, 2, 1))


def _plan_objective(ws):
    import datetime as dt

    from engines.models import KPI
    from planning.models import PlanObjective

    plan = _sostac_plan(ws)
    kpi = KPI.objects.get(workspace=ws, code=_kpi(ws))
    return PlanObjective.objects.filter(plan=plan).first() or PlanObjective.objects.create(
        workspace=ws, plan=plan, kpi=kpi, target=10, due=dt.date(2026, 6, 30))


def _bet(ws):
    import datetime as dt

    from planning.models import QuarterlyBet

    return QuarterlyBet.objects.filter(workspace=ws).first() or QuarterlyBet.objects.create(
        workspace=ws, quarter=dt.date(2026, 1, 1), title="Tenancy bet")


def _checklist(ws):
    import datetime as dt

    from planning.models import Checklist, ChecklistItem

    cl = Checklist.objects.filter(workspace=ws).first()
    if cl is None:
        cl = Checklist.objects.create(workspace=ws, template="mvp14", title="Tenancy list",
                                      starts=dt.date(2026, 1, 1))
        ChecklistItem.objects.create(workspace=ws, checklist=cl, item_key="market",
                                     due=dt.date(2026, 1, 3))
    return cl


def _checklist_item(ws):
    return _checklist(ws).items.first()


def _budget_plan(ws):
    import datetime as dt

    from planning.models import BudgetPlan

    return BudgetPlan.objects.filter(workspace=ws).first() or BudgetPlan.objects.create(
        workspace=ws, month=dt.date(2026, 2, 1), basis_month=dt.date(2026, 1, 1), total=100,
        proposal=[{"channel": "tenancy_channel", "name": "Tenancy channel", "current": 100,
                   "proposed": 100, "step": 0, "rule": "hold", "judged_by": "", "ratio": None,
                   "numbers": {}}])


KWARG_FACTORIES.update({
    "plan_code": lambda ws: _sostac_plan(ws).code,
    "section": lambda ws: "control",
    "number": lambda ws: _plan_version(ws).number,
    "row_code": lambda ws: _plan_action(ws).code,
    "bet_code": lambda ws: _bet(ws).code,
    "checklist_code": lambda ws: _checklist(ws).code,
    "item_code": lambda ws: _checklist_item(ws).code,
    "budget_code": lambda ws: _budget_plan(ws).code,
})
API_FACTORIES.update({
    "sostac-plan": lambda ws: _sostac_plan(ws).code,
    "plan-version": lambda ws: _plan_version(ws).code,
    "plan-action": lambda ws: _plan_action(ws).code,
    "plan-objective": lambda ws: _plan_objective(ws).code,
    "bet": lambda ws: _bet(ws).code,
    "checklist": lambda ws: _checklist(ws).code,
    "checklist-item": lambda ws: _checklist_item(ws).code,
    "budget-plan": lambda ws: _budget_plan(ws).code,
})
