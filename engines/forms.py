from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from crm.models import Segment

from .metrics.registry import metric_groups
from .models import KPI, GrowthEngine
from crm.models import Channel


class KPIForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    metric_key = forms.ChoiceField(label=_("Metric"))
    scope = forms.ChoiceField(label=_("Scope"), choices=KPI.Scope.choices)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none(),
                                     required=False, to_field_name="key")
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none(),
                                     required=False, to_field_name="code")
    engine = forms.ModelChoiceField(label=_("Growth engine"), queryset=GrowthEngine.objects.none(),
                                    required=False, to_field_name="code",
                                    help_text=_("The engine this KPI measures, if any."))
    grain = forms.ChoiceField(label=_("Target period"), choices=KPI.Grain.choices,
                              initial=KPI.Grain.MONTH)
    direction = forms.ChoiceField(label=_("Direction"), choices=KPI.Direction.choices)
    target = forms.DecimalField(label=_("Target"), max_digits=16, decimal_places=4,
                                required=False,
                                help_text=_("Default target; per-period targets below win."))
    guardrail_min = forms.DecimalField(label=_("Guardrail minimum"), max_digits=16,
                                       decimal_places=4, required=False)
    guardrail_max = forms.DecimalField(label=_("Guardrail maximum"), max_digits=16,
                                       decimal_places=4, required=False)
    is_north_star = forms.BooleanField(label=_("This is our North Star Metric"), required=False)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        # grouped by family (optgroups), each family's metrics by name
        self.fields["metric_key"].choices = [
            (str(g["label"]), [(m["key"], m["label"]) for m in g["metrics"]])
            for g in metric_groups()]
        self.fields["channel"].queryset = Channel.objects.filter(workspace=workspace)
        self.fields["segment"].queryset = Segment.objects.filter(workspace=workspace)
        self.fields["engine"].queryset = GrowthEngine.objects.filter(workspace=workspace)

    def clean(self):
        data = super().clean()
        if data.get("scope") == KPI.Scope.CHANNEL and not data.get("channel"):
            self.add_error("channel", _("Choose the channel this KPI is for."))
        if data.get("scope") == KPI.Scope.SEGMENT and not data.get("segment"):
            self.add_error("segment", _("Choose the segment this KPI is for."))
        lo, hi = data.get("guardrail_min"), data.get("guardrail_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("guardrail_max", _("The maximum must not be below the minimum."))
        return data


class KPITargetForm(forms.Form):
    period = forms.DateField(label=_("Period start"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}),
                             help_text=_("Any day of the period: it is stored as the period's "
                                         "first day (a week's Monday, a month's 1st, a "
                                         "quarter's first day)."))
    target = forms.DecimalField(label=_("Target"), max_digits=16, decimal_places=4,
                                required=False)

    def clean(self):
        data = super().clean()
        if (data.get("period") is None) != (data.get("target") is None):
            raise forms.ValidationError(_("Give both a period and a target, or neither."))
        return data


KPITargetFormSet = formset_factory(KPITargetForm, extra=3, max_num=24)


class RecomputeForm(forms.Form):
    """The admins' "recompute history" form: both fields optional (empty: today)."""

    as_of = forms.DateField(label=_("As of"), required=False)
    backfill_from = forms.DateField(label=_("Backfill from"), required=False)
