"""The demo workspace's data: "Demo Co", a B2B marketing SaaS, over the last N months.

`build_demo_data(ws, seed=, contacts=, months=, end=, log=)` is deterministic for a given seed
and end date (numpy Generator; only the random UUID `code`s differ between builds). Work is
set-based: every chunk of contacts is simulated over whole columns (crm/demo_sim.py,
crm/demo_activity.py) and written with COPY on PostgreSQL or bulk_create elsewhere
(crm/demo_write.py), so a million contacts run in bounded memory.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import numpy as np
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from engines.models import KPI, KPITarget

from crm.models import Campaign, Channel, Spend
from mos.actors import Actor
from mos.audit import audit_many
from mos.models import Membership
from mos.roles import Role

from . import activity as A
from . import config as C
from . import sim as S
from .write import NULL_ID, is_postgres, new_uuids, reserve_ids, write_rows
from crm.models import (
    Account, Consent, Contact, Event, LeadFeedback, LifecycleStage, Order, Persona,
    RetentionPolicy, Segment, Stage,
    StageChange, TrackedEvent,
)

CHUNK = 50_000
STAGE_DEFINITIONS = {
    Stage.SUBSCRIBER: _("Gave us an e-mail address for the newsletter or a download; no buying "
                      "signal yet."),
    Stage.LEAD: _("A named person at a company in our markets who asked for a trial, a price or "
                "a callback (a form with company and phone)."),
    Stage.MQL: _("A lead scoring 50 or more: fits a persona (company of 10+ staff, marketing "
               "role) and showed intent — pricing page twice, a webinar or a demo request — "
               "within 30 days."),
    Stage.SQL: _("An MQL a sales rep called and accepted: confirmed need, budget in the next "
               "quarter, and we are talking to a decision maker or their buyer."),
    Stage.OPPORTUNITY: _("A demo was held and a proposal sent, with an expected close date."),
    Stage.CUSTOMER: _("Paid the first subscription invoice."),
    Stage.ADVOCATE: _("A customer who scored 9–10 on NPS and referred someone or gave a case "
                    "study."),
    Stage.CHURNED: _("Stopped paying: the subscription was not renewed."),
    Stage.OTHER: _("Not a prospect: a competitor, a student, a supplier."),
}


def _english(text) -> str:
    """A default name stored as its English label (the pages translate it for each reader)."""
    with translation.override("en"):
        return str(text)


def _day_start(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.timezone.utc).date()
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


def _months_back(end: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    return end.replace(year=y, month=m + 1, day=min(end.day, 28))


def _intensity(rng, start: dt.datetime, n_days: int):
    """Per channel × day: how busy the day is (growth, weekday, Ramadan, year end)."""
    d0 = np.datetime64(start.date(), "D")
    dates = d0 + np.arange(n_days)
    weekday = (dates.astype(np.int64) + 3) % 7  # Monday = 0
    ramadan = np.zeros(n_days, dtype=bool)
    for s in C.RAMADAN_STARTS:
        r0 = np.datetime64(s, "D")
        ramadan |= (dates >= r0) & (dates < r0 + 30)
    md = np.array([int(x[5:7]) * 100 + int(x[8:10]) for x in dates.astype(str)])
    year_end = np.where((md >= 1115) & (md <= 1220), 1.2, np.where(md >= 1221, 0.75, 1.0))
    x = np.arange(n_days) / max(n_days - 1, 1)
    wk = np.array([1.05, 1.1, 1.05, 0.95, 0.6, 0.65, 0.95])[weekday]
    growth = {"seo": (0.4, 1.6), "meta_ads": (0.8, 1.2), "linkedin_ads": (0.5, 1.5),
              "content": (0.5, 1.5)}
    ram_bump = {"meta_ads": 1.5, "google_ads": 1.2, "linkedin_ads": 0.9, "email": 1.3}
    out = np.empty((C.N_CH, n_days))
    for c, spec in enumerate(C.CHANNELS):
        lo, hi = growth.get(spec["key"], (0.6, 1.4))
        v = (lo + (hi - lo) * x) * wk * year_end
        v = v * np.where(ramadan, ram_bump.get(spec["key"], 1.15), 1.0)
        out[c] = v * rng.lognormal(0.0, 0.08, n_days)
    return out / out.sum(axis=1, keepdims=True), ramadan, dates


def _fixed_rows(ws, start: dt.datetime, dates, ramadan):
    """Channels, campaigns, personas, lifecycle definitions and the tracking plan."""
    channels = Channel.objects.bulk_create([
        Channel(workspace=ws, key=c["key"], name=str(c["name"]), kind=c["kind"],
                is_paid=c["paid"],
                utm_sources=[c["src"]] if c["src"] and c["kind"] not in ("seo",) else [],
                created_at=start)
        for c in C.CHANNELS])
    by_key = {c.key: c for c in channels}
    campaigns = []
    for key, name, utm, _w, ramadan_only in C.CAMPAIGNS:
        starts, ends = start.date(), None
        if ramadan_only and ramadan.any():
            days = np.flatnonzero(ramadan)
            starts = dates[days[0]].astype(dt.date)
            ends = dates[days[-1]].astype(dt.date)
        campaigns.append(Campaign(workspace=ws, channel=by_key[key], name=name, utm_campaign=utm,
                                  starts_on=starts, ends_on=ends, goal=str(_("Trials and demo requests")),
                                  created_at=start))
    campaigns = Campaign.objects.bulk_create(campaigns)
    personas = Persona.objects.bulk_create([
        Persona(workspace=ws, created_at=start, **{k: str(v) for k, v in p.items()})
        for p in C.PERSONAS])
    LifecycleStage.objects.bulk_create([
        LifecycleStage(workspace=ws, key=s.value, name=_english(s.label),
                       definition=str(STAGE_DEFINITIONS[s]), position=i)
        for i, s in enumerate(Stage)])
    TrackedEvent.objects.bulk_create([
        TrackedEvent(workspace=ws, name=name, description=str(desc), required_properties=req)
        for name, (req, desc) in C.TRACKING_PLAN.items()])
    return channels, campaigns, personas


def _spend(rng, ws, contacts: int, intensity, ramadan, dates, channels, campaigns) -> int:
    """Daily spend per paid campaign: budget follows the channel's lead flow at its CPL."""
    rows = []
    for c, spec in enumerate(C.CHANNELS):
        if not spec["paid"]:
            continue
        lead_share = (1 - spec["p_sub"]) + spec["p_sub"] * C.SUB_TO_LEAD
        total = contacts * spec["share"] * lead_share * spec["cpl"]
        daily = total * intensity[c] * rng.lognormal(0.0, 0.12, len(dates))
        idx = S.campaigns_of(spec["key"])
        w = np.array([np.where(ramadan, C.CAMPAIGNS[i][3], 0.0) if C.CAMPAIGNS[i][4]
                      else np.full(len(dates), C.CAMPAIGNS[i][3]) for i in idx])
        w = w * rng.lognormal(0.0, 0.15, w.shape)
        w = w / w.sum(axis=0, keepdims=True)
        for j, i in enumerate(idx):
            amount = np.round(daily * w[j], 2)
            live = amount > 0
            amount = np.maximum(amount, 1.0)
            cpc = spec["cpc"] * rng.lognormal(0, 0.1, len(dates))
            clicks = np.maximum(1, np.rint(amount / cpc))
            impressions = np.rint(clicks / (spec["ctr"] * rng.lognormal(0, 0.1, len(dates))))
            for d in np.flatnonzero(live):
                rows.append(Spend(workspace=ws, date=dates[d].astype(dt.date), channel=channels[c],
                                  campaign=campaigns[i], amount=f"{amount[d]:.2f}",
                                  impressions=int(impressions[d]), clicks=int(clicks[d]),
                                  source="demo"))
    Spend.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _rep_ids(ws) -> np.ndarray:
    reps = Membership.objects.filter(workspace=ws, role=Role.SALES_REP).order_by("user__email")
    return np.array([m.user_id for m in reps], dtype=np.int64)


