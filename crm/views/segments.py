"""Segment pages: the list with member counts, the filter form and the members."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mos.pagination import KeysetPage
from mos.forms import save_through_service
from mos.tenancy import workspace_view

from .. import selectors, services
from ..forms import SegmentForm


@workspace_view("crm.view")
def segments(request):
    ws = request.workspace
    return render(request, "crm/segments.html", {"rows": selectors.segment_rows(ws),
                                                 "stage_names": selectors.stage_names(ws)})


def _segment_form_view(request, segment=None):
    ws = request.workspace
    stage_names = selectors.stage_names(ws)
    initial = SegmentForm.initial_from(segment) if segment else {}
    form = SegmentForm(request.POST or None, workspace=ws, stage_names=stage_names,
                       initial=initial)

    def values(form):
        filters = form.filters()
        # property filters are set through the API and have no form field: keep them
        if segment is not None and (segment.filters or {}).get("properties"):
            filters["properties"] = segment.filters["properties"]
        return {"name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"], "filters": filters}

    saved = save_through_service(
        request, form, segment, create=services.segment_create,
        update=lambda s, **kw: services.segment_update(segment=s, **kw),
        created=_("Segment created."), saved=_("Segment saved."), values=values)
    if saved:
        return redirect("segment_detail", slug=ws.slug, segment_code=saved.code)
    kept = (segment.filters or {}).get("properties") if segment else None
    return render(request, "crm/segment_form.html", {
        "form": form, "segment": segment,
        "kept_properties": sorted(kept.items()) if kept else []})


@workspace_view("crm.edit")
def segment_create(request):
    return _segment_form_view(request)


@workspace_view("crm.edit")
def segment_edit(request, segment_code):
    return _segment_form_view(request, selectors.get_segment(request.workspace, segment_code))


@workspace_view("crm.view")
def segment_detail(request, segment_code):
    ws = request.workspace
    segment = selectors.get_segment(ws, segment_code)
    stage_names = selectors.stage_names(ws)
    members = selectors.segment_members(segment)
    page = KeysetPage(members, request.GET)
    return render(request, "crm/segment_detail.html", {
        "segment": segment, "page": page, "stage_names": stage_names,
        "filter_lines": selectors.segment_filter_lines(ws, segment.filters or {}, stage_names)})
