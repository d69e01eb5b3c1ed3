"""A contact's data rights (issue 13, "Privacy and data rights"): everything MOS holds about
one contact, as JSON and as CSV (every cell escaped against spreadsheet formulas). Erasure,
the erasure ledger and the retention policy are not built yet (see the branch's report)."""

from __future__ import annotations

import uuid

from mos.actors import Actor
from mos.audit import _jsonable as _audit_jsonable
from mos.audit import audit
from mos.validation import money_text

from .models import Consent, Contact, ContactMerge, Event, LeadFeedback, Order, StageChange

def _jsonable(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    return _audit_jsonable(value)


PROFILE_FIELDS = ["code", "external_id", "email", "phone", "name", "company", "country", "city",
                  "language", "customer_type", "buying_role", "stage", "stage_changed_at",
                  "properties", "created_at", "updated_at"]


def contact_data(contact: Contact) -> dict:
    """Everything stored about `contact`: profile, stage history, events, orders, consent,
    lead feedback, subscriptions and merges (no limit: an export is complete)."""
    from .models import Subscription

    def rows(qs, fields):
        return [{f: _jsonable(v) for f, v in zip(fields, r)} for r in qs.values_list(*fields)]

    profile = {f: _jsonable(getattr(contact, f)) for f in PROFILE_FIELDS}
    profile.update(
        account=contact.account.name if contact.account else None,
        persona=contact.persona.name if contact.persona else None,
        owner=(contact.owner.email if contact.owner else None),
        source_channel=contact.source_channel.key if contact.source_channel else None,
        source_campaign=contact.source_campaign.name if contact.source_campaign else None)
    data = {
        "contact": profile,
        "stage_changes": rows(StageChange.objects.filter(contact=contact).order_by("at", "id"),
                              ["from_stage", "to_stage", "at", "reason"]),
        "events": rows(Event.objects.filter(contact=contact).order_by("occurred_at", "id"),
                       ["code", "name", "occurred_at", "anonymous_id", "utm_source",
                        "utm_medium", "utm_campaign", "utm_term", "utm_content",
                        "properties"]),
        "orders": rows(Order.objects.filter(contact=contact).order_by("occurred_at", "id"),
                       ["code", "external_id", "kind", "amount", "currency", "occurred_at",
                        "properties"]),
        "consent": rows(Consent.objects.filter(contact=contact).order_by("at", "id"),
                        ["channel", "status", "lawful_basis", "source", "at"]),
        "lead_feedback": rows(LeadFeedback.objects.filter(contact=contact).order_by("at", "id"),
                              ["quality", "outcome", "reason", "note", "at"]),
        "subscriptions": rows(Subscription.objects.filter(contact=contact).order_by("id"),
                              ["code", "external_id", "plan", "mrr", "status", "started_at",
                               "ended_at"]),
        "merges": rows(ContactMerge.objects.filter(survivor=contact).order_by("at"),
                       ["merged_code", "matched_on", "at", "merged_snapshot"]),
    }
    for o in data["orders"]:  # each amount with its currency's decimals
        o["amount"] = money_text(o["amount"], o["currency"])
    return data


def contact_data_rows(data: dict):
    """The export as (section, item, field, value) rows, for the CSV."""
    for field, value in data["contact"].items():
        yield ("contact", 1, field, _flat(value))
    for section, items in data.items():
        if section == "contact":
            continue
        for n, item in enumerate(items, 1):
            for field, value in item.items():
                yield (section, n, field, _flat(value))


def _flat(value):
    import json

    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def contact_export(*, actor: Actor, contact: Contact) -> dict:
    """The contact's data, with an audit entry saying who exported it (not the data)."""
    audit(actor, "contact.export", contact, object_repr=f"contact {contact.code}")
    return contact_data(contact)