def _write_chunk(rng, ctx: S.Context, n: int, first_index: int, counts, seconds, monthly):
    t = time.monotonic()
    p = S.simulate_contacts(rng, ctx, n, first_index)
    S.simulate_funnel(rng, ctx, p)
    hist = S.stage_history(p)
    orders = S.orders(rng, ctx, p)
    events = A.events(rng, ctx, p)
    consent = A.consents(rng, ctx, p)
    owner = A.owners(ctx, p, hist["stage"])
    fb = A.feedback(rng, ctx, p, owner)
    seconds["simulate"] += time.monotonic() - t
    ws_id = ctx.workspace_id

    def timed(label, model, cols):
        t0 = time.monotonic()
        counts[label] += write_rows(model, cols)
        seconds[label] += time.monotonic() - t0

    # accounts (a chunk's contacts only join its own accounts)
    n_acc = p["n_acc"]
    acc_ids = reserve_ids(Account, n_acc)
    rs = np.random.default_rng(rng.integers(2**32))
    w1 = rs.integers(0, len(C.ACCOUNT_WORDS), n_acc)
    w2 = rs.integers(0, len(C.ACCOUNT_SUFFIX), n_acc)
    acc_name = (np.array(C.ACCOUNT_WORDS, object)[w1] + " "
                + np.array(C.ACCOUNT_SUFFIX, object)[w2])
    domain = np.char.lower(np.char.replace(acc_name.astype(str), " ", "-")).astype(object)
    domain = domain + ".example"
    has = p["acc"] >= 0
    acc_created = np.full(n_acc, ctx.end - S.DAY, dtype=np.int64)
    np.minimum.at(acc_created, p["acc"][has], p["created"][has])
    acc_tier = np.full(n_acc, -1, dtype=np.int64)
    cust_now = np.isin(hist["stage"][p["ci"]], [C.CUST, S.ADVOCATE])
    ci_acc = p["acc"][p["ci"]]
    sel = cust_now & (ci_acc >= 0)
    np.maximum.at(acc_tier, ci_acc[sel], p["tier"][sel])
    plan = np.where(acc_tier >= 0, np.array([pl[0] for pl in C.PLANS] + [""], object)[acc_tier], "")
    timed("accounts", Account, dict(
        id=acc_ids, code=new_uuids(n_acc), workspace_id=np.full(n_acc, ws_id), name=acc_name,
        domain=domain, industry=np.array([C.INDUSTRIES[s] for s in C.ACCOUNT_SUFFIX], object)[w2],
        size=np.array(C.SIZES, object)[S.pick(rs, n_acc, C.SIZE_P)],
        plan=plan, external_id=np.full(n_acc, "", object), created_at=acc_created))

    ids = reserve_ids(Contact, n)
    personal = np.array(["mail.example", "inbox.example", "post.example"], object)[
        rs.integers(0, 3, n)]
    email = p["local"] + "@" + np.where(has, domain[np.maximum(p["acc"], 0)], personal)
    timed("contacts", Contact, dict(
        id=ids, code=new_uuids(n), workspace_id=np.full(n, ws_id),
        external_id=np.full(n, "", object), email=email, phone=p["phone"], name=p["name"],
        account_id=np.where(has, acc_ids[np.maximum(p["acc"], 0)], NULL_ID),
        company=np.where(has, acc_name[np.maximum(p["acc"], 0)], ""),
        country=np.array(C.COUNTRIES, object)[p["country"]], city=p["city"],
        language=p["language"], persona_id=ctx.persona_ids[p["persona"]],
        customer_type=np.array(C.CUSTOMER_TYPES, object)[p["ctype"]],
        buying_role=np.array(C.BUYING_ROLES, object)[p["role"]], owner_id=owner,
        stage=S.STAGE_CODES[hist["stage"]], stage_changed_at=hist["stage_at"],
        source_channel_id=ctx.channel_ids[p["ch"]],
        source_campaign_id=np.where(p["camp"] >= 0, ctx.campaign_ids[np.maximum(p["camp"], 0)],
                                    NULL_ID),
        properties=np.full(n, "{}", object),  # the lead score: crm.scoring (demo.workday)
        created_at=p["created"], updated_at=hist["stage_at"]))

    m = len(hist["contact"])
    timed("stage_changes", StageChange, dict(
        workspace_id=np.full(m, ws_id), contact_id=ids[hist["contact"]],
        from_stage=np.where(hist["frm"] >= 0, S.STAGE_CODES[np.maximum(hist["frm"], 0)], ""),
        to_stage=S.STAGE_CODES[hist["to"]], at=hist["at"], reason=hist["reason"]))
    ev = events
    ev["contact_id"] = np.where(ev["contact_id"] >= 0, ids[np.maximum(ev["contact_id"], 0)],
                                NULL_ID)
    ev["code"] = new_uuids(len(ev["contact_id"]))
    timed("events", Event, ev)
    m = len(orders["at"])
    timed("orders", Order, dict(
        code=new_uuids(m), workspace_id=np.full(m, ws_id), contact_id=ids[orders["contact"]],
        external_id=np.full(m, "", object), kind=orders["kind"], amount=orders["amount"],
        currency=np.full(m, ctx.currency, object), margin=orders["margin"],
        occurred_at=orders["at"], properties=orders["props"], created_at=orders["at"]))
    m = len(consent["at"])
    timed("consents", Consent, dict(
        workspace_id=np.full(m, ws_id), contact_id=ids[consent["contact"]],
        channel=consent["channel"], status=consent["status"], source=consent["source"],
        # sales calls rest on legitimate interest (B2B); every other channel on consent
        lawful_basis=np.where(consent["channel"] == "phone", "legitimate_interest",
                              "consent").astype(object),
        at=consent["at"], recorded_at=consent["at"]))
    m = len(fb["at"])
    timed("lead_feedback", LeadFeedback, dict(
        code=new_uuids(m), workspace_id=np.full(m, ws_id), contact_id=ids[fb["contact"]],
        rep_id=fb["rep"], quality=fb["quality"], outcome=fb["outcome"], reason=fb["reason"],
        note=np.full(m, "", object), at=fb["at"]))
    # monthly counts for KPI targets: first customer changes and new leads
    to_c = (hist["to"] == C.CUST) & (hist["frm"] == C.OPP)
    for key, mask in (("new_customers", to_c), ("leads", hist["to"] == C.LEAD)):
        months = hist["at"][mask].astype("datetime64[s]").astype("datetime64[M]")
        u, k = np.unique(months, return_counts=True)
        for mo, cnt in zip(u, k):
            monthly[key][str(mo)] += int(cnt)


