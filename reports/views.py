"""Report pages: the list, the one-page report (inline htmx edits, publish, supersede, PDF),
and the decisions on it. The weekly review is in review_views.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.tenancy import workspace_view

from . import selectors, services
from .forms import DecisionForm, TextEditForm
from .models import MonthlyReport


def _errors(e: ValidationError) -> list[str]:
    if hasattr(e, "error_dict"):
        return [m for msgs in e.message_dict.values() for m in msgs]
    return e.messages


@workspace_view("reports.view")
def report_list(request):
    ws = request.workspace
    months = selectors.reports_by_month(ws)
    last = selectors.last_closed_month()
    return render(request, "reports/list.html", {
        "months": months, "last_closed": last,
        "can_draft": request.actor.can("reports.draft"),
        "has_last": any(m["month"] == last for m in months)})


@workspace_view("reports.draft")
@require_POST
def report_draft_now(request):
    """"Draft now": the month in the form (default: the last closed one)."""
    ws = request.workspace
    value = request.POST.get("month") or f"{selectors.last_closed_month():%Y-%m}"
    if not selectors.MONTH_RE.match(value):
        messages.error(request, _("Month must look like 2026-10."))
        return redirect("reports", slug=ws.slug)
    try:
        report = services.report_draft(workspace=ws, month=selectors.parse_month(value),
                                       actor=request.actor,
                                       refresh=request.POST.get("refresh") == "1")
    except ValidationError as e:
        for m in _errors(e):
            messages.error(request, m)
        return redirect("reports", slug=ws.slug)
    return redirect("report_detail", slug=ws.slug, month=report.slug)


def _report_for(request, month: str) -> MonthlyReport:
    version = request.GET.get("v") or request.POST.get("v")
    version = int(version) if version and version.isdigit() else None
    return selectors.get_report(request.workspace, selectors.parse_month(month), version)


def _page_context(request, report: MonthlyReport, *, printing: bool = False) -> dict:
    ws = request.workspace
    content = selectors.report_content(report)
    editable = not printing and not report.is_frozen and request.actor.can("reports.draft")
    parts = []
    for field, title, placeholder in (("wins", _("Wins"), _("A win, in one line")),
                                      ("problems", _("Problems"), _("A problem, in one line"))):
        items = list(content.get(field) or [])
        n = 3 if editable else len(items)
        parts.append({"field": field, "title": title, "placeholder": placeholder,
                      "slots": [{"index": i + 1, "item": items[i] if i < len(items) else None}
                                for i in range(n)]})
    return {
        "highlight_parts": parts,
        "report": report, "content": content, "editable": editable,
        "groups": selectors.kpi_groups(content["numbers"]),
        "members": _members(ws) if editable else [],
        "engines": selectors.engine_choices(ws) if editable else [],
        "kinds": [("stop", _("Stop")), ("start", _("Start")), ("continue", _("Continue"))],
        "versions": list(selectors.report_list(ws).filter(month=report.month)),
        "can_publish": report.status == "draft" and request.actor.can("reports.publish"),
        "can_supersede": report.status == "published" and request.actor.can(
            "reports.supersede"),
        "can_draft": request.actor.can("reports.draft"),
        "edits": list(report.edits.select_related("user")[:40]),
        "rtl": get_language() == "ar",
    }


def _members(ws):
    from mos.models import User

    return list(User.objects.filter(memberships__workspace=ws).order_by("name", "email"))


@workspace_view("reports.view")
def report_detail(request, month):
    report = _report_for(request, month)
    return render(request, "reports/report.html", _page_context(request, report))


@workspace_view("reports.view")
def report_pdf(request, month):
    """The same page as a PDF (A4), in the reader's language."""
    from .pdf import html_to_pdf

    report = _report_for(request, month)
    ctx = _page_context(request, report, printing=True)
    ctx["for_pdf"] = True
    html = render_to_string("reports/report_pdf.html", ctx, request=request)
    pdf = html_to_pdf(html)
    resp = HttpResponse(pdf, content_type="application/pdf")
    name = f"{request.workspace.slug}-report-{report.slug}-v{report.version}-{get_language()}"
    resp["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return resp


def _saved(request, report, field, error=None):
    return render(request, "reports/partials/saved.html", {
        "field": field, "error": error, "at": timezone.now(), "user": request.user})


@workspace_view("reports.view", write_perm="reports.draft")
@require_POST
def report_edit(request, month):
    """htmx autosave of the summary or one win/problem; answers a small "saved" note."""
    report = _report_for(request, month)
    form = TextEditForm(request.POST)
    if not form.is_valid():
        return _saved(request, report, "", error=_("Could not save: the edit was not "
                                                    "understood."))
    d = form.cleaned_data
    try:
        services.report_update_text(report=report, actor=request.actor, field=d["field"],
                                    value=d["value"], index=d.get("index"))
    except ValidationError as e:
        resp = _saved(request, report, d["field"], error=" ".join(_errors(e)))
        resp.status_code = 200  # htmx swaps 200s only; the note says what went wrong
        return resp
    return _saved(request, report, d["field"])


def _decisions_section(request, report):
    ctx = _page_context(request, report)
    return render(request, "reports/partials/decisions.html", ctx)


@workspace_view("reports.view", write_perm="reports.draft")
@require_POST
def decision_add(request, month):
    report = _report_for(request, month)
    ws = request.workspace
    form = DecisionForm(request.POST, workspace=ws)
    error = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.decision_create(actor=request.actor, report=report, kind=d["kind"],
                                     subject=d["subject"], rationale=d["rationale"],
                                     owner=d["owner"], due_date=d["due_date"],
                                     engine=d.get("engine"))
        except ValidationError as e:
            error = " ".join(_errors(e))
    else:
        error = " ".join(f"{form.fields[f].label}: {' '.join(errs)}" if f in form.fields
                         else " ".join(errs) for f, errs in form.errors.items())
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("report_detail", slug=ws.slug, month=report.slug)
    resp = _decisions_section(request, report)
    if error:
        resp = render(request, "reports/partials/decisions.html",
                      {**_page_context(request, report), "add_error": error,
                       "add_form": form})
    return resp


@workspace_view("reports.view", write_perm="reports.draft")
def decision_edit(request, decision_code):
    """POST: save the fields sent (inline autosave), answers the row. GET: the row."""
    ws = request.workspace
    decision = selectors.get_decision(ws, decision_code)
    error = None
    if request.method == "POST":
        if request.POST.get("delete") == "1":
            report = decision.report
            try:
                services.decision_delete(actor=request.actor, decision=decision)
            except ValidationError as e:
                return HttpResponse(" ".join(_errors(e)), status=400)
            if report is None:
                return HttpResponse("")
            return _decisions_section(request, report)
        form = DecisionForm(request.POST, workspace=ws, partial=True)
        if form.is_valid():
            try:
                services.decision_update(actor=request.actor, decision=decision,
                                         **form.cleaned_data)
            except ValidationError as e:
                error = " ".join(_errors(e))
        else:
            error = " ".join(" ".join(v) for v in form.errors.values())
        decision.refresh_from_db()
    report = decision.report
    ctx = _page_context(request, report) if report is not None else {
        "editable": True, "members": _members(ws), "kinds": []}
    ctx.update(d=selectors.decision_dict(decision), row_error=error,
               tracking_only=report is not None and report.is_frozen)
    return render(request, "reports/partials/decision_row.html", ctx)


@workspace_view("reports.publish")
@require_POST
def report_publish(request, month):
    report = _report_for(request, month)
    try:
        services.report_publish(report=report, actor=request.actor)
    except ValidationError as e:
        for m in _errors(e):
            messages.error(request, m)
    else:
        messages.success(request, _("Published. The numbers on this page are now frozen and "
                                    "the team has been notified."))
    return redirect("report_detail", slug=request.workspace.slug, month=report.slug)


@workspace_view("reports.supersede")
@require_POST
def report_supersede(request, month):
    report = _report_for(request, month)
    try:
        new = services.report_supersede(report=report, actor=request.actor)
    except ValidationError as e:
        for m in _errors(e):
            messages.error(request, m)
        return redirect("report_detail", slug=request.workspace.slug, month=report.slug)
    return redirect(f"{request.path.rsplit('supersede/', 1)[0]}?v={new.version}")
