"""Writes for activities. Someone who may edit the CRM works on any contact or account; a
sales rep (activities.log without crm.edit) only on the contacts assigned to them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit, diff, snapshot
from mos.models import Membership
from mos.writes import reject_unknown

from ..models import Activity

ACTIVITY_FIELDS = ["kind", "contact", "account", "owner", "subject", "body", "call_outcome",
                   "duration_seconds", "due_at", "done_at", "at", "source", "external_id"]
UPDATE_FIELDS = [f for f in ACTIVITY_FIELDS if f not in ("contact", "account", "source")]


def may_work_on(actor: Actor, contact=None, account=None) -> bool:
    """True if the actor may log or change activities on this contact / account."""
    if actor.can("crm.edit"):
        return True
    if not actor.can("activities.log") or actor.user is None:
        return False
    return contact is not None and contact.owner_id == actor.user.pk


def _check(actor: Actor, act: Activity) -> None:
    ws = actor.workspace
    errors: dict[str, list] = {}
    for field in ("contact", "account"):
        obj = getattr(act, field)
        if obj is not None and obj.workspace_id != ws.pk:
            errors[field] = [_("Not found in this workspace.")]
    if act.contact is None and act.account is None and "contact" not in errors:
        errors["contact"] = [_("Give a contact or an account.")]
    if act.owner_id and not Membership.objects.filter(workspace=ws,
                                                      user_id=act.owner_id).exists():
        errors["owner"] = [_("The owner must be a member of this workspace.")]
    if act.kind == Activity.Kind.TASK and act.due_at is None:
        errors["due_at"] = [_("A task needs a due date.")]
    if act.kind != Activity.Kind.CALL and act.call_outcome:
        errors["call_outcome"] = [_("Only a call has an outcome.")]
    if act.kind == Activity.Kind.CALL and not act.call_outcome:
        errors["call_outcome"] = [_("Say how the call went.")]
    if act.duration_seconds is not None and act.kind not in (Activity.Kind.CALL,
                                                             Activity.Kind.MEETING):
        errors["duration_seconds"] = [_("Only calls and meetings have a duration.")]
    if act.duration_seconds is not None and act.duration_seconds > 24 * 3600:
        errors["duration_seconds"] = [_("At most one day.")]
    if act.kind in (Activity.Kind.NOTE, Activity.Kind.EMAIL) and not (act.body or act.subject):
        errors["body"] = [_("Write something.")]
    if act.kind == Activity.Kind.TASK and not act.subject:
        errors["subject"] = [_("Give the task a title.")]
    if act.external_id and Activity.objects.filter(
            workspace=ws, external_id=act.external_id).exclude(pk=act.pk).exists():
        errors["external_id"] = [_("Another activity already has this external id.")]
    if errors:
        raise ValidationError(errors)
    if not may_work_on(actor, act.contact, act.account):
        raise PermissionDenied(_("You can only log activities on your own leads."))


def _snap(act: Activity) -> dict:
    return snapshot(act, UPDATE_FIELDS)


@transaction.atomic
def activity_create(*, actor: Actor, **fields) -> Activity:
    """Log a note, call, e-mail or meeting, or add a task (owner: the actor unless named)."""
    reject_unknown(fields, ACTIVITY_FIELDS, "activity")
    now = timezone.now()
    fields = {k: ("" if v is None and k in ("subject", "body", "call_outcome", "source",
                                               "external_id") else v)
              for k, v in fields.items()}
    act = Activity(workspace=actor.workspace, created_by=actor.user, created_at=now,
                   updated_at=now, **fields)
    if "owner" not in fields and actor.user is not None:
        act.owner = actor.user
    if act.at is None:
        act.at = now
    act.full_clean(validate_constraints=False, exclude=["contact", "account", "owner"])
    _check(actor, act)
    act.save()
    audit(actor, "activity.create", act, changes={**_snap(act), "contact": act.contact,
                                                   "account": act.account})
    return act


@transaction.atomic
def activity_update(*, actor: Actor, activity: Activity, **fields) -> Activity:
    reject_unknown(fields, UPDATE_FIELDS, "activity")
    before = _snap(activity)
    for k, v in fields.items():
        if v is None and k in ("subject", "body", "call_outcome", "external_id"):
            v = ""
        setattr(activity, k, v)
    activity.updated_at = timezone.now()
    activity.full_clean(validate_constraints=False, exclude=["contact", "account", "owner"])
    _check(actor, activity)
    activity.save()
    changes = diff(before, _snap(activity))
    if changes:
        audit(actor, "activity.update", activity, changes=changes)
    return activity


@transaction.atomic
def activity_set_done(*, actor: Actor, activity: Activity, done: bool = True) -> Activity:
    """Tick a task off (or reopen it)."""
    return activity_update(actor=actor, activity=activity,
                           done_at=(activity.done_at or timezone.now()) if done else None)


@transaction.atomic
def activity_delete(*, actor: Actor, activity: Activity) -> None:
    if not may_work_on(actor, activity.contact, activity.account):
        raise PermissionDenied(_("You can only log activities on your own leads."))
    audit(actor, "activity.delete", activity, changes=_snap(activity))
    activity.delete()