def _skip_fk_checks() -> bool:
    if not is_postgres():
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cur.fetchone()
        if not (row and row[0]):
            return False
        cur.execute("SET LOCAL session_replication_role = replica")
    return True


def _segments(ws, personas) -> int:
    enterprise = str(personas[2].code)
    rows = [
        (_("SQLs from paid search"), _("Sales-qualified leads whose first touch was Google Ads."),
         {"stage": ["sql"], "channel": ["google_ads"]}),
        (_("Loyal customers in SA"), _("Paying loyal customers in Saudi Arabia — the "
                                        "referral programme's best audience."),
         {"stage": ["customer", "advocate"], "customer_type": ["loyal"], "country": ["SA"]}),
        (_("Enterprise pipeline in the Gulf"), _("Enterprise marketing directors between "
                                                  "MQL and opportunity in SA, AE and KW."),
         {"stage": ["mql", "sql", "opportunity"], "persona": [enterprise],
          "country": ["SA", "AE", "KW"]}),
        (_("Churned — win-back list"), _("Former customers for the win-back offer."),
         {"stage": ["churned"]}),
        (_("Discount-driven leads from paid social"), _("Early leads from Meta and LinkedIn "
                                                         "who respond to offers."),
         {"stage": ["lead", "mql"], "customer_type": ["discount_driven"],
          "channel": ["meta_ads", "linkedin_ads"]}),
    ]
    Segment.objects.bulk_create([Segment(workspace=ws, name=str(n), description=str(d), filters=f)
                                 for n, d, f in rows])
    return len(rows)


