"""Writes for customer service: complaints (log, handle, resolve), surveys (create, send,
close) and the public answer a contact gives through their signed link."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit
from mos.writes import audited_create, audited_update

from crm.models import Contact
from .models import Complaint, Survey, SurveyAnswer
from .tokens import answer_token, read_token  # noqa: F401 (the answer page reads them here)

COMPLAINT_FIELDS = ["contact", "kind", "via", "subject", "body", "status", "owner",
                    "received_at", "resolved_at", "handling_minutes", "resolution"]
SURVEY_FIELDS = ["kind", "name", "question", "segment"]


def _check_complaint(complaint: Complaint) -> None:
    errors = {}
    ws = complaint.workspace_id
    if complaint.contact_id and complaint.contact.workspace_id != ws:
        errors["contact"] = [_("Not found in this workspace.")]
    if complaint.owner_id and not complaint.owner.memberships.filter(workspace_id=ws).exists():
        errors["owner"] = [_("Not a member of this workspace.")]
    if complaint.status == Complaint.Status.RESOLVED and complaint.resolved_at is None:
        complaint.resolved_at = max(timezone.now(), complaint.received_at)
    if complaint.status != Complaint.Status.RESOLVED:
        complaint.resolved_at = None
    if complaint.resolved_at and complaint.received_at and \
            complaint.resolved_at < complaint.received_at:
        errors["resolved_at"] = [_("Cannot be before it was received.")]
    if errors:
        raise ValidationError(errors)
    complaint.full_clean(validate_constraints=False)


@transaction.atomic
def complaint_create(*, actor: Actor, **fields) -> Complaint:
    """Log a complaint or suggestion."""
    return audited_create(actor, Complaint, COMPLAINT_FIELDS, "complaint.create", dict(fields),
                          validate=_check_complaint)


@transaction.atomic
def complaint_update(*, actor: Actor, complaint: Complaint, **fields) -> Complaint:
    """Handle a complaint: status, owner, handling time, resolution. Resolving stamps the time
    of resolution (unless given); reopening clears it."""
    fields = dict(fields)
    if fields.get("status") not in (None, Complaint.Status.RESOLVED):
        fields["resolved_at"] = None
    if fields.get("status") == Complaint.Status.RESOLVED and not fields.get("resolved_at") \
            and complaint.status != Complaint.Status.RESOLVED:
        fields["resolved_at"] = None  # _check_complaint stamps now
    return audited_update(actor, complaint, COMPLAINT_FIELDS, "complaint.update", fields,
                          validate=_check_complaint)


# --- surveys ---------------------------------------------------------------------------------

def _check_survey(survey: Survey) -> None:
    if survey.segment_id and survey.segment.workspace_id != survey.workspace_id:
        raise ValidationError({"segment": [_("Not found in this workspace.")]})
    survey.full_clean(validate_constraints=False)


@transaction.atomic
def survey_create(*, actor: Actor, **fields) -> Survey:
    return audited_create(actor, Survey, SURVEY_FIELDS, "survey.create", dict(fields),
                          validate=_check_survey)


@transaction.atomic
def survey_update(*, actor: Actor, survey: Survey, **fields) -> Survey:
    if survey.sent_at and ("kind" in fields and fields["kind"] != survey.kind):
        raise ValidationError({"kind": [_("A survey that was sent keeps its scale.")]})
    return audited_update(actor, survey, SURVEY_FIELDS, "survey.update", dict(fields),
                          validate=_check_survey)


def survey_recipients(survey: Survey):
    """The segment's contacts (now) with an e-mail address and current e-mail consent."""
    from crm.models import Consent
    from crm.selectors import consent_state_for, segment_queryset

    if survey.segment_id is None:
        return Contact.objects.none()
    qs = segment_queryset(survey.workspace, survey.segment.filters).exclude(email="")
    ids = list(qs.values_list("id", flat=True))
    state = consent_state_for(survey.workspace, ids)
    ok = [cid for cid in ids if (row := state.get(cid, {}).get("email")) is not None
          and row.status == Consent.Status.GRANTED]
    return Contact.objects.filter(id__in=ok)


@transaction.atomic
def survey_send(*, actor: Actor, survey: Survey) -> int:
    """Send the survey to its segment's consenting contacts (the e-mails leave after the
    commit, in a task); answers the number of recipients. A survey is sent once."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.sent_at is not None:
        raise ValidationError(_("This survey was sent already."))
    if survey.segment_id is None:
        raise ValidationError({"segment": [_("Choose the segment to send the survey to.")]})
    ids = list(survey_recipients(survey).values_list("id", flat=True))
    if not ids:
        raise ValidationError(_("No contact of this segment has an e-mail address and "
                                "e-mail consent."))
    survey.sent_at = timezone.now()
    survey.sent_count = len(ids)
    survey.save(update_fields=["sent_at", "sent_count"])
    audit(actor, "survey.send", survey, changes={"recipients": len(ids)})
    from .tasks import survey_send_emails

    transaction.on_commit(lambda: survey_send_emails.delay(survey.pk, ids))
    return len(ids)


@transaction.atomic
def survey_close(*, actor: Actor, survey: Survey) -> Survey:
    survey.closed_at = timezone.now()
    survey.save(update_fields=["closed_at"])
    audit(actor, "survey.close", survey)
    return survey


def answer_submit(*, survey: Survey, contact: Contact, score, comment: str = "") -> SurveyAnswer:
    """The contact's one answer, from the public page: a second one is refused."""
    low, high = survey.scale
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise ValidationError({"score": [_("Choose a score.")]}) from None
    if not low <= score <= high:
        raise ValidationError({"score": [_("Choose a score from %(low)s to %(high)s.")
                                         % {"low": low, "high": high}]})
    if survey.closed_at is not None:
        raise ValidationError(_("This survey is closed."))
    comment = (comment or "").strip()[:2000]
    try:
        with transaction.atomic():
            return SurveyAnswer.objects.create(workspace_id=survey.workspace_id, survey=survey,
                                               contact=contact, score=score, comment=comment)
    except IntegrityError:
        raise ValidationError(_("You have answered this survey already. Thank you!")) from None
