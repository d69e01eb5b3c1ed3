"""CSV imports of contacts, orders and ad spend. crm.importing.formats reads the file and maps its
columns; this module turns the rows into the bulk functions' row dicts and hands them to the
same functions the API uses (crm.ingest) — so a preview, an import and an API call can never
disagree about a row. The services below create, preview, confirm, cancel and process an
ImportJob; crm.importing.tasks.import_run calls `import_job_process`. See docs/imports.md."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Campaign, Channel
from crm.channels.services import campaign_create
from mos.actors import Actor
from mos.audit import audit
from mos.models import Membership

from crm.ingest.contacts import contacts_bulk
from crm.ingest.orders import orders_bulk
from crm.ingest.subscriptions import subscriptions_bulk
from crm.ingest.spend import spend_bulk
from .formats import (  # noqa: F401  (re-exported: the views and tests use them)
    AUTO,
    LAYOUTS,
    FileShape,
    ImportFileError,
    Layout,
    Row,
    clean_date,
    clean_datetime,
    clean_decimal,
    clean_int,
    clean_number,
    inspect_file,
    iter_records,
    layout_choices,
    read_row,
)
from crm.models import ImportJob

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
CHUNK_ROWS = 2_000  # rows per bulk call and per progress update
PREVIEW_ROWS = 20  # rows shown as they will be stored
PREVIEW_CHECK_ROWS = 5_000  # rows validated before confirmation (the whole file if smaller)
PREVIEW_ERRORS = 50  # errors listed on the preview
REPORT_ERRORS_MAX = 10_000  # rejected rows kept in the report (and its error CSV)


# --- rows → the bulk functions' row dicts ------------------------------------------------------

CONTACT_BULK_KEYS = ("external_id", "email", "phone", "name", "company", "country", "city",
                     "language", "stage", "customer_type", "buying_role")
ORDER_BULK_KEYS = ("external_id", "contact", "amount", "currency", "occurred_at", "kind",
                   "status", "margin")


def _only_given(values: dict, keys) -> dict:
    """Send only the columns the file has, so an import never blanks fields it lacks."""
    return {k: values[k] for k in keys if k in values and values[k] != ""}


def contact_row(row: Row, ctx: "ImportContext") -> dict:
    """A contact. HubSpot's and Salesforce's lifecycle labels and lead statuses become MOS
    stages; a Stripe customer sharing an e-mail with another is the same contact (its
    Stripe id is kept as the external id only when it has no e-mail)."""
    from crm.lifecycle import stage_from_label

    v = row.values
    if not v.get("name") and (v.get("first_name") or v.get("last_name")):
        v["name"] = " ".join(p for p in (v.get("first_name"), v.get("last_name")) if p)
    if not v.get("stage") and v.get("lead_status"):
        v["stage"] = v["lead_status"]
    if v.get("stage"):
        v["stage"] = stage_from_label(v["stage"])
    for k in ("customer_type", "buying_role"):
        if v.get(k):
            v[k] = re.sub(r"[\s-]+", "_", v[k].strip().lower())
    if ctx.layout_key == "stripe_customers" and v.get("email"):
        v.pop("external_id", None)
    return _only_given(v, CONTACT_BULK_KEYS)


# Shopify's financial status and Stripe's payment status → Order.Status
PAYMENT_STATUS = {
    "paid": "paid", "succeeded": "paid", "complete": "paid",
    "pending": "pending", "unpaid": "pending", "incomplete": "pending",
    "requires_payment_method": "pending", "uncaptured": "authorized",
    "authorized": "authorized", "partially_paid": "partially_paid",
    "partially_refunded": "partially_refunded", "refunded": "refunded",
    "voided": "voided", "expired": "voided", "failed": "failed",
    "canceled": "cancelled", "cancelled": "cancelled",
}


def _payment_order_rows(row: Row, ctx: "ImportContext") -> list[dict] | None:
    """Shopify and Stripe: the order (with its payment status), and a refund row when money
    was refunded. Shopify's further rows of an order (its other line items) are folded into
    the order: None. A cancelled order keeps its status and gets no refund row (it never
    counted)."""
    v = row.values
    ext = v.get("external_id", "")
    if ctx.layout_key == "shopify_orders":
        if ext and ext in ctx.seen_orders:
            row.status = "line_item"
            return None
        if ext:
            ctx.seen_orders.add(ext)
    status = re.sub(r"[\s-]+", "_", (v.get("financial_status") or "paid").strip().lower())
    status = PAYMENT_STATUS.get(status, status)
    if v.get("cancelled_at"):
        status = "cancelled"
    contact = (v.get("email") or v.get("phone") or v.get("billing_phone")
               or v.get("customer_id") or "")
    currency = (v.get("currency") or ctx.workspace.currency).upper()
    occurred = v.get("occurred_at", "")
    if ctx.layout_key == "stripe_payments":
        occurred = _utc(occurred)
    order = {"external_id": ext, "contact": contact, "amount": v.get("amount", ""),
             "currency": currency, "occurred_at": occurred, "status": status, "kind": "new"}
    rows = [order]
    refunded = v.get("refunded") or ""
    if refunded and Decimal(refunded) > 0 and status != "cancelled":
        when = _utc(v["refunded_at"]) if v.get("refunded_at") else occurred
        rows.append({"external_id": f"{ext}-refund"[:100], "contact": contact,
                     "amount": refunded, "currency": currency, "occurred_at": when,
                     "kind": "refund", "status": "paid"})
    row.display = {**order, "refunded": refunded} if refunded else None
    return rows


def _utc(value: str) -> str:
    """Stripe writes its times in UTC without saying so in the cell."""
    if value and "T" not in value:
        value = value[:10] + "T" + (value[11:] or "00:00:00")
    if value and "+" not in value[10:] and not value.endswith("Z"):
        value += "+00:00"
    return value


def order_row(row: Row, ctx: "ImportContext") -> dict | list[dict] | None:
    if ctx.layout_key in ("shopify_orders", "stripe_payments"):
        return _payment_order_rows(row, ctx)
    v = row.values
    if v.get("kind"):
        v["kind"] = v["kind"].strip().lower()
    if "currency" not in v or not v["currency"]:
        v["currency"] = ctx.workspace.currency
    return _only_given(v, ORDER_BULK_KEYS)


def spend_row(row: Row, ctx: "ImportContext") -> dict:
    v = row.values
    if "date" not in v and v.get("date_start"):  # Meta without the "Day" breakdown
        if v.get("date_end") and v["date_end"] != v["date_start"]:
            row.error("date", _("This row covers %(start)s to %(end)s; MOS stores spend per "
                                "day. Export with the “Day” breakdown.")
                      % {"start": v["date_start"], "end": v["date_end"]})
        v["date"] = v["date_start"]
    currency = (v.get("currency") or ctx.header_currency or "").upper()
    if currency and currency != ctx.workspace.currency.upper():
        row.error("amount", _("The amounts are in %(file)s but this workspace reports in "
                              "%(ws)s; convert them before importing.")
                  % {"file": currency, "ws": ctx.workspace.currency})
    channel = v.get("channel") or ctx.channel_key
    out = {"date": v.get("date", ""), "channel": channel, "amount": v.get("amount", ""),
           "impressions": v.get("impressions", 0), "clicks": v.get("clicks", 0)}
    if v.get("campaign") or v.get("campaign_id"):
        out["campaign"] = ctx.campaign_ref(channel, v.get("campaign", ""),
                                           v.get("campaign_id", ""))
        row.display = {**out, "campaign": v.get("campaign") or v.get("campaign_id")}
    if not channel:
        row.error("channel", _("No channel: choose one on upload or add a channel column."))
    return out


SUBSCRIPTION_BULK_KEYS = ("external_id", "contact", "account", "plan", "mrr", "amount",
                          "interval", "interval_count", "quantity", "status", "started_at",
                          "trial_end", "cancelled_at", "ended_at")
SUBSCRIPTION_DATES = ("started_at", "trial_end", "cancelled_at", "ended_at")


def subscription_row(row: Row, ctx: "ImportContext") -> dict:
    """A subscription: the contact by e-mail, else by the billing system's customer id (the
    contact's external id); the start, else the creation time. Stripe writes every time in
    UTC. MRR is stored in the workspace currency, so a row in another currency is refused."""
    v = row.values
    if not v.get("contact") and v.get("customer_id"):
        v["contact"] = v["customer_id"]
    if not v.get("started_at") and v.get("created"):
        v["started_at"] = v["created"]
    currency = (v.get("currency") or "").strip().upper()
    if currency and currency != ctx.workspace.currency.upper():
        row.error("currency", _("MRR is kept in the workspace currency (%(ws)s); this row is "
                                "in %(row)s.") % {"ws": ctx.workspace.currency,
                                                   "row": currency})
    if ctx.layout_key == "stripe_subscriptions":
        for k in SUBSCRIPTION_DATES:
            if v.get(k) and "T" not in v[k]:
                v[k] = v[k] + "T00:00:00+00:00"
            elif v.get(k) and "+" not in v[k][10:] and not v[k].endswith("Z"):
                v[k] = v[k] + "+00:00"
    for k in ("status", "interval"):
        if v.get(k):
            v[k] = v[k].strip().lower()
    return _only_given(v, SUBSCRIPTION_BULK_KEYS)


ROW_BUILDERS = {"contacts": contact_row, "orders": order_row, "spend": spend_row,
                "subscriptions": subscription_row}


class ImportContext:
    """What processing rows needs besides the rows: the actor, the chosen channel, and the
    workspace's campaigns (created on first sight, as ad-platform files name them)."""

    def __init__(self, actor, *, layout_key: str, channel_key: str = "",
                 header_currency: str = ""):
        self.actor = actor
        self.workspace = actor.workspace
        self.layout_key = layout_key
        self.channel_key = channel_key
        self.header_currency = header_currency
        self.new_campaigns: list[str] = []
        self.seen_orders: set[str] = set()  # Shopify: an order's first row seen
        self._campaigns = None

    def _load_campaigns(self):
        self.channels = {c.key: c for c in Channel.objects.filter(workspace=self.workspace)}
        self._campaigns = {}
        for c in Campaign.objects.filter(workspace=self.workspace).order_by("id"):
            for key in ((c.channel_id, "ext", c.external_id), (c.channel_id, "name", c.name),
                        (None, "utm", c.utm_campaign), (None, "code", str(c.code))):
                if key[2]:
                    self._campaigns.setdefault(key, c)

    def campaign_ref(self, channel_key: str, name: str, external_id: str) -> str:
        """The code of the campaign a row names — by ad-platform id, then name, UTM campaign
        or code — creating it under the row's channel when the workspace lacks it."""
        if self._campaigns is None:
            self._load_campaigns()
        channel = self.channels.get(channel_key)
        if channel is None:
            return external_id or name  # the bulk function reports the unknown channel
        for key in ((channel.pk, "ext", external_id), (channel.pk, "name", name),
                    (None, "utm", name), (None, "code", name), (channel.pk, "ext", name)):
            if key[2] and key in self._campaigns:
                return str(self._campaigns[key].code)
        try:
            c = campaign_create(actor=self.actor, channel=channel,
                                name=(name or external_id)[:200], external_id=external_id[:100])
        except ValidationError:
            return external_id or name
        self.new_campaigns.append(c.name)
        for key in ((channel.pk, "ext", external_id), (channel.pk, "name", name)):
            if key[2]:
                self._campaigns[key] = c
        return str(c.code)


