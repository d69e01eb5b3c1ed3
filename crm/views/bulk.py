"""Pages of the bulk actions: the form posted from the contacts list, the action's progress
(htmx polls the status partial until it ends) and its Undo."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mos.codes import as_code
from mos.csvsafe import csv_response
from mos.tenancy import workspace_view

from .. import selectors
from ..bulk import services
from ..forms import ContactFilterForm, UserChoiceField, _members
from ..models import BulkAction, Segment
from .common import is_htmx

OPS = [("", gettext_lazy("Choose an action…")), *BulkAction.Kind.choices,
       ("export", gettext_lazy("Export CSV"))]


class BulkForm(forms.Form):
    """What to do with the selected contacts (the filters come with the contacts list's GET
    names; `all` = every contact matching them, else `codes`)."""

    op = forms.ChoiceField(label=gettext_lazy("Action"), choices=OPS)
    new_owner = UserChoiceField(label=gettext_lazy("New owner"), required=False, queryset=None,
                            empty_label=gettext_lazy("Nobody (unassign)"))
    to_stage = forms.ChoiceField(label=gettext_lazy("New stage"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=300)
    target_segment = forms.ModelChoiceField(label=gettext_lazy("Segment"), required=False,
                                            queryset=None, to_field_name="code",
                                            empty_label=gettext_lazy("Choose a segment"))

    def __init__(self, *args, workspace, stage_names: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = _members(workspace)
        self.fields["to_stage"].choices = [("", _("Choose a stage"))] + list(
            stage_names.items())
        self.fields["target_segment"].queryset = Segment.objects.filter(workspace=workspace)

    def params(self) -> dict:
        d = self.cleaned_data
        return {"owner": d["new_owner"].email if d.get("new_owner") else "",
                "stage": d.get("to_stage") or "", "reason": d.get("reason") or "",
                "segment": str(d["target_segment"].code) if d.get("target_segment") else ""}


def _selection(request, ws, stage_names) -> dict:
    if request.POST.get("all") == "1":
        form = ContactFilterForm(request.POST, workspace=ws, stage_names=stage_names)
        filters = form.filters() if form.is_valid() else None
        if filters is None:
            raise ValidationError({"selection": [_("The filters are not valid any more: "
                                                   "reload the list.")]})
        return services.selection_from_filters(filters)
    codes = [c for c in request.POST.getlist("codes") if c][:10000]
    return {"codes": codes}


@workspace_view("crm.edit")
@require_POST
def bulk_start(request):
    """Start a bulk action on the selected contacts (or download their CSV)."""
    ws = request.workspace
    stage_names = selectors.stage_names(ws)
    form = BulkForm(request.POST, workspace=ws, stage_names=stage_names)
    back = request.POST.get("back") or ""
    back_url = reverse("contacts", kwargs={"slug": ws.slug}) + (
        f"?{back}" if back and not any(ch in back for ch in "\r\n/\\") else "")
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selected contacts."))
        return redirect(back_url)
    try:
        selection = services.clean_selection(_selection(request, ws, stage_names))
        op = form.cleaned_data["op"]
        if op == "export":
            rows = list(services.contacts_export_rows(ws, selection))
            services.contacts_export_audit(actor=request.actor, selection=selection,
                                           count=len(rows))
            return csv_response("contacts.csv", services.EXPORT_HEADER, rows)
        action = services.bulk_action_start(actor=request.actor, kind=op,
                                            selection=selection, params=form.params())
    except ValidationError as e:
        msgs = [m for ms in e.message_dict.values() for m in ms] if hasattr(
            e, "error_dict") else e.messages
        messages.error(request, " ".join(msgs))
        return redirect(back_url)
    return redirect("bulk_action_detail", slug=ws.slug, action_code=action.code)


def _get_action(ws, code) -> BulkAction:
    code = as_code(code)
    if code is None:
        raise Http404
    return get_object_or_404(BulkAction.objects.filter(workspace=ws)
                             .select_related("created_by"), code=code)


def _ctx(request, action) -> dict:
    return {"action": action, "is_active": not action.finished,
            "stage_names": selectors.stage_names(request.workspace)}


@workspace_view("crm.edit")
def bulk_action_detail(request, action_code):
    """A bulk action's progress and result, with Undo where it can be undone."""
    action = _get_action(request.workspace, action_code)
    ctx = _ctx(request, action)
    if is_htmx(request):
        return render(request, "crm/bulk/_status.html", ctx)
    return render(request, "crm/bulk/detail.html", ctx)


@workspace_view("crm.edit")
def bulk_actions(request):
    """The workspace's recent bulk actions."""
    rows = BulkAction.objects.filter(workspace=request.workspace).select_related(
        "created_by")[:50]
    return render(request, "crm/bulk/list.html", {"actions": rows})


@workspace_view("crm.edit")
@require_POST
def bulk_action_undo(request, action_code):
    action = _get_action(request.workspace, action_code)
    try:
        n = services.bulk_action_undo(actor=request.actor, action=action)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Undone: %(n)s contacts restored.") % {"n": n})
    return redirect("bulk_action_detail", slug=request.workspace.slug, action_code=action.code)
