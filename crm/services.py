"""Writes for the CRM: contacts and their lifecycle, the consent ledger, lead feedback, merges,
accounts, personas, segments and the workspace's lifecycle stage definitions.

Every function is keyword-only, runs in one transaction, full_clean()s before saving and records
an audit entry. Stage changes happen in exactly one place: contact_change_stage."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.writes import audited_create, audited_update
from mos.writes import reject_unknown as _reject_unknown
from mos.audit import audit, diff, snapshot
from mos.models import Membership, Workspace
from mos.roles import role_has_perm

from . import erasure
from .lifecycle import default_stages
from .models import (
    Account,
    Activity,
    Consent,
    Contact,
    ContactMerge,
    Event,
    LeadFeedback,
    LifecycleStage,
    Order,
    Persona,
    Segment,
    SegmentMember,
    Stage,
    StageChange,
    Subscription,
)

# fields a caller may set on a contact (stage only through contact_change_stage)
CONTACT_FIELDS = ["external_id", "email", "phone", "name", "account", "company", "country",
                  "city", "language", "persona", "customer_type", "buying_role", "owner",
                  "source_channel", "source_campaign", "properties"]
# create may also back-date a contact (imports, demo data)
CONTACT_CREATE_EXTRA = ["stage", "stage_changed_at", "created_at"]

ACCOUNT_FIELDS = ["name", "domain", "industry", "size", "plan", "external_id"]
PERSONA_FIELDS = ["name", "description", "needs", "objections", "value_proposition"]
SEGMENT_FIELDS = ["name", "description", "filters"]


# --- helpers ---------------------------------------------------------------------------------

def _check_same_workspace(workspace: Workspace, **related) -> None:
    """Refuse relations to another workspace's rows (full_clean cannot see tenancy)."""
    errors = {}
    for field, obj in related.items():
        if obj is not None and getattr(obj, "workspace_id", None) != workspace.pk:
            errors[field] = [_("Not found in this workspace.")]
    if errors:
        raise ValidationError(errors)


def _check_owner(workspace: Workspace, owner) -> None:
    if owner is not None and not Membership.objects.filter(workspace=workspace,
                                                           user=owner).exists():
        raise ValidationError({"owner": [_("The owner must be a member of this workspace.")]})


def _normalise_contact_fields(fields: dict) -> dict:
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip().lower()
    for f in ("phone", "name", "external_id", "company", "city"):
        if f in fields and isinstance(fields[f], str):
            fields[f] = fields[f].strip()
    if "country" in fields and isinstance(fields["country"], str):
        fields["country"] = fields["country"].strip().upper()
    if "properties" in fields and fields["properties"] is None:
        fields["properties"] = {}
    return fields


def _check_contact_relations(workspace: Workspace, fields: dict) -> None:
    _check_same_workspace(workspace, **{f: fields[f] for f in
                                        ("account", "persona", "source_channel",
                                         "source_campaign") if f in fields})
    if "owner" in fields:
        _check_owner(workspace, fields["owner"])


def _check_contact_unique(workspace: Workspace, contact: Contact) -> None:
    """Field errors for a duplicate e-mail or external id (the constraints would only say
    "constraint violated")."""
    errors = {}
    others = Contact.objects.filter(workspace=workspace)
    if contact.pk:
        others = others.exclude(pk=contact.pk)
    if contact.email and others.filter(email=contact.email).exists():
        errors["email"] = [_("Another contact already has this e-mail.")]
    if contact.external_id and others.filter(external_id=contact.external_id).exists():
        errors["external_id"] = [_("Another contact already has this external id.")]
    if errors:
        raise ValidationError(errors)


def _stage_key(value) -> str:
    value = str(value or "")
    if value not in Stage.values:
        raise ValidationError({"to_stage": [_("Unknown lifecycle stage “%(stage)s”.")
                                            % {"stage": value}]})
    return value


# --- contacts --------------------------------------------------------------------------------

