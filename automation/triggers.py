"""Who enters a flow: each trigger is a set-based query over the CRM (never a loop over
contacts), and enrolling is an INSERT … ON CONFLICT DO NOTHING on (flow, contact, occurrence),
so evaluating a trigger twice, or two workers evaluating it at once, enrolls each contact once."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm.models import Contact, Event, Order, Segment, StageChange
from crm.selectors import segment_contacts
from engines.models import ContactPrediction

from .models import Enrollment, Flow

SCALE = 16 ** 15


def holdout_draw(flow_code, contact_code) -> float:
    """A number in [0, 1) fixed by the flow and the contact: the same contact always lands on
    the same side of a flow's holdout, whichever worker or run assigns it."""
    digest = hashlib.sha256(f"{flow_code}:{contact_code}".encode()).hexdigest()
    return int(digest[:15], 16) / SCALE


def occurrence_for(flow: Flow, now: datetime) -> int:
    """Scheduled flows enroll a contact again every `every_days`; others once."""
    if flow.trigger != Flow.Trigger.SCHEDULE:
        return 1
    every = max(1, int(flow.trigger_config.get("every_days") or 1))
    return int(now.timestamp() // 86400) // every + 1


def candidates(flow: Flow, now: datetime) -> QuerySet:
    """The contacts the flow's trigger selects right now (before removing the enrolled)."""
    ws_id = flow.workspace_id
    cfg = flow.trigger_config or {}
    since = flow.activated_at or flow.created_at
    contacts = Contact.objects.filter(workspace_id=ws_id)
    if flow.trigger == Flow.Trigger.STAGE_CHANGE:
        changes = StageChange.objects.filter(contact=OuterRef("pk"), to_stage=cfg.get("to_stage"),
                                             at__gte=since, at__lte=now)
        return contacts.filter(Exists(changes))
    if flow.trigger == Flow.Trigger.EVENT:
        events = Event.objects.filter(workspace_id=ws_id, contact=OuterRef("pk"),
                                      name=cfg.get("event"), occurred_at__gte=since,
                                      occurred_at__lte=now)
        return contacts.filter(Exists(events))
    if flow.trigger == Flow.Trigger.SEGMENT_ENTRY:
        segment = Segment.objects.filter(workspace_id=ws_id, code=cfg.get("segment")).first()
        if segment is None:
            return contacts.none()
        return segment_contacts(segment)
    if flow.trigger == Flow.Trigger.DATE_PROPERTY:
        # a date in the contact's properties ("renewal_date": "2026-05-01") plus an offset
        prop = cfg.get("property") or ""
        offset = int(cfg.get("offset_days") or 0)
        cutoff = (now - timedelta(days=offset)).date().isoformat()
        # ISO dates compare as text; the property is stored as YYYY-MM-DD
        return contacts.filter(**{f"properties__{prop}__lte": cutoff,
                                  f"properties__{prop}__gte": "1900-01-01"}) if prop else \
            contacts.none()
    if flow.trigger == Flow.Trigger.SCHEDULE:
        qs = contacts
        if cfg.get("stage"):
            qs = qs.filter(stage=cfg["stage"])
        if cfg.get("segment"):
            segment = Segment.objects.filter(workspace_id=ws_id, code=cfg["segment"]).first()
            qs = qs.filter(pk__in=segment_contacts(segment).values("pk")) \
                if segment else qs.none()
        risk = Q()
        if cfg.get("p_alive_below") is not None:
            risk |= Q(Exists(ContactPrediction.objects.filter(
                contact=OuterRef("pk"), p_alive__lt=float(cfg["p_alive_below"]))))
        if cfg.get("inactive_days"):
            start = now - timedelta(days=int(cfg["inactive_days"]))
            risk |= ~Q(Exists(Order.objects.filter(contact=OuterRef("pk"),
                                                   occurred_at__gte=start))) & ~Q(Exists(
                Event.objects.filter(workspace_id=ws_id, contact=OuterRef("pk"),
                                     occurred_at__gte=start)))
        return qs.filter(risk) if risk else qs
    return contacts.none()


def enroll(flow: Flow, contact_ids, *, now: datetime | None = None,
           occurrence: int | None = None) -> int:
    """Enroll these contacts (those already in for this occurrence are left alone); each is
    assigned to the holdout by its fixed draw. Returns how many were new."""
    now = now or timezone.now()
    occurrence = occurrence or occurrence_for(flow, now)
    ids = list(contact_ids)
    if not ids:
        return 0
    already = set(Enrollment.objects.filter(flow=flow, occurrence=occurrence,
                                            contact_id__in=ids)
                  .values_list("contact_id", flat=True))
    rows = []
    for cid, ccode in Contact.objects.filter(pk__in=[i for i in ids if i not in already]
                                             ).values_list("id", "code"):
        held = holdout_draw(flow.code, ccode) < flow.holdout_share
        rows.append(Enrollment(workspace_id=flow.workspace_id, flow=flow, contact_id=cid,
                               occurrence=occurrence, holdout=held, enrolled_at=now,
                               state=Enrollment.State.HOLDOUT if held
                               else Enrollment.State.ACTIVE,
                               due_at=None if held else now))
    before = Enrollment.objects.filter(flow=flow, occurrence=occurrence).count()
    Enrollment.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return Enrollment.objects.filter(flow=flow, occurrence=occurrence).count() - before


def evaluate_flow(flow: Flow, *, now: datetime | None = None) -> int:
    """Enroll everyone the flow's trigger selects who is not in it yet for this occurrence."""
    now = now or timezone.now()
    occurrence = occurrence_for(flow, now)
    fresh = candidates(flow, now).exclude(
        Exists(Enrollment.objects.filter(flow=flow, occurrence=occurrence,
                                         contact=OuterRef("pk"))))
    total = 0
    ids = list(fresh.values_list("pk", flat=True))
    for i in range(0, len(ids), 20000):
        total += enroll(flow, ids[i:i + 20000], now=now, occurrence=occurrence)
    return total
