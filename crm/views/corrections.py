"""The contact profile's Correct… / Delete… actions on its events and orders (audited through
crm.corrections and crm.ingest.orders; the metrics are marked stale until the next run)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.tenancy import workspace_view

from .. import selectors
from ..corrections import event_delete, event_update, get_event
from ..forms import EventCorrectionForm, OrderCorrectionForm
from ..ingest.orders import get_order, order_update


def _back(request, contact):
    return redirect("contact_detail", slug=request.workspace.slug, contact_code=contact.code)


def _refused(request, errors: dict) -> None:
    for field, texts in errors.items():
        for text in texts:
            messages.error(request, _("Not saved: %(error)s") % {"error": text})


def _contact_and(request, contact_code, getter, code):
    contact = selectors.get_contact(request.workspace, contact_code)
    obj = getter(request.workspace, code)
    if obj.contact_id != contact.pk:
        raise Http404
    return contact, obj


@workspace_view("crm.edit")
@require_POST
def contact_event_edit(request, contact_code, event_code):
    contact, event = _contact_and(request, contact_code, get_event, event_code)
    form = EventCorrectionForm(request.POST)
    if not form.is_valid():
        _refused(request, {k: [str(e) for e in v] for k, v in form.errors.items()})
        return _back(request, contact)
    try:
        event_update(actor=request.actor, event=event, **form.cleaned_data)
    except ValidationError as e:
        _refused(request, e.message_dict)
        return _back(request, contact)
    messages.success(request, _("Event corrected. The metrics use it at the next run."))
    return _back(request, contact)


@workspace_view("crm.edit")
@require_POST
def contact_event_delete(request, contact_code, event_code):
    contact, event = _contact_and(request, contact_code, get_event, event_code)
    event_delete(actor=request.actor, event=event)
    messages.success(request, _("Event deleted."))
    return _back(request, contact)


@workspace_view("crm.edit")
@require_POST
def contact_order_edit(request, contact_code, order_code):
    contact, order = _contact_and(request, contact_code, get_order, order_code)
    form = OrderCorrectionForm(request.POST)
    if not form.is_valid():
        _refused(request, {k: [str(e) for e in v] for k, v in form.errors.items()})
        return _back(request, contact)
    try:
        order_update(actor=request.actor, order=order, **form.cleaned_data)
    except ValidationError as e:
        _refused(request, e.message_dict)
        return _back(request, contact)
    messages.success(request, _("Order corrected. The metrics use it at the next run."))
    return _back(request, contact)


@workspace_view("crm.edit")
def contact_export_json(request, contact_code):
    """Everything MOS holds about the contact, as a JSON download (audited)."""
    import json

    from django.http import HttpResponse

    from ..privacy import contact_export

    contact = selectors.get_contact(request.workspace, contact_code)
    data = contact_export(actor=request.actor, contact=contact)
    resp = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                        content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="contact-{contact.code}.json"'
    resp["Cache-Control"] = "no-store"
    return resp


@workspace_view("crm.edit")
def contact_export_csv(request, contact_code):
    """The same, as CSV: one row per field (section, item, field, value); cells escaped."""
    from mos.csvsafe import csv_response

    from ..privacy import contact_data_rows, contact_export

    contact = selectors.get_contact(request.workspace, contact_code)
    data = contact_export(actor=request.actor, contact=contact)
    resp = csv_response(f"contact-{contact.code}.csv", ["section", "item", "field", "value"],
                        contact_data_rows(data))
    resp["Cache-Control"] = "no-store"
    return resp


@workspace_view("crm.erase")
@require_POST
def contact_erase(request, contact_code):
    """Erase the contact's personal data (the profile's Erase… → Yes, erase); admins only."""
    from ..erasure import contact_erase as erase

    contact = selectors.get_contact(request.workspace, contact_code)
    try:
        erase(actor=request.actor, contact=contact,
              reason=(request.POST.get("reason") or "")[:200])
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The contact's personal data was erased. Their orders and "
                                    "events stay, anonymous, so the metrics do not change."))
    return redirect("contact_detail", slug=request.workspace.slug, contact_code=contact.code)
