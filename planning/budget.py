"""Budget reallocation (seeds 000/001: "move budget in 10–20 % steps by performance").

`propose_split` is pure: channels' numbers in, next month's split out, each move explained.

Rules, per channel (the ratio judged is LTV / marginal CAC when the marginal CAC can be
computed, else LTV:CAC, else ROAS):
- LTV:CAC ≥ 5 (or ROAS ≥ 4): grow by the largest step (default 20 %);
- 3 ≤ LTV:CAC < 5 (healthy, seed 001; ROAS 2–4): grow by the smallest step (10 %);
- 1 ≤ LTV:CAC < 3 (ROAS 1–2): cut by the smallest step;
- LTV:CAC < 1 (ROAS < 1: losing money), or spend without a customer: cut by the largest
  step;
- no numbers: hold.
A cut never takes a channel below the floor (a share of the total). The total is kept: the
money freed by cuts pays for the raises; if cuts free more than the raises want, every cut is
scaled down by the same factor (freed = wanted); if less, every raise is. With no channel to
grow, nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GROW_BIG, GROW, CUT, CUT_BIG = "grow_big", "grow", "cut", "cut_big"
HOLD, NO_DATA = "hold", "no_data"


@dataclass
class ChannelNumbers:
    key: str
    name: str
    spend: float  # last month's (the basis)
    customers: float | None = None
    cac: float | None = None
    marginal_cac: float | None = None
    roas: float | None = None
    ltv_cac: float | None = None
    ltv: float | None = None


@dataclass
class Move:
    key: str
    name: str
    current: float
    proposed: float
    step: float  # proposed / current - 1 (0 when current is 0)
    rule: str
    judged_by: str  # "marginal_ltv_cac", "ltv_cac", "roas" or ""
    ratio: float | None
    numbers: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"channel": self.key, "name": self.name, "current": self.current,
                "proposed": self.proposed, "step": self.step, "rule": self.rule,
                "judged_by": self.judged_by, "ratio": self.ratio, "numbers": self.numbers}


def marginal_cac(spend_now, customers_now, spend_before, customers_before) -> float | None:
    """What the extra customers of the month cost: Δspend / Δcustomers (both must grow)."""
    if None in (spend_now, customers_now, spend_before, customers_before):
        return None
    d_spend, d_cust = spend_now - spend_before, customers_now - customers_before
    if d_spend <= 0 or d_cust <= 0:
        return None
    return d_spend / d_cust


def _judge(ch: ChannelNumbers) -> tuple[str, str, float | None]:
    if (ch.spend or 0) > 0 and ch.customers == 0 and not ch.roas:
        return CUT_BIG, "no_customers", 0.0  # spend that bought nobody: the worst ratio
    if ch.ltv and ch.marginal_cac:
        ratio, by = ch.ltv / ch.marginal_cac, "marginal_ltv_cac"
    elif ch.ltv_cac is not None:
        ratio, by = ch.ltv_cac, "ltv_cac"
    elif ch.roas is not None:
        r = ch.roas
        rule = GROW_BIG if r >= 4 else GROW if r >= 2 else CUT if r >= 1 else CUT_BIG
        return rule, "roas", r
    else:
        return NO_DATA, "", None
    rule = GROW_BIG if ratio >= 5 else GROW if ratio >= 3 else CUT if ratio >= 1 else CUT_BIG
    return rule, by, ratio


def propose_split(channels: list[ChannelNumbers], total: float | None = None, *,
                  max_step: float = 0.2, min_step: float = 0.1,
                  floor_share: float = 0.05) -> list[Move]:
    """Next month's split of `total` (default: the channels' current spend) over `channels`."""
    if not 0 < min_step <= max_step <= 1:
        raise ValueError("steps must satisfy 0 < min_step <= max_step <= 1")
    current_sum = sum(max(c.spend or 0, 0) for c in channels)
    total = current_sum if total is None else float(total)
    scale = total / current_sum if current_sum else 0.0
    base = {c.key: max(c.spend or 0, 0) * scale for c in channels}
    floor = floor_share * total
    wanted_step: dict[str, float] = {}
    judged = {}
    for c in channels:
        rule, by, ratio = _judge(c)
        judged[c.key] = (rule, by, ratio)
        step = {GROW_BIG: max_step, GROW: min_step, CUT: -min_step, CUT_BIG: -max_step}.get(
            rule, 0.0)
        b = base[c.key]
        if b <= 0:
            step = 0.0  # a channel with no spend gets none from a step rule
        elif step < 0:
            step = max(step, min(0.0, floor / b - 1))  # never below the floor
        wanted_step[c.key] = step
    freed = -sum(base[k] * s for k, s in wanted_step.items() if s < 0)
    wanted = sum(base[k] * s for k, s in wanted_step.items() if s > 0)
    if wanted <= 0 or freed <= 0:
        cut_f = grow_f = 0.0  # nobody to pay for a raise, or nobody to receive a cut
    elif freed >= wanted:
        cut_f, grow_f = wanted / freed, 1.0
    else:
        cut_f, grow_f = 1.0, freed / wanted
    moves = []
    for c in channels:
        s = wanted_step[c.key]
        eff = s * (grow_f if s > 0 else cut_f)
        b = base[c.key]
        rule, by, ratio = judged[c.key]
        rule_out = rule if eff != 0 or rule == NO_DATA else HOLD
        moves.append(Move(
            key=c.key, name=c.name, current=round(c.spend or 0, 2),
            proposed=round(b * (1 + eff), 2), step=round(eff, 4) if b else 0.0,
            rule=rule_out, judged_by=by,
            ratio=None if ratio is None else round(ratio, 2),
            numbers={"spend": c.spend, "customers": c.customers, "cac": c.cac,
                     "marginal_cac": c.marginal_cac, "roas": c.roas, "ltv_cac": c.ltv_cac,
                     "ltv": c.ltv, "wanted_step": round(s, 4)}))
    # rounding: the cents left over go to the largest line so the split sums to the total
    if moves:
        diff = round(total - sum(m.proposed for m in moves), 2)
        if diff:
            biggest = max(moves, key=lambda m: m.proposed)
            biggest.proposed = round(biggest.proposed + diff, 2)
    return moves
