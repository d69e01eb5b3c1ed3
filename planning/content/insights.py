"""Survey answers as an insight source (experiments.Insight, source "survey")."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from experiments.models import Insight
from experiments.services import insight_create


def insight_from_answer(*, actor, answer) -> Insight:
    """One click: a detractor's or unsatisfied customer's answer becomes an insight about them."""
    if answer.workspace_id != actor.workspace.pk:
        raise ValidationError(_("Not found in this workspace."))
    if not answer.is_low:
        raise ValidationError(_("Only a low score (NPS 0–6, CSAT 1–2) becomes an insight."))
    low, high = answer.survey.scale
    text = _("%(survey)s: scored %(score)s of %(high)s") % {
        "survey": answer.survey.name, "score": answer.score, "high": high}
    if answer.comment:
        text += " — " + answer.comment
    return insight_create(actor=actor, source=Insight.Source.SURVEY, text=text[:2000],
                          tags=["survey", answer.survey.kind, answer.category],
                          contacts=[answer.contact], origin=f"survey_answer:{answer.code}")