def _kpis(ws, end: dt.datetime, monthly, spend_total: float, channels) -> int:
    """NSM, supporting KPIs and guardrails, with targets set from the recent months."""
    from engines.metrics.registry import REGISTRY

    this_month = str(np.datetime64(end.date(), "M"))
    full = sorted(mo for mo in set(monthly["new_customers"]) | set(monthly["leads"])
                  if mo < this_month)

    def recent(key):
        vals = [monthly[key].get(mo, 0) for mo in full[-3:]]
        return float(np.mean(vals)) if vals else 0.0

    new_c, leads = recent("new_customers"), recent("leads")
    total_c = sum(monthly["new_customers"].values()) or 1
    total_l = sum(monthly["leads"].values()) or 1
    cac, cpl = spend_total / total_c, spend_total / total_l
    google = next(c for c in channels if c.key == "google_ads")
    specs = [
        dict(name=str(_("New paying customers")), metric_key="new_customers", is_north_star=True,
             target=max(1, round(new_c * 1.15))),
        dict(name=str(_("New leads")), metric_key="leads", target=max(1, round(leads * 1.1))),
        dict(name=str(_("Cost per lead")), metric_key="cpl", direction="down", target=round(cpl * 0.9, 2),
             guardrail_max=round(cpl * 1.3, 2)),
        dict(name=str(_("Blended CAC")), metric_key="cac", direction="down", target=round(cac * 0.9, 2),
             guardrail_max=round(cac * 1.25, 2)),
        dict(name=str(_("LTV:CAC")), metric_key="ltv_cac", target=4, guardrail_min=3),
        dict(name=str(_("Monthly customer churn")), metric_key="churn", direction="down", target=0.03,
             guardrail_max=0.05),
        dict(name=str(_("Leads accepted by sales")), metric_key="lead_acceptance_rate", target=0.5,
             guardrail_min=0.35),
        dict(name=str(_("Google Ads cost per lead")), metric_key="cpl", direction="down",
             scope=KPI.Scope.CHANNEL, channel=google, target=50, guardrail_max=70),
    ]
    made = []
    for i, s in enumerate(specs):
        if REGISTRY and s["metric_key"] not in REGISTRY:
            continue
        made.append(KPI.objects.create(workspace=ws, position=i, grain=KPI.Grain.MONTH, **s))
    nsm = next((k for k in made if k.is_north_star), None)
    if nsm is not None and nsm.target:
        first = np.datetime64(end.date(), "M") - 5
        KPITarget.objects.bulk_create([
            KPITarget(kpi=nsm, period=(first + i).astype("datetime64[D]").astype(dt.date),
                      target=round(float(nsm.target) * (0.85 + 0.05 * i), 2))
            for i in range(7)])
    return len(made)


