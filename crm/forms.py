"""Forms for the CRM screens. They validate input and shape it for crm.services; the rules
themselves (uniqueness, stage moves, who may give feedback) live in the services."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign, Channel
from mos.models import User

from .models import (Account, Consent, ConsentChannel, Contact, CustomerType, LeadFeedback,
                     Persona, Segment)

SORTS = [
    ("-created_at", _("Newest first")),
    ("created_at", _("Oldest first")),
    ("name", _("Name A–Z")),
    ("-name", _("Name Z–A")),
    ("stage", _("Stage")),
    ("-stage", _("Stage (reverse)")),
]

# Reasons sales reps give most often; the field stays free text (a datalist suggests these).
COMMON_REASONS = [
    _("Not the decision maker"),
    _("No budget"),
    _("Bad timing"),
    _("Wrong contact details"),
    _("Not our target customer"),
    _("Already a customer"),
    _("Chose a competitor"),
    _("Ready to buy"),
]


def _members(workspace):
    return User.objects.filter(memberships__workspace=workspace).order_by("name", "email")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name or obj.email


# --- contacts ---------------------------------------------------------------------------

class ContactFilterForm(forms.Form):
    """The contacts list's search box, filters and sort (GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={
                            "type": "search", "autocomplete": "off",
                            "placeholder": _("Name, e-mail, phone, company")}))
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    persona = forms.ModelChoiceField(label=_("Persona"), required=False, queryset=None,
                                     to_field_name="code", empty_label=_("Any persona"))
    customer_type = forms.ChoiceField(label=_("Customer type"), required=False,
                                      choices=[("", _("Any type"))] + CustomerType.choices)
    channel = forms.ModelChoiceField(label=_("Source channel"), required=False, queryset=None,
                                     to_field_name="key", empty_label=_("Any channel"))
    owner = UserChoiceField(label=_("Owner"), required=False, queryset=None,
                            empty_label=_("Anyone"))
    segment = forms.ModelChoiceField(label=_("Segment"), required=False, queryset=None,
                                     to_field_name="code", empty_label=_("All contacts"))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args, workspace, stage_names: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", _("Any stage"))] + list(stage_names.items())
        self.fields["persona"].queryset = Persona.objects.filter(workspace=workspace)
        self.fields["channel"].queryset = Channel.objects.filter(workspace=workspace)
        self.fields["owner"].queryset = _members(workspace)
        self.fields["segment"].queryset = Segment.objects.filter(workspace=workspace)

    @staticmethod
    def filters_default() -> dict:
        return {"q": "", "stage": "", "persona": None, "customer_type": "", "channel": None,
                "owner": None, "segment": None, "sort": "-created_at"}

    def filters(self) -> dict:
        """The cleaned filters as keyword arguments for selectors.contact_list."""
        data = self.cleaned_data if self.is_valid() else {
            k: v for k, v in getattr(self, "cleaned_data", {}).items()}
        return {
            "q": (data.get("q") or "").strip(),
            "stage": data.get("stage") or "",
            "persona": data.get("persona"),
            "customer_type": data.get("customer_type") or "",
            "channel": data["channel"].key if data.get("channel") else "",
            "owner": data.get("owner"),
            "segment": data.get("segment"),
            "sort": data.get("sort") or "-created_at",
        }


PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]+$")


def language_choices() -> list[tuple[str, str]]:
    """ISO 639-1 languages Django knows, by their own name ("العربية", "English", …)."""
    from django.conf.locale import LANG_INFO

    langs = {code: info["name_local"] for code, info in LANG_INFO.items()
             if len(code) == 2 and "name_local" in info}
    return [("", "—")] + sorted(langs.items(), key=lambda kv: kv[1].casefold())


