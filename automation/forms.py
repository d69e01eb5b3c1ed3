"""The flow builder's forms: a flow's settings (trigger, goal, holdout, cap, quiet hours) and
one step. The forms only shape input into the services' arguments; the services validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Segment, Stage

from .models import Flow, Step


class FlowForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Flow.Trigger.choices)
    to_stage = forms.ChoiceField(label=_("Stage that starts it (stage change)"),
                                 choices=[("", "—")] + list(Stage.choices), required=False)
    event = forms.CharField(label=_("Event that starts it (event)"), max_length=100,
                            required=False)
    segment = forms.ChoiceField(label=_("Segment (segment entry, schedule)"), required=False)
    property = forms.CharField(label=_("Date property (date property)"), max_length=60,
                               required=False)
    offset_days = forms.IntegerField(label=_("Days after the date"), required=False,
                                     min_value=-365, max_value=365)
    every_days = forms.IntegerField(label=_("Every how many days (schedule)"), required=False,
                                    min_value=1, max_value=365)
    schedule_stage = forms.ChoiceField(label=_("Only contacts in stage (schedule)"),
                                       choices=[("", "—")] + list(Stage.choices),
                                       required=False)
    p_alive_below = forms.FloatField(label=_("P(alive) below (schedule)"), required=False,
                                     min_value=0, max_value=1)
    inactive_days = forms.IntegerField(label=_("Or inactive for days (schedule)"),
                                       required=False, min_value=1, max_value=3650)
    goal = forms.ChoiceField(label=_("Conversion goal"), choices=Flow.Goal.choices)
    goal_value = forms.CharField(label=_("Goal stage or event"), max_length=100,
                                 required=False,
                                 help_text=_("A stage key (customer, mql…) or an event name."))
    holdout_percent = forms.IntegerField(label=_("Holdout: percent of contacts who get nothing"),
                                         min_value=0, max_value=50, initial=10)
    frequency_cap = forms.IntegerField(label=_("At most messages per contact per 7 days"),
                                       min_value=1, max_value=50, initial=3)
    quiet_start = forms.IntegerField(label=_("Quiet hours from (hour, contact's time)"),
                                     min_value=0, max_value=23, initial=21)
    quiet_end = forms.IntegerField(label=_("Quiet hours until (hour)"), min_value=0,
                                   max_value=23, initial=8)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—")] + [
            (str(s.code), s.name) for s in Segment.objects.filter(workspace=workspace)]

    def service_fields(self) -> dict:
        d = self.cleaned_data
        trigger = d["trigger"]
        cfg: dict = {}
        if trigger == Flow.Trigger.STAGE_CHANGE:
            cfg = {"to_stage": d["to_stage"]}
        elif trigger == Flow.Trigger.EVENT:
            cfg = {"event": d["event"].strip()}
        elif trigger == Flow.Trigger.SEGMENT_ENTRY:
            cfg = {"segment": d["segment"]}
        elif trigger == Flow.Trigger.DATE_PROPERTY:
            cfg = {"property": d["property"].strip(), "offset_days": d["offset_days"] or 0}
        elif trigger == Flow.Trigger.SCHEDULE:
            cfg = {"every_days": d["every_days"]}
            for key, src in (("stage", "schedule_stage"), ("segment", "segment"),
                             ("p_alive_below", "p_alive_below"),
                             ("inactive_days", "inactive_days")):
                if d.get(src) not in (None, ""):
                    cfg[key] = d[src]
        return {"name": d["name"], "description": d["description"], "trigger": trigger,
                "trigger_config": cfg, "goal": d["goal"], "goal_value": d["goal_value"].strip(),
                "holdout_share": d["holdout_percent"] / 100,
                "frequency_cap": d["frequency_cap"], "quiet_start": d["quiet_start"],
                "quiet_end": d["quiet_end"]}


def flow_initial(flow: Flow) -> dict:
    cfg = flow.trigger_config or {}
    return {"name": flow.name, "description": flow.description, "trigger": flow.trigger,
            "to_stage": cfg.get("to_stage", ""), "event": cfg.get("event", ""),
            "segment": cfg.get("segment", ""), "property": cfg.get("property", ""),
            "offset_days": cfg.get("offset_days"), "every_days": cfg.get("every_days"),
            "schedule_stage": cfg.get("stage", ""), "p_alive_below": cfg.get("p_alive_below"),
            "inactive_days": cfg.get("inactive_days"), "goal": flow.goal,
            "goal_value": flow.goal_value, "holdout_percent": round(flow.holdout_share * 100),
            "frequency_cap": flow.frequency_cap, "quiet_start": flow.quiet_start,
            "quiet_end": flow.quiet_end}


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=Step.Kind.choices)
    days = forms.FloatField(label=_("Wait days"), required=False, min_value=0, max_value=366)
    hours = forms.FloatField(label=_("Wait hours"), required=False, min_value=0, max_value=72)
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_en = forms.CharField(label=_("Text (English)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    subject_ar = forms.CharField(label=_("Subject (Arabic)"), max_length=200, required=False)
    body_ar = forms.CharField(label=_("Text (Arabic)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "dir": "rtl"}))
    condition_field = forms.ChoiceField(
        label=_("Condition: continue only if"), required=False,
        choices=[("", "—"), ("stage", _("stage is")), ("event", _("did the event")),
                 ("order", _("placed an order")), ("property", _("property equals")),
                 ("consent", _("has consent for channel"))])
    condition_value = forms.CharField(label=_("Condition value"), max_length=100,
                                      required=False)
    negate = forms.BooleanField(label=_("Reverse the condition (continue if NOT)"),
                                required=False)
    to_stage = forms.ChoiceField(label=_("Move to stage"), required=False,
                                 choices=[("", "—")] + list(Stage.choices))
    owner = forms.EmailField(label=_("Owner's e-mail"), required=False)
    title = forms.CharField(label=_("Task title"), max_length=200, required=False)
    tag = forms.CharField(label=_("Segment tag (a property set to true)"), max_length=60,
                          required=False)
    url = forms.URLField(label=_("Webhook URL"), required=False, assume_scheme="https")

    def step_config(self) -> dict:
        d = self.cleaned_data
        kind = d["kind"]
        if kind == Step.Kind.WAIT:
            return {"days": d["days"] or 0, "hours": d["hours"] or 0}
        if kind in (Step.Kind.SEND_EMAIL, Step.Kind.SEND_SMS):
            return {k: d[k] for k in ("subject_en", "body_en", "subject_ar", "body_ar")}
        if kind == Step.Kind.CONDITION:
            return {"field": d["condition_field"], "value": d["condition_value"],
                    "negate": d["negate"]}
        if kind == Step.Kind.MOVE_STAGE:
            return {"to_stage": d["to_stage"]}
        if kind == Step.Kind.SET_OWNER:
            return {"owner": d["owner"]}
        if kind == Step.Kind.CREATE_TASK:
            return {"title": d["title"], "due_days": 1}
        if kind == Step.Kind.ADD_TO_SEGMENT:
            return {"tag": d["tag"]}
        return {"url": d["url"]}


class DidForm(forms.Form):
    """Difference in differences: the page's form and the API's query (one validation)."""

    metric = forms.ChoiceField(label=_("Metric"), choices=[
        ("revenue", _("Revenue (orders, no refunds)")), ("orders", _("Orders")),
        ("new_contacts", _("New contacts")), ("events", _("Events"))])
    event_name = forms.CharField(label=_("Event name (for Events; empty: all)"),
                                 max_length=100, required=False)
    group_by = forms.ChoiceField(label=_("Compare by"), choices=[
        ("country", _("Country")), ("channel", _("Source channel")),
        ("campaign", _("Source campaign"))])
    treated = forms.CharField(label=_("Treated group"), max_length=1000,
                              help_text=_("Where the campaign ran: country codes, channel "
                                          "keys or campaign codes, separated by commas."))
    control = forms.CharField(label=_("Control group"), max_length=1000,
                              help_text=_("Comparable places where it did not run."))
    before_start = forms.DateField(label=_("Before: from"))
    before_end = forms.DateField(label=_("Before: to"))
    after_start = forms.DateField(label=_("After: from"))
    after_end = forms.DateField(label=_("After: to"))

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        for name in ("before_start", "before_end", "after_start", "after_end"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date", "dir": "ltr"})

    @staticmethod
    def _values(text: str) -> list[str]:
        return [v.strip() for v in (text or "").split(",") if v.strip()][:200]

    def clean(self):
        data = super().clean()
        group = data.get("group_by")
        for side in ("treated", "control"):
            if side in data:
                vals = self._values(data[side])
                if group == "country":
                    vals = [v.upper() for v in vals]
                if not vals:
                    self.add_error(side, _("Name at least one value."))
                data[side] = vals
        if data.get("treated") and data.get("control") and set(data["treated"]) & set(
                data["control"]):
            self.add_error("control", _("A value cannot be in both groups."))
        bs, be = data.get("before_start"), data.get("before_end")
        a_s, ae = data.get("after_start"), data.get("after_end")
        for lo, hi, field in ((bs, be, "before_end"), (a_s, ae, "after_end")):
            if lo and hi:
                if (hi - lo).days < 1:
                    self.add_error(field, _("A period needs at least two days."))
                elif (hi - lo).days > 365:
                    self.add_error(field, _("A period is at most a year."))
        if be and a_s and a_s <= be:
            self.add_error("after_start", _("The after period starts after the before "
                                            "period ends."))
        return data

    def analysis_args(self) -> dict:
        d = self.cleaned_data
        return {k: d[k] for k in ("metric", "group_by", "treated", "control", "before_start",
                                  "before_end", "after_start", "after_end", "event_name")}
