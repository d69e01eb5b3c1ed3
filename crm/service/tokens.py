"""The signed token of a contact's own survey link (survey code + contact code)."""

from __future__ import annotations

from django.core import signing

from crm.models import Contact
from .models import Survey

TOKEN_SALT = "crm.survey.answer"


def answer_token(survey: Survey, contact: Contact) -> str:
    """The contact's own signed link token for the survey (no expiry: an old e-mail works)."""
    return signing.Signer(salt=TOKEN_SALT).sign(f"{survey.code}.{contact.code}")


def read_token(token: str) -> tuple[Survey, Contact] | None:
    """The (survey, contact) a token names, or None for a forged, damaged or stale token."""
    try:
        value = signing.Signer(salt=TOKEN_SALT).unsign(token)
        survey_code, contact_code = value.split(".")
    except (signing.BadSignature, ValueError):
        return None
    survey = Survey.objects.select_related("workspace").filter(code=survey_code).first()
    if survey is None:
        return None
    contact = Contact.objects.filter(workspace=survey.workspace, code=contact_code).first()
    return (survey, contact) if contact else None
