"""The survey e-mail: one link per contact to the public answer page."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import get_connection, EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import Contact
from .models import Survey
from .tokens import answer_token


def answer_url(survey: Survey, contact: Contact) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("survey_answer",
                                                   args=[answer_token(survey, contact)])


def send_survey_emails(survey_id: int, contact_ids: list[int]) -> int:
    survey = Survey.objects.select_related("workspace").filter(pk=survey_id).first()
    if survey is None:
        return 0
    messages = []
    for contact in Contact.objects.filter(workspace=survey.workspace, id__in=contact_ids):
        lang = (contact.language or "")[:2]
        with translation.override(lang if lang in dict(settings.LANGUAGES) else "en"):
            subject = _("A quick question from %(name)s") % {"name": survey.workspace.name}
            body = _("Hello %(contact)s,\n\nOne question, one click:\n%(url)s\n\nThank you!") % {
                "contact": contact.name or "", "url": answer_url(survey, contact)}
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email]))
    with get_connection() as conn:
        return conn.send_messages(messages) or 0