def clean_phone_number(value: str) -> str:
    """A phone number as people type it (+966 50 123 4567, (555) 010-0199): digits, spaces,
    brackets, dots and dashes, an optional leading +, 6 to 15 digits."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_CHARS.match(value) or not 6 <= digits <= 15:
        raise ValidationError(_("Enter a phone number such as +966 50 123 4567 (digits, "
                                "spaces and dashes; 6 to 15 digits)."))
    return value


class ContactForm(forms.ModelForm):
    """Create or edit a contact's profile. The stage moves through StageMoveForm (with a
    reason); on create the first stage is chosen here."""

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "company", "account", "country", "city",
                  "language", "persona", "customer_type", "buying_role", "owner",
                  "source_channel", "source_campaign", "external_id", "stage"]
        widgets = {"country": forms.TextInput(attrs={"placeholder": "SA", "maxlength": 2,
                                                     "autocapitalize": "characters"}),
                   "phone": forms.TextInput(attrs={"type": "tel", "dir": "ltr"}),
                   "email": forms.EmailInput(attrs={"dir": "ltr"})}

    def __init__(self, *args, workspace, stage_names: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        f = self.fields
        f["account"].queryset = Account.objects.filter(workspace=workspace)
        f["persona"].queryset = Persona.objects.filter(workspace=workspace)
        f["owner"] = UserChoiceField(label=Contact._meta.get_field("owner").verbose_name,
                                     queryset=_members(workspace), required=False)
        f["source_channel"].queryset = Channel.objects.filter(workspace=workspace)
        f["source_campaign"].queryset = Campaign.objects.filter(workspace=workspace)
        if self.instance.pk:
            del f["stage"]  # moved with a reason, on the profile
        elif stage_names:
            f["stage"].choices = list(stage_names.items())
        f["country"].help_text = _("Two-letter country code, e.g. SA, EG, AE.")
        choices = language_choices()
        current = self.instance.language if self.instance.pk else ""
        if current and current not in dict(choices):  # an old free-text value stays visible
            choices.append((current, current))
        f["language"] = forms.ChoiceField(label=Contact._meta.get_field("language").verbose_name,
                                          choices=choices, required=False)

    def clean_phone(self):
        return clean_phone_number(self.cleaned_data.get("phone"))

    def clean_country(self):
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise ValidationError(_("Enter a two-letter country code, e.g. SA."))
        return country

    def clean(self):
        data = super().clean()
        if not any(data.get(k) for k in ("name", "email", "phone", "external_id")):
            raise ValidationError(_("Give the contact at least a name, an e-mail, a phone "
                                    "number or an external id."))
        return data

    def _post_clean(self):
        # The service validates the model (full_clean) and owns uniqueness; the form does not
        # write to the instance, so the view passes cleaned_data to the service.
        pass

    def changed_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data
                if name in self.cleaned_data}


class StageMoveForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("Move to stage"))
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             widget=forms.TextInput(attrs={
                                 "placeholder": _("Why is this contact moving?"),
                                 "dir": "auto"}))

    def __init__(self, *args, stage_names: dict, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.fields["to_stage"].choices = [(k, v) for k, v in stage_names.items()]
        if current and not self.is_bound:
            self.fields["to_stage"].initial = current

    def clean_to_stage(self):
        to = self.cleaned_data["to_stage"]
        if to == self.current:
            raise ValidationError(_("The contact is already in this stage."))
        return to


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=ConsentChannel.choices)
    status = forms.ChoiceField(choices=Consent.Status.choices)


# --- my leads: one-tap feedback -----------------------------------------------------------

class LeadFeedbackForm(forms.Form):
    quality = forms.TypedChoiceField(
        label=_("Lead quality"), coerce=int, widget=forms.RadioSelect,
        choices=[(i, str(i)) for i in range(1, 6)],
        error_messages={"required": _("Tap a quality from 1 to 5.")})
    outcome = forms.ChoiceField(label=_("Outcome"), widget=forms.RadioSelect,
                                choices=LeadFeedback.Outcome.choices,
                                error_messages={"required": _("Choose an outcome.")})
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == LeadFeedback.Outcome.REJECTED and not data.get("reason"):
            self.add_error("reason", _("Say why the lead was rejected."))
        return data


# --- personas and segments ----------------------------------------------------------------

class PersonaForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = ["name", "description", "needs", "objections", "value_proposition"]
        widgets = {"name": forms.TextInput(attrs={"dir": "auto"}),
                   **{f: forms.Textarea(attrs={"rows": 3, "dir": "auto"})
                      for f in ["description", "needs", "objections", "value_proposition"]}}

    def _post_clean(self):
        pass  # the service runs full_clean()


class SegmentForm(forms.Form):
    """A segment's name and its filters as form fields; `filters()` builds the JSON the
    selectors understand (validated again by selectors.validate_segment_filters)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    stages = forms.MultipleChoiceField(label=_("Stages"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    personas = forms.ModelMultipleChoiceField(label=_("Personas"), required=False,
                                              queryset=None, to_field_name="code",
                                              widget=forms.CheckboxSelectMultiple)
    customer_types = forms.MultipleChoiceField(label=_("Customer types"), required=False,
                                               choices=CustomerType.choices,
                                               widget=forms.CheckboxSelectMultiple)
    countries = forms.CharField(label=_("Countries"), required=False, max_length=300,
                                help_text=_("Two-letter codes separated by commas, e.g. SA, AE."))
    channels = forms.ModelMultipleChoiceField(label=_("Source channels"), required=False,
                                              queryset=None, to_field_name="key",
                                              widget=forms.CheckboxSelectMultiple)
    plans = forms.CharField(label=_("Account plans"), required=False, max_length=300,
                            help_text=_("Plan names separated by commas, e.g. Pro, Enterprise."))
    owner = forms.ChoiceField(label=_("Owner"), required=False,
                              help_text=_("Only contacts owned by this member."))

    def __init__(self, *args, workspace, stage_names: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stages"].choices = list(stage_names.items())
        emails = list(workspace.memberships.order_by("user__email")
                      .values_list("user__email", flat=True))
        current = (self.initial or {}).get("owner")
        if current and current not in emails:  # a former member still named by the segment
            emails.append(current)
        self.fields["owner"].choices = [("", _("Anyone"))] + [(e, e) for e in emails]
        self.fields["personas"].queryset = Persona.objects.filter(workspace=workspace)
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)
        from crm import extensions

        # numeric ranges a higher app provides (engines: P(alive), expected purchases, CLV)
        for key, (label, _apply) in extensions.SEGMENT_RANGE_FILTERS.items():
            self.fields[f"{key}__gte"] = forms.FloatField(
                label=_("%(label)s: at least") % {"label": label}, required=False,
                min_value=-1e15, max_value=1e15)
            self.fields[f"{key}__lt"] = forms.FloatField(
                label=_("%(label)s: below") % {"label": label}, required=False,
                min_value=-1e15, max_value=1e15,
                help_text=_("e.g. below 0.3 = the customers at risk of churning")
                if key == "p_alive" else "")

    def clean_countries(self):
        raw = self.cleaned_data.get("countries") or ""
        codes = [c.strip().upper() for c in raw.replace("،", ",").split(",") if c.strip()]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise ValidationError(_("Not a two-letter country code: %(codes)s"),
                                  params={"codes": ", ".join(bad)})
        return sorted(set(codes))

    def clean_plans(self):
        raw = self.cleaned_data.get("plans") or ""
        return list(dict.fromkeys(p.strip() for p in raw.replace("،", ",").split(",")
                                  if p.strip()))

    def filters(self) -> dict:
        """The segment filters JSON, keyed as crm.selectors.segment_queryset reads it."""
        d = self.cleaned_data
        out = {
            "stage": list(d.get("stages") or []),
            "persona": [str(p.code) for p in d.get("personas") or []],
            "customer_type": list(d.get("customer_types") or []),
            "country": list(d.get("countries") or []),
            "channel": [c.key for c in d.get("channels") or []],
            "plan": list(d.get("plans") or []),
            "owner": d.get("owner") or "",
        }
        from crm import extensions

        for key in extensions.SEGMENT_RANGE_FILTERS:
            out[key] = {op: d[f"{key}__{op}"] for op in ("gte", "lt")
                        if d.get(f"{key}__{op}") is not None}
        return {k: v for k, v in out.items() if v}

    @classmethod
    def initial_from(cls, segment: Segment) -> dict:
        f = segment.filters or {}
        return {"name": segment.name, "description": segment.description,
                "stages": f.get("stage", []), "personas": f.get("persona", []),
                "customer_types": f.get("customer_type", []),
                "countries": ", ".join(f.get("country", [])),
                "channels": f.get("channel", []), "plans": ", ".join(f.get("plan", [])),
                "owner": f.get("owner", ""),
                **{f"{key}__{op}": v for key, rng in f.items() if isinstance(rng, dict)
                   and key != "properties" for op, v in rng.items() if op in ("gte", "lt")}}


class LifecycleStageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           widget=forms.TextInput(attrs={"dir": "auto"}))
    definition = forms.CharField(label=_("Definition"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))


class EventCorrectionForm(forms.Form):
    """Correct an event from the contact's profile (crm.corrections.event_update validates)."""

    name = forms.CharField(label=_("Event name"), max_length=100)
    occurred_at = forms.DateTimeField(label=_("When"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class OrderCorrectionForm(forms.Form):
    """Correct an order's amount and date from the contact's profile."""

    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=15)
    occurred_at = forms.DateTimeField(label=_("When"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
