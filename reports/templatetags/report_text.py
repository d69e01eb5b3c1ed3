"""Sentences the report writes from its numbers, in the reader's language (a drafted win,
problem or decision stores only numbers until a person writes words of their own)."""

from django import template
from django.utils.translation import gettext as _

from engines.templatetags.metric_format import fmt

register = template.Library()


@register.simple_tag
def highlight_text(item: dict) -> str:
    """A win or problem: the person's text, else a sentence from its numbers."""
    if not item:
        return ""
    if item.get("text"):
        return item["text"]
    n = item.get("numbers") or {}
    if not n:
        return ""
    unit = n.get("unit") or "count"
    values = {"label": n.get("label", ""), "actual": fmt(n.get("actual"), unit),
              "target": fmt(n.get("target"), unit)}
    if n.get("guardrail_breach"):
        limit = n.get("guardrail_max") if n.get("guardrail_max") is not None else n.get(
            "guardrail_min")
        values["limit"] = fmt(limit, unit)
        return _("%(label)s broke its guardrail: %(actual)s (limit %(limit)s).") % values
    att = n.get("attainment")
    values["att"] = fmt(att, "ratio") if att is not None else "—"
    return _("%(label)s: %(actual)s against a target of %(target)s (%(att)s of target).") % values


@register.simple_tag
def decision_why(d: dict) -> str:
    """A decision's rationale: the person's, else the numbers it was proposed from."""
    if d.get("rationale"):
        return d["rationale"]
    s = d.get("source") or {}
    if not s:
        return ""
    if "experiment" in s:
        return _("Top of the ICE backlog (ICE %(ice)s).") % {"ice": fmt(s.get("ice"), "score")}
    parts = []
    reasons = s.get("reasons", [])
    values = {"cac": fmt(s.get("cac"), "currency"), "target": fmt(s.get("cac_target"),
                                                                  "currency"),
              "roas": fmt(s.get("roas"), "multiple"), "spend": fmt(s.get("spend"), "currency")}
    if d.get("kind") == "stop":
        if "cac" in reasons:
            if s.get("cac") is None:
                parts.append(_("No new customer for %(spend)s of spend (CAC target "
                               "%(target)s).") % values)
            else:
                parts.append(_("CAC %(cac)s missed its target of %(target)s.") % values)
        if "roas" in reasons:
            parts.append(_("ROAS %(roas)s: less came back than the %(spend)s spent.") % values)
    elif d.get("kind") == "continue":
        parts.append(_("CAC %(cac)s beat its target of %(target)s; ROAS %(roas)s on %(spend)s "
                       "of spend.") % values)
    return " ".join(parts)


@register.simple_tag
def auto_summary(content: dict) -> str:
    """A proposed executive summary from the month's numbers (shown until someone writes one)."""
    numbers = content.get("numbers", {})
    kpis = numbers.get("kpis", [])
    lines = []
    nsm = next((k for k in kpis if k["north_star"]), None)
    if nsm and nsm["actual"] is not None:
        lines.append(_("North Star — %(name)s: %(actual)s against a target of %(target)s.") % {
            "name": nsm["name"], "actual": fmt(nsm["actual"], nsm["unit"]),
            "target": fmt(nsm["target"], nsm["unit"])})
    judged = [k for k in kpis if k["good"] is not None]
    if judged:
        lines.append(_("%(n)d of %(m)d KPIs on target; %(b)d guardrail breach(es).") % {
            "n": sum(1 for k in judged if k["good"]), "m": len(judged),
            "b": sum(1 for k in kpis if k["guardrail_breach"])})
    head = {h["key"]: h for h in numbers.get("headline", [])}
    if head.get("spend") and head.get("new_customers"):
        lines.append(_("Spend %(spend)s, %(customers)s new customers, CAC %(cac)s.") % {
            "spend": fmt(head["spend"]["value"], "currency"),
            "customers": fmt(head["new_customers"]["value"], "count"),
            "cac": fmt(head.get("cac", {}).get("value"), "currency")})
    stops = sum(1 for d in content.get("decisions", []) if d["kind"] == "stop")
    if stops:
        lines.append(_("%(n)d channel(s) proposed for Stop.") % {"n": stops})
    return "\n".join(lines)


@register.filter
def get(d, key):
    try:
        return d.get(key)
    except AttributeError:
        return None
