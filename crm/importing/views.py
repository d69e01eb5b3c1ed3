"""CSV import pages: upload, preview, confirm, progress (htmx, polled while it runs), report
and the rejected rows as CSV."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.models import Channel
from mos import csv_export
from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from . import jobs as imports
from crm.models import ImportJob


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"),
                             choices=ImportJob.Kind.choices, widget=forms.RadioSelect,
                             initial=ImportJob.Kind.CONTACTS)
    layout = forms.ChoiceField(
        label=gettext_lazy("File layout"), initial=imports.AUTO,
        help_text=gettext_lazy("Google Ads and Meta Ads exports are recognised by their "
                               "columns."))
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Channel (ad spend)"), queryset=Channel.objects.none(),
        required=False, to_field_name="code", empty_label=gettext_lazy("— from the file —"),
        help_text=gettext_lazy("The channel the spend belongs to; campaigns the file names "
                               "are created under it when missing."))
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 or UTF-16, comma- or tab-separated, up to 50 MB and "
                               "1,000,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}))

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = imports.layout_choices()
        self.fields["channel"].queryset = Channel.objects.filter(workspace=workspace)


@workspace_view("crm.import")
def imports_page(request):
    """The imports: an upload form and the list of earlier imports."""
    ws = request.workspace
    form = ImportUploadForm(request.POST or None, request.FILES or None, workspace=ws)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            job = imports.import_job_create(actor=request.actor, kind=d["kind"],
                                            layout=d["layout"], channel=d["channel"],
                                            upload=d["file"])
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("import_detail", slug=ws.slug, import_code=job.code)
    status = 400 if form.errors else 200
    return render(request, "crm/imports/index.html",
                  {"form": form, "jobs": imports.import_jobs(ws)[:50]}, status=status)


BULK_LABELS = {"channel": gettext_lazy("Channel"), "campaign": gettext_lazy("Campaign"),
               "contact": gettext_lazy("Contact")}


def _context(job) -> dict:
    layout = imports.LAYOUTS.get(job.layout)
    labels = {**BULK_LABELS, **({f.key: f.label for f in layout.fields} if layout else {})}
    report = job.report or {}

    def rows_with_errors(errors):
        return [{"line": line, "errors": imports.format_errors(errs, layout)}
                for line, errs in errors] if layout else []

    def groups(counts: dict) -> list[dict]:
        out = []
        for key, n in sorted((counts or {}).items(), key=lambda kv: (-kv[1], kv[0])):
            field, _sep, message = key.partition("\x1f")
            label = labels.get(field, field) if field != "non_field_errors" else ""
            out.append({"label": label, "message": message, "count": n})
        return out

    preview = report.get("preview") or {}
    columns = list(preview["rows"][0][2]) if preview.get("rows") else []
    return {
        "job": job, "layout": layout, "report": report, "preview": preview,
        "mapping": [{"column": c, "field": labels.get(k, k)} for c, k in report.get("mapping", [])],
        "preview_columns": [labels.get(c, c) for c in columns],
        "preview_rows": [{"line": line, "status": status, "cells": [data.get(c, "") for c in columns]}
                         for line, status, data in preview.get("rows", [])],
        "preview_errors": rows_with_errors(preview.get("errors", [])),
        "errors": rows_with_errors(report.get("errors", [])[:100]),
        "preview_error_groups": groups(preview.get("error_groups")),
        "error_groups": groups(report.get("error_groups")),
        "is_active": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "delimiter": {"\t": _("tab"), ",": _("comma"), ";": _("semicolon")}.get(
            report.get("delimiter"), report.get("delimiter")),
    }


@workspace_view("crm.import")
def import_detail(request, import_code):
    """One import: its preview and Confirm button, its progress, or its final report."""
    job = imports.get_import_job(request.workspace, import_code)
    return render(request, "crm/imports/detail.html", _context(job))


@workspace_view("crm.import")
def import_progress(request, import_code):
    """The status block alone (htmx polls it every second while the import runs)."""
    job = imports.get_import_job(request.workspace, import_code)
    return render(request, "crm/imports/_status.html", _context(job))


@workspace_view("crm.import")
@require_POST
def import_confirm(request, import_code):
    job = imports.get_import_job(request.workspace, import_code)
    if imports.import_job_confirm(actor=request.actor, job=job):
        messages.success(request, _("Import confirmed."))
    else:
        messages.warning(request, _("This import was already confirmed or cancelled."))
    return redirect("import_detail", slug=request.workspace.slug, import_code=job.code)


@workspace_view("crm.import")
@require_POST
def import_cancel(request, import_code):
    job = imports.get_import_job(request.workspace, import_code)
    if imports.import_job_cancel(actor=request.actor, job=job):
        messages.success(request, _("Import cancelled."))
    else:
        messages.warning(request, _("This import has already finished."))
    return redirect("import_detail", slug=request.workspace.slug, import_code=job.code)


@workspace_view("crm.import")
@require_POST
def import_retry(request, import_code):
    """Send again an import whose worker stopped answering (it resumes after its last chunk)."""
    job = imports.get_import_job(request.workspace, import_code)
    if imports.import_job_retry(actor=request.actor, job=job):
        messages.success(request, _("Import sent again; it resumes where it stopped."))
    else:
        messages.warning(request, _("This import is running or finished; nothing to retry."))
    return redirect("import_detail", slug=request.workspace.slug, import_code=job.code)


class _Echo:
    def write(self, value):
        return value


@workspace_view("crm.import")
def import_errors_csv(request, import_code):
    """The rejected rows, as they were in the file, with their line numbers and errors."""
    job = imports.get_import_job(request.workspace, import_code)
    writer = csv_export.writer(_Echo())  # cells a spreadsheet would run are escaped
    rows = imports.rejected_rows_csv(job)
    response = StreamingHttpResponse(
        (("\ufeff" if i == 0 else "") + writer.writerow(r) for i, r in enumerate(rows)),
        content_type="text/csv; charset=utf-8")
    name = job.filename.rsplit(".", 1)[0][:80] or "import"
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-rejected.csv")
    return response
