"""The customer-service card on a contact's profile (crm.extensions panel): survey answers
and complaints, with the one-click insight for a low score."""

from __future__ import annotations


def profile_context(contact) -> dict:
    from crm.models import Complaint
    from crm.service.selectors import contact_answers

    from experiments.models import Insight

    answers = list(contact_answers(contact)[:20])
    complaints = list(Complaint.objects.filter(workspace_id=contact.workspace_id,
                                               contact=contact)[:20])
    filed = set(Insight.objects.filter(
        workspace_id=contact.workspace_id,
        origin__in=[f"survey_answer:{a.code}" for a in answers]).values_list("origin", flat=True))
    for a in answers:
        a.insight_filed = f"survey_answer:{a.code}" in filed
    return {"answers": answers, "complaints": complaints}
