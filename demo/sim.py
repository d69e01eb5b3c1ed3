"""Simulate one chunk of demo contacts: profiles, the funnel with its history, subscriptions
and their orders. Pure numpy over whole columns; times are int64 seconds since the epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import config as C

DAY = 86_400
MONTH = 2_629_800  # 30.4375 days: renewals stay inside the 31-day subscription period
STAGE_CODES = np.array(["subscriber", "lead", "mql", "sql", "opportunity", "customer",
                        "advocate", "churned"], dtype=object)
ADVOCATE, CHURNED = 6, 7


@dataclass
class Context:
    """What every chunk needs: the calendar, channel intensities and the ids of fixed rows."""

    start: int  # seconds, first day 00:00 UTC
    end: int  # seconds, exclusive (today 00:00 UTC)
    n_days: int
    intensity: np.ndarray  # (channels, days) probabilities of a contact's creation day
    ramadan: np.ndarray  # (days,) bool
    channel_ids: np.ndarray  # (channels,)
    campaign_ids: np.ndarray  # (campaigns,)
    persona_ids: np.ndarray
    rep_ids: np.ndarray
    workspace_id: int
    currency: str
    owner_counter: int = 0
    customer_months: dict = field(default_factory=dict)


def lognormal_days(rng, median: np.ndarray, sigma: float = 0.7) -> np.ndarray:
    """Seconds: a lognormal gap with the given median in days, at least one hour."""
    return np.maximum(median * rng.lognormal(0.0, sigma, len(median)) * DAY, 3600).astype(np.int64)


def pick(rng, n: int, p: np.ndarray) -> np.ndarray:
    return rng.choice(len(p), n, p=p / p.sum())


def pick_rows(rng, rows: np.ndarray, P: np.ndarray) -> np.ndarray:
    """One category per row, row r drawn from the distribution P[rows[r]]."""
    cum = np.cumsum(P / P.sum(axis=1, keepdims=True), axis=1)[rows]
    u = rng.random(len(rows))[:, None]
    return np.minimum((u > cum).sum(axis=1), P.shape[1] - 1)


def campaigns_of(key: str) -> list[int]:
    return [i for i, c in enumerate(C.CAMPAIGNS) if c[0] == key]


def simulate_contacts(rng, ctx: Context, n: int, first_index: int) -> dict:
    """Profiles and source of n contacts (no funnel yet)."""
    ch = pick(rng, n, np.array([c["share"] for c in C.CHANNELS]))
    day = np.zeros(n, dtype=np.int64)
    for c in range(C.N_CH):
        m = ch == c
        day[m] = rng.choice(ctx.n_days, int(m.sum()), p=ctx.intensity[c])
    secs = (np.clip(rng.normal(14.0, 3.5, n), 0, 23.99) * 3600).astype(np.int64)
    created = np.minimum(ctx.start + day * DAY + secs, ctx.end - 3600)
    camp = np.full(n, -1, dtype=np.int64)
    for c, spec in enumerate(C.CHANNELS):
        idx = campaigns_of(spec["key"])
        if not idx:
            continue
        m = np.flatnonzero(ch == c)
        regular = [i for i in idx if not C.CAMPAIGNS[i][4]]
        w = np.array([C.CAMPAIGNS[i][3] for i in regular])
        camp[m] = np.array(regular)[pick(rng, len(m), w)]
        for i in idx:
            if C.CAMPAIGNS[i][4]:
                r = m[ctx.ramadan[day[m]] & (rng.random(len(m)) < C.CAMPAIGNS[i][3])]
                camp[r] = i
    country = pick(rng, n, C.COUNTRY_P)
    arab = C.ARAB[country] ^ (rng.random(n) < 0.12)
    fa, la = rng.integers(0, len(C.ARAB_FIRST), n), rng.integers(0, len(C.ARAB_LAST), n)
    fe, le = rng.integers(0, len(C.EN_FIRST), n), rng.integers(0, len(C.EN_LAST), n)
    first = np.where(arab, np.array([f[0] for f in C.ARAB_FIRST], dtype=object)[fa],
                     np.array(C.EN_FIRST, dtype=object)[fe])
    last = np.where(arab, np.array([x[0] for x in C.ARAB_LAST], dtype=object)[la],
                    np.array(C.EN_LAST, dtype=object)[le])
    in_arabic = arab & C.ARAB[country] & (rng.random(n) < 0.35)
    ar_name = (np.array([f[1] for f in C.ARAB_FIRST], dtype=object)[fa] + " "
               + np.array([x[1] for x in C.ARAB_LAST], dtype=object)[la])
    name = np.where(in_arabic, ar_name, first + " " + last)
    language = np.where(C.ARAB[country] & (rng.random(n) < 0.7), "ar", "en").astype(object)
    city_pos = rng.random(n)
    city = np.empty(n, dtype=object)
    for k, code in enumerate(C.COUNTRIES):
        m = country == k
        cities = C.CITIES[code]
        city[m] = np.array(cities, dtype=object)[(city_pos[m] * len(cities)).astype(int)]
    has_phone = rng.random(n) < 0.7
    digits = rng.integers(10_000_000, 99_999_999, n).astype(str).astype(object)
    phone = np.where(has_phone, np.array(C.DIAL, dtype=object)[country] + digits, "")
    # B2B: three in four contacts work at an account; accounts hold 1–6 of them
    b2b = rng.random(n) < 0.75
    b = np.flatnonzero(b2b)
    n_acc = max(1, int(len(b) / 2.2))
    acc = np.full(n, -1, dtype=np.int64)
    acc[b[:n_acc]] = np.arange(min(n_acc, len(b)))  # every account has someone
    acc[b[n_acc:]] = (rng.random(max(0, len(b) - n_acc)) ** 1.5 * n_acc).astype(np.int64)
    persona = pick_rows(rng, ch, C.PERSONA_P)
    ctype = pick(rng, n, C.CUSTOMER_TYPE_P)
    role = np.where(b2b, pick(rng, n, np.array([0.3, 0.2, 0.3, 0.2])),
                    pick(rng, n, np.array([0.6, 0.4, 0.0, 0.0])))
    gidx = np.arange(first_index, first_index + n).astype(str).astype(object)
    local = np.char.lower(np.char.replace(np.char.replace(
        (first + "." + last).astype(str), "-", ""), " ", "")).astype(object) + gidx
    return dict(n=n, ch=ch, created=created, camp=camp, country=country, name=name,
                language=language, city=city, phone=phone, acc=acc, n_acc=n_acc,
                persona=persona, ctype=ctype, role=role, local=local)


def simulate_funnel(rng, ctx: Context, p: dict) -> dict:
    """Times each contact reached each funnel stage (-1 = never), and the subscription life."""
    n, ch, created, end = p["n"], p["ch"], p["created"], ctx.end
    speed = np.array([c["speed"] for c in C.CHANNELS])[ch]
    steps = np.array([c["steps"] for c in C.CHANNELS])[ch]
    T = np.full((n, 6), -1, dtype=np.int64)
    start_sub = rng.random(n) < np.array([c["p_sub"] for c in C.CHANNELS])[ch]
    T[start_sub, C.SUB] = created[start_sub]
    t = created + lognormal_days(rng, C.BASE_GAP_DAYS[0] * speed)
    to_lead = start_sub & (rng.random(n) < C.SUB_TO_LEAD) & (t < end)
    T[:, C.LEAD] = np.where(~start_sub, created, np.where(to_lead, t, -1))
    for k in range(C.LEAD, C.OPP + 1):
        t = T[:, k] + lognormal_days(rng, C.BASE_GAP_DAYS[k] * speed)
        ok = (T[:, k] >= 0) & (rng.random(n) < steps[:, k - 1]) & (t < end)
        T[:, k + 1] = np.where(ok, t, -1)
    p.update(T=T, start_sub=start_sub)
    _subscriptions(rng, ctx, p)
    return p


def _subscriptions(rng, ctx: Context, p: dict) -> None:
    T, end = p["T"], ctx.end
    ci = np.flatnonzero(T[:, C.CUST] >= 0)
    m = len(ci)
    ct = p["ctype"][ci]
    plans = np.array([c["plans"] for c in C.CHANNELS])
    tier = pick_rows(rng, p["ch"][ci], plans)
    hazard = C.CHURN_HAZARD[ct] * np.array([1.2, 1.0, 0.7])[tier]
    s1 = T[ci, C.CUST]
    L1 = rng.geometric(hazard)
    churn1 = s1 + L1 * MONTH + rng.integers(0, 5 * DAY, m)
    churned1 = churn1 < end
    t_adv = s1 + rng.integers(45 * DAY, 200 * DAY, m)
    adv = (rng.random(m) < C.ADVOCATE_P[ct]) & (t_adv < np.minimum(churn1, end))
    t_re = churn1 + rng.integers(20 * DAY, 120 * DAY, m)
    wb = churned1 & (rng.random(m) < C.WINBACK_P[ct]) & (t_re < end)
    L2 = rng.geometric(np.minimum(hazard * 1.3, 0.9))
    churn2 = t_re + L2 * MONTH + rng.integers(0, 5 * DAY, m)
    churned2 = wb & (churn2 < end)
    p.update(ci=ci, tier=tier, s1=s1, L1=L1, churn1=churn1, churned1=churned1, adv=adv,
             t_adv=t_adv, wb=wb, t_re=t_re, L2=L2, churn2=churn2, churned2=churned2)


def stage_history(p: dict) -> dict:
    """StageChange rows sorted by contact and time, the contact's current stage and when."""
    T, n = p["T"], p["n"]
    rows_c, rows_to, rows_at = [], [], []

    def add(mask_idx, to, at):
        rows_c.append(mask_idx)
        rows_to.append(np.full(len(mask_idx), to, dtype=np.int64))
        rows_at.append(at)

    allc = np.arange(n)
    add(allc, np.int64(0), p["created"])  # placeholder "to" fixed below
    rows_to[0] = np.where(p["start_sub"], C.SUB, C.LEAD)
    s = np.flatnonzero(p["start_sub"] & (T[:, C.LEAD] >= 0))
    add(s, C.LEAD, T[s, C.LEAD])
    for k in (C.MQL, C.SQL, C.OPP, C.CUST):
        s = np.flatnonzero(T[:, k] >= 0)
        add(s, k, T[s, k])
    ci = p["ci"]
    add(ci[p["adv"]], ADVOCATE, p["t_adv"][p["adv"]])
    add(ci[p["churned1"]], CHURNED, p["churn1"][p["churned1"]])
    add(ci[p["wb"]], C.CUST, p["t_re"][p["wb"]])
    add(ci[p["churned2"]], CHURNED, p["churn2"][p["churned2"]])
    c = np.concatenate(rows_c)
    to = np.concatenate(rows_to)
    at = np.concatenate(rows_at)
    order = np.lexsort((at, c))
    c, to, at = c[order], to[order], at[order]
    first = np.r_[True, c[1:] != c[:-1]]
    frm = np.where(first, -1, np.r_[-1, to[:-1]])
    last = np.r_[c[1:] != c[:-1], True]
    stage = np.empty(n, dtype=np.int64)
    stage[c[last]] = to[last]
    stage_at = np.empty(n, dtype=np.int64)
    stage_at[c[last]] = at[last]
    reason = np.full(len(c), "", dtype=object)
    reason[to == C.MQL] = "Lead score reached 50"
    reason[to == C.SQL] = "Accepted by sales"
    reason[to == C.OPP] = "Demo held, proposal sent"
    reason[(to == C.CUST) & (frm == C.OPP)] = "First payment received"
    reason[(to == C.CUST) & (frm == CHURNED)] = "Came back after a win-back offer"
    reason[to == ADVOCATE] = "NPS 9–10 and referred a colleague"
    churn_reasons = np.array(["Payment failed", "Switched to a competitor", "Budget cut",
                              "Project ended", "Too complex for the team"], dtype=object)
    ch_rows = np.flatnonzero(to == CHURNED)
    reason[ch_rows] = churn_reasons[(c[ch_rows] * 7 + at[ch_rows] // DAY) % len(churn_reasons)]
    return dict(contact=c, frm=frm, to=to, at=at, reason=reason, stage=stage,
                stage_at=stage_at)


def orders(rng, ctx: Context, p: dict) -> dict:
    """Subscription orders: the first (new), monthly renewals, expansions, one-off add-ons,
    a few refunds; a win-back restarts with a new order."""
    end, ci = ctx.end, p["ci"]
    m = len(ci)
    price = np.array([pl[1] for pl in C.PLANS])[p["tier"]]
    m1 = np.minimum(p["L1"], -(-(end - p["s1"]) // MONTH))
    m2 = np.where(p["wb"], np.minimum(p["L2"], -(-(end - p["t_re"]) // MONTH)), 0)
    ex = (rng.random(m) < 0.18) & (m1 >= 3)
    k_ex = np.where(ex, rng.integers(1, np.maximum(m1, 2)), 10**6)
    ex_amt = np.round(price * rng.uniform(0.25, 0.8, m), -1)
    # life 1 and life 2 renewals, expanded without a Python loop
    who = np.r_[np.repeat(np.arange(m), m1), np.repeat(np.arange(m), m2)]
    k = np.r_[np.arange(m1.sum()) - np.repeat(np.cumsum(m1) - m1, m1),
              np.arange(m2.sum()) - np.repeat(np.cumsum(m2) - m2, m2)]
    life2 = np.r_[np.zeros(m1.sum(), bool), np.ones(m2.sum(), bool)]
    base = np.where(life2, p["t_re"][who], p["s1"][who])
    at = base + k * MONTH + rng.integers(0, 3 * 3600, len(k))
    amount = price[who] + np.where(~life2 & (k >= k_ex[who]), ex_amt[who], 0.0)
    kind = np.where(k == 0, "new", "renewal").astype(object)
    props = np.array([f'{{"plan": "{pl[0]}", "billing": "monthly"}}' for pl in C.PLANS],
                     dtype=object)[p["tier"][who]]
    # expansions
    e = np.flatnonzero(ex)
    e_at = p["s1"][e] + k_ex[e] * MONTH - rng.integers(1 * DAY, 10 * DAY, len(e))
    # one-off add-ons during the first life
    ao = np.flatnonzero(rng.random(m) < 0.10)
    span = np.maximum(np.minimum(p["churn1"][ao], end) - p["s1"][ao], DAY)
    ao_at = p["s1"][ao] + (rng.random(len(ao)) * span).astype(np.int64)
    prod = rng.integers(0, len(C.ADD_ONS), len(ao))
    ao_amt = np.array([a[1] for a in C.ADD_ONS])[prod]
    ao_props = np.array([f'{{"product": "{a[0]}", "one_off": true}}' for a in C.ADD_ONS],
                        dtype=object)[prod]
    # refunds of ~2 % of subscription payments
    rf = np.flatnonzero(rng.random(len(k)) < 0.02)
    rf_at = at[rf] + rng.integers(1 * DAY, 10 * DAY, len(rf))
    who_all = np.r_[who, e, ao, who[rf]]
    at_all = np.r_[at, e_at, ao_at, rf_at]
    kind_all = np.r_[kind, np.full(len(e) + len(ao), "expansion", object),
                     np.full(len(rf), "refund", object)]
    amt_all = np.r_[amount, ex_amt[e], ao_amt, amount[rf]]
    props_all = np.r_[props, np.full(len(e), '{"reason": "more seats"}', object), ao_props,
                      np.full(len(rf), '{"reason": "charged twice"}', object)]
    keep = at_all < end
    margin = np.round(rng.uniform(0.75, 0.85, len(at_all)), 4)
    contact = ci[who_all]
    return dict(contact=contact[keep], at=at_all[keep], kind=kind_all[keep],
                amount=np.round(amt_all[keep], 2), margin=margin[keep], props=props_all[keep])
