"""The demo workspace's growth engines, insights and experiments.

`build_demo_experiments(ws, seed=, end=)` creates 3 engines (each with a main KPI and weekly
check-ins), ~40 insights and ~60 experiments across every status, and writes the
`experiment_viewed` exposure events (GrowthBook's convention) and the conversion events of
the experiments that ran, drawn so that some win, some lose, some are inconclusive and one
has a sample-ratio mismatch. The daily results are then computed from those events by the
same code the nightly task runs. Set-based: events are written with COPY / executemany."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Event, LeadFeedback, TrackedEvent
from engines.models import KPI, EngineCheckIn, FunnelStage, GrowthEngine
from experiments.compute import EXPOSURE_EVENT, compute_workspace_results
from experiments.models import Experiment, Insight, Variant
from mos.actors import Actor
from mos.audit import audit_many
from mos.models import Membership
from mos.roles import Role

from .write import write_rows

DAY = 86400
ENGINES = [
    (_("Paid search → trial"), ["acquisition", "activation"], ["google_ads", "linkedin_ads"],
     _("One landing-page or ad-copy change a week"), "lead@mos.local"),
    (_("Content & SEO"), ["acquisition"], ["seo", "content"],
     _("Publish and test one pillar page a week"), "marketer@mos.local"),
    (_("Onboarding & retention"), ["activation", "retention", "revenue"], ["email"],
     _("Ship one onboarding or win-back improvement a week"), "analyst@mos.local"),
]
INSIGHTS = [
    ("interview", _("Trial users say they never found the CSV import on day one."),
     ["onboarding"]),
    ("interview", _("Agencies want one login for several client workspaces."),
     ["pricing", "agency"]),
    # xgettext:no-python-format
    ("survey", _("41 % of churned customers cite 'too hard to set up tracking'."), ["churn"]),
    ("survey", _("NPS detractors mention slow support replies in Arabic."),
     ["support", "arabic"]),
    ("support_ticket", _("Repeated tickets: how to connect LinkedIn Ads spend."),
     ["integrations"]),
    ("support_ticket", _("Customers ask for a PDF of the monthly report."), ["reporting"]),
    ("sales_call", _("Prospects compare us to spreadsheets, not to other tools."),
     ["positioning"]),
    ("sales_call", _("Finance teams ask for annual invoicing before signing."), ["pricing"]),
    ("heatmap", _("Pricing page: 70 % never scroll to the FAQ."), ["pricing", "web"]),
    ("heatmap", _("Sign-up form: the phone field has the highest drop-off."), ["signup", "web"]),
    ("analytics", _("Trials that import data on day 1 convert 3× more."), ["activation"]),
    ("analytics", _("Mobile visitors from paid social bounce at 80 %."), ["mobile", "paid"]),
    ("analytics", _("Webinar sign-ups convert to SQL at twice the average."), ["webinar"]),
    ("interview", _("Marketing managers want the weekly review on a projector."), ["review"]),
    ("survey", _("Users want templates for the experiment hypothesis."), ["experiments"]),
    ("sales_call", _("Decision makers ask for a case study in their sector."), ["content"]),
    ("heatmap", _("Blog readers click the newsletter box more than the trial CTA."),
     ["content"]),
    ("analytics", _("E-mail win-back opens peak on Sunday mornings."), ["email", "retention"]),
    ("support_ticket", _("Confusion between MQL and SQL in the CRM screens."), ["crm"]),
    ("interview", _("Founders want a one-page monthly report for the board."), ["reporting"]),
]
TITLES = {
    "acquisition": [_("Benefit-led ad headline"), _("Sector landing pages"),
                    _("Shorter sign-up form"), _("Social proof above the fold"),
                    _("Arabic ad copy for KSA"), _("Free tool as lead magnet"),
                    _("Pricing in local currency"), _("Webinar invitation in ads")],
    "activation": [_("Import wizard on day one"), _("Sample data in new workspaces"),
                   _("Onboarding checklist"), _("Setup call offer"), _("Tracking snippet e-mail"),
                   _("Progress bar in onboarding"), _("Video walkthrough"),
                   _("Shorter trial (7 days)")],
    "retention": [_("Weekly digest e-mail"), _("At-risk win-back offer"),
                  _("In-app tips for reports"), _("Quarterly business review invite"),
                  _("Usage milestone badges")],
    "revenue": [_("Annual plan discount"), _("Seat-based upsell prompt"), _("Pricing page FAQ"),
                _("Add-on bundle for agencies"), _("Checkout trust badges")],
    "referral": [_("Referral credit"), _("Share-your-report link"),
                 _("Partner directory listing")],
}
# the funnel stage a hypothesis names ("the activation rate rises by 10 %")
STAGE_WORDS = {"acquisition": _("acquisition"), "activation": _("activation"),
               "retention": _("retention"), "revenue": _("revenue"), "referral": _("referral")}
# the check-ins' (what changed, what we learned, next step), and the texts of a decision
CHECKIN_NOTES = [
    (_("Launched the sector landing pages"), _("Healthcare converts best"),
     _("Extend to finance")),
    (_("Paused the lowest-CTR ad group"), _("Cost per trial fell 12 %"), _("Test new copy")),
    (_("Shipped the import wizard"), _("Day-1 imports up from 18 % to 27 %"),
     _("Add sample data")),
]
DECISION_REASONS = {
    "win": _("The lift held at the planned sample; guardrails flat."),
    "loss": _("Conversions fell; we keep the control."),
    "inconclusive": _("No difference we could detect at this sample.")}
WHAT_HAPPENED = {"win": _("It worked, a bit less than hoped."),
                 "loss": _("The change hurt conversion."),
                 "inconclusive": _("Nothing moved.")}
# (status, decision, true relative lift of the treatment, count)
PLAN = ([("backlog", "", 0, 14), ("planned", "", 0, 6), ("archived", "", 0, 3)]
        + [("running", "", 0.45, 2), ("running", "", 0.0, 3), ("running", "", -0.2, 1),
           ("running", "srm", 0.0, 1), ("analysing", "", 0.4, 2), ("analysing", "", 0.0, 1)]
        + [("decided", "win", 0.5, 6), ("decided", "loss", -0.4, 5),
           ("decided", "inconclusive", 0.0, 6), ("scaled", "win", 0.45, 5),
           ("archived", "loss", -0.35, 2), ("archived", "inconclusive", 0.0, 2)])


def _users(ws):
    return {m.user.email: m.user for m in Membership.objects.filter(
        workspace=ws).select_related("user")}


def _engines(ws, users, end):
    kpis = list(KPI.objects.filter(workspace=ws).order_by("id"))
    engines = []
    for i, (name, stages, channel_keys, commitment, owner) in enumerate(ENGINES):
        e = GrowthEngine.objects.create(
            workspace=ws, name=str(name), owner=users.get(owner), funnel_stages=stages,
            weekly_commitment=str(commitment), main_kpi=kpis[i % len(kpis)] if kpis else None,
            description=_("%(engine)s: owned end to end, reviewed every Monday.")
            % {"engine": name},
            created_at=end - dt.timedelta(days=200))
        e.channels.set(list(ws.channels.filter(key__in=channel_keys)))
        engines.append(e)
    checkins = []
    monday = end.date() - dt.timedelta(days=end.weekday())
    notes = CHECKIN_NOTES
    for e_i, e in enumerate(engines):
        for w in range(6):
            changed, learned, nxt = notes[(e_i + w) % len(notes)]
            checkins.append(EngineCheckIn(
                workspace=ws, engine=e, week=monday - dt.timedelta(weeks=w),
                what_changed=str(changed), what_we_learned=str(learned), next_step=str(nxt),
                author=e.owner,
                created_at=end - dt.timedelta(weeks=w)))
    EngineCheckIn.objects.bulk_create(checkins)
    return engines


def _insights(ws, rng, engines, users, end) -> list[Insight]:
    rows = []
    authors = list(users.values())
    for i in range(2):
        for j, (src, text, tags) in enumerate(INSIGHTS):
            k = i * len(INSIGHTS) + j
            rows.append(Insight(
                workspace=ws, source=src,
                text=str(text) if i == 0 else _("%(insight)s (again, %(days)s days)")
                % {"insight": text, "days": k},
                tags=tags, engine=engines[k % len(engines)], author=authors[k % len(authors)],
                created_at=end - dt.timedelta(days=int(rng.integers(5, 300)))))
    insights = Insight.objects.bulk_create(rows)
    # two from lead feedback with a reason, as the one-click action files them
    fb = list(LeadFeedback.objects.filter(workspace=ws).exclude(reason="").order_by("id")[:2])
    extra = [Insight(workspace=ws, source=Insight.Source.LEAD_FEEDBACK,
                     text=_("Sales %(outcome)s a lead: %(reason)s")
                     % {"outcome": f.get_outcome_display().lower(), "reason": f.reason},
                     tags=["lead-quality"], origin=f"lead_feedback:{f.code}", engine=engines[0],
                     created_at=f.at) for f in fb]
    return insights + Insight.objects.bulk_create(extra)


def _write_events(cols: dict) -> int:
    """COPY on PostgreSQL (demo.write); on SQLite one executemany of preformatted rows
    (the generic writer's per-value field preparation costs ~0.3 ms a row here)."""
    from django.db import connection

    from .write import new_uuids

    cols = {**cols, "code": new_uuids(len(cols["occurred_at"]))}
    if connection.vendor == "postgresql":
        return write_rows(Event, cols)
    cols["code"] = np.array([c.replace("-", "") for c in cols["code"]], dtype=object)
    at = np.char.replace(np.datetime_as_string(cols["occurred_at"].astype("datetime64[s]"),
                                               unit="s"), "T", " ")
    rec = np.char.replace(np.datetime_as_string(cols["received_at"].astype("datetime64[s]"),
                                                unit="s"), "T", " ")
    names = ["code", "workspace_id", "contact_id", "anonymous_id", "name", "utm_source",
             "utm_medium", "utm_campaign", "utm_term", "utm_content", "occurred_at", "received_at",
             "properties", "quality_issues", "idempotency_id"]
    n = len(at)
    data = [cols[c].tolist() if c not in ("occurred_at", "received_at") else None
            for c in names]
    data[names.index("occurred_at")] = at.tolist()
    data[names.index("received_at")] = rec.tolist()
    table = connection.ops.quote_name(Event._meta.db_table)
    sql = (f"INSERT INTO {table} ({', '.join(names)}) "
           f"VALUES ({', '.join(['%s'] * len(names))})")
    with connection.cursor() as cur:
        cur.executemany(sql, list(zip(*data)))
    return n


def build_demo_experiments(ws, *, seed: int = 42, end=None, users_per_arm=(300, 600)) -> dict:
    """Engines, insights, experiments, exposure and conversion events, computed results."""
    t0 = time.monotonic()
    rng = np.random.default_rng(seed + 9)
    end = end or timezone.now()
    if not isinstance(end, dt.datetime):  # a date: that day's start, UTC
        end = dt.datetime(end.year, end.month, end.day, tzinfo=dt.timezone.utc)
    end = end.replace(hour=0, minute=0, second=0, microsecond=0)
    users = _users(ws)
    with transaction.atomic():
        engines = _engines(ws, users, end)
        insights = _insights(ws, rng, engines, users, end)
        contact_ids = np.array(Contact.objects.filter(workspace=ws).order_by("id")
                               .values_list("id", flat=True), dtype=np.int64)
        owners = [u for u in users.values()]
        exps, variants, plan_rows = [], [], []
        n = 0
        for status, decision, lift, count in PLAN:
            for _i in range(count):
                stage = FunnelStage.values[n % len(FunnelStage.values)]
                titles = TITLES[stage]
                title = str(titles[(n // len(FunnelStage.values)) % len(titles)])
                engine = engines[n % len(engines)]
                ran = status not in ("backlog", "planned") and not (
                    status == "archived" and not decision)
                # when it ran: decided ones further back, running ones recently
                if status in ("running", "analysing"):
                    start = end - dt.timedelta(days=int(rng.integers(12, 30)))
                else:
                    start = end - dt.timedelta(days=int(rng.integers(40, 170)))
                days = 21 if ran else 28
                baseline = float(rng.choice([0.18, 0.22, 0.26, 0.3]))
                e = Experiment(
                    workspace=ws, key=f"demo-{n + 1:02d}", engine=engine,
                    insight=insights[n % len(insights)] if n % 3 else None,
                    title=f"{title}" if n < 30 else f"{title} (v{n // 30 + 1})",
                    hypothesis_if=_("we try “%(title)s”") % {"title": title.lower()},
                    hypothesis_then=_("the %(stage)s rate rises by 10 %%")
                    % {"stage": STAGE_WORDS[stage]},
                    hypothesis_because=insights[n % len(insights)].text,
                    funnel_stage=stage,
                    # each test has its own goal event: a contact in several tests converts
                    # for each one separately
                    primary_metric={"key": "converted", "kind": "proportion",
                                    "event": f"demo_goal_{n + 1:02d}"},
                    guardrail_metrics=[{"key": "revenue", "kind": "mean", "event": "order",
                                        "direction": "up"}] if n % 4 == 0 else [],
                    baseline=baseline, mde=0.2, alpha=0.05, power=0.8,
                    owner=owners[n % len(owners)],
                    planned_start=start.date() if status != "backlog" else None,
                    planned_end=(start + dt.timedelta(days=days)).date()
                    if status != "backlog" else None,
                    impact=int(rng.integers(2, 11)), confidence=int(rng.integers(2, 11)),
                    ease=int(rng.integers(2, 11)), status=status,
                    decision=decision if decision in Experiment.Decision.values else "",
                    created_at=start - dt.timedelta(days=int(rng.integers(3, 40))))
                if ran:
                    e.started_at = start
                    if status not in ("running",):
                        e.ended_at = start + dt.timedelta(days=days)
                    if e.decision:
                        e.decided_at = e.ended_at + dt.timedelta(days=int(rng.integers(1, 5)))
                        e.decision_reason = str(DECISION_REASONS[e.decision])
                        e.aar_expected = e.hypothesis_then
                        e.aar_happened = str(WHAT_HAPPENED[e.decision])
                        e.aar_why = str(_("See the interviews linked to the insight."))
                        e.aar_next = str(_("Roll out") if e.decision == "win"
                                         else _("Try a bolder version"))
                from experiments.stats import required_sample_size

                e.required_sample = int(required_sample_size(baseline, 0.2))
                exps.append(e)
                plan_rows.append((ran, lift, decision == "srm", baseline, start, days, status))
                n += 1
        exps = Experiment.objects.bulk_create(exps)
        # the tracking plan knows the exposure event and every test's goal event
        TrackedEvent.objects.bulk_create(
            [TrackedEvent(workspace=ws, name=EXPOSURE_EVENT,
                          description=str(_("An experiment was shown (GrowthBook "
                                            "convention).")),
                          required_properties=["experiment_id", "variation_id"])]
            + [TrackedEvent(workspace=ws, name=e.primary_metric["event"],
                            description=_("Goal of experiment %(key)s") % {"key": e.key})
               for e in exps],
            ignore_conflicts=True)
        for e in exps:
            variants += [Variant(workspace=ws, experiment=e, key="control",
                                 name=str(_("Control")), is_control=True, share=0.5, position=0),
                         Variant(workspace=ws, experiment=e, key="treatment",
                                 name=str(_("Treatment")), share=0.5, position=1)]
        Variant.objects.bulk_create(variants)

        # exposure + conversion events for the experiments that ran
        cols = {k: [] for k in ("contact", "at", "name", "props")}
        for e, (ran, lift, srm, baseline, start, days, status) in zip(exps, plan_rows):
            if not ran:
                continue
            per_arm = int(rng.integers(*users_per_arm))
            n_c, n_t = per_arm, per_arm
            if srm:  # a broken redirect loses a fifth of the treatment's visitors
                n_c, n_t = 1500, 1200
            scale = min(1.0, len(contact_ids) / (n_c + n_t))  # a small demo has few contacts
            n_c, n_t = int(n_c * scale), int(n_t * scale)
            if n_c < 1 or n_t < 1:
                continue
            who = rng.choice(contact_ids, size=n_c + n_t, replace=False)
            arm = np.r_[np.zeros(n_c, bool), np.ones(n_t, bool)]
            span = min(days, max(1, (end - start).days)) * DAY
            seen = int(start.timestamp()) + rng.integers(0, span, len(who))
            p = np.where(arm, min(baseline * (1 + lift), 0.95), baseline)
            conv = rng.random(len(who)) < p
            after = seen + rng.integers(600, 5 * DAY, len(who))
            keep = after < int(end.timestamp())
            props = np.where(arm, json.dumps({"experiment_id": e.key,
                                              "variation_id": "treatment"}),
                             json.dumps({"experiment_id": e.key, "variation_id": "control"}))
            cols["contact"] += [who, who[conv & keep]]
            cols["at"] += [seen, after[conv & keep]]
            cols["name"] += [np.full(len(who), EXPOSURE_EVENT, object),
                             np.full(int((conv & keep).sum()), e.primary_metric["event"], object)]
            cols["props"] += [props.astype(object),
                              np.full(int((conv & keep).sum()), "{}", object)]
        t_events = time.monotonic()
        if not cols["contact"]:  # no contacts at all: nothing was exposed
            cols = {"contact": [np.zeros(0, np.int64)], "at": [np.zeros(0, np.int64)],
                    "name": [np.zeros(0, object)], "props": [np.zeros(0, object)]}
        contact = np.concatenate(cols["contact"])
        at = np.concatenate(cols["at"]).astype(np.int64)
        m = len(contact)
        events = _write_events(dict(
            workspace_id=np.full(m, ws.pk), contact_id=contact,
            anonymous_id=np.full(m, "", object), name=np.concatenate(cols["name"]),
            channel_id=np.full(m, -1), campaign_id=np.full(m, -1),
            utm_source=np.full(m, "", object), utm_medium=np.full(m, "", object),
            utm_campaign=np.full(m, "", object), utm_term=np.full(m, "", object),
            utm_content=np.full(m, "", object), occurred_at=at, received_at=at + 5,
            properties=np.concatenate(cols["props"]), quality_issues=np.full(m, "[]", object),
            idempotency_id=np.full(m, "", object)))
        t_results = time.monotonic()
        # the same computation the nightly task runs, over every experiment that ran
        rows = compute_workspace_results(workspace=ws, now=end, experiments=[
            e for e in exps if e.started_at])["rows"]
        # the SRM experiment's mismatch was looked at for one of the decided ones, not this one
        audit_many(Actor.system(ws), "demo.seed", "experiments.experiment", len(exps),
                   seed=seed)
    return {"engines": len(engines), "insights": len(insights), "experiments": len(exps),
            "events": events, "result_rows": rows,
            "seconds": round(time.monotonic() - t0, 2),
            "steps": {"setup": round(t_events - t0, 2),
                      "events": round(t_results - t_events, 2),
                      "results": round(time.monotonic() - t_results, 2)}}
