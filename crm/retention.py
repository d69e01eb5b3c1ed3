"""The retention policy (issue 13): raw events older than N months are deleted, sent
messages lose their address and subject after N days; aggregates stay. The nightly metrics
recompute only their trailing window (engines' DEFAULT_WINDOW_DAYS, 400 days), and a policy
may not reach into it (MIN_EVENT_MONTHS), so no stored metric value changes when old raw rows
go. Every change of the policy and every run is audited."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit

from . import extensions
from .models import Event, RetentionPolicy

MIN_EVENT_MONTHS = 14  # > the metrics pipeline's 400-day window
MIN_MESSAGE_DAYS = 7  # the frequency cap reads the last 7 days of sent messages


def policy_for(workspace) -> RetentionPolicy:
    policy, _created = RetentionPolicy.objects.get_or_create(workspace=workspace)
    return policy


@transaction.atomic
def retention_policy_update(*, actor: Actor, raw_events_months: int | None,
                            message_content_days: int | None) -> RetentionPolicy:
    """Change the workspace's retention policy (admins); audited with before and after."""
    if not actor.can("workspace.settings"):
        raise PermissionDenied
    errors = {}
    if raw_events_months is not None and not MIN_EVENT_MONTHS <= raw_events_months <= 240:
        errors["raw_events_months"] = [_("Between %(min)d and 240 months, or empty to keep "
                                         "them.") % {"min": MIN_EVENT_MONTHS}]
    if message_content_days is not None and not (
            MIN_MESSAGE_DAYS <= message_content_days <= 3650):
        errors["message_content_days"] = [_("Between %(min)d and 3650 days, or empty to keep "
                                            "them.") % {"min": MIN_MESSAGE_DAYS}]
    if errors:
        raise ValidationError(errors)
    policy = RetentionPolicy.objects.select_for_update().get(pk=policy_for(actor.workspace).pk)
    before = {"raw_events_months": policy.raw_events_months,
              "message_content_days": policy.message_content_days}
    policy.raw_events_months = raw_events_months
    policy.message_content_days = message_content_days
    policy.updated_at = timezone.now()
    policy.save(update_fields=["raw_events_months", "message_content_days", "updated_at"])
    audit(actor, "retention.update", None, object_type="crm.retentionpolicy",
          object_repr=_("Retention policy"),
          changes={"before": before, "after": {"raw_events_months": raw_events_months,
                                               "message_content_days": message_content_days}})
    return policy


def event_cutoff(policy: RetentionPolicy, now: datetime) -> datetime | None:
    if not policy.raw_events_months:
        return None
    return months_before(now, policy.raw_events_months)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st → the month's end)."""
    y, m = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(y, m + 1)[1])
    return moment.replace(year=y, month=m + 1, day=day)


@transaction.atomic
def retention_apply(*, workspace, now: datetime | None = None) -> dict:
    """Apply the workspace's policy once (the nightly task); returns rows changed per kind."""
    now = now or timezone.now()
    policy = policy_for(workspace)
    done = {}
    cutoff = event_cutoff(policy, now)
    if cutoff is not None:
        done["events_deleted"], _kinds = Event.objects.filter(
            workspace=workspace, occurred_at__lt=cutoff).delete()
    done.update(extensions.run_retention_hooks(workspace, policy, now))
    RetentionPolicy.objects.filter(pk=policy.pk).update(last_run_at=now, last_run=done)
    if any(done.values()):
        audit(Actor.system(workspace), "retention.apply", None,
              object_type="crm.retentionpolicy", object_repr=_("Retention policy"),
              changes=done)
    return done
