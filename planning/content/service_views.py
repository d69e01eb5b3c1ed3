"""Customer-service screens: complaints and suggestions, CSAT/NPS surveys with their results,
one-click insights from low scores, and the public answer page (no login, signed link)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors, save_through_service
from mos.tenancy import workspace_view

from crm.models import Complaint, SurveyAnswer
from crm.service import selectors, services
from .forms import AnswerForm, ComplaintForm, SurveyForm


LIST_SIZE = 30


@workspace_view("service.view")
def service_home(request):
    """Complaints and suggestions (filter by status and kind), the KPIs, and the surveys."""
    ws = request.workspace
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    surveys = list(selectors.survey_list(ws))
    for s in surveys:
        s.results = selectors.survey_results(s)
    complaints = selectors.complaint_list(ws, status=status, kind=kind)
    return render(request, "planning/service/index.html", {
        "complaints": complaints[:LIST_SIZE], "n_complaints": complaints.count(),
        "status": status, "kind": kind, "statuses": Complaint.Status.choices,
        "kinds": Complaint.Kind.choices, "summary": selectors.service_summary(ws),
        "surveys": surveys})


def _complaint_form_view(request, complaint=None):
    ws = request.workspace
    form = ComplaintForm(request.POST or None, instance=complaint, workspace=ws)

    def values(form):
        values = form.values()
        if not values.get("received_at"):  # left empty: the service stamps "now"
            values.pop("received_at")
        return values

    if save_through_service(
            request, form, complaint, create=services.complaint_create,
            update=lambda c, **kw: services.complaint_update(complaint=c, **kw),
            created=_("Logged."), saved=_("Saved."), values=values):
        return redirect("service_home", slug=ws.slug)
    return render(request, "planning/service/complaint_form.html",
                  {"form": form, "complaint": complaint})


@workspace_view("service.log")
def complaint_create(request):
    return _complaint_form_view(request)


@workspace_view("service.edit")
def complaint_edit(request, complaint_code):
    return _complaint_form_view(request, selectors.get_complaint(request.workspace,
                                                                 complaint_code))


def _survey_form_view(request, survey=None):
    ws = request.workspace
    form = SurveyForm(request.POST or None, instance=survey, workspace=ws)
    saved = save_through_service(
        request, form, survey, create=services.survey_create,
        update=lambda s, **kw: services.survey_update(survey=s, **kw),
        created=_("Survey created."), saved=_("Survey saved."))
    if saved:
        return redirect("survey_detail", slug=ws.slug, survey_code=saved.code)
    return render(request, "planning/service/survey_form.html", {"form": form, "survey": survey})


@workspace_view("service.edit")
def survey_create(request):
    return _survey_form_view(request)


@workspace_view("service.edit")
def survey_edit(request, survey_code):
    return _survey_form_view(request, selectors.get_survey(request.workspace, survey_code))


@workspace_view("service.view")
def survey_detail(request, survey_code):
    survey = selectors.get_survey(request.workspace, survey_code)
    recipients = None
    if survey.sent_at is None and survey.segment_id:
        recipients = services.survey_recipients(survey).count()
    answers = list(selectors.survey_answers(survey)[:500])
    origins = _insight_origins(request.workspace, answers)
    for a in answers:
        a.insight_filed = f"survey_answer:{a.code}" in origins
    return render(request, "planning/service/survey.html", {
        "survey": survey, "results": selectors.survey_results(survey), "answers": answers,
        "recipients": recipients})


def _insight_origins(workspace, answers) -> set[str]:
    from experiments.models import Insight

    return set(Insight.objects.filter(
        workspace=workspace, origin__in=[f"survey_answer:{a.code}" for a in answers])
        .values_list("origin", flat=True))


@workspace_view("service.edit")
@require_POST
def survey_send(request, survey_code):
    survey = selectors.get_survey(request.workspace, survey_code)
    try:
        n = services.survey_send(actor=request.actor, survey=survey)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Survey sent to %(n)s contacts.") % {"n": n})
    return redirect("survey_detail", slug=request.workspace.slug, survey_code=survey.code)


@workspace_view("service.edit")
@require_POST
def survey_close(request, survey_code):
    survey = selectors.get_survey(request.workspace, survey_code)
    services.survey_close(actor=request.actor, survey=survey)
    messages.success(request, _("Survey closed: no more answers are taken."))
    return redirect("survey_detail", slug=request.workspace.slug, survey_code=survey.code)


@workspace_view("experiments.edit")
@require_POST
def survey_answer_insight(request, answer_code):
    """One click: a low score with its comment becomes an insight (source: survey)."""
    from mos.codes import code_or_404
    from planning.content.insights import insight_from_answer

    answer = SurveyAnswer.objects.select_related("survey", "contact").filter(
        workspace=request.workspace, code=code_or_404(answer_code)).first()
    if answer is None:
        raise Http404
    try:
        insight_from_answer(actor=request.actor, answer=answer)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Added to the insights inventory."))
    back = request.POST.get("next", "")
    if back.startswith("/w/"):
        return redirect(back)
    return redirect("survey_detail", slug=request.workspace.slug, survey_code=answer.survey.code)


def survey_answer(request, token):
    """The public answer page: no login; the signed token names the survey and the contact.
    One answer per contact; in the contact's language unless they switch."""
    found = services.read_token(token)
    if found is None or request.method not in ("GET", "HEAD", "POST"):
        raise Http404
    survey, contact = found
    lang = request.GET.get("lang") or (contact.language or "")[:2]
    if lang not in ("en", "ar"):
        lang = translation.get_language() or "en"
    with translation.override(lang):
        done = SurveyAnswer.objects.filter(survey=survey, contact=contact).exists()
        form = AnswerForm(request.POST or None)
        if request.method == "POST" and not done and form.is_valid():
            try:
                services.answer_submit(survey=survey, contact=contact,
                                       score=form.cleaned_data["score"],
                                       comment=form.cleaned_data["comment"])
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                done = True
        low, high = survey.scale
        question = survey.question or (
            _("How likely are you to recommend %(name)s to a friend or colleague?")
            if survey.kind == "nps" else _("How satisfied are you with %(name)s?")) % {
            "name": survey.workspace.name}
        return render(request, "planning/service/answer.html", {
            "survey": survey, "form": form, "done": done, "question": question,
            "scores": list(range(low, high + 1)), "lang": lang, "token": token,
            "closed": survey.closed_at is not None, "workspace_name": survey.workspace.name})
