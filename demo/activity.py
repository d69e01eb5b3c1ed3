"""Simulate one chunk's activity: touchpoint events (and anonymous visits), the consent
ledger and sales reps' lead feedback. Pure numpy; times are int64 seconds."""

from __future__ import annotations

import json

import numpy as np

from . import config as C
from .sim import DAY, Context, pick

EVENT_NAMES = list(C.TRACKING_PLAN) + C.UNKNOWN_EVENTS
EV = {name: i for i, name in enumerate(EVENT_NAMES)}
PAID_CLICK = {"google_ads", "meta_ads", "linkedin_ads", "partners"}
# where nurture touchpoints come from (rows follow CHANNELS)
NURTURE_P = np.array([0.08, 0.10, 0.04, 0.10, 0.35, 0.12, 0.03, 0.03, 0.15])
NURTURE_CAMPAIGN = {"google_ads": "gads_generic_crm", "meta_ads": "meta_retargeting",
                    "linkedin_ads": "li_webinar_promo", "referral": "ref_programme",
                    "partners": "partners_agencies"}


def _touch_name(rng, ch: np.ndarray) -> np.ndarray:
    keys = np.array([c["key"] for c in C.CHANNELS], dtype=object)[ch]
    name = np.full(len(ch), EV["page_view"], dtype=np.int64)
    name[np.isin(keys, list(PAID_CLICK))] = EV["ad_click"]
    is_mail = keys == "email"
    name[is_mail] = np.where(rng.random(int(is_mail.sum())) < 0.6, EV["email_open"],
                             EV["email_click"])
    return name


def events(rng, ctx: Context, p: dict) -> dict:
    """Each contact's touchpoints before converting, product logins of customers, anonymous
    visits; a few rows break the tracking plan on purpose (flagged, as ingestion would)."""
    n, T, created, end = p["n"], p["T"], p["created"], ctx.end
    ch, camp = p["ch"], p["camp"]
    parts = []  # (contact, name, channel, campaign, at)
    # 1. first touch (the source) and the form that created the contact
    t1 = created - rng.integers(60, 2 * DAY, n)
    parts.append((np.arange(n), _touch_name(rng, ch), ch, camp, t1))
    parts.append((np.arange(n), np.full(n, EV["form_submit"]), ch, camp, created))
    # 2. nurture touchpoints between sign-up and the last stage reached (or customer)
    reached = (T >= 0).sum(axis=1)
    last = T.max(axis=1)
    horizon = np.where(T[:, C.CUST] >= 0, T[:, C.CUST],
                       np.minimum(end - 1, last + 14 * DAY))
    mql, sql = T[:, C.MQL] >= 0, T[:, C.SQL] >= 0
    web = mql & (rng.random(n) < 0.3)
    k = np.minimum(rng.poisson(0.4 + 0.7 * reached), 6 - web - sql)
    who = np.repeat(np.arange(n), k)
    span = np.maximum(horizon - created, 3600)[who]
    at = created[who] + (rng.random(len(who)) * span).astype(np.int64)
    nch = pick(rng, len(who), NURTURE_P)
    utm_idx = {u: i for i, (_, _, u, _, _) in enumerate(C.CAMPAIGNS)}
    ncamp = np.array([utm_idx[NURTURE_CAMPAIGN[c["key"]]] if c["key"] in NURTURE_CAMPAIGN
                      else -1 for c in C.CHANNELS])[nch]
    # a third come back through the channel that found them (retargeting, brand search)
    again = rng.random(len(who)) < 0.3
    nch = np.where(again, ch[who], nch)
    ncamp = np.where(again, camp[who], ncamp)
    parts.append((who, _touch_name(rng, nch), nch, ncamp, at))
    w = np.flatnonzero(web)
    parts.append((w, np.full(len(w), EV["webinar"]), np.full(len(w), C.CH_INDEX["content"]),
                  np.full(len(w), -1), T[w, C.MQL] - rng.integers(3600, 2 * DAY, len(w))))
    s = np.flatnonzero(sql)
    parts.append((s, np.full(len(s), EV["demo_request"]), ch[s], camp[s],
                  T[s, C.SQL] - rng.integers(600, DAY, len(s))))
    # 3. customers use the product
    ci = p["ci"]
    nl = rng.poisson(3.0, len(ci))
    lw = np.repeat(np.arange(len(ci)), nl)
    life = np.maximum(np.minimum(p["churn1"], end - 1) - p["s1"], 3600)[lw]
    lat = p["s1"][lw] + (rng.random(len(lw)) * life).astype(np.int64)
    parts.append((ci[lw], np.full(len(lw), EV["login"]), np.full(len(lw), -1),
                  np.full(len(lw), -1), lat))
    contact = np.concatenate([x[0] for x in parts]).astype(np.int64)
    name = np.concatenate([x[1] for x in parts]).astype(np.int64)
    echan = np.concatenate([x[2] for x in parts]).astype(np.int64)
    ecamp = np.concatenate([x[3] for x in parts]).astype(np.int64)
    eat = np.concatenate([x[4] for x in parts]).astype(np.int64)
    # 4. anonymous visits that never identified
    na = int(0.15 * n)
    anon_ch = pick(rng, na, np.array([c["share"] for c in C.CHANNELS]))
    anon = np.char.add("anon-", np.char.mod("%012x", rng.integers(0, 2**47, na))).astype(object)
    contact = np.r_[contact, np.full(na, -1)]
    name = np.r_[name, np.full(na, EV["page_view"])]
    echan = np.r_[echan, anon_ch]
    ecamp = np.r_[ecamp, np.full(na, -1)]
    eat = np.r_[eat, ctx.start + (rng.random(na) * (end - ctx.start)).astype(np.int64)]
    anon_id = np.r_[np.full(len(contact) - na, "", dtype=object), anon]
    return _event_columns(rng, ctx, contact, name, echan, ecamp, eat, anon_id)


