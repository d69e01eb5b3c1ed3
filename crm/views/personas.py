"""Persona pages: the list, the form and the members."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mos.pagination import KeysetPage
from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors, services
from ..forms import ContactFilterForm, PersonaForm


@workspace_view("crm.view")
def personas(request):
    ws = request.workspace
    return render(request, "crm/personas.html", {"personas": selectors.persona_list(ws)})


def _persona_form_view(request, persona=None):
    ws = request.workspace
    form = PersonaForm(request.POST or None, instance=persona)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in PersonaForm.Meta.fields}
        try:
            if persona is None:
                persona = services.persona_create(actor=request.actor, **fields)
                messages.success(request, _("Persona created."))
            else:
                persona.refresh_from_db()  # the bound form mutated nothing, but be explicit
                services.persona_update(actor=request.actor, persona=persona, **fields)
                messages.success(request, _("Persona saved."))
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("persona_detail", slug=ws.slug, persona_code=persona.code)
    return render(request, "crm/persona_form.html", {"form": form, "persona": persona})


@workspace_view("crm.edit")
def persona_create(request):
    return _persona_form_view(request)


@workspace_view("crm.edit")
def persona_edit(request, persona_code):
    return _persona_form_view(request, selectors.get_persona(request.workspace, persona_code))


@workspace_view("crm.view")
def persona_detail(request, persona_code):
    ws = request.workspace
    persona = selectors.get_persona(ws, persona_code)
    stage_names = selectors.stage_names(ws)
    members = selectors.contact_list(ws, **{**ContactFilterForm.filters_default(),
                                            "persona": persona})
    page = KeysetPage(members, request.GET)
    return render(request, "crm/persona_detail.html", {
        "persona": persona, "page": page, "stage_names": stage_names})