def _bulk_write(ctx: ImportContext, kind: str, rows: list[dict]):
    """The API's bulk function for `kind` (crm.ingest): the same validation and upsert."""
    if kind == "spend":
        return spend_bulk(actor=ctx.actor, rows=rows, source=f"import:{ctx.layout_key}")
    return {"contacts": contacts_bulk, "orders": orders_bulk,
            "subscriptions": subscriptions_bulk}[kind](
        actor=ctx.actor, rows=rows)


@dataclass
class ChunkOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    line_items: int = 0  # Shopify: further line items folded into their order
    refunds: int = 0  # refund rows written beside their orders
    rejected: list = field(default_factory=list)  # [line, {field: [messages]}]
    stored: list = field(default_factory=list)  # [line, status, row dict] (preview)


def run_chunk(ctx: ImportContext, kind: str, shape: FileShape,
              records: list[tuple[int, list[str]]], *, keep_rows: int = 0) -> ChunkOutcome:
    """Normalise a chunk of records and write its valid rows through the bulk function.
    A builder may return several rows for one record (an order and its refund) or None (a
    further line item of an order already read: folded into it, counted as such).
    The caller decides the transaction: the preview rolls it back."""
    build = ROW_BUILDERS[kind]
    rows = [read_row(shape, line, cells) for line, cells in records]
    payload, sent = [], []
    for row in rows:
        data = build(row, ctx)
        if data is None:
            row.data = {}
            continue
        many = data if isinstance(data, list) else [data]
        if not row.errors:
            for j, one in enumerate(many):
                payload.append(one)
                sent.append((row, j))
        row.data = many[0]
    out = ChunkOutcome()
    if payload:
        result = _bulk_write(ctx, kind, payload)
        s = result.summary
        out.created, out.updated, out.unchanged = s["created"], s["updated"], s["unchanged"]
        out.unchanged += s["duplicates"]
        for (row, j), r in zip(sent, result.results):
            if j == 0:
                row.status = r["status"]
            elif r["status"] in ("created", "updated"):  # a refund row: counted apart
                out.refunds += 1
                setattr(out, r["status"], getattr(out, r["status"]) - 1)
            if r["status"] == "rejected":
                for key, messages in r.get("errors", {}).items():
                    for m in messages:
                        if m not in row.errors.get(key, []):
                            row.error(key, m)
    for row in rows:
        if row.status == "line_item":
            out.line_items += 1
        if row.errors:
            row.status = "rejected"
            out.rejected.append([row.line, row.errors])
        if len(out.stored) < keep_rows:
            out.stored.append([row.line, row.status, _jsonable(row.display or row.data)])
    return out