@transaction.atomic
def contact_create(*, actor: Actor, **fields) -> Contact:
    """A new contact; when `stage` is given its first StageChange ('' → stage) is written."""
    _reject_unknown(fields, CONTACT_FIELDS + CONTACT_CREATE_EXTRA, "contact")
    fields = _normalise_contact_fields(dict(fields))
    ws = actor.workspace
    _check_contact_relations(ws, fields)
    stage = fields.pop("stage", None)
    now = timezone.now()
    contact = Contact(workspace=ws, **fields)
    contact.created_at = fields.get("created_at") or now
    contact.updated_at = now
    if stage:
        contact.stage = _stage_key(stage)
        contact.stage_changed_at = fields.get("stage_changed_at") or contact.created_at
    contact.full_clean(validate_constraints=False)
    _check_contact_unique(ws, contact)
    erasure.check_not_erased(ws.id, email=contact.email, phone=contact.phone)
    contact.save()
    if stage:
        StageChange.objects.create(workspace=ws, contact=contact, from_stage="",
                                   to_stage=contact.stage, at=contact.stage_changed_at,
                                   by=actor.user)
    audit(actor, "contact.create", contact,
          changes=snapshot(contact, CONTACT_FIELDS + ["stage"]))
    return contact


@transaction.atomic
def contact_update(*, actor: Actor, contact: Contact, **fields) -> Contact:
    """Change a contact's profile (never its stage: use contact_change_stage)."""
    if "stage" in fields:
        raise ValueError("the stage changes only through contact_change_stage")
    _reject_unknown(fields, CONTACT_FIELDS, "contact")
    fields = _normalise_contact_fields(dict(fields))
    _check_contact_relations(contact.workspace, fields)
    before = snapshot(contact, CONTACT_FIELDS)
    for k, v in fields.items():
        setattr(contact, k, v)
    contact.updated_at = timezone.now()
    contact.full_clean(validate_constraints=False)
    if "email" in fields or "external_id" in fields:
        _check_contact_unique(contact.workspace, contact)
    # a changed e-mail or phone may not bring back an erased person (as on create and import)
    changed = {k: getattr(contact, k) for k in ("email", "phone")
               if k in fields and getattr(contact, k) != before.get(k)}
    if changed:
        erasure.check_not_erased(contact.workspace_id, **changed)
    contact.save(update_fields=[*fields, "updated_at"])
    changes = diff(before, snapshot(contact, CONTACT_FIELDS))
    if changes:
        audit(actor, "contact.update", contact, changes=changes)
    return contact


@transaction.atomic
def contact_change_stage(*, actor: Actor, contact: Contact, to_stage: str, reason: str = "",
                         at: datetime | None = None) -> StageChange:
    """Move a contact to `to_stage` (any move, backwards too) and record the StageChange."""
    to_stage = _stage_key(to_stage)
    # lock the row so two concurrent moves cannot both read the same from-stage
    current = (Contact.objects.select_for_update().only("id", "stage")
               .get(pk=contact.pk)).stage
    if current == to_stage:
        raise ValidationError({"to_stage": [_("The contact is already in this stage.")]})
    at = at or timezone.now()
    change = StageChange(workspace=contact.workspace, contact=contact, from_stage=current,
                         to_stage=to_stage, at=at, by=actor.user, reason=(reason or "")[:300])
    change.full_clean()
    change.save()
    contact.stage = to_stage
    contact.stage_changed_at = at
    contact.updated_at = timezone.now()
    contact.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    audit(actor, "contact.stage_change", contact,
          changes={"stage": [current, to_stage], "reason": reason, "at": at})
    return change


