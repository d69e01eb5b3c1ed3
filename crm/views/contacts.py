"""Contact pages: the list (search, filters, keyset pages), the profile, stage moves and
consent. htmx requests get only the partial they swap in (the page includes the same one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.pagination import KeysetPage
from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors, services
from ..forms import (
    ConsentForm,
    ContactFilterForm,
    ContactForm,
    StageMoveForm,
)
from ..models import ConsentChannel, LawfulBasis, Stage
from ..activities.forms import ActivityForm
from .common import is_htmx


@workspace_view("crm.view")
def contacts(request):
    """The contact list: live search, filters, sortable columns, keyset pages."""
    ws = request.workspace
    from crm import saved_views as sv

    view_code = request.GET.get("view", "")
    views, default = sv.saved_views_menu(ws, request.user)
    view = None
    if view_code and view_code != "all":
        view = next((v for v in views if str(v.code) == view_code), None)
        if view is None:
            raise Http404
        if not is_htmx(request) and not set(request.GET) & {*sv.FILTER_KEYS, "sort"}:
            return redirect(_list_url(ws, view))
    elif not request.GET and not is_htmx(request) and default is not None:
        return redirect(_list_url(ws, default))
    stage_names = selectors.stage_names(ws)
    form = ContactFilterForm(request.GET or None, workspace=ws, stage_names=stage_names)
    filters = form.filters() if form.is_bound else ContactFilterForm.filters_default()
    # a search counts its matches up to SEARCH_COUNT_CAP ("1–50 of 500+"): a common word
    # would otherwise visit ten thousand rows to print a number nobody pages through
    # a search's page is found by a bounded walk or through its matches (SearchNarrower)
    searched = bool((filters.get("q") or "").strip())
    page = KeysetPage(selectors.contact_list(ws, **filters), request.GET,
                      cap=selectors.SEARCH_COUNT_CAP if searched else None,
                      narrow=selectors.SearchNarrower(ws, filters) if searched else None)
    ctx = {"form": form, "page": page, "filters": filters, "stage_names": stage_names,
           "sort": filters["sort"],
           "filtered": any(v for k, v in filters.items() if k != "sort"),
           "filters_open": any(v for k, v in filters.items() if k not in ("q", "sort"))}
    ctx.update(_bulk_context(request, stage_names))
    ctx.update({"current_view": view, "columns": sv.columns_of(view),
                "saved_views": views, "view_code": view_code,
                "column_choices": list(sv.COLUMNS.items()), "default_view": default})
    if is_htmx(request):
        return render(request, "crm/partials/contact_rows.html", ctx)
    return render(request, "crm/contacts.html", ctx)


def _list_url(ws, view) -> str:
    from crm.views.saved_views import list_url

    return list_url(ws, view)


def _bulk_context(request, stage_names) -> dict:
    """The bulk bar under the filters: the form, and the list's filters as hidden inputs so
    "all matching" means the list the person sees."""
    if not request.actor.can("crm.edit"):
        return {}
    from crm.bulk.services import FILTER_KEYS
    from crm.views.bulk import BulkForm

    return {"bulk_form": BulkForm(workspace=request.workspace, stage_names=stage_names),
            "filter_params": [(k, request.GET[k]) for k in FILTER_KEYS if request.GET.get(k)],
            "back": request.GET.urlencode()}


from crm import extensions  # noqa: E402


def _contact_context(request, contact, **extra) -> dict:
    stage_names = extra.pop("stage_names", None) or selectors.stage_names(request.workspace)
    ctx = {
        "contact": contact,
        "stage_names": stage_names,
        "timeline": selectors.contact_timeline(contact),
        "consent": _consent_rows(contact),
        "consent_history": list(selectors.consent_history(contact)[:100]),
        "lawful_bases": LawfulBasis.choices,
        "orders": selectors.contact_orders_summary(contact),
        "recent_orders": contact.orders.filter(workspace=request.workspace).order_by(
            "-occurred_at", "-id")[:10],
        "stage_form": StageMoveForm(stage_names=stage_names, current=contact.stage),
        "panels": extensions.profile_panels(contact),
        "activity_form": ActivityForm(workspace=request.workspace),
    }
    ctx.update(extra)
    return ctx


def _consent_rows(contact) -> list[dict]:
    current = selectors.current_consent(contact)
    return [{"channel": key, "label": label, "consent": current.get(key)}
            for key, label in ConsentChannel.choices]


@workspace_view("crm.view")
def contact_detail(request, contact_code):
    contact = selectors.get_contact(request.workspace, contact_code)
    contact.score = contact.score  # one query now, not one per {{ contact.score }}
    return render(request, "crm/contact_detail.html", _contact_context(request, contact))


@workspace_view("crm.edit")
def contact_create(request):
    ws = request.workspace
    stage_names = selectors.stage_names(ws)
    form = ContactForm(request.POST or None, workspace=ws, stage_names=stage_names,
                       initial={"stage": Stage.LEAD})
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=request.actor, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("Contact created."))
            return redirect("contact_detail", slug=ws.slug, contact_code=contact.code)
    return render(request, "crm/contact_form.html", {"form": form, "contact": None})


@workspace_view("crm.edit")
def contact_edit(request, contact_code):
    ws = request.workspace
    contact = selectors.get_contact(ws, contact_code)
    form = ContactForm(request.POST or None, instance=contact, workspace=ws)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.actor, contact=contact,
                                    **form.changed_fields())
        except ValidationError as e:
            contact.refresh_from_db()  # the refused values were set on the instance
            add_service_errors(form, e)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("contact_detail", slug=ws.slug, contact_code=contact.code)
    return render(request, "crm/contact_form.html", {"form": form, "contact": contact})


@workspace_view("crm.edit")
@require_POST
def contact_stage(request, contact_code):
    """Move the contact to another stage, with a reason. htmx: the stage panel is swapped and
    the badge and the timeline are updated out of band."""
    ws = request.workspace
    contact = selectors.get_contact(ws, contact_code)
    stage_names = selectors.stage_names(ws)
    form = StageMoveForm(request.POST, stage_names=stage_names, current=contact.stage)
    moved = False
    if form.is_valid():
        try:
            services.contact_change_stage(actor=request.actor, contact=contact,
                                          to_stage=form.cleaned_data["to_stage"],
                                          reason=form.cleaned_data["reason"])
            moved = True
        except ValidationError as e:
            add_service_errors(form, e)
    if moved:
        contact.refresh_from_db()
        form = StageMoveForm(stage_names=stage_names, current=contact.stage)
    if not is_htmx(request):
        if moved:
            messages.success(request, _("Stage changed."))
            return redirect("contact_detail", slug=ws.slug, contact_code=contact.code)
        return render(request, "crm/contact_detail.html",
                      _contact_context(request, contact, stage_names=stage_names,
                                       stage_form=form))
    ctx = _contact_context(request, contact, stage_names=stage_names, stage_form=form,
                           moved=moved, oob=moved)
    return render(request, "crm/partials/stage_panel.html", ctx)


@workspace_view("crm.edit")
@require_POST
def contact_consent(request, contact_code):
    """Grant or withdraw consent on one channel (a new ledger row)."""
    ws = request.workspace
    contact = selectors.get_contact(ws, contact_code)
    form = ConsentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.consent_record(actor=request.actor, contact=contact,
                                    channel=form.cleaned_data["channel"],
                                    status=form.cleaned_data["status"], source="mos:profile",
                                    lawful_basis=form.cleaned_data["lawful_basis"] or "consent")
        except ValidationError as e:
            error = " ".join(e.messages)
    else:
        error = _("Choose a channel and whether consent is granted or withdrawn.")
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Consent recorded."))
        return redirect("contact_detail", slug=ws.slug, contact_code=contact.code)
    ctx = _contact_context(request, contact, consent_error=error, oob=not error)
    return render(request, "crm/partials/consent_panel.html", ctx,
                  status=200)


@workspace_view("crm.edit")
@require_POST
def contact_order_delete(request, contact_code, order_code):
    """Delete one of the contact's orders (the profile's Delete… → Yes, delete); audited."""
    from crm.ingest.orders import get_order, order_delete

    contact = selectors.get_contact(request.workspace, contact_code)
    order = get_order(request.workspace, order_code)
    if order.contact_id != contact.pk:
        from django.http import Http404

        raise Http404
    order_delete(actor=request.actor, order=order)
    messages.success(request, _("Order deleted."))
    return redirect("contact_detail", slug=request.workspace.slug, contact_code=contact.code)
