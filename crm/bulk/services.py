"""Bulk actions: writes over a selection of contacts, chunk by chunk, each chunk committed with
its before-image (BulkActionItem) and the action's progress, under a lease (mos.leases) so a
killed worker's action is taken over and resumes after the last committed contact.

One audit entry per action (with its counts), one more for its Undo. Owner and segment changes
are undone from the before-image, and only where the value is still the one the action set (a
later edit by someone else is kept). Stage changes are not undone: each move is a StageChange
the funnel counts, so moving back is a new move (another bulk stage change), written to the
history like any other."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit
from mos.codes import as_code
from mos.models import ApiKey, Membership

from ..models import BulkAction, BulkActionItem, Contact, Segment, SegmentMember, Stage
from ..selectors import contact_filter, segment_contacts

logger = logging.getLogger(__name__)

K = BulkAction.Kind
S = BulkAction.Status
CHUNK = 2000
FILTER_KEYS = ("q", "stage", "persona", "customer_type", "channel", "owner", "segment")


def _inline_max() -> int:
    return getattr(settings, "MOS_BULK_INLINE_MAX", 2000)


# --- the selection ---------------------------------------------------------------------------

def selection_from_filters(filters: dict) -> dict:
    """The contacts list's cleaned filters (objects) as JSON to store with the action."""
    out = {}
    for key in FILTER_KEYS:
        v = filters.get(key)
        if v in (None, "", []):
            continue
        if key == "owner":
            v = v if isinstance(v, str) else v.email
        elif hasattr(v, "code"):
            v = str(v.code)
        elif hasattr(v, "key"):
            v = v.key
        out[key] = v
    return {"filters": out}


def clean_selection(selection) -> dict:
    """{"filters": {...}} (all contacts matching) or {"codes": [...]} (those contacts), or a
    ValidationError keyed "selection"."""
    if not isinstance(selection, dict) or not (("filters" in selection)
                                                ^ ("codes" in selection)):
        raise ValidationError({"selection": [_("Give either the filters of the contacts to act "
                                               "on or a list of contact codes.")]})
    if "codes" in selection:
        codes = selection["codes"]
        if not isinstance(codes, list) or not codes or len(codes) > 10000:
            raise ValidationError({"selection": [_("Give 1 to 10,000 contact codes.")]})
        good = [str(c) for c in (as_code(x) for x in codes) if c]
        if len(good) != len(codes):
            raise ValidationError({"selection": [_("Some contact codes are not valid.")]})
        return {"codes": good}
    filters = selection["filters"]
    if not isinstance(filters, dict):
        raise ValidationError({"selection": [_("Filters must be an object.")]})
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError({"selection": [_("Unknown filter(s): %(keys)s")
                                             % {"keys": ", ".join(unknown)}]})
    if any(not isinstance(v, (str, int)) for v in filters.values()):
        raise ValidationError({"selection": [_("Each filter is a single value.")]})
    return {"filters": {k: str(v) for k, v in filters.items() if str(v).strip()}}


def selection_queryset(workspace, selection: dict) -> QuerySet:
    """The workspace's contacts a stored selection names (filters re-read now)."""
    qs = Contact.objects.filter(workspace=workspace)
    if "codes" in selection:
        return qs.filter(code__in=selection["codes"])
    return contact_filter(qs, workspace, **selection.get("filters", {}))


# --- start -----------------------------------------------------------------------------------

