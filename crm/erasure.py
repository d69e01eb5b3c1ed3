"""Erasure (the right to be forgotten, issue 13). An admin erases a contact: every personal
field is emptied (name, e-mail, phone, external id, company, city, custom properties), free
text about them goes (lead feedback notes and reasons, consent sources, merge snapshots, the
audit log's before/after of that contact), and apps above crm drop what they hold (message
addresses) through crm.extensions' erasure hooks. The rows that make metrics — orders,
events, stage changes, subscriptions — stay, attached to the now anonymous contact, so no
month's revenue, customer count or funnel changes.

The erasure ledger (ErasureRecord) keeps no personal data: only keyed hashes of the normalised
e-mail and phone. A later import, API call or bulk row with the same e-mail or phone is
refused with the per-row code 'erased' unless the row carries a new consent grant (documented
choice: consent given again lifts the block and the contact is created with that consent)."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit
from mos.models import AuditEntry

from . import extensions
from .models import (Activity, Complaint, Consent, Contact, ContactMerge, ErasureRecord,
                     Event, LeadFeedback, Order, StageChange, SurveyAnswer)

HASH_SALT = "mos.crm.erasure"


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits.lstrip("0")


def identity_hash(kind: str, value: str) -> str:
    """A keyed hash of a normalised e-mail or phone ('' for no value): recognisable by MOS,
    not reversible without the site's secret."""
    norm = normalise_email(value) if kind == "email" else normalise_phone(value)
    if not norm:
        return ""
    return salted_hmac(HASH_SALT, f"{kind}:{norm}", algorithm="sha256").hexdigest()


def blocked_identities(workspace_id: int, *, emails=(), phones=()) -> dict[str, ErasureRecord]:
    """{"email:<value>" or "phone:<value>" (as given): its standing erasure record} for the
    e-mails and phones that belong to an erased person — one query."""
    wanted = {}
    for e in emails:
        if e and (h := identity_hash("email", e)):
            wanted[("e", h)] = f"email:{e}"
    for p in phones:
        if p and (h := identity_hash("phone", p)):
            wanted[("p", h)] = f"phone:{p}"
    if not wanted:
        return {}
    from django.db.models import Q

    q = Q(email_hash__in=[h for k, h in wanted if k == "e"]) | Q(
        phone_hash__in=[h for k, h in wanted if k == "p"])
    found = {}
    for rec in ErasureRecord.objects.filter(q, workspace_id=workspace_id,
                                            lifted_at__isnull=True).order_by("at"):
        for kind, h in (("e", rec.email_hash), ("p", rec.phone_hash)):
            if (kind, h) in wanted:
                found[wanted[(kind, h)]] = rec
    return found


def erased_message(rec: ErasureRecord) -> str:
    return _("This person's data was erased at their request on %(date)s; they can be added "
             "again only with a new consent (send \"consent\": {\"email\": \"granted\"}).") % {
        "date": rec.at.date().isoformat()}


def check_not_erased(workspace_id: int, *, email: str = "", phone: str = "") -> None:
    """Refuse (ValidationError on the field) an e-mail or phone of an erased person."""
    found = blocked_identities(workspace_id, emails=[email], phones=[phone])
    errors = {}
    for key, rec in found.items():
        errors.setdefault(key.split(":", 1)[0], []).append(
            ValidationError(erased_message(rec), code="erased"))
    if errors:
        raise ValidationError(errors)


def lift(workspace_id: int, *, email: str = "", phone: str = "") -> int:
    """The person gave consent again: their erasure no longer blocks re-creation."""
    found = blocked_identities(workspace_id, emails=[email], phones=[phone])
    ids = {rec.pk for rec in found.values()}
    return ErasureRecord.objects.filter(pk__in=ids).update(lifted_at=timezone.now())


@transaction.atomic
def contact_erase(*, actor: Actor, contact: Contact, reason: str = "") -> ErasureRecord:
    """Erase the contact's personal data and record the erasure without it. Admins only."""
    if not actor.can("crm.erase"):
        raise PermissionDenied
    contact = Contact.objects.select_for_update().get(pk=contact.pk,
                                                      workspace=actor.workspace)
    if contact.erased_at is not None:
        raise ValidationError(_("This contact was already erased."))
    code = str(contact.code)
    kept = {
        "orders": Order.objects.filter(contact=contact).count(),
        "events": Event.objects.filter(contact=contact).count(),
        "stage_changes": StageChange.objects.filter(contact=contact).count(),
    }
    record = ErasureRecord.objects.create(
        workspace=actor.workspace, contact_code=contact.code,
        email_hash=identity_hash("email", contact.email),
        phone_hash=identity_hash("phone", contact.phone), by=actor.user,
        reason=(reason or "")[:200], kept=kept)
    now = timezone.now()
    # consent: withdrawn on every channel (nothing can be sent anyway: no address is left),
    # and no free text in the ledger's sources
    Consent.objects.filter(contact=contact).update(source="")
    for channel in set(Consent.objects.filter(contact=contact).values_list("channel",
                                                                           flat=True)):
        Consent.objects.create(workspace=actor.workspace, contact=contact, channel=channel,
                               status=Consent.Status.WITHDRAWN, source="erasure", at=now,
                               recorded_at=now)
    changed = {
        "lead_feedback": LeadFeedback.objects.filter(contact=contact).update(note="",
                                                                             reason=""),
        "events_anonymous_id": Event.objects.filter(contact=contact).exclude(
            anonymous_id="").update(anonymous_id=""),
        "merge_snapshots": ContactMerge.objects.filter(survivor=contact).update(
            merged_snapshot={}),
        # notes, calls, meetings: the free text goes; kind, dates, outcome and duration stay
        # (call handling time is an aggregate)
        "activities": Activity.objects.filter(contact=contact).update(
            subject="", body="", external_id=""),
        # complaints and survey answers: counts, scores and resolution times stay (NPS, CSAT
        # and time to resolve are aggregates); the customer's words go
        "complaints": Complaint.objects.filter(contact=contact).update(
            subject="—", body="", resolution=""),
        "survey_comments": SurveyAnswer.objects.filter(contact=contact).exclude(
            comment="").update(comment=""),
    }
    changed.update(extensions.run_erasure_hooks(contact))
    Contact.objects.filter(pk=contact.pk).update(
        name="", email="", phone="", external_id="", company="", city="", properties={},
        erased_at=now, updated_at=now)
    # the audit log's before/after of this contact held the same personal data
    AuditEntry.objects.filter(workspace=actor.workspace, object_code=code).update(
        changes={"erased": True}, object_repr=f"contact {code}")
    audit(actor, "contact.erase", contact, object_repr=f"contact {code}",
          changes={"erasure": str(record.code), "kept": kept,
                   "changed": {k: v for k, v in changed.items() if v}})
    return record
