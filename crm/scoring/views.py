"""Lead-scoring pages: the rules and thresholds (growth lead and admin edit), how each score
band converts, and the MQL / SQL moves the thresholds propose (a list to accept)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mos.codes import as_code
from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors as crm_selectors
from ..models import Contact, ScoringRule
from . import selectors, services
from .tasks import score_workspace_task


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ScoringRule.Kind.choices)
    field = forms.CharField(label=gettext_lazy("Field or event"), max_length=100)
    values = forms.CharField(label=gettext_lazy("Values (comma separated)"), required=False,
                             max_length=2000)
    points = forms.IntegerField(label=gettext_lazy("Points"), min_value=-100, max_value=100)
    half_life_days = forms.IntegerField(label=gettext_lazy("Half-life (days)"), required=False,
                                        min_value=1, max_value=3650)
    max_points = forms.IntegerField(label=gettext_lazy("At most (points)"), required=False,
                                    min_value=1, max_value=100)


class ThresholdForm(forms.Form):
    mql_threshold = forms.IntegerField(label=gettext_lazy("MQL threshold"), min_value=0,
                                       max_value=100)
    sql_threshold = forms.IntegerField(label=gettext_lazy("SQL threshold"), min_value=0,
                                       max_value=100)


def _rescore(workspace) -> None:
    ws_id = workspace.pk
    transaction.on_commit(lambda: score_workspace_task.delay(ws_id))


@workspace_view("crm.view", write_perm="scoring.configure")
def scoring(request):
    ws = request.workspace
    t = selectors.thresholds(ws)
    rule_form = RuleForm(request.POST if request.POST.get("action") == "rule" else None)
    threshold_form = ThresholdForm(
        request.POST if request.POST.get("action") == "thresholds" else None,
        initial={"mql_threshold": t.mql_threshold, "sql_threshold": t.sql_threshold})
    if request.method == "POST":
        form = rule_form if request.POST.get("action") == "rule" else threshold_form
        if form.is_valid():
            try:
                with transaction.atomic():
                    if form is rule_form:
                        d = dict(form.cleaned_data)
                        d["values"] = [v.strip() for v in (d["values"] or "").split(",")
                                       if v.strip()]
                        services.scoring_rule_create(actor=request.actor, **d)
                        _rescore(ws)
                        messages.success(request, _("Rule added; scores are being recomputed."))
                    else:
                        services.scoring_settings_update(actor=request.actor,
                                                         **form.cleaned_data)
                        messages.success(request, _("Thresholds saved."))
                return redirect("scoring", slug=ws.slug)
            except ValidationError as e:
                add_service_errors(form, e)
    return render(request, "crm/scoring.html", {
        "rules": selectors.rules(ws), "thresholds": t, "bands": selectors.band_report(ws),
        "rule_form": rule_form, "threshold_form": threshold_form})


@workspace_view("scoring.configure")
@require_POST
def scoring_rule_delete(request, rule_code):
    from django.http import Http404

    rule = ScoringRule.objects.filter(workspace=request.workspace,
                                      code=as_code(rule_code) or None).first()
    if rule is None:
        raise Http404
    services.scoring_rule_delete(actor=request.actor, rule=rule)
    _rescore(request.workspace)
    messages.success(request, _("Rule deleted; scores are being recomputed."))
    return redirect("scoring", slug=request.workspace.slug)


@workspace_view("scoring.configure")
@require_POST
def scoring_recompute(request):
    _rescore(request.workspace)
    messages.success(request, _("Scores are being recomputed."))
    return redirect("scoring", slug=request.workspace.slug)


@workspace_view("crm.view", write_perm="scoring.configure")
def scoring_proposals(request):
    """Leads whose score reaches the MQL threshold and MQLs that reach the SQL one; tick and
    accept to move them (each move records the score as its reason)."""
    ws = request.workspace
    if request.method == "POST":
        codes = [c for c in (as_code(v) for v in request.POST.getlist("contact")) if c]
        contacts = list(Contact.objects.filter(workspace=ws, code__in=codes))
        moved = services.proposals_accept(actor=request.actor, contacts=contacts)
        messages.success(request, _("%(n)s contacts moved.") % {"n": moved})
        return redirect("scoring_proposals", slug=ws.slug)
    p = selectors.proposals(ws)
    return render(request, "crm/scoring_proposals.html", {
        "thresholds": p["thresholds"], "stage_names": crm_selectors.stage_names(ws),
        "to_mql": Paginator(p["to_mql"], 100).get_page(request.GET.get("page")),
        "to_sql": Paginator(p["to_sql"], 100).get_page(request.GET.get("page"))})