def _clean_params(actor: Actor, kind: str, params: dict) -> dict:
    ws = actor.workspace
    params = params or {}
    if kind == K.ASSIGN_OWNER:
        owner = params.get("owner")
        if owner in (None, "", "none"):
            return {"owner_id": None, "owner": ""}
        m = Membership.objects.select_related("user").filter(
            workspace=ws, user__email__iexact=str(owner).strip()).first()
        if m is None:
            raise ValidationError({"owner": [_("The owner must be a member of this "
                                               "workspace.")]})
        return {"owner_id": m.user_id, "owner": m.user.email}
    if kind == K.CHANGE_STAGE:
        stage = str(params.get("stage") or "")
        errors = {}
        if stage not in Stage.values:
            errors["stage"] = [_("Choose a lifecycle stage.")]
        reason = str(params.get("reason") or "").strip()
        if not reason:
            errors["reason"] = [_("Say why these contacts change stage: the reason goes into "
                                  "each contact's history.")]
        if errors:
            raise ValidationError(errors)
        return {"stage": stage, "reason": reason[:300]}
    if kind in (K.SEGMENT_ADD, K.SEGMENT_REMOVE):
        code = as_code(params.get("segment"))
        seg = Segment.objects.filter(workspace=ws, code=code).first() if code else None
        if seg is None:
            raise ValidationError({"segment": [_("Choose a segment of this workspace.")]})
        return {"segment_id": seg.pk, "segment": str(seg.code), "segment_name": seg.name}
    raise ValidationError({"action": [_("Unknown bulk action.")]})


def bulk_action_start(*, actor: Actor, kind: str, selection: dict,
                      params: dict | None = None) -> BulkAction:
    """Record a bulk action and run it: at once for a small selection, otherwise as a job
    (sent when this transaction commits) whose progress the page polls."""
    if not actor.can("crm.edit"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    if kind not in K.values:
        raise ValidationError({"action": [_("Unknown bulk action.")]})
    selection = clean_selection(selection)
    params = _clean_params(actor, kind, params or {})
    total = selection_queryset(actor.workspace, selection).count()
    if not total:
        raise ValidationError({"selection": [_("No contacts match this selection.")]})
    with transaction.atomic():
        action = BulkAction.objects.create(
            workspace=actor.workspace, kind=kind, params=params, selection=selection,
            total=total, created_by=actor.user, api_key=actor.api_key)
        if total > _inline_max():
            action_id = action.pk
            transaction.on_commit(lambda: bulk_action_send(action_id))
    if total <= _inline_max():
        bulk_action_process(action.pk)
        action.refresh_from_db()
    return action


BULK_THREADS: dict = {}


def _run_in_thread(action_id: int) -> None:
    from django.db import connections

    try:
        bulk_action_process(action_id)
    except Exception:  # bulk_action_process records failures itself
        logger.exception("bulk action %s: background thread failed", action_id)
    finally:
        connections.close_all()
        BULK_THREADS.pop(action_id, None)


def bulk_action_send(action_id: int) -> bool:
    """Send the action's task; with eager Celery (embedded default) run it in a thread so the
    request returns and the progress bar moves, as imports do."""
    from mos.broker import BROKER_ERRORS

    from .tasks import bulk_action_run

    if settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "MOS_IMPORT_THREAD", False):
        import threading

        t = threading.Thread(target=_run_in_thread, args=(action_id,), daemon=True,
                             name=f"mos-bulk-{action_id}")
        BULK_THREADS[action_id] = t
        t.start()
        return True
    try:
        bulk_action_run.apply_async((action_id,))
    except BROKER_ERRORS:
        logger.exception("bulk action %s: the task queue is unreachable", action_id)
        return False
    return True


def bulk_actions_resend_lost() -> list[int]:
    """The sweep: actions queued past the lease or held by a dead worker are sent again."""
    from mos.leases import expired_q, lease

    now = timezone.now()
    ids = list(BulkAction.objects.filter(
        Q(status=S.QUEUED, created_at__lt=now - lease()) | expired_q(S.RUNNING, now))
        .values_list("pk", flat=True)[:100])
    for action_id in ids:
        if not bulk_action_send(action_id):
            break
    return ids


# --- process ---------------------------------------------------------------------------------

def _actor_for(action: BulkAction) -> Actor:
    if action.api_key_id:
        key = ApiKey.objects.select_related("workspace").filter(pk=action.api_key_id).first()
        if key is None or key.revoked_at is not None:
            raise ValidationError(_("The API key that started this action was revoked."))
        return Actor.for_key(key)
    m = (Membership.objects.select_related("workspace", "user")
         .filter(workspace=action.workspace_id, user=action.created_by_id).first())
    if m is None or not Actor.for_member(m).can("crm.edit"):
        raise ValidationError(_("The person who started this action may no longer edit "
                                "contacts."))
    return Actor.for_member(m)


