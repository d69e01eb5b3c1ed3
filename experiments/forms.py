"""Forms for engines, check-ins, insights and experiments (validation of input only: the
rules live in the services)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Channel
from engines.models import KPI, FunnelStage, GrowthEngine
from mos.models import User

from .models import Experiment, ExperimentSettings, Insight


def _members(workspace):
    return User.objects.filter(memberships__workspace=workspace).order_by("name", "email")


class EngineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(),
                                   required=False)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    funnel_stages = forms.MultipleChoiceField(label=_("Funnel stages"),
                                              choices=FunnelStage.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    channels = forms.ModelMultipleChoiceField(label=_("Channels"), queryset=Channel.objects.none(),
                                              required=False,
                                              widget=forms.CheckboxSelectMultiple)
    main_kpi = forms.ModelChoiceField(label=_("Main KPI"), queryset=KPI.objects.none(),
                                      required=False)
    weekly_commitment = forms.CharField(
        label=_("Weekly improvement"), max_length=300, required=False,
        help_text=_("What this engine commits to improve every week."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    confirm_over_focus = forms.BooleanField(
        label=_("Yes, run more than four engines"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members(workspace)
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)
        self.fields["main_kpi"].queryset = KPI.objects.filter(workspace=workspace)


class CheckInForm(forms.Form):
    week = forms.DateField(label=_("Week of"), initial=timezone.localdate,
                           widget=forms.DateInput(attrs={"type": "date"}))
    what_changed = forms.CharField(label=_("What changed"), max_length=4000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    what_we_learned = forms.CharField(label=_("What we learned"), max_length=4000,
                                      required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label=_("Next step"), max_length=4000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))


class InsightForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=Insight.Source.choices)
    text = forms.CharField(label=_("Insight"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    evidence_url = forms.URLField(label=_("Evidence link"), max_length=500, required=False,
                                  assume_scheme="https")
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)
    tags = forms.CharField(label=_("Tags"), max_length=300, required=False,
                           help_text=_("Comma-separated, e.g. pricing, onboarding."))
    engine = forms.ModelChoiceField(label=_("Growth engine"), queryset=GrowthEngine.objects.none(),
                                    required=False)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engine"].queryset = GrowthEngine.objects.filter(workspace=workspace)


def _parse_lines(text: str, width: int) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")]
            rows.append(parts + [""] * (width - len(parts)))
    return rows


class ExperimentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    engine = forms.ModelChoiceField(label=_("Growth engine"), queryset=GrowthEngine.objects.none(),
                                    required=False)
    funnel_stage = forms.ChoiceField(label=_("Funnel stage"), choices=FunnelStage.choices)
    hypothesis_if = forms.CharField(label=_("If we…"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    hypothesis_then = forms.CharField(label=_("then…"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    hypothesis_because = forms.CharField(label=_("because…"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    metric_key = forms.SlugField(label=_("Primary metric key"), max_length=80,
                                 initial="conversion")
    metric_kind = forms.ChoiceField(label=_("Primary metric kind"),
                                    choices=Experiment.MetricKind.choices)
    metric_event = forms.CharField(label=_("Conversion event"), max_length=100,
                                   help_text=_("An event name, or \"order\" for purchases."))
    secondary = forms.CharField(
        label=_("Secondary metrics"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: key | proportion or mean | event"))
    guardrails = forms.CharField(
        label=_("Guardrail metrics"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: key | proportion or mean | event | up or down (the good "
                    "direction)"))
    baseline = forms.FloatField(label=_("Baseline"), required=False,
                                help_text=_("The control's rate (0–1) or mean today."))
    baseline_std = forms.FloatField(label=_("Baseline standard deviation"), required=False,
                                    help_text=_("Only for a mean metric."))
    mde = forms.FloatField(label=_("Minimum detectable effect (relative)"), required=False,
                           help_text=_("0.10 means the smallest change worth finding is "
                                       "+10 %."))
    alpha = forms.FloatField(label=_("Alpha"), initial=0.05, min_value=0.001, max_value=0.2)
    power = forms.FloatField(label=_("Power"), initial=0.8, min_value=0.5, max_value=0.99)
    daily_traffic = forms.FloatField(
        label=_("Daily traffic"), required=False, min_value=0,
        help_text=_("Users entering the test per day; empty: the last 28 days' average."))
    variants = forms.CharField(
        label=_("Variants"), widget=forms.Textarea(attrs={"rows": 3}),
        initial="control | Control | 50\ntreatment | Treatment | 50",
        help_text=_("One per line: key | name | share in %. The first line is the control."))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(),
                                   required=False)
    planned_start = forms.DateField(label=_("Planned start"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    planned_end = forms.DateField(label=_("Planned end"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    impact = forms.IntegerField(label=_("Impact (1–10)"), min_value=1, max_value=10, initial=5)
    confidence = forms.IntegerField(label=_("Confidence (1–10)"), min_value=1, max_value=10,
                                    initial=5)
    ease = forms.IntegerField(label=_("Ease (1–10)"), min_value=1, max_value=10, initial=5)
    insight = forms.ModelChoiceField(label=_("From insight"), queryset=Insight.objects.none(),
                                     required=False, to_field_name="code",
                                     widget=forms.HiddenInput)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engine"].queryset = GrowthEngine.objects.filter(workspace=workspace)
        self.fields["owner"].queryset = _members(workspace)
        self.fields["insight"].queryset = Insight.objects.filter(workspace=workspace)

    def clean_variants(self):
        out = []
        for i, (key, name, share) in enumerate(
                r[:3] for r in _parse_lines(self.cleaned_data["variants"], 3)):
            try:
                share_f = float(share.rstrip("%")) / 100
            except ValueError:
                raise forms.ValidationError(_("Write each variant as key | name | share in %."))
            out.append({"key": key, "name": name or key, "share": share_f, "is_control": i == 0})
        return out

    def _metrics(self, name, guardrail):
        out = []
        for parts in _parse_lines(self.cleaned_data.get(name, ""), 4):
            m = {"key": parts[0], "kind": parts[1] or "proportion", "event": parts[2]}
            if guardrail:
                m["direction"] = parts[3] or "up"
            out.append(m)
        return out

    def service_fields(self) -> dict:
        d = self.cleaned_data
        fields = {k: d[k] for k in ("title", "engine", "funnel_stage", "hypothesis_if",
                                    "hypothesis_then", "hypothesis_because", "baseline",
                                    "baseline_std", "mde", "alpha", "power", "owner",
                                    "planned_start", "planned_end", "impact", "confidence",
                                    "ease", "insight")}
        fields["primary_metric"] = {"key": d["metric_key"], "kind": d["metric_kind"],
                                    "event": d["metric_event"]}
        fields["secondary_metrics"] = self._metrics("secondary", False)
        fields["guardrail_metrics"] = self._metrics("guardrails", True)
        return fields


def experiment_initial(exp: Experiment) -> dict:
    pm = exp.primary_metric or {}
    return {
        **{k: getattr(exp, k) for k in ("title", "engine", "funnel_stage", "hypothesis_if",
                                        "hypothesis_then", "hypothesis_because", "baseline",
                                        "baseline_std", "mde", "alpha", "power", "owner",
                                        "planned_start", "planned_end", "impact", "confidence",
                                        "ease")},
        "metric_key": pm.get("key"), "metric_kind": pm.get("kind"),
        "metric_event": pm.get("event"),
        "secondary": "\n".join(f"{m['key']} | {m['kind']} | {m['event']}"
                               for m in exp.secondary_metrics),
        "guardrails": "\n".join(f"{m['key']} | {m['kind']} | {m['event']} | "
                                f"{m.get('direction', 'up')}" for m in exp.guardrail_metrics),
        "variants": "\n".join(f"{v.key} | {v.name} | {round(v.share * 100, 4):g}"
                              for v in sorted(exp.variants.all(),
                                              key=lambda v: (not v.is_control, v.position))),
    }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Experiment.Decision.choices)
    reason = forms.CharField(label=_("Why"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label=_("Reason for calling it early (admins only)"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    expected = forms.CharField(label=_("What we expected"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    happened = forms.CharField(label=_("What happened"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    why = forms.CharField(label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next = forms.CharField(label=_("What next"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SettingsForm(forms.Form):
    correction = forms.ChoiceField(label=_("Multiple-testing correction"),
                                   choices=ExperimentSettings.Correction.choices)