def contacts_change_stage_many(*, actor: Actor, contact_ids: list[int], to_stage: str,
                               reason: str = "", at: datetime | None = None) -> dict[int, str]:
    """contact_change_stage for many contacts at once (a bulk action): each contact not already
    in `to_stage` gets its StageChange row and its new stage; the caller records one audit entry
    for the whole action. Returns {contact id: stage it was in} for the contacts moved."""
    to_stage = _stage_key(to_stage)
    at = at or timezone.now()
    ws = actor.workspace
    with transaction.atomic():
        rows = list(Contact.objects.select_for_update().filter(
            workspace=ws, pk__in=contact_ids).exclude(stage=to_stage).values_list("pk", "stage"))
        if not rows:
            return {}
        StageChange.objects.bulk_create([
            StageChange(workspace=ws, contact_id=pk, from_stage=current, to_stage=to_stage,
                        at=at, by=actor.user, reason=(reason or "")[:300])
            for pk, current in rows])
        Contact.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            stage=to_stage, stage_changed_at=at, updated_at=timezone.now())
    return dict(rows)


@transaction.atomic
def contact_delete(*, actor: Actor, contact: Contact) -> None:
    """Delete a contact with its history (events, orders, consent, stage changes)."""
    audit(actor, "contact.delete", contact, changes=snapshot(contact, CONTACT_FIELDS + ["stage"]))
    contact.delete()


@transaction.atomic
def consent_record(*, actor: Actor, contact: Contact, channel: str, status: str,
                   source: str = "", at: datetime | None = None,
                   lawful_basis: str = "consent") -> Consent:
    """Append a consent row; the latest row per channel is the contact's current consent."""
    consent = Consent(workspace=contact.workspace, contact=contact, channel=channel,
                      status=status, source=source or "", at=at or timezone.now(),
                      recorded_at=timezone.now(), lawful_basis=lawful_basis or "consent")
    consent.full_clean()
    consent.save()
    audit(actor, "consent.record", contact,
          changes={"channel": channel, "status": status, "lawful_basis": consent.lawful_basis,
                   "source": source, "at": consent.at})
    return consent


@transaction.atomic
def lead_feedback_create(*, actor: Actor, contact: Contact, quality: int, outcome: str,
                         reason: str = "", note: str = "", rep=None) -> LeadFeedback:
    """A sales rep's verdict on a lead. Someone who sees only their assigned leads (a sales
    rep) may judge only leads they own; CRM users may record feedback on any lead. A person
    is the rep of their own feedback; an integration (API key) names the rep, a member of the
    workspace who may give feedback."""
    if actor.user is None:
        membership = rep and rep.memberships.filter(workspace=contact.workspace).first()
        if membership is None or not role_has_perm(membership.role, "leads.feedback"):
            raise ValidationError({"rep": [_("Name the sales rep (a member's e-mail) whose "
                                             "feedback this is.")]})
    else:
        if rep is not None and rep.pk != actor.user.pk:
            raise ValidationError({"rep": [_("You can only record your own feedback.")]})
        rep = actor.user
    if not actor.can("crm.view") and (actor.user is None
                                      or contact.owner_id != actor.user.pk):
        raise PermissionDenied(_("You can only give feedback on your own leads."))
    try:
        quality = int(quality)
    except (TypeError, ValueError):
        raise ValidationError({"quality": [_("Give a quality from 1 to 5.")]}) from None
    if not 1 <= quality <= 5:
        raise ValidationError({"quality": [_("Give a quality from 1 to 5.")]})
    fb = LeadFeedback(workspace=contact.workspace, contact=contact, rep=rep,
                      quality=quality, outcome=outcome, reason=reason or "", note=note or "")
    fb.full_clean()
    fb.save()
    audit(actor, "lead_feedback.create", fb, object_repr=str(contact),
          changes={"contact": contact, "quality": quality, "outcome": outcome,
                   "reason": reason})
    return fb


