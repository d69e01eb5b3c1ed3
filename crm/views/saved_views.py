"""Saved views of the contacts list: save the list as it is shown, manage, share, default."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import saved_views as sv


class SavedViewForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    shared = forms.BooleanField(label=gettext_lazy("Share with the workspace"), required=False)
    columns = forms.MultipleChoiceField(label=gettext_lazy("Columns"), required=False,
                                        choices=list(sv.COLUMNS.items()),
                                        widget=forms.CheckboxSelectMultiple)


def list_url(ws, view) -> str:
    return reverse("contacts", kwargs={"slug": ws.slug}) + "?" + urlencode(sv.view_query(view))


@workspace_view("crm.view")
@require_POST
def saved_view_create(request):
    """Save the contacts list as shown (its filters and sort come as hidden inputs)."""
    ws = request.workspace
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = sv.saved_view_create(
                actor=request.actor, name=form.cleaned_data["name"],
                shared=form.cleaned_data["shared"],
                columns=form.cleaned_data["columns"] or sv.DEFAULT_COLUMNS,
                filters={k: request.POST.get(k, "") for k in sv.FILTER_KEYS},
                sort=request.POST.get("sort") or "-created_at")
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            if request.POST.get("make_default"):
                sv.saved_view_set_default(actor=request.actor, view=view)
            messages.success(request, _("View saved."))
            return redirect(list_url(ws, view))
    messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    return redirect("contacts", slug=ws.slug)


@workspace_view("crm.view")
def saved_view_list(request):
    ws = request.workspace
    views = list(sv.saved_views_for(ws, request.user))
    default = sv.default_view(ws, request.user)
    return render(request, "crm/saved_views.html", {
        "views": views, "default_view": default,
        "rows": [{"view": v, "url": list_url(ws, v), "mine": v.owner_id == request.user.pk,
                  "columns": [sv.COLUMNS[c] for c in sv.columns_of(v)]} for v in views]})


@workspace_view("crm.view")
def saved_view_edit(request, view_code):
    ws = request.workspace
    view = sv.get_saved_view(ws, request.user, view_code)
    if view.owner_id != request.user.pk:  # a shared view: open it, but only its owner edits
        messages.error(request, _("Only the person who saved this view can change it."))
        return redirect("saved_views", slug=ws.slug)
    form = SavedViewForm(request.POST or None, initial={
        "name": view.name, "shared": view.shared, "columns": sv.columns_of(view)})
    if request.method == "POST" and form.is_valid():
        try:
            sv.saved_view_update(actor=request.actor, view=view, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("View saved."))
            return redirect("saved_views", slug=ws.slug)
    return render(request, "crm/saved_view_form.html", {"form": form, "view": view})


@workspace_view("crm.view")
@require_POST
def saved_view_delete(request, view_code):
    view = sv.get_saved_view(request.workspace, request.user, view_code)
    sv.saved_view_delete(actor=request.actor, view=view)
    messages.success(request, _("View deleted."))
    return redirect("saved_views", slug=request.workspace.slug)


@workspace_view("crm.view")
@require_POST
def saved_view_default(request, view_code):
    """Make this view the one the contacts list opens with (again: no default)."""
    ws = request.workspace
    view = sv.get_saved_view(ws, request.user, view_code)
    current = sv.default_view(ws, request.user)
    new = None if current and current.pk == view.pk else view
    sv.saved_view_set_default(actor=request.actor, view=new)
    messages.success(request, _("The contacts list now opens with “%(name)s”.") % {
        "name": view.name} if new else _("The contacts list now opens with all contacts."))
    return redirect("saved_views", slug=ws.slug)
