"""The lifecycle stages with the workspace's names and definitions (the unified lead
definition)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors, services
from ..forms import LifecycleStageForm
from ..models import Stage


# Editing stage names and the unified lead definition: the permission closest to "admins and
# growth leads" in mos.roles.PERMISSIONS is metrics.configure (admin, growth lead, analyst):
# the definitions decide what the funnel metrics count as a lead, MQL and SQL.
LIFECYCLE_EDIT_PERM = "metrics.configure"


@workspace_view("crm.view")
def lifecycle(request):
    """The stages with the workspace's names and definitions; admins, growth leads (and
    analysts, who configure metrics) edit them."""
    ws = request.workspace
    can_edit = request.actor.can(LIFECYCLE_EDIT_PERM)
    stages = list(selectors.lifecycle_stages(ws))
    names = selectors.stage_names(ws)
    bound_key, bound_form = None, None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        bound_key = request.POST.get("stage", "")
        stage = next((s for s in stages if s.key == bound_key), None)
        if stage is None:
            messages.error(request, _("Unknown lifecycle stage."))
            return redirect("lifecycle", slug=ws.slug)
        bound_form = LifecycleStageForm(request.POST, prefix=stage.key)
        if bound_form.is_valid():
            try:
                services.lifecycle_stage_update(actor=request.actor, stage=stage,
                                                **bound_form.cleaned_data)
            except ValidationError as e:
                add_service_errors(bound_form, e)
            else:
                messages.success(request, _("“%(name)s” saved.") % {
                    "name": bound_form.cleaned_data["name"]})
                return redirect(reverse("lifecycle", kwargs={"slug": ws.slug})
                                + f"#stage-{stage.key}")
    rows = []
    for s in stages:
        form = bound_form if s.key == bound_key else LifecycleStageForm(
            prefix=s.key, initial={"name": names.get(s.key, s.name),
                                   "definition": s.definition})
        rows.append({"stage": s, "name": names.get(s.key, s.name), "form": form,
                     "unified": s.key in (Stage.LEAD, Stage.MQL, Stage.SQL)})
    return render(request, "crm/lifecycle.html", {"rows": rows, "can_edit": can_edit,
                                                  "stage_names": names})
