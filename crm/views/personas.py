"""Persona pages: the list, the form and the members."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mos.pagination import KeysetPage
from mos.forms import save_through_service
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
    saved = save_through_service(
        request, form, persona, create=services.persona_create,
        update=lambda p, **kw: services.persona_update(persona=p, **kw),
        created=_("Persona created."), saved=_("Persona saved."),
        values=lambda f: {name: f.cleaned_data[name] for name in PersonaForm.Meta.fields})
    if saved:
        return redirect("persona_detail", slug=ws.slug, persona_code=saved.code)
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