def _chunk_owner(action, qs, ids) -> int:
    new = action.params.get("owner_id")
    rows = list(qs.filter(pk__in=ids).exclude(owner_id=new).values_list("pk", "owner_id"))
    if rows:
        BulkActionItem.objects.bulk_create([
            BulkActionItem(action=action, contact_id=pk, before_owner_id=old)
            for pk, old in rows])
        Contact.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            owner_id=new, updated_at=timezone.now())
    return len(rows)


def _chunk_stage(action, actor, qs, ids) -> int:
    from ..services import contacts_change_stage_many

    moved = contacts_change_stage_many(actor=actor, contact_ids=ids,
                                       to_stage=action.params["stage"],
                                       reason=action.params["reason"])
    if moved:
        BulkActionItem.objects.bulk_create([
            BulkActionItem(action=action, contact_id=pk, before=old)
            for pk, old in moved.items()])
    return len(moved)


def _chunk_segment(action, segment, ids) -> int:
    adding = action.kind == K.SEGMENT_ADD
    inside = set(segment_contacts(segment).filter(pk__in=ids).values_list("pk", flat=True))
    targets = [pk for pk in ids if (pk in inside) != adding]
    if not targets:
        return 0
    rows = dict(SegmentMember.objects.filter(segment=segment, contact_id__in=targets)
                .values_list("contact_id", "included"))
    BulkActionItem.objects.bulk_create([
        BulkActionItem(action=action, contact_id=pk,
                       before="" if pk not in rows else ("in" if rows[pk] else "out"))
        for pk in targets])
    SegmentMember.objects.filter(segment=segment, contact_id__in=list(rows)).update(
        included=adding, at=timezone.now())
    SegmentMember.objects.bulk_create([
        SegmentMember(segment=segment, contact_id=pk, included=adding)
        for pk in targets if pk not in rows])
    return len(targets)


def bulk_action_process(action_id: int) -> None:
    """Claim the action and apply it chunk by chunk, in contact id order after `cursor`."""
    from mos.leases import LeaseLost, claim, heartbeat

    token = claim(BulkAction, action_id, ready_status=S.QUEUED, running_status=S.RUNNING)
    if token is None:
        return
    action = BulkAction.objects.select_related("workspace").get(pk=action_id)
    try:
        actor = _actor_for(action)
        qs = selection_queryset(action.workspace, action.selection)
        segment = None
        if action.kind in (K.SEGMENT_ADD, K.SEGMENT_REMOVE):
            segment = Segment.objects.get(pk=action.params["segment_id"],
                                          workspace=action.workspace)
        while True:
            ids = list(qs.filter(pk__gt=action.cursor).order_by("pk")
                       .values_list("pk", flat=True)[:CHUNK])
            if not ids:
                break
            with transaction.atomic():
                heartbeat(BulkAction, action.pk, token, running_status=S.RUNNING)
                if action.kind == K.ASSIGN_OWNER:
                    n = _chunk_owner(action, qs, ids)
                elif action.kind == K.CHANGE_STAGE:
                    n = _chunk_stage(action, actor, qs, ids)
                else:
                    n = _chunk_segment(action, segment, ids)
                action.cursor = ids[-1]
                action.processed += len(ids)
                action.changed += n
                action.total = max(action.total, action.processed)
                action.save(update_fields=["cursor", "processed", "changed", "total"])
        with transaction.atomic():
            done = BulkAction.objects.filter(pk=action.pk, status=S.RUNNING,
                                             lease_token=token).update(
                status=S.DONE, finished_at=timezone.now(), total=action.processed)
            if done:
                audit(actor, f"contact.bulk_{action.kind}", action,
                      object_repr=str(action),
                      changes={"selected": action.processed, "changed": action.changed,
                               **{k: v for k, v in action.params.items()
                                  if not k.endswith("_id")}})
    except LeaseLost:
        logger.warning("bulk action %s: lease lost, another worker has it", action_id)
    except Exception as e:  # the action must end as failed, never stay "running"
        if isinstance(e, ValidationError):
            message = " ".join(e.messages)
        else:
            logger.exception("bulk action %s failed", action_id)
            message = _("The action stopped unexpectedly after %(n)d contacts; those are "
                        "changed and can be undone.") % {"n": action.processed}
        BulkAction.objects.filter(pk=action.pk, status=S.RUNNING, lease_token=token).update(
            status=S.FAILED, finished_at=timezone.now(), error=message[:2000])


