from django import forms
from django.utils.translation import gettext_lazy as _

from mos.models import User

from .models import ReportDecision


class DecisionForm(forms.Form):
    """A decision added or edited on the report page or in the weekly review."""

    kind = forms.ChoiceField(label=_("Decision"), choices=ReportDecision.Kind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    rationale = forms.CharField(label=_("Rationale"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(),
                                   required=False)
    due_date = forms.DateField(label=_("Due date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), choices=ReportDecision.Status.choices,
                               required=False)
    result_note = forms.CharField(label=_("Result"), required=False, max_length=2000)
    engine = forms.ModelChoiceField(label=_("Growth engine"), required=False,
                                    queryset=User.objects.none(), to_field_name="code")

    def __init__(self, *args, workspace=None, partial=False, **kwargs):
        from engines.selectors import engine_list

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(memberships__workspace=workspace)
        self.fields["engine"].queryset = engine_list(workspace)
        self.partial = partial
        if partial:  # an inline edit sends only the fields it changed
            for name in list(self.fields):
                if name not in self.data:
                    del self.fields[name]

    def clean_status(self):
        return self.cleaned_data.get("status") or ReportDecision.Status.OPEN


class TextEditForm(forms.Form):
    field = forms.ChoiceField(choices=[("summary", "summary"), ("wins", "wins"),
                                       ("problems", "problems")])
    index = forms.IntegerField(required=False, min_value=1, max_value=3)
    value = forms.CharField(required=False, max_length=2000)
