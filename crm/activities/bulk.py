"""POST /api/v1/activities/bulk: up to 10,000 activities in one request, one result per row.
A row with an external_id that exists already updates that activity (a retry never
duplicates); the request also honours Idempotency-Key like every bulk endpoint."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from mos.actors import Actor
from mos.models import Membership

from ..ingest.common import (
    M,
    BulkResult,
    contacts_of,
    finish_bulk,
    parse_choice,
    parse_datetime,
    parse_field,
    parse_int,
    parse_text,
    ref_text,
    rows_with_errors,
    workspace_tz,
)
from ..models import Account, Activity
from . import services


def activities_bulk(*, actor: Actor, rows: list) -> BulkResult:
    ws = actor.workspace
    tz = workspace_tz(ws)
    result = BulkResult(len(rows))
    contacts = contacts_of(ws, rows)
    account_refs = {ref_text(r.get("account")) for r in rows if type(r) is dict and r.get("account")}
    accounts = {}
    for acc in Account.objects.filter(workspace=ws).only("id", "code", "external_id",
                                                         "workspace_id"):
        for key in (str(acc.code), acc.external_id):
            if key and key in account_refs:
                accounts[key] = acc
    owners = {m.user.email: m.user for m in
              Membership.objects.filter(workspace=ws).select_related("user")}

    def clean(row, errs):
        d: dict = {}
        parse_field(errs, d, row, "kind", parse_choice, Activity.Kind.values, required=True)
        for f, n in (("subject", 200), ("body", 20000), ("external_id", 100)):
            parse_field(errs, d, row, f, parse_text, n)
        parse_field(errs, d, row, "call_outcome", parse_choice,
                    ["", *Activity.CallOutcome.values])
        parse_field(errs, d, row, "duration_seconds", parse_int, 24 * 3600)
        for f in ("at", "due_at", "done_at"):
            parse_field(errs, d, row, f, parse_datetime, tz)
        if row.get("contact") not in (None, ""):
            ref = ref_text(row.get("contact"))
            if ref not in contacts:
                errs.add("contact", "unknown_contact", M.UNKNOWN_CONTACT)
            else:
                d["contact_id"] = contacts[ref]
        if row.get("account") not in (None, ""):
            acc = accounts.get(ref_text(row.get("account")))
            if acc is None:
                errs.add("account", "unknown_account", "Unknown account.")
            else:
                d["account"] = acc
        if row.get("owner") not in (None, ""):
            owner = owners.get(str(row["owner"]).strip().lower())
            if owner is None:
                errs.add("owner", "not_member", M.NOT_MEMBER)
            else:
                d["owner"] = owner
        if "contact_id" not in d and "account" not in d and "contact" not in errs \
                and "account" not in errs:
            errs.add("contact", "required", "Give a contact or an account.")
        return d

    valid = rows_with_errors(rows, result, clean)
    from ..models import Contact

    contact_objs = Contact.objects.in_bulk([d["contact_id"] for _i, d in valid
                                            if "contact_id" in d])
    existing = {a.external_id: a for a in Activity.objects.filter(
        workspace=ws, external_id__in=[d["external_id"] for _i, d in valid
                                       if d.get("external_id")])}
    for i, d in valid:
        if "contact_id" in d:
            d["contact"] = contact_objs[d.pop("contact_id")]
        try:
            with transaction.atomic():
                current = existing.get(d.get("external_id") or "\x00")
                if current is not None:
                    d.pop("contact", None)
                    d.pop("account", None)
                    services.activity_update(actor=actor, activity=current, **d)
                    result.ok(i, "updated")
                else:
                    act = services.activity_create(actor=actor, source="api", **d)
                    if act.external_id:
                        existing[act.external_id] = act
                    result.ok(i, "created")
                result.results[i]["code"] = str((current or act).code)
        except ValidationError as e:
            from ..ingest.common import RowErrors

            errs = RowErrors()
            for field, msgs in e.message_dict.items():
                for m in msgs:
                    errs.add(field, "invalid", m)
            result.reject(i, errs)
        except PermissionDenied as e:
            from ..ingest.common import RowErrors

            errs = RowErrors()
            errs.add("contact", "permission_denied", str(e))
            result.reject(i, errs)
    finish_bulk(actor, result, "activity.bulk", "crm.activity")
    return result
