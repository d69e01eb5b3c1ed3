"""When two contacts are merged (crm.services.contacts_merge), the merged one's enrollments,
message ledger and tasks move to the survivor. A flow both went through keeps both runs: the
merged contact's occurrences are renumbered after the survivor's (enrollments and their
messages together), so the once-per-occurrence constraints hold and nothing is re-sent."""

from __future__ import annotations

from django.db.models import F, Max

from .models import Enrollment, Message, Task


def move_automation_rows(survivor, merged) -> dict:
    shared = (Enrollment.objects.filter(contact=survivor)
              .values("flow_id").annotate(top=Max("occurrence")))
    tops = {r["flow_id"]: r["top"] for r in shared}
    for flow_id in set(Enrollment.objects.filter(contact=merged, flow_id__in=list(tops))
                       .values_list("flow_id", flat=True)):
        shift = tops[flow_id]
        Enrollment.objects.filter(contact=merged, flow_id=flow_id).update(
            occurrence=F("occurrence") + shift)
        Message.objects.filter(contact=merged, flow_id=flow_id).update(
            occurrence=F("occurrence") + shift)
    return {"enrollments": Enrollment.objects.filter(contact=merged).update(contact=survivor),
            "messages": Message.objects.filter(contact=merged).update(contact=survivor),
            "automation_tasks": Task.objects.filter(contact=merged).update(contact=survivor)}