def build_demo_data(ws, *, seed: int = 42, contacts: int = 6000, months: int = 18, end=None,
                    log=None, chunk: int = CHUNK, skip_fk_checks: bool | None = None) -> dict:
    """Fill `ws` with `contacts` contacts and everything around them; returns the stats.

    On PostgreSQL, when the database role may (superuser), the transaction skips the deferred
    foreign-key triggers (SET LOCAL session_replication_role = replica): every id written was
    reserved or created in this same transaction, and the per-row checks at commit would
    otherwise cost about as much as the COPYs. skip_fk_checks=False keeps them."""
    log = log or (lambda msg: None)
    t_start = time.monotonic()
    end_dt = _day_start(end if end is not None else timezone.now())
    start_dt = _months_back(end_dt, months)
    n_days = (end_dt - start_dt).days
    rng = np.random.default_rng(seed)
    counts, seconds = defaultdict(int), defaultdict(float)
    monthly = {"new_customers": defaultdict(int), "leads": defaultdict(int)}
    with transaction.atomic():
        fk_checks_skipped = skip_fk_checks is not False and _skip_fk_checks()
        t = time.monotonic()
        intensity, ramadan, dates = _intensity(rng, start_dt, n_days)
        channels, campaigns, personas = _fixed_rows(ws, start_dt, dates, ramadan)
        counts["spend"] = _spend(rng, ws, contacts, intensity, ramadan, dates, channels, campaigns)
        spend_total = float(Spend.objects.filter(workspace=ws).aggregate(s=Sum("amount"))["s"] or 0)
        seconds["setup_and_spend"] = time.monotonic() - t
        ctx = S.Context(
            start=int(start_dt.timestamp()), end=int(end_dt.timestamp()), n_days=n_days,
            intensity=intensity, ramadan=ramadan,
            channel_ids=np.array([c.pk for c in channels], dtype=np.int64),
            campaign_ids=np.array([c.pk for c in campaigns], dtype=np.int64),
            persona_ids=np.array([p.pk for p in personas], dtype=np.int64),
            rep_ids=_rep_ids(ws), workspace_id=ws.pk, currency=ws.currency)
        for lo in range(0, contacts, chunk):
            n = min(chunk, contacts - lo)
            _write_chunk(rng, ctx, n, lo, counts, seconds, monthly)
            log(f"  contacts {lo + n:,}/{contacts:,} "
                f"({time.monotonic() - t_start:.0f} s)")
        t = time.monotonic()
        counts["segments"] = _segments(ws, personas)
        counts["kpis"] = _kpis(ws, end_dt, monthly, spend_total, channels)
        counts.update(channels=len(channels), campaigns=len(campaigns), personas=len(personas),
                      lifecycle_stages=len(Stage), tracking_plan=len(C.TRACKING_PLAN))
        actor = Actor.system(ws)
        for label, n in counts.items():
            audit_many(actor, "demo.seed", f"crm.demo.{label}", n, seed=seed,
                       end=end_dt.date().isoformat())
        seconds["segments_kpis_audit"] = time.monotonic() - t
        if fk_checks_skipped:  # back to normal for the rest of any outer transaction
            with connection.cursor() as cur:
                cur.execute("SET LOCAL session_replication_role = origin")
            # the replica role also silenced the change log's triggers (engines 0008): log
            # the load by hand, so no later run takes these tables as unchanged
            from engines.metrics import changes

            changes.log_bulk_write(ws.pk)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Rows that arrive by COPY leave the planner without statistics until autovacuum
        # passes (never, where it is off): plan the first screens on real numbers.
        t = time.monotonic()
        with connection.cursor() as cur:
            for model in (Contact, Account, StageChange, Event, Order, Consent, LeadFeedback,
                          Spend):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        seconds["analyze"] = time.monotonic() - t
    # a retention policy to show in Data & privacy (the nightly task applies it)
    RetentionPolicy.objects.update_or_create(workspace=ws, defaults={
        "raw_events_months": 24, "message_content_days": 180})
    stats = {"counts": dict(counts), "seconds": {k: round(v, 2) for k, v in seconds.items()},
             "total_seconds": round(time.monotonic() - t_start, 2),
             "start": start_dt.date().isoformat(), "end": end_dt.date().isoformat(),
             "fk_checks_skipped": fk_checks_skipped}
    return stats
