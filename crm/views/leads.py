"""My leads: the cards a sales rep works from on a phone, with one-tap feedback."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors, services
from ..forms import COMMON_REASONS, LeadFeedbackForm
from .common import is_htmx


@workspace_view("leads.view_assigned")
def my_leads(request):
    """The leads assigned to me, as cards with a one-tap feedback form (phone first)."""
    ws = request.workspace
    leads = selectors.leads_for_rep(ws, request.user)
    page = Paginator(leads, 25).get_page(request.GET.get("page"))
    latest = selectors.last_feedback_by_contact(ws, list(page.object_list))
    stage_names = selectors.stage_names(ws)
    cards = [{"lead": c, "last": latest.get(c.id),
              "form": LeadFeedbackForm(prefix=f"fb-{c.code}")} for c in page.object_list]
    return render(request, "crm/my_leads.html", {
        "page": page, "cards": cards, "stage_names": stage_names, "reasons": COMMON_REASONS})


@workspace_view("leads.feedback")
@require_POST
def lead_feedback(request, contact_code):
    """Save a rep's feedback on one lead; htmx swaps the card (saved, or with errors)."""
    ws = request.workspace
    contact = selectors.get_contact(ws, contact_code)
    form = LeadFeedbackForm(request.POST, prefix=f"fb-{contact.code}")
    saved = False
    if form.is_valid():
        try:
            services.lead_feedback_create(actor=request.actor, contact=contact,
                                          **form.cleaned_data)
            saved = True
        except ValidationError as e:
            add_service_errors(form, e)
    if not is_htmx(request):
        if saved:
            messages.success(request, _("Feedback saved."))
        else:
            messages.error(request, _("The feedback was not saved: %(errors)s") % {
                "errors": "; ".join(str(m) for errs in form.errors.values() for m in errs)})
        return redirect("my_leads", slug=ws.slug)
    last = selectors.last_feedback_by_contact(ws, [contact]).get(contact.id)
    card = {"lead": contact, "last": last,
            "form": LeadFeedbackForm(prefix=f"fb-{contact.code}") if saved else form,
            "saved": saved}
    return render(request, "crm/partials/lead_card.html", {
        "card": card, "stage_names": selectors.stage_names(ws), "reasons": COMMON_REASONS})