# --- undo ------------------------------------------------------------------------------------

def bulk_action_undo(*, actor: Actor, action: BulkAction) -> int:
    """Put back the owners or segment memberships the action changed, where they are still
    what the action set. Returns how many contacts were restored."""
    if not actor.can("crm.edit"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    if not action.reversible:
        raise ValidationError({"action": [_(
            "A stage change cannot be undone: each move is in the contacts' history and the "
            "funnel counts it. Move them back with another bulk stage change, with a reason.")]})
    with transaction.atomic():
        if not BulkAction.objects.filter(pk=action.pk, status__in=[S.DONE, S.FAILED]).update(
                status=S.UNDONE, undone_at=timezone.now()):
            raise ValidationError({"action": [_("This action is still running or was already "
                                                "undone.")]})
        restored = 0
        segment = None
        if action.kind != K.ASSIGN_OWNER:
            segment = Segment.objects.filter(pk=action.params["segment_id"]).first()
        members = set(Membership.objects.filter(workspace=action.workspace_id)
                      .values_list("user_id", flat=True))
        # in chunks of the before-image, grouped by the value to put back: each UPDATE names
        # its contacts, which the planner serves from the primary key at any size
        last = 0
        while True:
            chunk = list(BulkActionItem.objects.filter(action=action, pk__gt=last).order_by(
                "pk").values_list("pk", "contact_id", "before_owner_id", "before")[:CHUNK])
            if not chunk:
                break
            last = chunk[-1][0]
            groups: dict = {}
            for _pk, contact_id, before_owner, before in chunk:
                key = before_owner if action.kind == K.ASSIGN_OWNER else before
                groups.setdefault(key, []).append(contact_id)
            for before, ids in groups.items():
                restored += _restore(action, segment, members, before, ids)
        BulkAction.objects.filter(pk=action.pk).update(restored=restored)
        audit(actor, f"contact.bulk_{action.kind}.undo", action, object_repr=str(action),
              changes={"restored": restored, "changed": action.changed})
    action.refresh_from_db()
    return restored


def _restore(action, segment, members, before, ids) -> int:
    """Put `before` back on these contacts where the action's value is still there."""
    if action.kind == K.ASSIGN_OWNER:
        if before is not None and before not in members:
            return 0  # no longer a member: cannot own contacts again
        return Contact.objects.filter(
            workspace=action.workspace_id, pk__in=ids,
            owner_id=action.params.get("owner_id")).update(owner_id=before,
                                                            updated_at=timezone.now())
    if segment is None:
        return 0
    still = SegmentMember.objects.filter(segment=segment, contact_id__in=ids,
                                         included=action.kind == K.SEGMENT_ADD)
    if before == "":
        return still.delete()[0]
    return still.update(included=(before == "in"))


# --- export ----------------------------------------------------------------------------------

EXPORT_HEADER = ["code", "name", "email", "phone", "company", "country", "city", "stage",
                 "owner", "persona", "customer_type", "source_channel", "created_at"]


def contacts_export_rows(workspace, selection: dict):
    """The selected contacts as CSV rows (escaping is csv_response's), in id order, read in
    chunks so a large export stays small in memory."""
    qs = selection_queryset(workspace, selection).select_related(
        "owner", "persona", "source_channel", "account")
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return
        for c in chunk:
            yield [str(c.code), c.name, c.email, c.phone, c.account.name if c.account else
                   c.company, c.country, c.city, c.stage, c.owner.email if c.owner else "",
                   c.persona.name if c.persona else "", c.customer_type,
                   c.source_channel.key if c.source_channel else "",
                   c.created_at.isoformat()]
        last = chunk[-1].pk


def contacts_export_audit(*, actor: Actor, selection: dict, count: int) -> None:
    """One audit entry for a CSV export of contacts (who took which data out)."""
    audit(actor, "contact.bulk_export", None, object_type="crm.contact",
          object_repr=f"{count} rows", changes={"count": count, "selection": selection})
