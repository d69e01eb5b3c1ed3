"""Forms of the plans pages. Choices are the workspace's own rows only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors_plans as sel
from .checklists import template_choices
from .models_plans import SERVICE_MIX

DATE = forms.DateInput(attrs={"type": "date"})


def _ws_qs(model, ws, order="name"):
    return model.objects.filter(workspace=ws).order_by(order)


class WorkspaceForm(forms.Form):
    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace


class PlanForm(WorkspaceForm):
    title = forms.CharField(label=_("Title"), max_length=160)
    starts = forms.DateField(label=_("Starts"), widget=DATE)
    ends = forms.DateField(label=_("Ends"), widget=DATE)

    def clean(self):
        d = super().clean()
        if d.get("starts") and d.get("ends") and d["ends"] < d["starts"]:
            self.add_error("ends", _("The plan cannot end before it starts."))
        return d


class SituationForm(WorkspaceForm):
    situation = forms.CharField(label=_("Situation: where are we now?"), required=False,
                                widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, question in sel.diagnostic_questions():
            self.fields[f"diag_{key}"] = forms.CharField(
                label=question, required=False, max_length=600,
                widget=forms.Textarea(attrs={"rows": 2}))


class StrategyForm(WorkspaceForm):
    segments = forms.ModelMultipleChoiceField(label=_("Segments"), required=False,
                                              queryset=None)
    personas = forms.ModelMultipleChoiceField(label=_("Personas"), required=False,
                                              queryset=None)
    positioning = forms.CharField(label=_("Positioning"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.models import Persona, Segment

        self.fields["segments"].queryset = _ws_qs(Segment, self.workspace)
        self.fields["personas"].queryset = _ws_qs(Persona, self.workspace)
        for key, label in SERVICE_MIX:
            self.fields[f"mix_{key}"] = forms.CharField(
                label=label, required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}))


class TacticsForm(WorkspaceForm):
    channels = forms.ModelMultipleChoiceField(label=_("Channels"), required=False,
                                              queryset=None)
    campaigns = forms.ModelMultipleChoiceField(label=_("Campaigns"), required=False,
                                               queryset=None)
    tactics = forms.CharField(label=_("Messages and content"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.models import Campaign, Channel

        self.fields["channels"].queryset = _ws_qs(Channel, self.workspace)
        self.fields["campaigns"].queryset = _ws_qs(Campaign, self.workspace)


class ControlForm(WorkspaceForm):
    control = forms.CharField(label=_("Control: who measures, how and when"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


SECTION_FORMS = {"situation": SituationForm, "strategy": StrategyForm,
                 "tactics": TacticsForm, "control": ControlForm}


class ObjectiveForm(WorkspaceForm):
    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=None)
    target = forms.DecimalField(label=_("Target"), max_digits=16, decimal_places=4)
    due = forms.DateField(label=_("By"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from engines.models import KPI

        self.fields["kpi"].queryset = _ws_qs(KPI, self.workspace)


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name or obj.email


class ActionForm(WorkspaceForm):
    what = forms.CharField(label=_("What"), max_length=200)
    owner = MemberChoice(label=_("Owner"), queryset=None, required=False)
    due = forms.DateField(label=_("Due"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = sel.members(self.workspace)


class PublishForm(forms.Form):
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)


class BetForm(WorkspaceForm):
    title = forms.CharField(label=_("Bet"), max_length=200)
    expected_effect = forms.CharField(label=_("Expected effect"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    kpi = forms.ModelChoiceField(label=_("KPI (default: the North Star)"), queryset=None,
                                 required=False)
    baseline = forms.FloatField(label=_("Baseline"), required=False)
    expected = forms.FloatField(label=_("Expected value at the quarter's end"), required=False)
    owner = MemberChoice(label=_("Owner"), queryset=None, required=False)
    engine = forms.ModelChoiceField(label=_("Engine"), queryset=None, required=False)
    experiments = forms.ModelMultipleChoiceField(label=_("Experiments"), queryset=None,
                                                 required=False)
    confirm_extra = forms.BooleanField(label=_("Yes, add a bet beyond the five"),
                                       required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from engines.models import KPI, GrowthEngine
        from experiments.models import Experiment

        self.fields["kpi"].queryset = _ws_qs(KPI, self.workspace)
        self.fields["owner"].queryset = sel.members(self.workspace)
        self.fields["engine"].queryset = _ws_qs(GrowthEngine, self.workspace)
        self.fields["experiments"].queryset = Experiment.objects.filter(
            workspace=self.workspace).exclude(status="archived").order_by("-id")


class ChecklistStartForm(WorkspaceForm):
    template = forms.ChoiceField(label=_("Template"), choices=())
    starts = forms.DateField(label=_("Start date"), widget=DATE)
    owner = MemberChoice(label=_("Owner of every item"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = template_choices()
        self.fields["owner"].queryset = sel.members(self.workspace)


class ChecklistItemForm(WorkspaceForm):
    done = forms.BooleanField(required=False)
    owner = MemberChoice(label=_("Owner"), queryset=None, required=False)
    due = forms.DateField(label=_("Due"), widget=DATE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = sel.members(self.workspace)


class BudgetProposeForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}))
    total = forms.DecimalField(label=_("Total budget (blank: the same as last month)"),
                               max_digits=14, decimal_places=2, required=False, min_value=1)
    max_step = forms.TypedChoiceField(label=_("Largest step"), coerce=float,
                                      choices=[(0.2, "20 %"), (0.15, "15 %"), (0.1, "10 %")],
                                      initial=0.2)
    floor_share = forms.DecimalField(label=_("Minimum share per channel (%)"), initial=5,
                                     min_value=0, max_value=30, decimal_places=1)

    def clean_month(self):
        from datetime import date

        import re

        v = self.cleaned_data["month"]
        m = re.fullmatch(r"(\d{4})-(\d{2})", v or "")
        if not m or not 1 <= int(m.group(2)) <= 12 or not 1970 <= int(m.group(1)) <= 2200:
            raise forms.ValidationError(_("Month must look like 2026-10."))
        return date(int(m.group(1)), int(m.group(2)), 1)
