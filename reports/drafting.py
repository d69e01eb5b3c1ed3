"""What a drafted report proposes, as pure functions over the report's numbers (the dict of
`selectors.report_numbers`): no database, no formula of a metric — only the rules of seed 000.

- Wins: the KPIs furthest above target (attainment in the KPI's direction), best first.
- Problems: guardrail breaches first, then the KPIs furthest below target.
- Stop: a channel that spent in the month and missed its CAC target (the channel's own CAC KPI,
  else the workspace's CAC KPI) or returned ROAS < 1.
- Continue: a channel that spent and beat its CAC target with ROAS ≥ 1 (or no revenue data).
- Start: the top of the ICE backlog (also next month's three experiments).
Each proposal carries the numbers it came from, so the page can say why."""

from __future__ import annotations

from .models import HIGHLIGHTS


def _kpi_numbers(k: dict) -> dict:
    return {"kpi": k["code"], "label": k["name"], "unit": k["unit"], "actual": k["actual"],
            "target": k["target"], "attainment": k["attainment"],
            "guardrail_breach": k["guardrail_breach"], "guardrail_min": k["guardrail_min"],
            "guardrail_max": k["guardrail_max"], "direction": k["direction"]}


def wins_and_problems(numbers: dict, n: int = HIGHLIGHTS) -> tuple[list[dict], list[dict]]:
    """([wins], [problems]), each item {"text": "", "numbers": {...}} (text written later)."""
    kpis = [k for k in numbers.get("kpis", []) if k["actual"] is not None]
    good = sorted((k for k in kpis if k["good"] and k["attainment"] is not None
                   and not k["guardrail_breach"]),
                  key=lambda k: -k["attainment"])
    breaches = [k for k in kpis if k["guardrail_breach"]]
    bad = sorted((k for k in kpis if k["good"] is False and not k["guardrail_breach"]
                  and k["attainment"] is not None), key=lambda k: k["attainment"])
    wins = [{"text": "", "numbers": _kpi_numbers(k)} for k in good[:n]]
    problems = [{"text": "", "numbers": _kpi_numbers(k)} for k in (breaches + bad)[:n]]
    return wins, problems


def cac_targets(numbers: dict) -> tuple[dict[str, float], float | None]:
    """({channel key: CAC target from its own KPI}, the workspace's CAC target or None)."""
    own, blended = {}, None
    for k in numbers.get("kpis", []):
        if k["key"] != "cac" or k["target"] is None:
            continue
        if k["channel"]:
            own[k["channel"]] = k["target"]
        elif blended is None:
            blended = k["target"]
    return own, blended


def channel_decisions(numbers: dict) -> list[dict]:
    """Stop / Continue proposals for the month's channels, with their source numbers."""
    own, blended = cac_targets(numbers)
    out = []
    for c in numbers.get("channels", []):
        spend = c.get("spend") or 0
        if spend <= 0:
            continue
        target = own.get(c["key"], blended)
        cac, roas = c.get("cac"), c.get("roas")
        source = {"channel": c["key"], "channel_name": c["name"], "spend": spend,
                  "customers": c.get("customers"), "cac": cac, "cac_target": target,
                  "target_from": "channel" if c["key"] in own else "workspace",
                  "roas": roas, "ltv_cac": c.get("ltv_cac")}
        # no customer at all for real spend misses any CAC target
        missed = target is not None and (cac is None or cac > target)
        low_roas = roas is not None and roas < 1
        if missed or low_roas:
            reasons = (["cac"] if missed else []) + (["roas"] if low_roas else [])
            out.append({"kind": "stop", "subject": c["name"], "source": {**source,
                                                                        "reasons": reasons}})
        elif target is not None and cac is not None and cac <= target:
            out.append({"kind": "continue", "subject": c["name"],
                        "source": {**source, "reasons": ["cac"]}})
    # the most money at stake first
    out.sort(key=lambda d: (d["kind"] != "stop", -d["source"]["spend"]))
    return out


def start_decisions(backlog: list[dict]) -> list[dict]:
    """Start the top of the ICE backlog. `backlog`: [{"code", "name", "ice", "engine"}]."""
    return [{"kind": "start", "subject": e["name"], "engine": e.get("engine"),
             "source": {"experiment": e["code"], "ice": e.get("ice"),
                        "impact": e.get("impact"), "confidence": e.get("confidence"),
                        "ease": e.get("ease")}}
            for e in backlog[:HIGHLIGHTS]]
