"""Reads: an experiment's results aggregated per variant and metric, analysed with the pure
functions of experiments.stats — frequentist (z-test / Welch), Bayesian, SRM, sequential
(always-valid) intervals, guardrails, multiple-testing correction, and the decision gate
("no early calls"). Nothing here writes."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from django.utils.translation import gettext as _

from .models import Experiment, ExperimentResult, ExperimentSettings

SRM_P = 0.001  # DESIGN §6: flag a sample-ratio mismatch below this p-value


def _f(v):
    """A JSON/template-safe float (NaN and inf become None)."""
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _sample(kind: str, n: int, s: float, ss: float):
    from . import stats

    if kind == "proportion":
        return stats.proportion_stats(int(n), int(round(s)))
    return stats.SampleStats(int(n), float(s), float(ss))


def result_totals(experiment: Experiment) -> dict[tuple[int, str], tuple[int, float, float]]:
    """{(variant id, metric key): (n, sum, sum_sq)} summed over every day (one query)."""
    from django.db.models import Sum

    rows = (ExperimentResult.objects.filter(experiment=experiment).order_by()
            .values("variant_id", "metric")
            .annotate(n=Sum("n"), s=Sum("sum"), ss=Sum("sum_sq")))
    return {(r["variant_id"], r["metric"]): (r["n"] or 0, r["s"] or 0.0, r["ss"] or 0.0)
            for r in rows}


def result_pre_totals(experiment: Experiment) -> dict[tuple[int, str], tuple]:
    """{(variant id, metric key): (n, sum, sum_sq, pre_sum, pre_sum_sq, cross_sum)} over the
    days whose rows carry the CUPED covariate (computed rows); one query."""
    from django.db.models import Sum

    rows = (ExperimentResult.objects.filter(experiment=experiment, pre_sum__isnull=False)
            .order_by().values("variant_id", "metric")
            .annotate(n=Sum("n"), s=Sum("sum"), ss=Sum("sum_sq"), ps=Sum("pre_sum"),
                      pss=Sum("pre_sum_sq"), cs=Sum("cross_sum")))
    return {(r["variant_id"], r["metric"]): (r["n"] or 0, r["s"] or 0.0, r["ss"] or 0.0,
                                             r["ps"] or 0.0, r["pss"] or 0.0, r["cs"] or 0.0)
            for r in rows}


def workspace_totals(experiments) -> tuple[dict, dict]:
    """result_totals and result_pre_totals of many experiments in two queries:
    ({experiment id: totals}, {experiment id: pre_totals}), every experiment present."""
    from django.db.models import Sum

    ids = [e.pk for e in experiments]
    totals: dict = {pk: {} for pk in ids}
    pre: dict = {pk: {} for pk in ids}
    for r in (ExperimentResult.objects.filter(experiment_id__in=ids).order_by()
              .values("experiment_id", "variant_id", "metric")
              .annotate(n=Sum("n"), s=Sum("sum"), ss=Sum("sum_sq"))):
        totals[r["experiment_id"]][(r["variant_id"], r["metric"])] = (
            r["n"] or 0, r["s"] or 0.0, r["ss"] or 0.0)
    for r in (ExperimentResult.objects.filter(experiment_id__in=ids, pre_sum__isnull=False)
              .order_by().values("experiment_id", "variant_id", "metric")
              .annotate(n=Sum("n"), s=Sum("sum"), ss=Sum("sum_sq"), ps=Sum("pre_sum"),
                        pss=Sum("pre_sum_sq"), cs=Sum("cross_sum"))):
        pre[r["experiment_id"]][(r["variant_id"], r["metric"])] = (
            r["n"] or 0, r["s"] or 0.0, r["ss"] or 0.0, r["ps"] or 0.0, r["pss"] or 0.0,
            r["cs"] or 0.0)
    return totals, pre


def analyse_experiments(experiments, *, today: dt.date | None = None) -> dict:
    """experiment_analysis of many experiments (fetch them with prefetch_related("variants")):
    the stored totals in two queries and each workspace's correction once, instead of four
    queries per experiment. {experiment id: analysis}"""
    experiments = list(experiments)
    totals, pre = workspace_totals(experiments)
    methods: dict = {}
    out = {}
    for e in experiments:
        if e.workspace_id not in methods:
            methods[e.workspace_id] = _correction(e.workspace_id)
        out[e.pk] = experiment_analysis(e, today=today, totals=totals[e.pk],
                                        pre_totals=pre[e.pk],
                                        correction=methods[e.workspace_id])
    return out


def cuped_adjust(variants, control, metric_key: str, totals: dict, pre_totals: dict):
    """CUPED-adjusted SampleStats per variant id for one metric, or None when the covariate
    is missing for part of the data (typed-in rows) or explains nothing.
    → ({variant id: SampleStats}, {"theta", "variance_reduction"})"""
    from . import stats

    order = [control] + [v for v in variants if v.pk != control.pk]
    rows = [pre_totals.get((v.pk, metric_key)) for v in order]
    if any(r is None or r[0] < 2 for r in rows):
        return None
    # every user of the metric must carry a covariate (no mix of typed-in and computed days)
    if any(totals.get((v.pk, metric_key), (0,))[0] != r[0] for v, r in zip(order, rows)):
        return None
    n, sy, syy, sx, sxx, sxy = (list(col) for col in zip(*rows))
    res = stats.cuped_from_sums(n, sy, syy, sx, sxx, sxy, control_index=0)
    if not res["theta"]:
        return None
    return ({v.pk: st for v, st in zip(order, res["stats"])},
            {"theta": _f(res["theta"]), "variance_reduction": _f(res["variance_reduction"]),
             "reduction_pct": _f(100 * res["variance_reduction"])})


def _correction(workspace_id: int) -> str:
    row = ExperimentSettings.objects.filter(workspace_id=workspace_id).values_list(
        "correction", flat=True).first()
    return row or ExperimentSettings.Correction.HOLM


def gate_message(reason: str, *, current_n, planned_n, planned_end) -> str:
    """The sentence the screen shows for a stats.can_decide reason code."""
    ctx = {"n": f"{current_n:,}", "planned": f"{planned_n or 0:,}",
           "end": planned_end.isoformat() if planned_end else "—"}
    messages = {
        "sample_reached": _("The planned sample per variant is reached: the result may be "
                            "called."),
        "end_date_reached": _("The planned end date is reached: the result may be called."),
        "sequential_boundary_crossed": _("The sequential boundary is crossed: the result holds "
                                         "even before the planned sample."),
        "srm_unacknowledged": _("The traffic split does not match the plan (sample-ratio "
                                "mismatch): acknowledge it before deciding."),
        "no_plan": _("No planned sample or end date: set them before calling a result."),
        "too_early": _("Too early: %(n)s of the planned %(planned)s users per variant, and the "
                       "test is planned to run until %(end)s. No early calls: a win or a loss "
                       "can be recorded once either is reached, or when the sequential "
                       "boundary is crossed.") % ctx,
    }
    return str(messages.get(reason, messages["too_early"]))


def experiment_analysis(experiment: Experiment, *, today: dt.date | None = None,
                        totals: dict | None = None, pre_totals: dict | None = None,
                        correction: str | None = None) -> dict:
    """Everything the experiment page and the decision need, from the stored daily results.

    {variants, exposures, srm, metrics: [{key, kind, role, rows: [{variant, n, mean,
    effect, ci, p, p_adj, significant, chance_to_win, expected_loss, seq_ci, crossed}]}],
    guardrails, gate: {allowed, reason, message, current_n, planned_n}}"""
    from django.utils import timezone

    from . import stats

    exp = experiment
    today = today or timezone.localdate()
    variants = list(exp.variants.all())
    control = next((v for v in variants if v.is_control), None)
    totals = result_totals(exp) if totals is None else totals
    pre_totals = result_pre_totals(exp) if pre_totals is None else pre_totals
    metrics = exp.metrics
    primary = metrics[0]["key"] if metrics else None
    exposures = {v.pk: totals.get((v.pk, primary), (0, 0, 0))[0] for v in variants}
    out = {"variants": variants, "control": control, "exposures": exposures, "metrics": [],
           "srm": None, "guardrails": [], "has_data": any(exposures.values())}
    if control is None or not metrics:
        out["gate"] = {"allowed": False, "reason": "no_design", "message": _(
            "Add a control and a primary metric first."), "current_n": 0,
                       "planned_n": exp.required_sample, "crossed": False}
        return out

    total_n = sum(exposures.values())
    if total_n > 0 and len(variants) > 1:
        r = stats.srm([exposures[v.pk] for v in variants], [v.share for v in variants])
        flagged = bool(getattr(r, "flagged", r.p_value < SRM_P))
        out["srm"] = {"chi2": _f(r.chi2), "p_value": _f(r.p_value), "flagged": flagged,
                      "acknowledged": exp.srm_acknowledged_at is not None,
                      "shares": [(v, exposures[v.pk] / total_n, v.share) for v in variants]}

    crossed = False
    pvalue_slots = []  # (metric block, row) of primary and secondary comparisons
    for m in metrics:
        block = {**m, "rows": []}
        c_tot = totals.get((control.pk, m["key"]), (0, 0.0, 0.0))
        c = _sample(m["kind"], *c_tot) if c_tot[0] else None
        adjusted = cuped_adjust(variants, control, m["key"], totals, pre_totals)
        block["cuped"] = adjusted[1] if adjusted else None
        if adjusted:
            c = adjusted[0][control.pk]
        block["control"] = {"variant": control, "n": c_tot[0],
                            "mean": _f(c_tot[1] / c_tot[0]) if c_tot[0] else None}
        for v in variants:
            if v.is_control:
                continue
            t_tot = totals.get((v.pk, m["key"]), (0, 0.0, 0.0))
            row = {"variant": v, "n": t_tot[0],
                   "mean": _f(t_tot[1] / t_tot[0]) if t_tot[0] else None, "ready": False}
            if c is not None and t_tot[0] and c_tot[0] > 1 and t_tot[0] > 1:
                t = adjusted[0][v.pk] if adjusted else _sample(m["kind"], *t_tot)
                try:
                    fr = stats.frequentist(c, t, alpha=exp.alpha, relative=True)
                    by = stats.bayesian(c, t)
                    sq = stats.sequential(c, t, alpha=exp.alpha)
                except (ValueError, ZeroDivisionError):
                    fr = by = sq = None
                if fr is not None:
                    row.update({
                        "ready": True, "effect": _f(fr.effect), "ci_low": _f(fr.ci_low),
                        "ci_high": _f(fr.ci_high), "p_value": _f(fr.p_value),
                        "p_adjusted": _f(fr.p_value),
                        "significant": bool(fr.significant),
                        "chance_to_win": _f(getattr(by, "chance_to_win", None)),
                        "expected_loss": _f(getattr(by, "expected_loss_treatment", None)),
                        "cred_low": _f(getattr(by, "ci_low", None)),
                        "cred_high": _f(getattr(by, "ci_high", None)),
                        "seq_low": _f(sq.ci_low), "seq_high": _f(sq.ci_high),
                        "crossed": bool(sq.crossed)})
                    if m["role"] == "primary" and row["crossed"]:
                        crossed = True
                    if m["role"] != "guardrail" and row["p_value"] is not None:
                        pvalue_slots.append(row)
            block["rows"].append(row)
        out["metrics"].append(block)

    method = correction or _correction(exp.workspace_id)
    out["correction"] = method
    out["correction_label"] = ExperimentSettings.Correction(method).label
    if method != "none" and len(pvalue_slots) > 1:
        adjusted = stats.adjust_pvalues([r["p_value"] for r in pvalue_slots], method=method)
        for r, p in zip(pvalue_slots, adjusted):
            r["p_adjusted"] = _f(p)
            r["significant"] = r["p_adjusted"] is not None and r["p_adjusted"] < exp.alpha

    for block in out["metrics"]:
        if block["role"] != "guardrail":
            continue
        for row in block["rows"]:
            status = "no_data"
            if row.get("ready"):
                worse = (row["effect"] or 0) < 0 if block.get("direction", "up") == "up" else (
                    row["effect"] or 0) > 0
                if worse and row["significant"]:
                    status = "breach"
                elif worse:
                    status = "watch"
                else:
                    status = "ok"
            row["guardrail"] = status
            out["guardrails"].append({"metric": block["key"], "variant": row["variant"],
                                      "status": status})

    current_n = min(exposures.values()) if exposures else 0
    srm = out["srm"] or {}
    allowed, reason = stats.can_decide(exp.required_sample, list(exposures.values()),
                                       exp.planned_end, today, sequential_crossed=crossed,
                                       srm_flagged=bool(srm.get("flagged")),
                                       srm_acknowledged=bool(srm.get("acknowledged")))
    out["gate"] = {"allowed": bool(allowed), "reason": str(reason), "crossed": crossed,
                   "current_n": current_n, "planned_n": exp.required_sample,
                   "message": gate_message(str(reason), current_n=current_n,
                                           planned_n=exp.required_sample,
                                           planned_end=exp.planned_end)}
    return out


def cumulative_series(experiment: Experiment, metric: dict | None = None) -> dict:
    """The primary metric's relative effect (and interval) of each variant against the
    control, cumulated day by day: {variant key: [(date, effect, low, high)]}."""
    import pandas as pd

    from .stats.frequentist import frequentist_arrays

    exp = experiment
    metric = metric or (exp.metrics[0] if exp.metrics else None)
    if metric is None:
        return {}
    variants = list(exp.variants.all())
    control = next((v for v in variants if v.is_control), None)
    rows = list(ExperimentResult.objects.filter(experiment=exp, metric=metric["key"])
                .order_by().values_list("variant_id", "date", "n", "sum", "sum_sq"))
    if control is None or not rows:
        return {}
    df = pd.DataFrame(rows, columns=["variant", "date", "n", "s", "ss"])
    wide = df.pivot_table(index="date", columns="variant", values=["n", "s", "ss"],
                          aggfunc="sum", fill_value=0).sort_index().cumsum()
    out = {}
    for v in variants:
        if v.is_control or ("n", v.pk) not in wide.columns or ("n", control.pk) not in wide:
            continue
        # every day at once (stats.frequentist's arrays): one call, not one per day
        cn, tn = wide[("n", control.pk)].to_numpy(float), wide[("n", v.pk)].to_numpy(float)
        sc, ssc = wide[("s", control.pk)].to_numpy(float), wide[("ss", control.pk)].to_numpy(float)
        st_, sst = wide[("s", v.pk)].to_numpy(float), wide[("ss", v.pk)].to_numpy(float)
        cn, tn = np.floor(cn), np.floor(tn)  # _sample's int(n)
        if metric["kind"] == "proportion":  # _sample: proportion_stats(n, round(sum))
            sc = ssc = np.round(sc)
            st_ = sst = np.round(st_)
        keep = (cn >= 2) & (tn >= 2)
        days = wide.index[keep]
        r = frequentist_arrays(cn[keep], sc[keep], ssc[keep], tn[keep], st_[keep], sst[keep],
                               alpha=exp.alpha)
        series = [(day, _f(e), _f(lo), _f(hi)) for day, e, lo, hi in zip(
            days, r["relative_effect"], r["relative_ci_low"], r["relative_ci_high"])]
        out[v.key] = series
    return out
