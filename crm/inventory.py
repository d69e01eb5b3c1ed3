"""The field inventory (data minimisation, issue 13): which personal fields MOS stores, why,
on which lawful basis, where and for how long. The list of fields comes from the models
themselves (every free-value field of the user model, the contact, and every model that points
at a contact — enumerations and codes excluded); this module only declares each one's purpose.
A field the models grow without a declaration fails tests/test_field_inventory.py, so the page
cannot drift from the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

PROJECT_APPS = ("mos", "crm", "engines", "experiments", "automation", "reports", "planning")

UNTIL_ERASED = _("Until the contact is erased or deleted")
EVENTS_POLICY = _("Deleted with the raw events (retention policy)")
MESSAGE_POLICY = _("Cleared after the policy's days (retention policy)")
ACCOUNT_LIFE = _("While the user has an account")
BASIS = {"contract": _("Contract"), "consent": _("Consent"),
         "legitimate_interest": _("Legitimate interest"),
         "legal_obligation": _("Legal obligation")}


@dataclass(frozen=True)
class Purpose:
    purpose: object
    basis: str
    retention: object


P = Purpose
# "<app>.<model>.<field>": why it is stored
PURPOSES: dict[str, Purpose] = {
    "mos.user.username": P(_("Sign-in identifier"), "contract", ACCOUNT_LIFE),
    "mos.user.first_name": P(_("Shown to colleagues"), "contract", ACCOUNT_LIFE),
    "mos.user.last_name": P(_("Shown to colleagues"), "contract", ACCOUNT_LIFE),
    "mos.user.email": P(_("Sign-in and invitations"), "contract", ACCOUNT_LIFE),
    "mos.user.name": P(_("Shown to colleagues"), "contract", ACCOUNT_LIFE),
    "mos.user.password": P(_("Sign-in (stored as a salted hash)"), "contract", ACCOUNT_LIFE),
    "crm.contact.external_id": P(_("Matching rows from the billing system or product"),
                                 "legitimate_interest", UNTIL_ERASED),
    "crm.contact.email": P(_("Identity matching; e-mail where consent is given"), "consent",
                           UNTIL_ERASED),
    "crm.contact.phone": P(_("Identity matching; SMS and calls where consent is given"),
                           "consent", UNTIL_ERASED),
    "crm.contact.name": P(_("Addressing the person; sales follow-up"), "legitimate_interest",
                          UNTIL_ERASED),
    "crm.contact.company": P(_("B2B account context"), "legitimate_interest", UNTIL_ERASED),
    "crm.contact.country": P(_("Segments and regional analysis (kept after erasure: a country "
                               "alone does not identify)"), "legitimate_interest",
                             UNTIL_ERASED),
    "crm.contact.city": P(_("Segments and local campaigns"), "legitimate_interest",
                          UNTIL_ERASED),
    "crm.contact.language": P(_("Messages in the person's language"), "legitimate_interest",
                              UNTIL_ERASED),
    "crm.contact.properties": P(_("Custom attributes the workspace imports"),
                                "legitimate_interest", UNTIL_ERASED),
    "crm.stagechange.reason": P(_("Why the lifecycle stage changed"), "legitimate_interest",
                                UNTIL_ERASED),
    "crm.event.anonymous_id": P(_("Linking visits before sign-up to the contact"),
                                "consent", EVENTS_POLICY),
    "crm.event.properties": P(_("Event details for the funnel and experiments"),
                              "legitimate_interest", EVENTS_POLICY),
    "crm.event.utm_term": P(_("Campaign attribution (search term)"), "legitimate_interest",
                            EVENTS_POLICY),
    "crm.event.utm_content": P(_("Campaign attribution"), "legitimate_interest",
                               EVENTS_POLICY),
    "crm.order.external_id": P(_("Matching orders to the billing system"), "contract",
                               _("Kept for accounting (anonymous after erasure)")),
    "crm.order.properties": P(_("Order details for revenue metrics"), "contract",
                              _("Kept for accounting (anonymous after erasure)")),
    "crm.consent.source": P(_("Proof of where consent was given or withdrawn"),
                            "legal_obligation", _("Cleared on erasure")),
    "crm.leadfeedback.reason": P(_("Lead quality by channel"), "legitimate_interest",
                                 _("Cleared on erasure")),
    "crm.activity.subject": P(_("Sales follow-up: what a note, call, meeting or task is about "
                                "(cleared on erasure)"), "legitimate_interest", UNTIL_ERASED),
    "crm.activity.body": P(_("Sales follow-up notes (cleared on erasure)"),
                           "legitimate_interest", UNTIL_ERASED),
    "crm.activity.external_id": P(_("Matching activities logged in another system (cleared on "
                                    "erasure)"), "legitimate_interest", UNTIL_ERASED),
    "crm.complaint.subject": P(_("Handling a complaint or suggestion (cleared on erasure)"),
                               "legitimate_interest", UNTIL_ERASED),
    "crm.complaint.body": P(_("What the customer said, to handle it (cleared on erasure)"),
                            "legitimate_interest", UNTIL_ERASED),
    "crm.complaint.resolution": P(_("How it was resolved (cleared on erasure)"),
                                  "legitimate_interest", UNTIL_ERASED),
    "crm.surveyanswer.comment": P(_("The customer's own words in a CSAT/NPS answer (cleared "
                                    "on erasure)"), "consent", UNTIL_ERASED),
    "crm.leadfeedback.note": P(_("Sales follow-up notes"), "legitimate_interest",
                               _("Cleared on erasure")),
    "crm.contactmerge.merged_snapshot": P(_("Undoing a wrong identity merge"),
                                          "legitimate_interest", _("Cleared on erasure")),
    "crm.subscription.external_id": P(_("Matching subscriptions to billing"), "contract",
                                      UNTIL_ERASED),
    "crm.subscription.properties": P(_("Subscription details for MRR"), "contract",
                                     UNTIL_ERASED),
    "automation.message.to": P(_("The address a flow's message went to"), "consent",
                               MESSAGE_POLICY),
    "automation.message.subject": P(_("The subject the person received"), "consent",
                                    MESSAGE_POLICY),
    "automation.message.error": P(_("Why a send failed (provider's words)"),
                                  "legitimate_interest", MESSAGE_POLICY),
    "automation.task.title": P(_("A rep's follow-up task about the contact"),
                               "legitimate_interest", _("Replaced on erasure")),
}

# free-value fields on person-linked models that hold nothing about the person, and why
NOT_PERSONAL: dict[str, str] = {
    "crm.event.name": "the event type from the tracking plan",
    "crm.event.utm_source": "the campaign's source, the same for every visitor",
    "crm.event.utm_medium": "the campaign's medium",
    "crm.event.utm_campaign": "the campaign's name",
    "crm.event.quality_issues": "data-quality flags computed by MOS",
    "crm.event.idempotency_id": "the sender's deduplication key",
    "crm.order.currency": "a currency code",
    "crm.order.original_currency": "a currency code",
    "crm.contactmerge.matched_on": "which identifier matched (a word)",
    "crm.contactmerge.moved": "counts of rows moved",
    "crm.subscription.plan": "the product plan's name",
    "crm.activity.source": "who created the activity: a person, a flow's code or the API",
    "crm.bulkactionitem.before": "the previous owner's id or segment membership, for Undo",
    "automation.enrollment.exit_reason": "a code (goal, condition, erased)",
    "automation.message.channel": "email or sms",
    "automation.message.language": "the message's language code",
}


def _person_models():
    from .models import Contact

    user = get_user_model()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS and model is not user:
            continue
        if model in (Contact, user) or any(
                isinstance(f, models.ForeignKey) and f.related_model is Contact
                for f in model._meta.fields):
            yield model


def personal_field_candidates() -> list[tuple[str, models.Field]]:
    """Every free-value field (text, e-mail, JSON; not an enumeration or a code) of the user,
    the contact and every model that points at a contact: what may hold personal data."""
    out = []
    for model in _person_models():
        for f in model._meta.fields:
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not (
                    f.choices or isinstance(f, models.UUIDField)):
                out.append((f"{model._meta.label_lower}.{f.name}", f))
    return out


def field_inventory() -> list[dict]:
    """The page's rows: the personal fields with their purpose, basis, place and retention."""
    rows = []
    for key, field in personal_field_candidates():
        purpose = PURPOSES.get(key)
        if purpose is None:
            continue
        model = field.model
        rows.append({"key": key, "model": model._meta.verbose_name,
                     "field": field.verbose_name, "where": f"{model._meta.db_table}."
                     f"{field.column}", "purpose": purpose.purpose,
                     "basis": BASIS[purpose.basis], "retention": purpose.retention})
    return rows


def undeclared_fields() -> list[str]:
    """Candidate fields with neither a purpose nor a not-personal reason (must be empty)."""
    return [k for k, _f in personal_field_candidates()
            if k not in PURPOSES and k not in NOT_PERSONAL]


def stale_declarations() -> list[str]:
    """Declarations for fields the models no longer have (must be empty)."""
    live = {k for k, _f in personal_field_candidates()}
    return [k for k in [*PURPOSES, *NOT_PERSONAL] if k not in live]
