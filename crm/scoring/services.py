"""Writes of lead scoring: rules, thresholds, the recompute that stores every contact's score,
and accepting the MQL / SQL moves the thresholds propose."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit, audit_many, snapshot
from mos.periods import workspace_today
from mos.writes import audited_create, audited_update

from ..models import Contact, ScoringRule, ScoringSettings, Stage
from .compute import FIT_COLUMNS, PROPERTY_COLUMNS, score_contacts
from .loaders import load_contacts, load_events, workspace_rules

RULE_FIELDS = ["kind", "field", "values", "points", "half_life_days", "max_points", "active"]
_PROPERTY_KEY = re.compile(r"^properties\.[A-Za-z0-9_\-]{1,64}$")


def _validate_rule(rule: ScoringRule) -> None:
    rule.full_clean(exclude=["workspace"])
    errors: dict[str, list] = {}
    field = (rule.field or "").strip()
    rule.field = field
    if rule.kind == ScoringRule.Kind.PROPERTY:
        if field not in PROPERTY_COLUMNS and not _PROPERTY_KEY.match(field):
            errors["field"] = [_("Use one of %(fields)s or properties.<key>.")
                               % {"fields": ", ".join(PROPERTY_COLUMNS)}]
    elif rule.kind == ScoringRule.Kind.FIT:
        if field not in FIT_COLUMNS:
            errors["field"] = [_("Use one of %(fields)s.") % {"fields": ", ".join(FIT_COLUMNS)}]
    elif rule.kind == ScoringRule.Kind.EVENT and not field:
        errors["field"] = [_("Name the event.")]
    values = rule.values
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
        errors["values"] = [_("Give a list of values.")]
    else:
        rule.values = [str(v).strip() for v in values if str(v).strip()][:100]
    if not -100 <= (rule.points or 0) <= 100 or not rule.points:
        errors["points"] = [_("Give points between -100 and 100 (not 0).")]
    if rule.kind != ScoringRule.Kind.EVENT and (rule.half_life_days or rule.max_points):
        errors["half_life_days"] = [_("Only event rules decay and have a cap.")]
    if rule.kind == ScoringRule.Kind.EVENT and rule.half_life_days == 0:
        errors["half_life_days"] = [_("At least one day.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def scoring_rule_create(*, actor: Actor, **fields) -> ScoringRule:
    return audited_create(actor, ScoringRule, RULE_FIELDS, "scoring_rule.create", fields,
                          validate=_validate_rule)


@transaction.atomic
def scoring_rule_update(*, actor: Actor, rule: ScoringRule, **fields) -> ScoringRule:
    return audited_update(actor, rule, RULE_FIELDS, "scoring_rule.update", fields,
                          validate=_validate_rule)


@transaction.atomic
def scoring_rule_delete(*, actor: Actor, rule: ScoringRule) -> None:
    audit(actor, "scoring_rule.delete", rule, changes=snapshot(rule, RULE_FIELDS))
    rule.delete()


def scoring_settings_for(workspace) -> ScoringSettings:
    obj, _created = ScoringSettings.objects.get_or_create(workspace=workspace)
    return obj


@transaction.atomic
def scoring_settings_update(*, actor: Actor, mql_threshold: int,
                            sql_threshold: int) -> ScoringSettings:
    settings = scoring_settings_for(actor.workspace)

    def validate(obj):
        obj.full_clean()
        if obj.mql_threshold >= obj.sql_threshold:
            raise ValidationError({"sql_threshold": [
                _("The SQL threshold must be above the MQL threshold.")]})

    return audited_update(actor, settings, ["mql_threshold", "sql_threshold"],
                          "scoring_settings.update",
                          {"mql_threshold": mql_threshold, "sql_threshold": sql_threshold},
                          validate=validate)


UPSERT = ("INSERT INTO crm_contactscore (contact_id, workspace_id, score, computed_at) "
          "VALUES {values} ON CONFLICT (contact_id) DO UPDATE SET score = excluded.score, "
          "computed_at = excluded.computed_at")


def _write_scores(workspace_id: int, pairs: list[tuple[int, int]]) -> None:
    """Upsert (contact id, score) pairs into the narrow score table."""
    if not pairs:
        return
    now = timezone.now()
    rows = [(i, workspace_id, s, now) for i, s in pairs]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cur, UPSERT.format(values="%s"), rows, page_size=10_000)
        else:
            cur.executemany(UPSERT.format(values="(%s, %s, %s, %s)"), rows)


def scores_recompute(workspace, contact_ids=None, *, as_of=None) -> int:
    """Recompute the scores of the workspace's contacts (or only `contact_ids`) from its
    active rules and store those that changed; returns how many changed. Set-based: one
    query for the contacts, one for the events grouped by day, pandas for the maths."""
    rules = workspace_rules(workspace)
    as_of = as_of or workspace_today(workspace)
    contacts = load_contacts(workspace, rules, contact_ids)
    if contacts.empty:
        return 0
    events = load_events(workspace, rules, as_of, contact_ids)
    scores = score_contacts(contacts, events, rules, as_of)
    old = contacts.set_index("id")["score"].reindex(scores.index)
    changed = scores[scores.ne(old)]
    with transaction.atomic():
        _write_scores(workspace.pk, [(int(i), int(s)) for i, s in changed.items()])
        if contact_ids is None:
            ScoringSettings.objects.update_or_create(workspace=workspace,
                                                     defaults={"computed_at": timezone.now()})
    return len(changed)


def enqueue_rescore(workspace_id: int, contact_ids) -> None:
    """After new events: rescore the contacts they belong to, once the data is committed
    (only when the workspace has scoring rules)."""
    ids = sorted({int(i) for i in contact_ids if i})
    if not ids or not ScoringRule.objects.filter(workspace_id=workspace_id,
                                                 active=True).exists():
        return
    from .tasks import score_contacts_task

    transaction.on_commit(lambda: score_contacts_task.delay(workspace_id, ids))


@transaction.atomic
def proposals_accept(*, actor: Actor, contacts: list[Contact]) -> int:
    """Move each proposed contact one step (lead → MQL, MQL → SQL) if its score still
    reaches the threshold; returns how many moved."""
    from ..services import contact_change_stage

    settings = scoring_settings_for(actor.workspace)
    moved = 0
    from .selectors import with_score

    for c in with_score(Contact.objects.filter(pk__in=[c.pk for c in contacts])
                        .select_for_update(of=("self",))).order_by("id"):
        if c.stage == Stage.LEAD and c.score >= settings.mql_threshold:
            to, threshold = Stage.MQL, settings.mql_threshold
        elif c.stage == Stage.MQL and c.score >= settings.sql_threshold:
            to, threshold = Stage.SQL, settings.sql_threshold
        else:
            continue
        contact_change_stage(actor=actor, contact=c, to_stage=to, reason=_(
            "Lead score %(score)s ≥ %(threshold)s") % {"score": c.score, "threshold": threshold})
        moved += 1
    if moved:
        audit_many(actor, "scoring.proposals_accept", "crm.contact", moved)
    return moved