def _choose(rng, options: list, n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def _event_columns(rng, ctx, contact, name, echan, ecamp, eat, anon_id) -> dict:
    m = len(name)
    url = np.array(C.URLS, dtype=object)[rng.integers(0, len(C.URLS), m)]
    month = np.datetime_as_string(eat.astype("datetime64[s]"), unit="M").astype(object)
    issues = np.full(m, "[]", dtype=object)
    # ~1.2 % miss a required property, ~0.4 % use a name outside the tracking plan
    u = rng.random(m)
    missing = (u < 0.012) & (name != EV["login"])
    unknown = (u > 0.996) & ~missing
    props = np.empty(m, dtype=object)
    for nm, i in EV.items():
        sel = np.flatnonzero(name == i)
        if not len(sel):
            continue
        required = C.TRACKING_PLAN.get(nm, ([], ""))[0]
        values = {"url": url[sel], "email_id": "nl-" + month[sel],
                  "form": _choose(rng, C.FORMS, len(sel)),
                  "webinar": _choose(rng, C.WEBINARS, len(sel))}
        if nm == "demo_request":
            values["form"] = np.full(len(sel), "demo", dtype=object)
        drop = missing[sel]
        out = []
        for j in range(len(sel)):
            d = {r: values[r][j] for r in required[(1 if drop[j] else 0):]}
            out.append(json.dumps(d, ensure_ascii=False))
        props[sel] = out
        if required:
            issues[sel[drop]] = json.dumps([f"missing:{required[0]}"])
    bad = np.flatnonzero(unknown)
    name_s = np.array(EVENT_NAMES, dtype=object)[name]
    name_s[bad] = np.array(C.UNKNOWN_EVENTS, dtype=object)[bad % len(C.UNKNOWN_EVENTS)]
    issues[bad] = '["unknown_event"]'
    has_ch = echan >= 0
    chk = np.where(has_ch, echan, 0)
    src = np.where(has_ch, np.array([c["src"] for c in C.CHANNELS], dtype=object)[chk], "")
    med = np.where(has_ch, np.array([c["medium"] for c in C.CHANNELS], dtype=object)[chk], "")
    organic = np.isin(chk, [C.CH_INDEX["seo"], C.CH_INDEX["direct"]]) | ~has_ch
    src[organic], med[organic] = "", ""
    utms = np.array([c[2] for c in C.CAMPAIGNS] + [""], dtype=object)
    utm_c = np.where(ecamp >= 0, utms[ecamp], "")
    term = np.where(chk == C.CH_INDEX["google_ads"], _choose(rng, C.SEARCH_TERMS, m), "")
    term[~has_ch] = ""
    return dict(
        workspace_id=np.full(m, ctx.workspace_id), contact_id=contact, anonymous_id=anon_id,
        name=name_s, channel_id=np.where(has_ch, ctx.channel_ids[chk], -1),
        campaign_id=np.where(ecamp >= 0, ctx.campaign_ids[np.maximum(ecamp, 0)], -1),
        utm_source=src, utm_medium=med, utm_campaign=utm_c, utm_term=term,
        utm_content=np.full(m, "", dtype=object), occurred_at=eat,
        received_at=eat + rng.integers(1, 120, m), properties=props, quality_issues=issues,
        idempotency_id=np.full(m, "", dtype=object))


CONSENT_CHANNELS = ["email", "sms", "push", "phone"]
GRANT_P = np.array([0.92, 0.45, 0.30, 0.40])
WITHDRAW_P = np.array([0.12, 0.18, 0.25, 0.10])
WITHDRAW_SOURCE = ["unsubscribe link", "reply STOP", "app settings", "asked on a call"]


def consents(rng, ctx: Context, p: dict) -> dict:
    """Grants at sign-up for most contacts; some withdraw later (append-only ledger)."""
    n, created = p["n"], p["created"]
    has_phone = p["phone"] != ""
    rows = []
    for k, chan in enumerate(CONSENT_CHANNELS):
        g = rng.random(n) < GRANT_P[k]
        if chan in ("sms", "phone"):
            g &= has_phone
        gi = np.flatnonzero(g)
        rows.append((gi, k, "granted", np.full(len(gi), "signup form", object), created[gi]))
        w_at = created[gi] + (rng.exponential(120, len(gi)) * DAY).astype(np.int64) + DAY
        w = (rng.random(len(gi)) < WITHDRAW_P[k]) & (w_at < ctx.end)
        rows.append((gi[w], k, "withdrawn", np.full(int(w.sum()), WITHDRAW_SOURCE[k], object),
                     w_at[w]))
    contact = np.concatenate([r[0] for r in rows])
    return dict(contact=contact,
                channel=np.concatenate([np.full(len(r[0]), CONSENT_CHANNELS[r[1]], object)
                                        for r in rows]),
                status=np.concatenate([np.full(len(r[0]), r[2], object) for r in rows]),
                source=np.concatenate([r[3] for r in rows]),
                at=np.concatenate([r[4] for r in rows]))


ACCEPT_REASONS = ["Budget confirmed", "Clear need, right size", "Decision maker engaged",
                  "Timing is right"]
REJECT_REASONS = ["No budget", "Not the decision maker", "Too small for us",
                  "Student or job seeker", "Outside our markets", "Duplicate lead"]
NO_ANSWER_REASONS = ["No reply after three calls", "Wrong phone number"]


def owners(ctx: Context, p: dict, stage: np.ndarray) -> np.ndarray:
    """Round-robin owners for leads in sales' hands (lead to opportunity now, or reached MQL)."""
    T = p["T"]
    needs = np.isin(stage, [C.LEAD, C.MQL, C.SQL, C.OPP]) | (T[:, C.MQL] >= 0)
    out = np.full(p["n"], -1, dtype=np.int64)
    if len(ctx.rep_ids) == 0:
        return out
    pos = ctx.owner_counter + np.cumsum(needs) - 1
    out[needs] = ctx.rep_ids[pos[needs] % len(ctx.rep_ids)]
    ctx.owner_counter += int(needs.sum())
    return out


def feedback(rng, ctx: Context, p: dict, owner: np.ndarray) -> dict:
    """The owner's verdict on each MQL (most of them); quality follows the channel's."""
    T, end, n = p["T"], ctx.end, p["n"]
    q_ch = np.array([c["quality"] for c in C.CHANNELS])[p["ch"]]
    mql, sql = T[:, C.MQL] >= 0, T[:, C.SQL] >= 0
    at = np.where(sql, T[:, C.SQL] - rng.integers(600, DAY, n),
                  T[:, C.MQL] + rng.integers(DAY, 10 * DAY, n))
    give = mql & (owner >= 0) & (rng.random(n) < 0.8) & (at < end)
    u = rng.random(n)
    outcome = np.where(sql, "accepted", np.where(u < 0.7, "rejected", "no_answer")).astype(object)
    quality = np.clip(np.rint(rng.normal(q_ch + np.where(sql, 0.6, -0.6), 0.8)), 1, 5)
    r = rng.integers(0, 1000, n)
    reason = np.where(sql, np.array(ACCEPT_REASONS, object)[r % 4],
                      np.where(u < 0.7, np.array(REJECT_REASONS, object)[r % 6],
                               np.array(NO_ANSWER_REASONS, object)[r % 2]))
    # a second note when the deal closes
    won = (T[:, C.CUST] >= 0) & (owner >= 0) & (rng.random(n) < 0.7)
    i1, i2 = np.flatnonzero(give), np.flatnonzero(won)
    won_at = T[i2, C.CUST] + rng.integers(600, 2 * DAY, len(i2))
    ok2 = won_at < end
    i2, won_at = i2[ok2], won_at[ok2]
    return dict(contact=np.r_[i1, i2], rep=owner[np.r_[i1, i2]],
                quality=np.r_[quality[i1], np.clip(np.rint(q_ch[i2] + 0.8), 1, 5)].astype(np.int64),
                outcome=np.r_[outcome[i1], np.full(len(i2), "converted", object)],
                reason=np.r_[reason[i1], np.full(len(i2), "Closed won", object)],
                at=np.r_[at[i1], won_at])
