"""Forms of the channel and campaign pages; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign, Channel


class ChannelForm(forms.ModelForm):
    utm_sources = forms.CharField(
        label=_("UTM sources"), required=False,
        help_text=_("utm_source values that mean this channel, separated by commas, "
                    "e.g. google, adwords."),
        widget=forms.TextInput(attrs={"dir": "ltr"}))

    class Meta:
        model = Channel
        fields = ["name", "key", "kind", "utm_sources", "is_paid"]
        widgets = {"key": forms.TextInput(attrs={"dir": "ltr", "placeholder": "google_ads"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["utm_sources"] = ", ".join(self.instance.utm_sources or [])

    def clean_utm_sources(self):
        raw = self.cleaned_data.get("utm_sources") or ""
        return [v.strip() for v in raw.replace("\n", ",").split(",") if v.strip()]

    def _post_clean(self):
        pass  # the service validates the model and owns the key's uniqueness

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["channel", "name", "utm_campaign", "external_id", "budget", "starts_on",
                  "ends_on", "goal"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "utm_campaign": forms.TextInput(attrs={"dir": "ltr"}),
                   "external_id": forms.TextInput(attrs={"dir": "ltr"})}

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        live = Channel.objects.filter(workspace=workspace, archived_at__isnull=True)
        if self.instance.pk:  # an archived channel stays selectable for its own campaigns
            live = live | Channel.objects.filter(pk=self.instance.channel_id)
        self.fields["channel"].queryset = live.order_by("name")
        self.fields["budget"].min_value = 0

    def _post_clean(self):
        pass

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}
