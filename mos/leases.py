"""Leases for background jobs (metric runs, CSV imports), the way trusted job systems do it:
the worker holding a job renews `heartbeat_at`; a job not heard from for LEASE can be claimed
again (a redelivered task after a `kill -9`, or the periodic sweep). The claim is one
conditional UPDATE, so two workers never hold the same job; a worker that lost its lease
(another took over) stops at its next heartbeat."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class LeaseLost(Exception):
    """Another worker took the job over: stop without writing anything more."""


def lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "MOS_JOB_LEASE_SECONDS", 120))


def expired_q(running_status: str, now=None) -> Q:
    """Rows `running` whose holder has not been heard from within the lease."""
    before = (now or timezone.now()) - lease()
    return Q(status=running_status) & (Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True))


def claim(model, pk: int, *, ready_status: str, running_status: str, **also) -> uuid.UUID | None:
    """Take the job: `ready_status`, or `running_status` with an expired lease. Returns the
    lease token (pass it to heartbeat), or None if someone else holds it or it ended."""
    now = timezone.now()
    token = uuid.uuid4()
    n = model.objects.filter(pk=pk).filter(Q(status=ready_status) | expired_q(
        running_status, now)).update(status=running_status, heartbeat_at=now,
                                     lease_token=token, attempts=F("attempts") + 1, **also)
    return token if n else None


def heartbeat(model, pk: int, token, *, running_status: str) -> None:
    """Renew the lease; raises LeaseLost if the job is no longer ours (taken over, cancelled)."""
    if token is None:
        return
    n = model.objects.filter(pk=pk, lease_token=token, status=running_status).update(
        heartbeat_at=timezone.now())
    if not n:
        raise LeaseLost(f"{model.__name__} {pk}")


def is_stuck(job, running_status: str, ready_status: str | None = None, now=None) -> bool:
    """True for a job whose worker stopped answering (or, for ready jobs, whose task never
    arrived within the lease)."""
    now = now or timezone.now()
    if job.status == running_status:
        return job.heartbeat_at is None or job.heartbeat_at < now - lease()
    if ready_status and job.status == ready_status:
        return job.created_at < now - lease()
    return False


class LeasedJob(models.Model):
    """The lease fields of a background job, declared once (ImportJob, MetricRun, …). A
    subclass names its own running and ready statuses in LEASE_RUNNING / LEASE_READY."""

    LEASE_RUNNING = "running"
    LEASE_READY: str | None = None

    # the worker holding the job renews heartbeat_at; a job not heard from for the lease can
    # be taken over by a redelivered task or the periodic sweep
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def interrupted(self) -> bool:
        """Ready or running but not heard from within the lease: its worker died or its task
        was lost; the sweep (or a retry) sends it again."""
        return is_stuck(self, self.LEASE_RUNNING, self.LEASE_READY)
