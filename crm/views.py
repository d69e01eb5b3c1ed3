"""CRM pages: contacts (search, profile, stage moves, consent), my leads (one-tap feedback
for sales reps on a phone), segments, personas and the lifecycle definitions.

Views validate a form, call one crm.services / crm.selectors function and render. htmx
requests get only the partial they swap in (the page includes the same partial)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.tenancy import workspace_view

from . import selectors, services
from .forms import (COMMON_REASONS, ConsentForm, ContactFilterForm, ContactForm,
                    LeadFeedbackForm, LifecycleStageForm, PersonaForm, SegmentForm,
                    StageMoveForm, add_service_errors)
from .models import ConsentChannel, Order, Stage

PAGE_SIZE = 50
COUNT_CAP = 10_000
# Editing stage names and the unified lead definition: the permission closest to "admins and
# growth leads" in mos.roles.PERMISSIONS is metrics.configure (admin, growth lead, analyst):
# the definitions decide what the funnel metrics count as a lead, MQL and SQL.
LIFECYCLE_EDIT_PERM = "lifecycle.define"  # the API (crm.api) uses the same


# --- helpers ---------------------------------------------------------------------------------

def _stage_names(workspace) -> dict[str, str]:
    """{stage key: the workspace's name for it}, in funnel order. A name the workspace never
    changed is shown translated (the stored default is the English label)."""
    with translation.override("en"):
        english = {key: str(label) for key, label in Stage.choices}
    names = {}
    for ls in selectors.lifecycle_stages(workspace):
        if ls.key in Stage.values and ls.name in ("", english[ls.key]):
            names[ls.key] = str(Stage(ls.key).label)
        else:
            names[ls.key] = ls.name
    for key, label in Stage.choices:
        names.setdefault(key, str(label))
    return names


def _encode_cursor(values: list) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else
                      (str(v) if isinstance(v, Decimal) else v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return None
    return values if isinstance(values, list) else None


def _clean_cursor(model, ordering, values: list) -> list | None:
    """The cursor's values as the sort fields' Python values, or None when it does not fit
    them (a hand-edited or forged `?after=`: the list then starts at its first page)."""
    from django.core.exceptions import FieldDoesNotExist, ValidationError
    from django.db import models as m

    if len(values) != len(ordering):
        return None
    cleaned = []
    for (name, _desc), value in zip(ordering, values):
        if value is None or isinstance(value, (list, dict, bool)):
            return None
        try:
            field = model._meta.get_field(name)
            value = field.to_python(value)
        except (FieldDoesNotExist, ValidationError, TypeError, ValueError, OverflowError):
            return None
        if isinstance(field, m.IntegerField) and not -2**63 <= value < 2**63:
            return None
        if isinstance(value, str) and "\x00" in value:
            return None
        if value is None:
            return None
        cleaned.append(value)
    return cleaned


def _ordering(qs) -> list[tuple[str, bool]] | None:
    """The queryset's ordering as [(field, descending)], ending in the primary key, or None
    when it cannot be used for keyset paging (expressions)."""
    order = list(qs.query.order_by) or list(qs.query.get_meta().ordering)
    fields = []
    for o in order:
        if not isinstance(o, str) or o == "?" or "__" in o:
            return None
        desc = o.startswith("-")
        name = o.lstrip("-+")
        fields.append(("id" if name == "pk" else name, desc))
    if not fields or fields[-1][0] != "id":
        desc = fields[-1][1] if fields else True
        fields.append(("id", desc))
    return fields


def _keyset_filter(ordering, values) -> Q:
    """Rows strictly after `values` in `ordering` (lexicographic, the last key is unique)."""
    q = Q()
    for i, (name, desc) in enumerate(ordering):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{ordering[j][0]: values[j]})
        q |= step
    return q


def _capped_count(qs, cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counting no further than `cap` (LIMIT inside the COUNT): never a full
    count of a million-row table. → (count up to cap, True when there are more)."""
    cap = cap or COUNT_CAP
    n = qs.order_by().select_related(None).values("pk")[:cap + 1].count()
    return min(n, cap), n > cap


class KeysetPage:
    """One page of a large queryset, without counting the table: the next page starts after
    the last row's sort key (`?after=`), and the total is counted only up to COUNT_CAP."""

    def __init__(self, qs, params, *, size: int | None = None, cap: int | None = None):
        self.size = size = size or PAGE_SIZE
        cap = cap or COUNT_CAP
        try:
            self.start = max(1, int(params.get("start", 1)))
        except ValueError:
            self.start = 1
        ordering = _ordering(qs)
        cursor = _decode_cursor(params.get("after", "")) if params.get("after") else None
        if ordering and cursor is not None:
            cursor = _clean_cursor(qs.model, ordering, cursor)
        if ordering and cursor is not None:
            qs_page = qs.filter(_keyset_filter(ordering, cursor))
        elif ordering:
            qs_page, self.start = qs, 1
        else:  # expression ordering: plain offsets, still no full count
            qs_page = qs[self.start - 1:]
        rows = list(qs_page[:size + 1])
        self.has_next = len(rows) > size
        self.rows = rows[:size]
        self.next_after = ""
        if self.has_next and ordering:
            last = self.rows[-1]
            values = [getattr(last, name) for name, _d in ordering]
            if all(v is not None for v in values):
                self.next_after = _encode_cursor(values)
        self.has_previous = self.start > 1
        self.end = self.start + len(self.rows) - 1
        self.total, self.total_capped = _capped_count(qs, cap)
        self.next_start = self.end + 1

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _is_htmx(request) -> bool:
    """An htmx swap request (not a boosted link, not a history restore after Back: those
    need the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _orders_summary(contact) -> dict:
    """Number of orders and net revenue (refunds subtracted) of one contact."""
    rows = (Order.objects.filter(workspace=contact.workspace, contact=contact)
            .values("kind").annotate(n=Count("id"), total=Sum("amount")))
    count, revenue, currency = 0, Decimal("0"), contact.workspace.currency
    for r in rows:
        if r["kind"] == Order.Kind.REFUND:
            revenue -= r["total"] or 0
        else:
            count += r["n"]
            revenue += r["total"] or 0
    return {"count": count, "revenue": revenue, "currency": currency}


# --- contacts --------------------------------------------------------------------------------

@workspace_view("crm.view")
def contacts(request):
    """The contact list: live search, filters, sortable columns, keyset pages."""
    ws = request.workspace
    stage_names = _stage_names(ws)
    form = ContactFilterForm(request.GET or None, workspace=ws, stage_names=stage_names)
    filters = form.filters() if form.is_bound else ContactFilterForm.filters_default()
    page = KeysetPage(selectors.contact_list(ws, **filters), request.GET)
    ctx = {"form": form, "page": page, "filters": filters, "stage_names": stage_names,
           "sort": filters["sort"],
           "filtered": any(v for k, v in filters.items() if k != "sort"),
           "filters_open": any(v for k, v in filters.items() if k not in ("q", "sort"))}
    if _is_htmx(request):
        return render(request, "crm/partials/contact_rows.html", ctx)
    return render(request, "crm/contacts.html", ctx)


def _contact_context(request, contact, **extra) -> dict:
    stage_names = extra.pop("stage_names", None) or _stage_names(request.workspace)
    ctx = {
        "contact": contact,
        "stage_names": stage_names,
        "timeline": selectors.contact_timeline(contact),
        "consent": _consent_rows(contact),
        "orders": _orders_summary(contact),
        "stage_form": StageMoveForm(stage_names=stage_names, current=contact.stage),
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
    return render(request, "crm/contact_detail.html", _contact_context(request, contact))


@workspace_view("crm.edit")
def contact_create(request):
    ws = request.workspace
    stage_names = _stage_names(ws)
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
    stage_names = _stage_names(ws)
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
    if not _is_htmx(request):
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
                                    status=form.cleaned_data["status"], source="mos:profile")
        except ValidationError as e:
            error = " ".join(e.messages)
    else:
        error = _("Choose a channel and whether consent is granted or withdrawn.")
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Consent recorded."))
        return redirect("contact_detail", slug=ws.slug, contact_code=contact.code)
    ctx = _contact_context(request, contact, consent_error=error, oob=not error)
    return render(request, "crm/partials/consent_panel.html", ctx,
                  status=200)


# --- my leads --------------------------------------------------------------------------------

def _last_feedback(workspace, contacts) -> dict:
    """{contact id: the latest LeadFeedback by anyone} for the cards (one query)."""
    from .models import LeadFeedback

    latest = {}
    for fb in (LeadFeedback.objects.filter(workspace=workspace, contact__in=contacts)
               .select_related("rep").order_by("contact_id", "-at", "-id")):
        latest.setdefault(fb.contact_id, fb)
    return latest


@workspace_view("leads.view_assigned")
def my_leads(request):
    """The leads assigned to me, as cards with a one-tap feedback form (phone first)."""
    ws = request.workspace
    leads = selectors.leads_for_rep(ws, request.user)
    page = Paginator(leads, 25).get_page(request.GET.get("page"))
    latest = _last_feedback(ws, list(page.object_list))
    stage_names = _stage_names(ws)
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
    if not _is_htmx(request):
        if saved:
            messages.success(request, _("Feedback saved."))
        else:
            messages.error(request, _("The feedback was not saved: %(errors)s") % {
                "errors": "; ".join(str(m) for errs in form.errors.values() for m in errs)})
        return redirect("my_leads", slug=ws.slug)
    card = {"lead": contact, "last": _last_feedback(ws, [contact]).get(contact.id),
            "form": LeadFeedbackForm(prefix=f"fb-{contact.code}") if saved else form,
            "saved": saved}
    return render(request, "crm/partials/lead_card.html", {
        "card": card, "stage_names": _stage_names(ws), "reasons": COMMON_REASONS})


# --- segments --------------------------------------------------------------------------------

@workspace_view("crm.view")
def segments(request):
    ws = request.workspace
    rows = []
    for seg in ws.segments.all():
        n, capped = _capped_count(selectors.segment_queryset(ws, seg.filters))
        rows.append({"segment": seg, "count": n, "capped": capped})
    return render(request, "crm/segments.html", {"rows": rows,
                                                 "stage_names": _stage_names(ws)})


def _segment_form_view(request, segment=None):
    ws = request.workspace
    stage_names = _stage_names(ws)
    initial = SegmentForm.initial_from(segment) if segment else {}
    form = SegmentForm(request.POST or None, workspace=ws, stage_names=stage_names,
                       initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {"name": form.cleaned_data["name"],
                  "description": form.cleaned_data["description"],
                  "filters": form.filters()}
        try:
            if segment is None:
                segment = services.segment_create(actor=request.actor, **fields)
                messages.success(request, _("Segment created."))
            else:
                services.segment_update(actor=request.actor, segment=segment, **fields)
                messages.success(request, _("Segment saved."))
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("segment_detail", slug=ws.slug, segment_code=segment.code)
    return render(request, "crm/segment_form.html", {"form": form, "segment": segment})


@workspace_view("crm.edit")
def segment_create(request):
    return _segment_form_view(request)


@workspace_view("crm.edit")
def segment_edit(request, segment_code):
    return _segment_form_view(request, selectors.get_segment(request.workspace, segment_code))


def _describe_filters(ws, filters: dict, stage_names: dict) -> list[tuple[str, str]]:
    """The segment's filters as (label, values) lines a person can read."""
    from engines.models import Channel

    from .models import CustomerType, Persona

    out = []
    if filters.get("stage"):
        out.append((_("Stages"), ", ".join(stage_names.get(s, s) for s in filters["stage"])))
    if filters.get("persona"):
        names = Persona.objects.filter(workspace=ws, code__in=filters["persona"]) \
            .values_list("name", flat=True)
        out.append((_("Personas"), ", ".join(names) or "—"))
    if filters.get("customer_type"):
        labels = dict(CustomerType.choices)
        out.append((_("Customer types"), ", ".join(str(labels.get(c, c))
                                                   for c in filters["customer_type"])))
    if filters.get("country"):
        out.append((_("Countries"), ", ".join(filters["country"])))
    if filters.get("channel"):
        names = Channel.objects.filter(workspace=ws, key__in=filters["channel"]) \
            .values_list("name", flat=True)
        out.append((_("Source channels"), ", ".join(names) or ", ".join(filters["channel"])))
    if filters.get("plan"):
        out.append((_("Account plans"), ", ".join(filters["plan"])))
    if filters.get("owner"):
        out.append((_("Owner"), filters["owner"]))
    for key, value in (filters.get("properties") or {}).items():
        out.append((key, str(value)))
    return out


@workspace_view("crm.view")
def segment_detail(request, segment_code):
    ws = request.workspace
    segment = selectors.get_segment(ws, segment_code)
    stage_names = _stage_names(ws)
    members = selectors.segment_members(segment)
    page = KeysetPage(members, request.GET)
    return render(request, "crm/segment_detail.html", {
        "segment": segment, "page": page, "stage_names": stage_names,
        "filter_lines": _describe_filters(ws, segment.filters or {}, stage_names)})


# --- personas --------------------------------------------------------------------------------

@workspace_view("crm.view")
def personas(request):
    ws = request.workspace
    rows = ws.personas.annotate(members=Count("contacts")).order_by("name")
    return render(request, "crm/personas.html", {"personas": rows})


def _persona_form_view(request, persona=None):
    ws = request.workspace
    form = PersonaForm(request.POST or None, instance=persona)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in PersonaForm.Meta.fields}
        try:
            if persona is None:
                persona = services.persona_create(actor=request.actor, **fields)
                messages.success(request, _("Persona created."))
            else:
                persona.refresh_from_db()  # the bound form mutated nothing, but be explicit
                services.persona_update(actor=request.actor, persona=persona, **fields)
                messages.success(request, _("Persona saved."))
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("persona_detail", slug=ws.slug, persona_code=persona.code)
    return render(request, "crm/persona_form.html", {"form": form, "persona": persona})


@workspace_view("crm.edit")
def persona_create(request):
    return _persona_form_view(request)


@workspace_view("crm.edit")
def persona_edit(request, persona_code):
    return _persona_form_view(request, selectors.get_persona(request.workspace, persona_code))


@workspace_view("crm.view")
def persona_detail(request, persona_code):
    ws = request.workspace
    persona = selectors.get_persona(ws, persona_code)
    stage_names = _stage_names(ws)
    members = selectors.contact_list(ws, **{**ContactFilterForm.filters_default(),
                                            "persona": persona})
    page = KeysetPage(members, request.GET)
    return render(request, "crm/persona_detail.html", {
        "persona": persona, "page": page, "stage_names": stage_names})


# --- lifecycle stages and the unified lead definition ----------------------------------------

@workspace_view("crm.view")
def lifecycle(request):
    """The stages with the workspace's names and definitions; admins, growth leads (and
    analysts, who configure metrics) edit them."""
    ws = request.workspace
    can_edit = request.actor.can(LIFECYCLE_EDIT_PERM)
    stages = list(selectors.lifecycle_stages(ws))
    names = _stage_names(ws)
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