@transaction.atomic
def lead_accept_advance(*, actor: Actor, contact: Contact, to_stage: str) -> StageChange:
    """From the rep's lead card: a lead whose latest feedback is "accepted" moves one stage on
    (lead → MQL → SQL → opportunity). The lead's own rep may do it (they accepted it), as may
    anyone who edits the CRM; the move is an ordinary, audited stage change."""
    from .selectors import next_lead_stage

    if not actor.can("leads.feedback") or (
            not actor.can("crm.edit")
            and (actor.user is None or contact.owner_id != actor.user.pk)):
        raise PermissionDenied(_("You can only move your own leads."))
    latest = (LeadFeedback.objects.filter(workspace=contact.workspace, contact=contact)
              .order_by("-at", "-id").first())
    if latest is None or latest.outcome != LeadFeedback.Outcome.ACCEPTED:
        raise ValidationError({"to_stage": [_("Only a lead you accepted moves on from here.")]})
    current = Contact.objects.only("stage").get(pk=contact.pk).stage
    if to_stage != next_lead_stage(current):
        raise ValidationError({"to_stage": [
            _("This lead has already moved; reload to see its stage.")]})
    # no stored reason text (it would be frozen in one language): the timeline shows the
    # "accepted" feedback right beside the move
    return contact_change_stage(actor=actor, contact=contact, to_stage=to_stage)


# fields a merge copies from the merged contact when the survivor's are blank
MERGE_FILL_FIELDS = ["external_id", "email", "phone", "name", "account", "company", "country",
                     "city", "language", "persona", "customer_type", "buying_role", "owner",
                     "source_channel", "source_campaign"]


@transaction.atomic
def contacts_merge(*, actor: Actor, survivor: Contact, merged: Contact,
                   matched_on: str) -> ContactMerge:
    """Merge `merged` into `survivor`: every event, order, consent, stage change, feedback and
    earlier merge record moves over, blank profile fields are filled, the merge is recorded
    and `merged` is deleted."""
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": [_("A contact cannot be merged into itself.")]})
    if survivor.workspace_id != merged.workspace_id or survivor.workspace_id != actor.workspace.pk:
        raise ValidationError({"merged": [_("Not found in this workspace.")]})
    merged_snapshot = json.loads(json.dumps(
        snapshot(merged, ["code", *CONTACT_FIELDS, "stage", "stage_changed_at", "created_at"]),
        cls=DjangoJSONEncoder))
    moved = {
        "events": Event.objects.filter(contact=merged).update(contact=survivor),
        "orders": Order.objects.filter(contact=merged).update(contact=survivor),
        "consents": Consent.objects.filter(contact=merged).update(contact=survivor),
        "stage_changes": StageChange.objects.filter(contact=merged).update(contact=survivor),
        "feedback": LeadFeedback.objects.filter(contact=merged).update(contact=survivor),
        "merges": ContactMerge.objects.filter(survivor=merged).update(survivor=survivor),
        "activities": Activity.objects.filter(contact=merged).update(contact=survivor),
        "subscriptions": Subscription.objects.filter(contact=merged).update(contact=survivor),
        # segments the merged contact was added to (or taken out of) by hand; where the
        # survivor has its own choice for that segment, the survivor's stands
        "segment_members": SegmentMember.objects.filter(contact=merged).exclude(
            segment_id__in=SegmentMember.objects.filter(contact=survivor).values("segment_id"),
        ).update(contact=survivor),
    }
    from . import extensions

    moved.update(extensions.move_merged_rows(survivor, merged))
    fill = {}
    for f in MERGE_FILL_FIELDS:
        attname = Contact._meta.get_field(f).attname
        if not getattr(survivor, attname) and getattr(merged, attname):
            fill[attname] = getattr(merged, attname)
    properties = {**(merged.properties or {}), **(survivor.properties or {})}
    merged_code = merged.code
    # delete first: the survivor may take over the merged contact's unique email/external id
    Contact.objects.filter(pk=merged.pk).delete()
    before = snapshot(survivor, CONTACT_FIELDS)
    for attname, value in fill.items():
        setattr(survivor, attname, value)
    survivor.properties = properties
    survivor.created_at = min(survivor.created_at, merged.created_at)
    survivor.updated_at = timezone.now()
    survivor.full_clean()
    survivor.save(update_fields=[*fill, "properties", "created_at", "updated_at"])
    record = ContactMerge(workspace=survivor.workspace, survivor=survivor,
                          merged_code=merged_code, merged_snapshot=merged_snapshot,
                          matched_on=matched_on, moved=moved)
    record.full_clean()
    record.save()
    audit(actor, "contact.merge", survivor,
          changes={"merged": str(merged_code), "matched_on": matched_on, "moved": moved,
                   "filled": diff(before, snapshot(survivor, CONTACT_FIELDS))})
    return record


