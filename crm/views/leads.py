"""My leads: the cards a sales rep works from on a phone, with one-tap feedback."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors, services
from ..forms import COMMON_REASONS, LeadFeedbackForm
from ..models import LeadFeedback
from .common import is_htmx


def _card(contact, last, form=None, **extra) -> dict:
    """One lead card; "accepted" as the latest feedback offers the next stage."""
    nxt = (selectors.next_lead_stage(contact.stage)
           if last is not None and last.outcome == LeadFeedback.Outcome.ACCEPTED else None)
    return {"lead": contact, "last": last, "next_stage": nxt,
            "form": form or LeadFeedbackForm(prefix=f"fb-{contact.code}"), **extra}


@workspace_view("leads.view_assigned")
def my_leads(request):
    """The leads assigned to me as compact cards that open to a one-tap feedback form (phone
    first): those still waiting for feedback by default, searchable, newest or oldest first."""
    ws = request.workspace
    show = "all" if request.GET.get("show") == "all" else "needs"
    sort = "old" if request.GET.get("sort") == "old" else "new"
    q = (request.GET.get("q") or "").strip()[:100]
    leads = selectors.leads_for_rep(ws, request.user, q=q, needs_feedback=show == "needs",
                                    oldest_first=sort == "old")
    page = Paginator(leads, 25).get_page(request.GET.get("page"))
    latest = selectors.last_feedback_by_contact(ws, list(page.object_list))
    counts = {"needs": selectors.leads_for_rep(ws, request.user, q=q,
                                               needs_feedback=True).count(),
              "all": page.paginator.count if show == "all" else selectors.leads_for_rep(
                  ws, request.user, q=q).count()}
    cards = [_card(c, latest.get(c.id)) for c in page.object_list]
    return render(request, "crm/my_leads.html", {
        "page": page, "cards": cards, "stage_names": selectors.stage_names(ws),
        "reasons": COMMON_REASONS, "show": show, "sort": sort, "q": q, "counts": counts,
        "query": urlencode({k: v for k, v in (("show", show), ("sort", sort), ("q", q))
                            if v})})


@workspace_view("leads.view_assigned")
def lead_detail(request, contact_code):
    """A lead's timeline for its rep (a rep does not see the CRM, only their own leads);
    anyone who sees the CRM gets the full profile."""
    ws = request.workspace
    if request.actor.can("crm.view"):
        return redirect("contact_detail", slug=ws.slug, contact_code=contact_code)
    contact = selectors.get_contact(ws, contact_code)
    if contact.owner_id != request.user.pk:
        raise Http404
    return render(request, "crm/lead_detail.html", {
        "contact": contact, "stage_names": selectors.stage_names(ws),
        "timeline": selectors.contact_timeline(contact)})


@workspace_view("leads.feedback")
@require_POST
def lead_advance(request, contact_code):
    """"Accepted" → move the lead one stage on, in one tap (audited; own leads only)."""
    ws = request.workspace
    contact = selectors.get_contact(ws, contact_code)
    moved, error = False, ""
    try:
        services.lead_accept_advance(actor=request.actor, contact=contact,
                                     to_stage=request.POST.get("to_stage", ""))
        moved = True
    except ValidationError as e:
        error = " ".join(m for msgs in e.message_dict.values() for m in msgs)
    if not is_htmx(request):
        if moved:
            messages.success(request, _("Stage changed."))
        else:
            messages.error(request, error)
        return redirect("my_leads", slug=ws.slug)
    contact.refresh_from_db()
    last = selectors.last_feedback_by_contact(ws, [contact]).get(contact.id)
    card = _card(contact, last, moved_to=contact.stage if moved else "", move_error=error,
                 open=True)
    return render(request, "crm/partials/lead_card.html", {
        "card": card, "stage_names": selectors.stage_names(ws), "reasons": COMMON_REASONS})


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
    card = _card(contact, last, None if saved else form, saved=saved, open=True)
    return render(request, "crm/partials/lead_card.html", {
        "card": card, "stage_names": selectors.stage_names(ws), "reasons": COMMON_REASONS})