def count_error_groups(groups: dict, rejected: list) -> dict:
    """{"field\x1fmessage": rows} over rejected rows ([line, {field: [messages]}]): the error
    report groups rows by error type, with counts."""
    for _line, errs in rejected:
        for key, messages in errs.items():
            for m in set(messages):
                k = f"{key}\x1f{m}"
                groups[k] = groups.get(k, 0) + 1
    return groups


def _jsonable(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, (Decimal, date)) else v) for k, v in data.items()}


def batched(iterable, n: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


# --- services ----------------------------------------------------------------------------------

def _shape_from_job(job) -> FileShape:
    r = job.report
    headers = r["headers"]
    index = {h: i for i, h in reversed(list(enumerate(headers)))}
    return FileShape(layout=LAYOUTS[job.layout], encoding=r["encoding"],
                     delimiter=r["delimiter"], header_line=r["header_line"], headers=headers,
                     mapping={index[h]: k for h, k in r["mapping"]},
                     header_currency=r.get("header_currency", ""), total_rows=job.total_rows)


def _context(actor, job, shape: FileShape) -> ImportContext:
    return ImportContext(actor, layout_key=shape.layout.key,
                         channel_key=job.report.get("channel", ""),
                         header_currency=shape.header_currency)


def import_job_create(*, actor, kind: str, upload, layout: str = AUTO, channel=None):
    """Store an uploaded file as an ImportJob waiting for confirmation, with its preview.
    Nothing but the job is written. Raises ValidationError for a file MOS cannot import."""
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)d MB; split it into "
                                          "smaller files.") % {"mb": MAX_FILE_BYTES // 2**20}]})
    if layout != AUTO and (layout not in LAYOUTS or LAYOUTS[layout].kind != kind):
        raise ValidationError({"layout": [_("This layout does not import %(kind)s.")
                                          % {"kind": kind}]})
    try:
        shape = inspect_file(upload, kind=kind, layout=layout)
        if kind == "spend" and channel is None and "channel" not in shape.mapping.values():
            raise ValidationError({"channel": [_("Choose the channel this spend belongs "
                                                 "to.")]})
        report = shape.as_report()
        report["channel"] = channel.key if channel is not None else ""
        report["preview"] = preview_file(actor=actor, kind=kind, shape=shape, binary=upload,
                                         channel_key=report["channel"])
    except ImportFileError as e:
        raise ValidationError({"file": [str(e)]}) from None
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(workspace=actor.workspace, kind=kind, layout=shape.layout.key,
                        filename=upload.name[-255:], total_rows=shape.total_rows,
                        report=report, created_by=actor.user)
        job.file.save(upload.name[-100:], upload, save=False)
        job.save()
        audit(actor, "import.create", job, changes={
            "kind": kind, "layout": job.layout, "filename": job.filename,
            "rows": job.total_rows})
    return job


def preview_file(*, actor, kind: str, shape: FileShape, binary, channel_key: str = "") -> dict:
    """Validate the first rows exactly as the import will — through the bulk functions —
    inside a transaction that is rolled back, so nothing is written."""
    ctx = ImportContext(actor, layout_key=shape.layout.key, channel_key=channel_key,
                        header_currency=shape.header_currency)
    records = []
    for rec in iter_records(binary, shape):
        records.append(rec)
        if len(records) >= PREVIEW_CHECK_ROWS:
            break
    with transaction.atomic():
        out = run_chunk(ctx, kind, shape, records, keep_rows=PREVIEW_ROWS)
        transaction.set_rollback(True)
    return {"checked": len(records), "valid": len(records) - len(out.rejected),
            "invalid": len(out.rejected), "created": out.created, "updated": out.updated,
            "unchanged": out.unchanged, "line_items": out.line_items, "refunds": out.refunds,
            "error_groups": count_error_groups({}, out.rejected),
            "errors": out.rejected[:PREVIEW_ERRORS],
            "rows": out.stored, "new_campaigns": ctx.new_campaigns[:50]}


def import_job_confirm(*, actor, job) -> bool:
    """Queue a previewed job; the task starts once this transaction commits. False if the job
    was no longer waiting for confirmation (a double click, another tab)."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
            status=ImportJob.Status.QUEUED)
        if not claimed:
            return False
        audit(actor, "import.confirm", job, changes={"rows": job.total_rows})
        job_id = job.pk
        transaction.on_commit(lambda: import_job_send(job_id))
    return True


def import_job_cancel(*, actor, job) -> bool:
    """Cancel a job that has not finished; a running import stops after its current chunk
    (rows already written stay: they were valid, and re-importing updates them)."""
    S = ImportJob.Status
    with transaction.atomic():
        cancelled = ImportJob.objects.filter(
            pk=job.pk, status__in=[S.PREVIEW, S.QUEUED, S.RUNNING]).update(
            status=S.CANCELLED, finished_at=timezone.now())
        if cancelled:
            audit(actor, "import.cancel", job)
    return bool(cancelled)


def _actor_for(job):
    m = (Membership.objects.select_related("workspace", "user")
         .filter(workspace=job.workspace_id, user=job.created_by_id).first())
    if m is None:
        raise ImportFileError(_("The person who started this import is no longer a member of "
                                "the workspace."))
    actor = Actor.for_member(m)
    if not actor.can("crm.import"):
        raise ImportFileError(_("The person who started this import may no longer import."))
    return actor


def import_job_process(job_id: int) -> None:
    """Import a confirmed job chunk by chunk, recording progress after each chunk. The job is
    claimed (queued, or running with an expired lease: its worker died) with a conditional
    UPDATE; a job taken over resumes after its last committed chunk (committed_rows), since
    each chunk's rows and the job's counters are committed together."""
    from mos.leases import LeaseLost, claim, heartbeat

    S = ImportJob.Status
    token = claim(ImportJob, job_id, ready_status=S.QUEUED, running_status=S.RUNNING)
    if token is None:
        return
    job = ImportJob.objects.select_related("workspace").get(pk=job_id)
    counters = ["processed_rows", "created_rows", "updated_rows", "error_rows", "report",
                "committed_rows"]
    try:
        actor = _actor_for(job)
        shape = _shape_from_job(job)
        ctx = _context(actor, job, shape)
        skip = job.committed_rows
        if not skip:  # a fresh start (a resumed job keeps its counters and report)
            job.report.update(errors=[], errors_truncated=False, unchanged=0, line_items=0,
                              refunds=0, error_groups={}, new_campaigns=[])
            job.processed_rows = job.created_rows = job.updated_rows = job.error_rows = 0
        seen = 0
        with job.file.open("rb") as f:
            for records in batched(iter_records(f, shape), CHUNK_ROWS):
                seen += len(records)
                if seen <= skip:  # written by an earlier attempt
                    continue
                if ImportJob.objects.filter(pk=job.pk, status=S.CANCELLED).exists():
                    return
                with transaction.atomic():
                    heartbeat(ImportJob, job.pk, token, running_status=S.RUNNING)
                    out = run_chunk(ctx, job.kind, shape, records)
                    job.processed_rows += len(records)
                    job.committed_rows = job.processed_rows
                    job.created_rows += out.created
                    job.updated_rows += out.updated
                    job.error_rows += len(out.rejected)
                    r = job.report
                    r["unchanged"] += out.unchanged
                    r["line_items"] = r.get("line_items", 0) + out.line_items
                    r["refunds"] = r.get("refunds", 0) + out.refunds
                    count_error_groups(r.setdefault("error_groups", {}), out.rejected)
                    room = REPORT_ERRORS_MAX - len(r["errors"])
                    r["errors"].extend(out.rejected[:max(room, 0)])
                    r["errors_truncated"] = r["errors_truncated"] or len(out.rejected) > room
                    r["new_campaigns"] = ctx.new_campaigns[:200]
                    job.save(update_fields=counters)
        job.total_rows = job.processed_rows  # the count at upload excluded nothing; keep exact
        job.save(update_fields=["total_rows"])
        ImportJob.objects.filter(pk=job.pk, status=S.RUNNING, lease_token=token).update(
            status=S.DONE, finished_at=timezone.now())
    except LeaseLost:
        logger.warning("import %s: lease lost, another worker has it", job_id)
    except Exception as e:  # the job must end as failed, never stay "running"
        if isinstance(e, ImportFileError):
            message = str(e)
        else:
            logger.exception("import %s failed", job_id)
            message = _("The import stopped unexpectedly. The rows before line %(n)d are "
                        "stored; an admin can see the details in the log.") % {
                            "n": job.committed_rows + 1}
        job.error = message[:2000]
        job.save(update_fields=["error"])
        ImportJob.objects.filter(pk=job.pk, status=S.RUNNING, lease_token=token).update(
            status=S.FAILED, finished_at=timezone.now())


def import_job_send(job_id: int) -> bool:
    """Send the import's task; False (job left queued: the sweep re-sends it) when the broker
    cannot be reached."""
    from mos.broker import BROKER_ERRORS

    from .tasks import import_run

    try:
        import_run.apply_async((job_id,))
    except BROKER_ERRORS:
        logger.exception("import %s: the task queue is unreachable", job_id)
        return False
    return True


def import_job_retry(*, actor, job) -> bool:
    """Send again an import whose worker stopped answering (the retry button)."""
    from mos.leases import is_stuck

    S = ImportJob.Status
    if not is_stuck(job, S.RUNNING, S.QUEUED):
        return False
    audit(actor, "import.retry", job, changes={"from_row": job.committed_rows})
    return import_job_send(job.pk)


def import_jobs_resend_lost() -> list[int]:
    """The sweep: imports queued past the lease (task lost) or running with an expired lease
    (worker died) are sent again; the task's claim decides who runs them."""
    from django.db.models import Q

    from mos.leases import expired_q, lease

    S = ImportJob.Status
    now = timezone.now()
    ids = list(ImportJob.objects.filter(
        Q(status=S.QUEUED, created_at__lt=now - lease()) | expired_q(S.RUNNING, now))
        .values_list("pk", flat=True)[:200])
    for job_id in ids:
        if not import_job_send(job_id):
            break
    return ids


def rejected_rows_csv(job) -> Iterator[list[str]]:
    """The rejected rows of a finished import as they were in the file, with their line
    number and errors first: fix them and import this file again."""
    errors = {line: errs for line, errs in job.report.get("errors", [])}
    shape = _shape_from_job(job)
    yield [str(_("line")), str(_("errors"))] + shape.headers
    if not errors:
        return
    last = max(errors)
    with job.file.open("rb") as f:
        for line, cells in iter_records(f, shape):
            if line in errors:
                yield [str(line), format_errors(errors[line], shape.layout)] + cells
            if line >= last:
                break


def format_errors(errors: dict, layout: Layout) -> str:
    labels = {f.key: str(f.label) for f in layout.fields}
    return "; ".join(f"{labels.get(k, k)}: {' '.join(msgs)}" if k != "non_field_errors"
                     else " ".join(msgs) for k, msgs in errors.items())


# --- reads ---------------------------------------------------------------------------------

def import_jobs(workspace):
    """The workspace's imports, newest first."""
    return ImportJob.objects.filter(workspace=workspace).select_related("created_by")


def get_import_job(workspace, code):
    """The workspace's import, or 404 (also for another workspace's code)."""
    return get_object_or_404(ImportJob.objects.select_related("created_by"),
                             workspace=workspace, code=code)
