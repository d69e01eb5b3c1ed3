from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
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


def save_through_service(request, form, obj, *, create, update, created: str, saved: str,
                         values=None):
    """The POST half of every create/edit page: when the bound form is valid, create (obj is
    None) or update `obj` through its service with the form's values, flash `created` or
    `saved`, and return the stored object. A service's ValidationError lands on the form
    (add_service_errors) and the answer is None, as it is for a GET or an invalid form; the
    caller then renders the form again.

    create(actor=…, **values) returns the new object; update(obj, actor=…, **values) may return
    the updated object or None (obj is then kept). `values` is a function of the valid form
    when the service needs more than form.values()."""
    if request.method != "POST" or not form.is_valid():
        return None
    fields = values(form) if values is not None else form.values()
    try:
        if obj is None:
            obj, message = create(actor=request.actor, **fields), created
        else:
            obj.refresh_from_db()  # the bound form must not have changed what is saved
            obj, message = update(obj, actor=request.actor, **fields) or obj, saved
    except ValidationError as e:
        add_service_errors(form, e)
        return None
    messages.success(request, message)
    return obj


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Work e-mail"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput,
                               help_text=_("At least 8 characters, not only digits."))
    workspace_name = forms.CharField(label=_("Company or workspace name"), max_length=120)

    def clean_email(self):
        # whether the address has an account is never said here (mos.views.signup)
        return self.cleaned_data["email"].lower()

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = User(email=data.get("email", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as e:
                self.add_error("password", e)
        return data


class InvitationSignupForm(forms.Form):
    """Sign-up through an invitation: the e-mail and the workspace come from the invitation."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput,
                               help_text=_("At least 8 characters, not only digits."))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        if data.get("password"):
            try:
                password_validation.validate_password(
                    data["password"], User(email=self.email, name=data.get("name", "")))
            except forms.ValidationError as e:
                self.add_error("password", e)
        return data


class ProfileForm(forms.ModelForm):
    """The person's own name and language preference (the e-mail is their log-in)."""

    class Meta:
        model = User
        fields = ["name", "language"]
        labels = {"name": _("Your name"), "language": _("Language")}
        help_texts = {"language": _("The language MOS speaks to you in, on every device.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("As the browser asks"))] + [
            (code, _(name)) for code, name in settings.LANGUAGES]


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=120)


class PercentField(forms.DecimalField):
    """A fraction stored 0–1, typed and shown as a percentage: 70 → 0.70."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", Decimal(100))
        kwargs.setdefault("max_digits", 6)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": "0.01", "inputmode": "decimal"})

    def prepare_value(self, value):
        if isinstance(value, Decimal):  # the stored fraction; typed text comes back as str
            return f"{(value * 100).quantize(Decimal('0.01')).normalize():f}"
        return value

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else (percent / 100).quantize(Decimal("0.0001"))


class WorkspaceSettingsForm(forms.ModelForm):
    default_margin = PercentField(
        label=_("Default gross margin (%)"),
        help_text=_("Typed as a percentage: 70 means that 70 percent of revenue is gross margin."))

    class Meta:
        model = Workspace
        fields = ["name", "currency", "timezone", "business", "default_margin",
                  "activity_window_days", "attribution_model", "attribution_lookback_days"]


class AuditFilterForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member"), queryset=User.objects.none(),
                                    required=False, empty_label=_("Everyone"))
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, workspace, actions: list[str], **kwargs):
        from .audit_text import action_label

        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = User.objects.filter(
            memberships__workspace=workspace).order_by("name", "email")
        self.fields["member"].label_from_instance = lambda u: u.display_name
        self.fields["action"].choices = [("", _("Every action"))] + sorted(
            ((a, action_label(a)) for a in actions), key=lambda kv: kv[1])


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