# --- accounts, personas, segments ------------------------------------------------------------

@transaction.atomic
def account_create(*, actor: Actor, **fields) -> Account:
    """A new company account."""
    return audited_create(actor, Account, ACCOUNT_FIELDS, "account.create", fields)


@transaction.atomic
def account_update(*, actor: Actor, account: Account, **fields) -> Account:
    return audited_update(actor, account, ACCOUNT_FIELDS, "account.update", fields)


@transaction.atomic
def account_delete(*, actor: Actor, account: Account) -> None:
    """Delete an account; its contacts stay, without an account."""
    audit(actor, "account.delete", account, changes=snapshot(account, ACCOUNT_FIELDS))
    account.delete()


@transaction.atomic
def persona_create(*, actor: Actor, **fields) -> Persona:
    return audited_create(actor, Persona, PERSONA_FIELDS, "persona.create", fields)


@transaction.atomic
def persona_update(*, actor: Actor, persona: Persona, **fields) -> Persona:
    return audited_update(actor, persona, PERSONA_FIELDS, "persona.update", fields)


@transaction.atomic
def persona_delete(*, actor: Actor, persona: Persona) -> None:
    """Delete a persona; its contacts keep their profile without one."""
    audit(actor, "persona.delete", persona, changes=snapshot(persona, PERSONA_FIELDS))
    persona.delete()


def _clean_segment_filters(fields: dict) -> dict:
    if "filters" in fields:
        from .selectors import validate_segment_filters

        try:
            fields["filters"] = validate_segment_filters(fields["filters"] or {})
        except ValidationError as e:
            msgs = [f"{k}: {m}" for k, ms in e.message_dict.items() for m in ms] if hasattr(
                e, "error_dict") else e.messages
            raise ValidationError({"filters": msgs}) from None
    return fields


@transaction.atomic
def segment_create(*, actor: Actor, **fields) -> Segment:
    """A saved filter over contacts (filters checked by validate_segment_filters)."""
    return audited_create(actor, Segment, SEGMENT_FIELDS, "segment.create",
                   _clean_segment_filters(dict(fields)))


@transaction.atomic
def segment_update(*, actor: Actor, segment: Segment, **fields) -> Segment:
    return audited_update(actor, segment, SEGMENT_FIELDS, "segment.update",
                   _clean_segment_filters(dict(fields)))


@transaction.atomic
def segment_delete(*, actor: Actor, segment: Segment) -> None:
    audit(actor, "segment.delete", segment, changes=snapshot(segment, SEGMENT_FIELDS))
    segment.delete()


# --- lifecycle stage definitions -------------------------------------------------------------

def ensure_lifecycle_stages(workspace: Workspace) -> None:
    """Store the workspace's missing LifecycleStage rows (English names, default lead/MQL/SQL
    definitions). Idempotent; the first edit of a stage calls it."""
    existing = set(LifecycleStage.objects.filter(workspace=workspace)
                   .values_list("key", flat=True))
    missing = [s for s in Stage if s.value not in existing]
    if missing:
        LifecycleStage.objects.bulk_create(default_stages(workspace, missing),
                                           ignore_conflicts=True)


@transaction.atomic
def lifecycle_stage_update(*, actor: Actor, stage: LifecycleStage, name: str,
                           definition: str) -> LifecycleStage:
    """Rename a stage and write what it means (the unified lead definition). A default
    stage not stored yet (see selectors.lifecycle_stages) is stored first."""
    if stage.pk is None:
        ensure_lifecycle_stages(stage.workspace)
        stage = LifecycleStage.objects.get(workspace=stage.workspace, key=stage.key)
    return audited_update(actor, stage, ["name", "definition"], "lifecycle_stage.update",
                   {"name": (name or "").strip(), "definition": definition or ""})
