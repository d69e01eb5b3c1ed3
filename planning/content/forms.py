"""Forms of the content calendar, campaign plans and customer-service pages; services
validate and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign, Channel, Complaint, Contact, Persona, Segment, Survey
from planning.content.models import CampaignPlan, ContentItem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _WorkspaceForm(forms.ModelForm):
    """Choices limited to the workspace's rows; owners are its members."""

    related = {"channel": Channel, "persona": Persona, "segment": Segment,
               "campaign": Campaign, "contact": Contact}

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model in self.related.items():
            if name in self.fields:
                qs = model.objects.filter(workspace=workspace)
                if name == "contact":
                    qs = qs.order_by("-created_at")
                    self.fields[name].widget = forms.TextInput(
                        attrs={"placeholder": _("e-mail or phone"), "dir": "ltr"})
                self.fields[name].queryset = qs
        if "owner" in self.fields:
            self.fields["owner"].queryset = get_user_model().objects.filter(
                memberships__workspace=workspace).order_by("name", "email")
            self.fields["owner"].label_from_instance = lambda u: u.name or u.email

    def _post_clean(self):
        pass  # the service validates

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class ContentItemForm(_WorkspaceForm):
    url = forms.URLField(label=_("link"), required=False, max_length=500, assume_scheme="https",
                         help_text=_("Where it is published (or the draft)."),
                         widget=forms.URLInput(attrs={"dir": "ltr"}))

    class Meta:
        model = ContentItem
        fields = ["title", "channel", "status", "publish_on", "publish_time", "owner", "persona",
                  "segment", "campaign", "brief", "url"]
        widgets = {"publish_on": DATE, "publish_time": TIME,
                   "brief": forms.Textarea(attrs={"rows": 3, "dir": "auto"})}


class CampaignPlanForm(_WorkspaceForm):
    class Meta:
        model = CampaignPlan
        fields = ["campaign", "market", "segment", "persona", "message", "target_leads",
                  "target_customers", "target_revenue", "owner"]
        widgets = {"message": forms.Textarea(attrs={"rows": 2, "dir": "auto"})}

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, workspace=workspace, **kwargs)
        if self.instance.pk:
            del self.fields["campaign"]
        else:
            self.fields["campaign"].queryset = Campaign.objects.filter(
                workspace=workspace, plan__isnull=True).order_by("name")

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields if f in self.fields}


class ReviewForm(forms.ModelForm):
    class Meta:
        model = CampaignPlan
        fields = ["expected", "happened", "why", "next_steps"]
        widgets = {f: forms.Textarea(attrs={"rows": 3, "dir": "auto"}) for f in fields}

    def _post_clean(self):
        pass

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class ContactByEmailField(forms.CharField):
    """A contact of the workspace named by e-mail (or phone); empty: none."""

    def __init__(self, *args, workspace=None, **kwargs):
        self.workspace = workspace
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        contact = (Contact.objects.filter(workspace=self.workspace, email__iexact=value).first()
                   or Contact.objects.filter(workspace=self.workspace, phone=value).first())
        if contact is None:
            raise forms.ValidationError(_("No contact with this e-mail or phone."))
        return contact


class ComplaintForm(_WorkspaceForm):
    related = {}

    class Meta:
        model = Complaint
        fields = ["kind", "via", "subject", "body", "contact", "received_at", "status", "owner",
                  "handling_minutes", "resolution"]
        widgets = {"received_at": DATETIME, "body": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                   "resolution": forms.Textarea(attrs={"rows": 2, "dir": "auto"})}

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, workspace=workspace, **kwargs)
        self.fields["contact"] = ContactByEmailField(
            label=_("Contact"), required=False, workspace=workspace,
            help_text=_("Their e-mail or phone, if they are in the CRM."),
            widget=forms.TextInput(attrs={"dir": "ltr"}))
        c = self.instance.contact if self.instance.pk else None
        if c and not self.is_bound:
            self.initial["contact"] = c.email or c.phone
        self.fields["received_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["received_at"].required = False
        self.fields["received_at"].help_text = _("Empty: now.")


class SurveyForm(_WorkspaceForm):
    class Meta:
        model = Survey
        fields = ["name", "kind", "question", "segment"]


class AnswerForm(forms.Form):
    score = forms.IntegerField(label=_("Score"))
    comment = forms.CharField(label=_("Anything you want to tell us? (optional)"),
                              required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
