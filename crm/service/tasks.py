"""Sending a survey's e-mails after the commit (each in the contact's language)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="crm.tasks.survey_send_emails")
def survey_send_emails(survey_id: int, contact_ids: list[int]) -> int:
    from .emails import send_survey_emails

    return send_survey_emails(survey_id, contact_ids)
