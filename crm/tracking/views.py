"""Data quality and the tracking plan (pages under /w/<slug>/).

Reading needs crm.view; changing the plan needs crm.edit. Views validate a form, call one
crm.tracking.quality function and render."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from . import quality

DAY_CHOICES = [(7, gettext_lazy("Last 7 days")), (30, gettext_lazy("Last 30 days")),
               (90, gettext_lazy("Last 90 days")), (365, gettext_lazy("Last 365 days"))]
ACTIVITY_DAYS = 30


class WindowForm(forms.Form):
    days = forms.TypedChoiceField(label=gettext_lazy("Window"), choices=DAY_CHOICES, coerce=int,
                                  required=False, empty_value=quality.DEFAULT_DAYS)


def snake_case_suggestion(name: str) -> str:
    """"Signup Completed!" → "signup_completed"; "" when nothing usable is left."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)  # camelCase → camel_Case
    words = re.findall(r"[a-z0-9]+", name.lower())
    suggestion = "_".join(words)
    return suggestion if quality.NAMING_CONVENTION.match(suggestion) else ""


class TrackedEventForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Event name"), max_length=quality.NAME_MAX_LENGTH,
                           widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
                           help_text=gettext_lazy("Exactly as the product or site sends it, "
                                                  "e.g. signup_completed."))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300,
                                  required=False,
                                  help_text=gettext_lazy("When it fires and what it means."))
    required_properties = forms.CharField(
        label=gettext_lazy("Required properties"), required=False,
        widget=forms.TextInput(attrs={"placeholder": "plan, amount, currency",
                                      "dir": "ltr", "autocomplete": "off"}),
        help_text=gettext_lazy("Property names every such event must carry, separated by "
                               "commas. Events without them are kept and flagged."))

    def clean_name(self) -> str:
        """lower_snake_case, as the plan teaches; a wrong name gets the name it should be."""
        name = (self.cleaned_data.get("name") or "").strip()
        if name and not quality.NAMING_CONVENTION.match(name):
            suggestion = snake_case_suggestion(name)
            msg = _("Event names are lower_snake_case: lower-case words joined by underscores.")
            if suggestion:
                msg += " " + _("Did you mean “%(suggestion)s”?") % {"suggestion": suggestion}
            raise forms.ValidationError(msg)
        return name

    def clean_required_properties(self) -> list[str]:
        raw = self.cleaned_data.get("required_properties") or ""
        return [p for p in re.split(r"[\s,،]+", raw) if p]


def _initial(entry) -> dict:
    return {"name": entry.name, "description": entry.description,
            "required_properties": ", ".join(entry.required_properties or [])}


@workspace_view("crm.view")
def data_quality(request):
    """The data-quality view: what arrived, what the plan flags, what is missing."""
    form = WindowForm(request.GET or None)
    days = form.cleaned_data["days"] if form.is_valid() else quality.DEFAULT_DAYS
    summary = quality.data_quality_summary(request.workspace, days)
    return render(request, "crm/quality/data_quality.html",
                  {"summary": summary, "form": form, "days": days,
                   "day_choices": DAY_CHOICES,
                   "unusable": quality.unusable_rows(request.workspace.pk)})


@workspace_view("crm.view", write_perm="crm.edit")
def tracking_plan(request):
    """The plan (event names and required properties) with recent activity, and the form
    that adds an entry (pre-filled from ?name= by the data-quality page's links)."""
    ws = request.workspace
    form = None
    if request.method == "POST":
        form = TrackedEventForm(request.POST)
        if form.is_valid():
            try:
                entry = quality.tracked_event_create(actor=request.actor, **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("“%(name)s” is in the tracking plan.")
                                 % {"name": entry.name})
                return redirect("tracking_plan", slug=ws.slug)
    elif request.actor.can("crm.edit"):
        form = TrackedEventForm(initial={"name": request.GET.get("name", "")[:100]})
    return render(request, "crm/quality/tracking_plan.html", {
        "rows": quality.tracking_plan_activity(ws, days=ACTIVITY_DAYS),
        "activity_days": ACTIVITY_DAYS, "form": form,
        "prefilled": bool(request.GET.get("name"))},
        status=400 if form is not None and form.errors else 200)


@workspace_view("crm.edit")
def tracked_event_edit(request, tracked_event_code):
    entry = quality.get_tracked_event(request.workspace, tracked_event_code)
    if request.method == "POST":
        form = TrackedEventForm(request.POST)
        if form.is_valid():
            try:
                quality.tracked_event_update(actor=request.actor, tracked_event=entry,
                                             **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("Tracking plan updated."))
                return redirect("tracking_plan", slug=request.workspace.slug)
    else:
        form = TrackedEventForm(initial=_initial(entry))
    return render(request, "crm/quality/tracked_event_form.html",
                  {"entry": entry, "form": form},
                  status=400 if form.errors else 200)


@workspace_view("crm.edit")
@require_POST
def tracked_event_delete(request, tracked_event_code):
    entry = quality.get_tracked_event(request.workspace, tracked_event_code)
    name = entry.name
    quality.tracked_event_delete(actor=request.actor, tracked_event=entry)
    messages.success(request, _("“%(name)s” was removed from the tracking plan.")
                     % {"name": name})
    return redirect("tracking_plan", slug=request.workspace.slug)
