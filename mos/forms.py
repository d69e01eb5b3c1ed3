from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, User, Workspace
from .roles import Role


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors on their fields when the
    form has them, everything else as a non-field error."""
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Work e-mail"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput,
                               help_text=_("At least 8 characters, not only digits."))
    workspace_name = forms.CharField(label=_("Company or workspace name"), max_length=120)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail already exists."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = User(email=data.get("email", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as e:
                self.add_error("password", e)
        return data


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=120)


class WorkspaceSettingsForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "currency", "timezone", "business", "default_margin",
                  "activity_window_days", "attribution_model", "attribution_lookback_days"]

    def clean_default_margin(self):
        m = self.cleaned_data["default_margin"]
        if m < 0 or m > 1:
            raise forms.ValidationError(_("Enter a fraction between 0 and 1 (0.7 = 70 %)."))
        return m


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MARKETER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What uses this key, e.g. “Billing sync”."))
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiKey.Scope.choices,
                              initial=ApiKey.Scope.READ)
