"""Writes for insights and experiments: keyword-only, one transaction, audited.

The experiment lifecycle is guarded here (TRANSITIONS), and so is seed 001's "don't generalise
before the statistics hold": experiment_decide refuses a win or a loss before the planned
sample per variant or the planned end, unless the sequential boundary is crossed or an admin
overrides with a written reason (kept in the audit log)."""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit, audit_many, diff, snapshot

from .models import Experiment, ExperimentResult, ExperimentSettings, Insight, Variant

S = Experiment.Status
# status → the statuses it may move to (decided is reached through experiment_decide only)
TRANSITIONS: dict[str, set[str]] = {
    S.BACKLOG: {S.PLANNED, S.ARCHIVED},
    S.PLANNED: {S.BACKLOG, S.RUNNING, S.ARCHIVED},
    S.RUNNING: {S.ANALYSING},
    S.ANALYSING: {S.RUNNING},
    S.DECIDED: {S.SCALED, S.ARCHIVED},
    S.SCALED: {S.ARCHIVED},
    S.ARCHIVED: set(),
}
EDITABLE_STATUSES = {S.BACKLOG, S.PLANNED}
METRIC_KINDS = {"proportion", "mean"}
INSIGHT_FIELDS = ["source", "text", "evidence_url", "evidence_file", "tags", "engine"]
EXPERIMENT_FIELDS = ["key", "engine", "insight", "title", "hypothesis_if", "hypothesis_then",
                     "hypothesis_because", "funnel_stage", "primary_metric", "secondary_metrics",
                     "guardrail_metrics", "baseline", "baseline_std", "mde", "alpha", "power",
                     "owner", "planned_start", "planned_end", "impact", "confidence", "ease",
                     "expected_duration_days"]
AUDIT_FIELDS = [f for f in EXPERIMENT_FIELDS if f not in ("engine", "insight", "owner")] + [
    "required_sample", "status", "decision", "decision_reason", "override_reason"]


def _reject_unknown(fields: dict, allowed: list[str], what: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValueError(f"not {what} fields: {', '.join(unknown)}")


def _same_workspace(errors: dict, field: str, obj, ws_id: int) -> None:
    if obj is not None and getattr(obj, "workspace_id", ws_id) != ws_id:
        errors[field] = [_("Not found in this workspace.")]


# --- settings --------------------------------------------------------------------------------

def experiment_settings(workspace) -> ExperimentSettings:
    """The workspace's experiment settings (created with the defaults on first use)."""
    obj, _created = ExperimentSettings.objects.get_or_create(workspace=workspace)
    return obj


@transaction.atomic
def experiment_settings_update(*, actor: Actor, correction: str) -> ExperimentSettings:
    obj = experiment_settings(actor.workspace)
    before = obj.correction
    obj.correction = correction
    obj.full_clean()
    obj.save(update_fields=["correction"])
    audit(actor, "experiments.settings", obj, object_repr="experiment settings",
          changes={"correction": [before, correction]})
    return obj


# --- insights --------------------------------------------------------------------------------

def _clean_tags(tags) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
        raise ValidationError({"tags": [_("Give a list of tags.")]})
    return list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))[:20]


