"""Every minute (mos.celery beat): enroll whoever the active flows' triggers select, advance
the due enrollments, send messages a dead worker queued and never claimed."""

from celery import shared_task

from . import engine, triggers
from .models import Flow


@shared_task(name="automation.tasks.run_flows")
def run_flows() -> dict:
    enrolled = 0
    for flow in Flow.objects.filter(status=Flow.Status.ACTIVE).select_related("workspace"):
        enrolled += triggers.evaluate_flow(flow)
    advanced = engine.advance_due()
    resent = engine.deliver_queued()
    return {"enrolled": enrolled, "advanced": advanced, "resent": resent}
