"""Forms of the activity pages: log a note / call / e-mail / meeting, or add a task."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from mos.periods import workspace_today, workspace_tz

from ..models import Activity


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=Activity.Kind.choices,
                             initial=Activity.Kind.CALL)
    subject = forms.CharField(label=_("Subject or task"), max_length=200, required=False)
    body = forms.CharField(label=_("Note"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))
    call_outcome = forms.ChoiceField(label=_("Call outcome"), required=False,
                                     choices=[("", "—"), *Activity.CallOutcome.choices])
    duration_minutes = forms.DecimalField(label=_("Minutes"), required=False, min_value=0,
                                          max_value=1440, decimal_places=1)
    due_on = forms.DateField(label=_("Due"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if workspace is not None and not self.is_bound:
            self.fields["due_on"].initial = workspace_today(workspace) + timedelta(days=1)

    def service_fields(self) -> dict:
        """The cleaned form as activity_create's fields (only what the kind uses)."""
        d = self.cleaned_data
        kind = d["kind"]
        out = {"kind": kind, "subject": d.get("subject") or "", "body": d.get("body") or ""}
        if kind == Activity.Kind.CALL:
            out["call_outcome"] = d.get("call_outcome") or ""
        if kind in (Activity.Kind.CALL, Activity.Kind.MEETING) and d.get("duration_minutes") \
                is not None:
            out["duration_seconds"] = int(round(float(d["duration_minutes"]) * 60))
        if kind == Activity.Kind.TASK:
            due = d.get("due_on")
            # a task due on a day is due at 17:00 that day where the workspace is
            out["due_at"] = datetime.combine(due, time(17, 0), tzinfo=workspace_tz(
                self.workspace)) if due else None
        return out
