"""Data & privacy: the workspace's retention policy (admins edit it; it runs nightly) and the
field inventory (which personal fields MOS stores, why, where, for how long)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import inventory, retention


class RetentionForm(forms.Form):
    raw_events_months = forms.IntegerField(
        label=gettext_lazy("Delete raw events older than (months)"), required=False,
        min_value=1, help_text=gettext_lazy("Empty: keep them. At least 14 months: the nightly "
                                            "metrics recompute the last 400 days."))
    message_content_days = forms.IntegerField(
        label=gettext_lazy("Clear sent messages' address and subject after (days)"),
        required=False, min_value=1,
        help_text=gettext_lazy("Empty: keep them. The ledger row stays for counts and lift."))


@workspace_view("crm.view")
def privacy(request):
    ws = request.workspace
    policy = retention.policy_for(ws)
    form = RetentionForm(request.POST or None, initial={
        "raw_events_months": policy.raw_events_months,
        "message_content_days": policy.message_content_days})
    can_edit = request.actor.can("workspace.settings")
    if request.method == "POST":
        if not can_edit:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            try:
                retention.retention_policy_update(actor=request.actor, **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("Retention policy saved. It runs every night."))
                return redirect("privacy", slug=ws.slug)
    return render(request, "crm/privacy.html", {
        "policy": policy, "form": form, "can_edit": can_edit,
        "inventory": inventory.field_inventory()})
