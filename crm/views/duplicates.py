"""Likely duplicate contacts (crm.duplicates) and the merge that keeps everything."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.codes import as_code
from mos.tenancy import workspace_view

from .. import selectors, services
from ..duplicates import REASONS, duplicate_groups
from ..models import Contact


@workspace_view("crm.edit")
def duplicates(request):
    ws = request.workspace
    return render(request, "crm/duplicates.html", {
        "groups": duplicate_groups(ws), "stage_names": selectors.stage_names(ws)})


@workspace_view("crm.edit")
@require_POST
def duplicates_merge(request):
    """Merge the ticked contacts into the chosen survivor (events, orders, activities,
    consent, feedback, stage history, subscriptions and flow history all move)."""
    ws = request.workspace
    survivor_code = as_code(request.POST.get("survivor"))
    codes = [c for c in (as_code(v) for v in request.POST.getlist("contact")) if c]
    reason = request.POST.get("reason") if request.POST.get("reason") in REASONS else "manual"
    survivor = Contact.objects.filter(workspace=ws, code=survivor_code).first() \
        if survivor_code else None
    others = list(Contact.objects.filter(workspace=ws, code__in=codes)
                  .exclude(pk=getattr(survivor, "pk", None)))
    if survivor is None or not others:
        messages.error(request, _("Choose the contact to keep and at least one to merge "
                                  "into it."))
        return redirect("duplicates", slug=ws.slug)
    try:
        with transaction.atomic():
            for other in others:
                services.contacts_merge(actor=request.actor, survivor=survivor, merged=other,
                                        matched_on=reason)
                survivor.refresh_from_db()
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("duplicates", slug=ws.slug)
    from ..scoring.services import enqueue_rescore

    enqueue_rescore(ws.pk, [survivor.pk])  # the survivor has more events now
    messages.success(request, _("%(n)s contacts merged into %(name)s.")
                     % {"n": len(others), "name": survivor})
    return redirect("contact_detail", slug=ws.slug, contact_code=survivor.code)
