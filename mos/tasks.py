"""Housekeeping tasks of the mos app (scheduled in mos/celery.py's beat_schedule)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="mos.tasks.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key answers older than 24 hours (as Stripe does): a retry after that
    is a new request."""
    from .idempotency import KEY_TTL, idempotency_records_purge

    return idempotency_records_purge(older_than=timezone.now() - KEY_TTL)
