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
from mos.stored_text import localise
from mos.tenancy import workspace_view

from . import jobs as imports
from crm.models import ImportJob


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"),
                             choices=ImportJob.Kind.choices, widget=forms.RadioSelect,
                             initial=ImportJob.Kind.CONTACTS)
    layout = forms.ChoiceField(
        label=gettext_lazy("File layout"), initial=imports.AUTO,
        help_text=gettext_lazy("Google Ads, Meta Ads, TikTok Ads, LinkedIn Campaign Manager "
                               "and ECB rate files are recognised by their columns, whatever "
                               "you chose above."))
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Channel (ad spend)"), queryset=Channel.objects.none(),
        required=False, to_field_name="code", empty_label=gettext_lazy("— from the file —"),
        help_text=gettext_lazy("The channel the spend belongs to; campaigns the file names "
                               "are created under it when missing. An ad-platform export "
                               "goes to that platform's channel (created when missing) "
                               "unless you choose one."))
    spread = forms.BooleanField(
        label=gettext_lazy("Spread totals over their days"), required=False,
        help_text=gettext_lazy("For ad-platform reports without a Day column: store each "
                               "row's total as one row per day, split evenly and marked as "
                               "spread."))
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 or UTF-16, comma- or tab-separated, up to 50 MB and "
                               "1,000,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
        required=False)
    # the file chosen before a validation error, kept so it need not be chosen again
    pending = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, workspace, pending_name="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = imports.layout_choices()
        self.fields["channel"].queryset = Channel.objects.filter(workspace=workspace)
        self.pending_name = pending_name

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("pending") and self.pending_name):
            self.add_error("file", forms.Field.default_error_messages["required"])
        return data


PENDING_KEY = "import_pending_file"


def _pending(request) -> dict | None:
    p = request.session.get(PENDING_KEY)
    return p if p and p.get("workspace") == request.workspace.pk else None


def _keep_upload(request, upload) -> dict:
    """Keep a file whose upload failed validation (in storage, named in the session), so
    the form can use it again without choosing it again."""
    import os
    import uuid

    from django.core.files.storage import default_storage

    _forget_upload(request)
    token = uuid.uuid4().hex
    upload.seek(0)
    path = default_storage.save(
        f"imports/pending/{token}/{os.path.basename(upload.name)[-100:] or 'file.csv'}", upload)
    request.session[PENDING_KEY] = {"token": token, "path": path, "name": upload.name,
                                    "workspace": request.workspace.pk}
    return request.session[PENDING_KEY]


def _forget_upload(request) -> None:
    from django.core.files.storage import default_storage

    p = request.session.pop(PENDING_KEY, None)
    if p:
        try:
            default_storage.delete(p["path"])
        except OSError:
            pass


def _kept_upload(request, token: str):
    from django.core.files import File
    from django.core.files.storage import default_storage

    p = _pending(request)
    if not p or not token or p["token"] != token:
        return None
    try:
        return File(default_storage.open(p["path"], "rb"), name=p["name"])
    except OSError:
        return None


@workspace_view("crm.import")
def imports_page(request):
    """The imports: an upload form and the list of earlier imports."""
    ws = request.workspace
    pending = _pending(request) if request.method == "POST" else None
    form = ImportUploadForm(request.POST or None, request.FILES or None, workspace=ws,
                            pending_name=pending["name"] if pending else "")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["file"] or _kept_upload(request, d["pending"])
        try:
            if upload is None:
                raise ValidationError({"file": [forms.Field.default_error_messages[
                    "required"]]})
            job = imports.import_job_create(actor=request.actor, kind=d["kind"],
                                            layout=d["layout"], channel=d["channel"],
                                            upload=upload, spread=d["spread"])
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            _forget_upload(request)
            return redirect("import_detail", slug=ws.slug, import_code=job.code)
    if request.method == "POST" and request.FILES.get("file") and form.errors:
        pending = _keep_upload(request, request.FILES["file"])
    if form.errors and pending:
        data = form.data.copy()
        data["pending"] = pending["token"]
        form.data = data
        form.pending_name = pending["name"]
    status = 400 if form.errors else 200
    return render(request, "crm/imports/index.html",
                  {"form": form, "jobs": imports.import_jobs(ws)[:50]}, status=status)


BULK_LABELS = {"channel": gettext_lazy("Channel"), "campaign": gettext_lazy("Campaign"),
               "contact": gettext_lazy("Contact"), "file_rows": gettext_lazy("File rows"),
               "spread": gettext_lazy("Spread"), "rates": gettext_lazy("Rates"),
               "currency": gettext_lazy("Currency"), "rate": gettext_lazy("Rate")}


def _totals_table(job, report: dict, stored: dict | None, stats: dict | None = None
                  ) -> list[dict]:
    """The file's totals beside what will be (preview) or was (result) stored: one line per
    measure, `same` when they agree."""
    from decimal import Decimal

    ft = report.get("file_totals")
    if not ft or stored is None:
        return []
    ws_cur = job.workspace.currency
    lines = []
    stored_rows = stored.get("rows", 0)
    stats = stats or {}
    lines.append({"label": _("Rows"), "file": f"{ft['rows']:,}", "stored": f"{stored_rows:,}",
                  "same": ft["rows"] == stored_rows,
                  # spend: file rows of one day and campaign summed, ranges spread per day
                  "summed": stats.get("lines", 0) > stats.get("groups", 0),
                  "spread": bool(stats.get("spread_lines"))})
    if "amounts" in ft:
        file_amounts = ft["amounts"]
        shown = " + ".join(f"{c} {Decimal(a):,.2f}" for c, a in file_amounts.items()) or "0"
        amount = Decimal(stored.get("amount", "0"))
        same = (set(file_amounts) <= {ws_cur}
                and Decimal(file_amounts.get(ws_cur, "0")) == amount)
        lines.append({"label": _("Amount") if job.kind == "orders" else _("Spend"),
                      "file": shown, "stored": f"{ws_cur} {amount:,.2f}", "same": same,
                      "converted": set(file_amounts) - {ws_cur}})
    for key, label in (("impressions", _("Impressions")), ("clicks", _("Clicks")),
                       ("rates", _("Rates"))):
        if key in ft:
            lines.append({"label": label, "file": f"{ft[key]:,}",
                          "stored": f"{stored.get(key, 0):,}",
                          "same": ft[key] == stored.get(key, 0)})
    return lines


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
            out.append({"label": label, "message": localise(message), "count": n})
        return out

    preview = report.get("preview") or {}
    columns = []
    for _line, _status, data in preview.get("rows", []):  # every key any shown row has
        columns += [k for k in data if k not in columns]
    done = job.status in (ImportJob.Status.DONE, ImportJob.Status.CANCELLED,
                          ImportJob.Status.FAILED)
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
        "preview_totals": _totals_table(job, report, preview.get("totals", {}) | {
            "rows": preview.get("created", 0) + preview.get("updated", 0)
            + preview.get("unchanged", 0)} if preview.get("checked") is not None else None,
            preview.get("stats")),
        "result_totals": _totals_table(job, report, (report.get("stored_totals") or {}) | {
            "rows": job.created_rows + job.updated_rows + report.get("unchanged", 0)}
            if done else None, report.get("stats")),
        "stats": preview.get("stats") or {},
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