def _insight_links(insight: Insight, contacts, segments) -> None:
    errors: dict = {}
    ws_id = insight.workspace_id
    _same_workspace(errors, "engine", insight.engine, ws_id)
    if any(c.workspace_id != ws_id for c in contacts or []):
        errors["contacts"] = [_("Not found in this workspace.")]
    if any(s.workspace_id != ws_id for s in segments or []):
        errors["segments"] = [_("Not found in this workspace.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def insight_create(*, actor: Actor, contacts=(), segments=(), origin: str = "",
                   **fields) -> Insight:
    """File an insight in the inventory."""
    _reject_unknown(fields, INSIGHT_FIELDS, "insight")
    fields["tags"] = _clean_tags(fields.get("tags"))
    insight = Insight(workspace=actor.workspace, author=actor.user, origin=origin, **fields)
    _insight_links(insight, contacts, segments)
    insight.full_clean(validate_constraints=False)
    if origin and Insight.objects.filter(workspace=actor.workspace, origin=origin).exists():
        raise ValidationError(_("This finding is already in the insights inventory."))
    insight.save()
    if contacts:
        insight.contacts.set(contacts)
    if segments:
        insight.segments.set(segments)
    audit(actor, "insight.create", insight,
          changes={**snapshot(insight, ["source", "text", "evidence_url", "tags"]),
                   "origin": origin})
    return insight


@transaction.atomic
def insight_update(*, actor: Actor, insight: Insight, contacts=None, segments=None,
                   **fields) -> Insight:
    _reject_unknown(fields, INSIGHT_FIELDS, "insight")
    if "tags" in fields:
        fields["tags"] = _clean_tags(fields["tags"])
    before = snapshot(insight, ["source", "text", "evidence_url", "tags"])
    for k, v in fields.items():
        setattr(insight, k, v)
    _insight_links(insight, contacts, segments)
    insight.full_clean(validate_constraints=False)
    insight.save()
    if contacts is not None:
        insight.contacts.set(contacts)
    if segments is not None:
        insight.segments.set(segments)
    changes = diff(before, snapshot(insight, ["source", "text", "evidence_url", "tags"]))
    if changes:
        audit(actor, "insight.update", insight, changes=changes)
    return insight


def insight_from_lead_feedback(*, actor: Actor, feedback) -> Insight:
    """One click: a sales rep's verdict with a reason becomes an insight about that lead."""
    if feedback.workspace_id != actor.workspace.pk:
        raise ValidationError(_("Not found in this workspace."))
    if not feedback.reason.strip():
        raise ValidationError(_("Only feedback with a reason can become an insight."))
    text = _("Sales %(outcome)s a lead (quality %(quality)s/5): %(reason)s") % {
        "outcome": feedback.get_outcome_display().lower(), "quality": feedback.quality,
        "reason": feedback.reason}
    if feedback.note:
        text += "\n" + feedback.note
    return insight_create(actor=actor, source=Insight.Source.LEAD_FEEDBACK, text=text,
                          tags=["lead-quality", feedback.outcome],
                          contacts=[feedback.contact], origin=f"lead_feedback:{feedback.code}")


def insight_from_quality_finding(*, actor: Actor, kind: str, subject: str,
                                 detail: str = "") -> Insight:
    """One click: a data-quality finding (unknown event, missing property, naming break,
    untagged traffic) becomes an insight."""
    kinds = {"unknown_event": _("Unknown event name"),
             "missing_property": _("Events missing a required property"),
             "naming": _("Event name breaks the naming convention"),
             "untagged": _("Traffic without channel or UTM tags")}
    if kind not in kinds or not subject.strip():
        raise ValidationError(_("Unknown data-quality finding."))
    text = f"{kinds[kind]}: {subject.strip()}" + (f" — {detail.strip()}" if detail else "")
    return insight_create(actor=actor, source=Insight.Source.DATA_QUALITY, text=text[:2000],
                          tags=["data-quality", kind.replace("_", "-")],
                          origin=f"data_quality:{kind}:{subject.strip()}"[:80])


# --- experiments -----------------------------------------------------------------------------

def _clean_metric(value, field: str, *, guardrail: bool = False) -> dict:
    if not isinstance(value, dict):
        raise ValidationError({field: [_("Give the metric's key, kind and event.")]})
    key = slugify(str(value.get("key") or value.get("event") or "")).replace("-", "_")
    kind = value.get("kind") or "proportion"
    event = str(value.get("event") or "").strip()
    if not key or kind not in METRIC_KINDS or not event:
        raise ValidationError({field: [_("Give the metric's key, kind (proportion or mean) and "
                                         "the conversion event name (or \"order\").")]})
    out = {"key": key[:80], "kind": kind, "event": event[:100]}
    if guardrail:
        direction = value.get("direction") or "up"
        if direction not in ("up", "down"):
            raise ValidationError({field: [_("A guardrail's direction is up or down.")]})
        out["direction"] = direction
    return out


def _clean_metrics(fields: dict) -> None:
    if fields.get("primary_metric", False) is None:  # cleared: no primary metric yet
        fields["primary_metric"] = {}
    elif "primary_metric" in fields:
        fields["primary_metric"] = _clean_metric(fields["primary_metric"], "primary_metric")
    for name, guard in (("secondary_metrics", False), ("guardrail_metrics", True)):
        if name in fields:
            value = fields[name] or []
            if not isinstance(value, list):
                raise ValidationError({name: [_("Give a list of metrics.")]})
            fields[name] = [_clean_metric(m, name, guardrail=guard) for m in value]


def plan_sample(experiment: Experiment, daily_traffic: float | None = None) -> None:
    """Fill required_sample (per variant) and, given daily traffic, the expected duration."""
    exp = experiment
    exp.required_sample = None
    kind = (exp.primary_metric or {}).get("kind", "proportion")
    if exp.baseline and exp.mde:
        from .stats import required_sample_size

        try:
            n = required_sample_size(exp.baseline, exp.mde, alpha=exp.alpha, power=exp.power,
                                     relative=True, kind=kind, std=exp.baseline_std)
        except (ValueError, ZeroDivisionError):
            n = None
        exp.required_sample = int(n) if n else None
    if exp.required_sample and daily_traffic:
        from .stats import expected_duration_days

        pending = getattr(exp, "_variants", None)
        variants = len(pending) if pending else (exp.variants.count() if exp.pk else 2)
        exp.expected_duration_days = math.ceil(expected_duration_days(
            exp.required_sample, variants, daily_traffic))


def _check_experiment(exp: Experiment) -> None:
    errors: dict = {}
    ws_id = exp.workspace_id
    _same_workspace(errors, "engine", exp.engine, ws_id)
    _same_workspace(errors, "insight", exp.insight, ws_id)
    if exp.owner_id and not exp.owner.memberships.filter(workspace_id=ws_id).exists():
        errors["owner"] = [_("The owner must be a member of this workspace.")]
    if exp.planned_start and exp.planned_end and exp.planned_end < exp.planned_start:
        errors["planned_end"] = [_("The end date is before the start date.")]
    kind = (exp.primary_metric or {}).get("kind")
    if exp.baseline is not None and kind == "proportion" and not 0 < exp.baseline < 1:
        errors["baseline"] = [_("A conversion rate baseline is between 0 and 1.")]
    if exp.mde is not None and exp.mde <= 0:
        errors["mde"] = [_("The minimum detectable effect must be positive.")]
    if exp.baseline_std is None and kind == "mean" and exp.baseline and exp.mde:
        errors["baseline_std"] = [_("A mean metric needs the baseline's standard deviation.")]
    if exp.key and Experiment.objects.filter(workspace_id=ws_id, key=exp.key).exclude(
            pk=exp.pk).exists():
        errors["key"] = [_("Another experiment already uses this key.")]
    if errors:
        raise ValidationError(errors)


def _unique_key(workspace, title: str) -> str:
    base = slugify(title)[:60] or "experiment"
    key, n = base, 1
    while Experiment.objects.filter(workspace=workspace, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def _clean_variants(variants) -> list[dict]:
    if not isinstance(variants, list) or len(variants) < 2:
        raise ValidationError({"variants": [_("An experiment needs a control and at least one "
                                              "variant.")]})
    out, keys = [], set()
    for i, v in enumerate(variants):
        key = slugify(str(v.get("key") or "")).replace("-", "_")
        try:
            share = float(v.get("share"))
        except (TypeError, ValueError):
            share = -1
        if not key or key in keys or not 0 < share <= 1:
            raise ValidationError({"variants": [_("Each variant needs a distinct key and a "
                                                  "traffic share between 0 and 1.")]})
        keys.add(key)
        out.append({"key": key, "name": str(v.get("name") or key)[:120],
                    "is_control": bool(v.get("is_control")), "share": share, "position": i})
    if sum(1 for v in out if v["is_control"]) != 1:
        raise ValidationError({"variants": [_("Mark exactly one variant as the control.")]})
    if abs(sum(v["share"] for v in out) - 1) > 1e-6:
        raise ValidationError({"variants": [_("Traffic shares must add up to 100 %.")]})
    return out


DEFAULT_VARIANTS = [{"key": "control", "name": "Control", "is_control": True, "share": 0.5},
                    {"key": "treatment", "name": "Treatment", "is_control": False, "share": 0.5}]


def _exp_snapshot(exp: Experiment) -> dict:
    snap = snapshot(exp, AUDIT_FIELDS)
    snap["engine"] = str(exp.engine.code) if exp.engine_id else None
    snap["owner"] = exp.owner.email if exp.owner_id else None
    return snap


@transaction.atomic
def experiment_create(*, actor: Actor, variants: list[dict] | None = None,
                      daily_traffic: float | None = None, **fields) -> Experiment:
    """Write an experiment on the template (A/B by default); computes the required sample."""
    _reject_unknown(fields, EXPERIMENT_FIELDS, "experiment")
    _clean_metrics(fields)
    clean_variants = _clean_variants(variants if variants is not None else DEFAULT_VARIANTS)
    exp = Experiment(workspace=actor.workspace, **fields)
    if not exp.key:
        exp.key = _unique_key(actor.workspace, exp.title)
    if not exp.owner_id and actor.user is not None:
        exp.owner = actor.user
    exp._variants = clean_variants
    _check_experiment(exp)
    plan_sample(exp, daily_traffic)
    exp.full_clean(validate_constraints=False)
    exp.save()
    Variant.objects.bulk_create([Variant(workspace=actor.workspace, experiment=exp, **v)
                                 for v in clean_variants])
    audit(actor, "experiment.create", exp, changes={**_exp_snapshot(exp),
                                                     "variants": clean_variants})
    return exp


@transaction.atomic
def experiment_update(*, actor: Actor, experiment: Experiment,
                      variants: list[dict] | None = None, daily_traffic: float | None = None,
                      **fields) -> Experiment:
    """Edit the template. Once running, only the owner, dates, ICE and texts may change."""
    _reject_unknown(fields, EXPERIMENT_FIELDS, "experiment")
    _clean_metrics(fields)
    exp = experiment
    locked = {"key", "primary_metric", "baseline", "baseline_std", "mde", "alpha", "power"}
    if exp.status not in EDITABLE_STATUSES:
        changed = {k for k in set(fields) & locked if fields[k] != getattr(exp, k)}
        if changed or variants is not None:
            raise ValidationError({k: [_("Cannot change once the experiment has started.")]
                                   for k in (changed or {"variants"})})
    before = _exp_snapshot(exp)
    for k, v in fields.items():
        setattr(exp, k, v)
    clean_variants = _clean_variants(variants) if variants is not None else None
    exp._variants = clean_variants
    _check_experiment(exp)
    if exp.status in EDITABLE_STATUSES:
        plan_sample(exp, daily_traffic)
    exp.full_clean(validate_constraints=False)
    exp.save()
    if clean_variants is not None:
        exp.variants.all().delete()
        Variant.objects.bulk_create([Variant(workspace=exp.workspace, experiment=exp, **v)
                                     for v in clean_variants])
    changes = diff(before, _exp_snapshot(exp))
    if clean_variants is not None:
        changes["variants"] = clean_variants
    if changes:
        audit(actor, "experiment.update", exp, changes=changes)
    return exp


@transaction.atomic
def experiment_transition(*, actor: Actor, experiment: Experiment, to: str) -> Experiment:
    """Move along backlog → planned → running → analysing (→ decided via experiment_decide)
    → scaled / archived; anything else is refused with the reason."""
    exp = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if to not in TRANSITIONS.get(exp.status, set()):
        raise ValidationError({"status": [_("An experiment cannot go from %(a)s to %(b)s.") % {
            "a": S(exp.status).label, "b": S(to).label if to in S.values else to}]})
    if to in (S.PLANNED, S.RUNNING):
        missing = [label for label, ok in (
            (_("hypothesis"), exp.hypothesis_if and exp.hypothesis_then),
            (_("primary metric"), bool(exp.primary_metric)),
            (_("engine"), exp.engine_id is not None)) if not ok]
        if missing:
            raise ValidationError({"status": [_("Fill in the template first: %(m)s.") % {
                "m": ", ".join(str(m) for m in missing)}]})
    if to == S.RUNNING:
        if not exp.required_sample or not exp.planned_end:
            raise ValidationError({"status": [_("Set the baseline, minimum detectable effect "
                                                "and planned end before launching: they say "
                                                "when the result may be called.")]})
        if exp.started_at is None:
            exp.started_at = timezone.now()
    if to == S.ANALYSING:
        exp.ended_at = timezone.now()
    before = exp.status
    exp.status = to
    exp.save(update_fields=["status", "started_at", "ended_at"])
    audit(actor, "experiment.status", exp, changes={"status": [before, to]})
    experiment.__dict__.update({k: getattr(exp, k) for k in ("status", "started_at",
                                                             "ended_at")})
    return exp


def _today(exp: Experiment) -> dt.date:
    return timezone.localdate()


@transaction.atomic
def experiment_acknowledge_srm(*, actor: Actor, experiment: Experiment, note: str) -> Experiment:
    """Acknowledge a sample-ratio mismatch (with what was checked) so a decision may follow."""
    if not note.strip():
        raise ValidationError({"note": [_("Say what you checked about the mismatch.")]})
    experiment.srm_acknowledged_at = timezone.now()
    experiment.srm_acknowledged_note = note.strip()
    experiment.save(update_fields=["srm_acknowledged_at", "srm_acknowledged_note"])
    audit(actor, "experiment.srm_acknowledged", experiment, changes={"note": note.strip()})
    return experiment


@transaction.atomic
def experiment_decide(*, actor: Actor, experiment: Experiment, decision: str, reason: str,
                      override_reason: str = "", today: dt.date | None = None) -> Experiment:
    """Record win / loss / inconclusive. A win or a loss before the planned sample per variant
    and the planned end is refused unless the sequential boundary is crossed, or an admin
    overrides with a written reason (audited). An unacknowledged SRM blocks every decision."""
    from .analysis import experiment_analysis

    exp = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if exp.status not in (S.RUNNING, S.ANALYSING):
        raise ValidationError({"decision": [_("Only a running or analysed experiment can be "
                                              "decided.")]})
    if decision not in Experiment.Decision.values:
        raise ValidationError({"decision": [_("Choose win, loss or inconclusive.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Write the reason for the decision.")]})
    analysis = experiment_analysis(exp, today=today or _today(exp))
    if analysis["srm"] and analysis["srm"]["flagged"] and exp.srm_acknowledged_at is None:
        raise ValidationError({"decision": [_("The traffic split does not match the plan "
                                              "(sample-ratio mismatch): acknowledge it first.")]})
    gate = analysis["gate"]
    overridden = False
    if decision != Experiment.Decision.INCONCLUSIVE and not gate["allowed"]:
        if not override_reason.strip():
            raise ValidationError({"decision": [gate["message"]]}, code="too_early")
        if not actor.can("experiments.override"):
            raise ValidationError({"override_reason": [_("Only an admin may call a result "
                                                         "early.")]})
        overridden = True
    before = exp.status
    exp.status = S.DECIDED
    exp.decision = decision
    exp.decision_reason = reason.strip()
    exp.override_reason = override_reason.strip() if overridden else ""
    exp.decided_at = timezone.now()
    if exp.ended_at is None:
        exp.ended_at = exp.decided_at
    exp.save(update_fields=["status", "decision", "decision_reason", "override_reason",
                            "decided_at", "ended_at"])
    changes = {"status": [before, exp.status], "decision": decision, "reason": exp.decision_reason,
               "gate": gate["reason"]}
    if overridden:
        changes["override_reason"] = exp.override_reason
        audit(actor, "experiment.override", exp, changes=changes)
    else:
        audit(actor, "experiment.decide", exp, changes=changes)
    experiment.refresh_from_db()
    return exp


@transaction.atomic
def experiment_review(*, actor: Actor, experiment: Experiment, expected: str = "",
                      happened: str = "", why: str = "", next: str = "") -> Experiment:
    """The after-action review: what we expected, what happened, why, what next."""
    if experiment.status not in (S.DECIDED, S.SCALED, S.ARCHIVED):
        raise ValidationError({"aar_expected": [_("Review an experiment once it is decided.")]})
    fields = ["aar_expected", "aar_happened", "aar_why", "aar_next"]
    before = snapshot(experiment, fields)
    experiment.aar_expected, experiment.aar_happened = expected.strip(), happened.strip()
    experiment.aar_why, experiment.aar_next = why.strip(), next.strip()
    experiment.save(update_fields=fields)
    changes = diff(before, snapshot(experiment, fields))
    if changes:
        audit(actor, "experiment.review", experiment, changes=changes)
    return experiment


# --- results ---------------------------------------------------------------------------------

MAX_RESULT_ROWS = 10_000


def clean_result_rows(experiment: Experiment, rows: list[dict]) -> tuple[list, list[dict]]:
    """(valid ExperimentResult objects, per-row errors [{index, errors}]) for daily rows
    {variant, metric, date, n, sum, sum_sq}. A proportion's sum is its conversions."""
    variants = {v.key: v for v in experiment.variants.all()}
    metrics = {m["key"]: m for m in experiment.metrics}
    good, errors = [], []
    seen = set()
    for i, row in enumerate(rows):
        errs: dict = {}
        variant = variants.get(str(row.get("variant", "")))
        if variant is None:
            errs["variant"] = [_("Unknown variant key.")]
        metric = metrics.get(str(row.get("metric", "")))
        if metric is None:
            errs["metric"] = [_("Not one of this experiment's metrics.")]
        day = row.get("date")
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                day = None
        if not isinstance(day, dt.date):
            errs["date"] = [_("Give a date as YYYY-MM-DD.")]
        nums = {}
        for f in ("n", "sum", "sum_sq"):
            try:
                nums[f] = float(row.get(f, 0 if f != "n" else None))
            except (TypeError, ValueError):
                errs[f] = [_("Give a number.")]
        if not errs:
            n, s, ss = nums["n"], nums["sum"], nums["sum_sq"]
            if n < 0 or n != int(n):
                errs["n"] = [_("Exposures are a whole number, zero or more.")]
            elif metric["kind"] == "proportion" and not 0 <= s <= n:
                errs["sum"] = [_("Conversions must be between 0 and the exposures.")]
            elif metric["kind"] == "proportion":
                ss = s  # a 0/1 metric: the sum of squares is the sum
            elif ss < 0 or (n and ss * n < s * s - 1e-6 * max(1.0, s * s)):
                errs["sum_sq"] = [_("The sum of squares is too small for this sum.")]
            key = (variant.key, metric["key"], day)
            if not errs and key in seen:
                errs["date"] = [_("This variant, metric and day appear twice in the request.")]
            seen.add(key)
            nums["sum_sq"] = ss
        if errs:
            errors.append({"index": i, "errors": errs})
        else:
            good.append(ExperimentResult(
                workspace_id=experiment.workspace_id, experiment=experiment, variant=variant,
                metric=metric["key"], date=day, n=int(nums["n"]), sum=nums["sum"],
                sum_sq=nums["sum_sq"]))
    return good, errors


@transaction.atomic
def results_upsert(*, actor: Actor, experiment: Experiment, rows: list[dict],
                   source: str = ExperimentResult.Source.API) -> dict:
    """Insert or replace daily result rows; all rows or none (per-row errors otherwise).
    Re-sending the same rows changes nothing: the key is (variant, metric, date)."""
    if not isinstance(rows, list) or not rows:
        raise ValidationError({"rows": [_("Send at least one row.")]})
    if len(rows) > MAX_RESULT_ROWS:
        raise ValidationError({"rows": [_("At most %(n)d rows per request.") % {
            "n": MAX_RESULT_ROWS}]})
    good, errors = clean_result_rows(experiment, rows)
    if errors:
        exc = ValidationError({"rows": [
            f"{e['index']}: {field}: {' '.join(str(m) for m in msgs)}"
            for e in errors for field, msgs in e["errors"].items()]})
        exc.row_errors = errors  # the API answers these per row
        raise exc
    now = timezone.now()
    for r in good:
        r.source, r.updated_at = source, now
    ExperimentResult.objects.bulk_create(
        good, update_conflicts=True, unique_fields=["variant", "metric", "date"],
        # a typed-in or posted day replaces a computed one with its CUPED covariate (null)
        update_fields=["n", "sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum", "source",
                       "updated_at"])
    audit_many(actor, "experiment.results", "experiments.experimentresult", len(good),
               experiment=str(experiment.code), source=source)
    return {"rows": len(good)}
