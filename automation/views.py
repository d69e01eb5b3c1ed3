"""Pages: the flows list (with the four templates), the builder (settings and an ordered list of
steps: add, remove, move up/down), the flow page (per-step counts, messages, unsubscribes,
conversions, holdout lift) and the public unsubscribe page (a signed link, no login)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mos.tenancy import workspace_view

from . import engine, selectors, services
from .forms import DidForm, FlowForm, StepForm, flow_initial
from .templates_seed import TEMPLATES


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


@workspace_view("automation.view")
def flow_list(request):
    ws = request.workspace
    return render(request, "automation/flows.html", {
        "flows": selectors.flow_list(ws),
        "templates": [(k, t["name"], t["description"]) for k, t in TEMPLATES.items()]})


@workspace_view("automation.edit")
def flow_create(request):
    form = FlowForm(request.POST or None, workspace=request.workspace,
                    initial={"holdout_percent": 10, "frequency_cap": 3, "quiet_start": 21,
                             "quiet_end": 8})
    if request.method == "POST" and form.is_valid():
        try:
            flow = services.flow_create(actor=request.actor, **form.service_fields())
        except ValidationError as e:
            _form_errors(form, e)
        else:
            return redirect("flow_builder", request.workspace.slug, flow.code)
    return render(request, "automation/flow_form.html", {"form": form, "flow": None})


@workspace_view("automation.edit")
@require_POST
def flow_from_template(request):
    try:
        flow = services.flow_from_template(actor=request.actor,
                                           key=request.POST.get("template", ""))
    except ValidationError:
        messages.error(request, _("Unknown template."))
        return redirect("flows", request.workspace.slug)
    messages.success(request, _("Flow created from the template: check it, then switch it on."))
    return redirect("flow_builder", request.workspace.slug, flow.code)


@workspace_view("automation.view")
def flow_detail(request, flow_code):
    flow = selectors.get_flow(request.workspace, flow_code)
    stats = selectors.flow_stats(flow)
    recent = selectors.message_list(request.workspace).filter(flow=flow)[:20]
    return render(request, "automation/flow_detail.html",
                  {"flow": flow, "s": stats, "recent": recent})


@workspace_view("automation.edit")
def flow_builder(request, flow_code):
    ws = request.workspace
    flow = selectors.get_flow(ws, flow_code)
    form = FlowForm(None, workspace=ws, initial=flow_initial(flow))
    step_form = StepForm(None)
    if request.method == "POST":
        if request.POST.get("part") == "step":
            step_form = StepForm(request.POST)
            if step_form.is_valid():
                try:
                    services.step_add(actor=request.actor, flow=flow,
                                      kind=step_form.cleaned_data["kind"],
                                      config=step_form.step_config())
                except ValidationError as e:
                    _form_errors(step_form, e)
                else:
                    return redirect("flow_builder", ws.slug, flow.code)
        else:
            form = FlowForm(request.POST, workspace=ws)
            if form.is_valid():
                try:
                    services.flow_update(actor=request.actor, flow=flow,
                                         **form.service_fields())
                except ValidationError as e:
                    _form_errors(form, e)
                else:
                    messages.success(request, _("Flow saved."))
                    return redirect("flow_builder", ws.slug, flow.code)
    return render(request, "automation/flow_form.html", {
        "form": form, "flow": flow, "step_form": step_form,
        "steps": list(flow.steps.order_by("position", "id"))})


@workspace_view("automation.edit")
@require_POST
def flow_step_move(request, flow_code, step_code):
    flow = selectors.get_flow(request.workspace, flow_code)
    step = selectors.get_step(flow, step_code)
    services.step_move(actor=request.actor, step=step,
                       direction=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("flow_builder", request.workspace.slug, flow.code)


@workspace_view("automation.edit")
@require_POST
def flow_step_delete(request, flow_code, step_code):
    flow = selectors.get_flow(request.workspace, flow_code)
    services.step_delete(actor=request.actor, step=selectors.get_step(flow, step_code))
    return redirect("flow_builder", request.workspace.slug, flow.code)


@workspace_view("automation.activate")
@require_POST
def flow_status(request, flow_code):
    flow = selectors.get_flow(request.workspace, flow_code)
    try:
        services.flow_set_status(actor=request.actor, flow=flow,
                                 status=request.POST.get("status", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("flow_detail", request.workspace.slug, flow.code)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a session or CSRF token
def unsubscribe(request, token):
    """The link in every message and its List-Unsubscribe header. GET shows one button (link
    scanners must not unsubscribe anyone); POST withdraws consent for the channel."""
    message = engine.message_for_token(token)
    if message is None:
        raise Http404
    done = False
    if request.method == "POST":
        engine.unsubscribe(message)
        done = True
    elif request.method not in ("GET", "HEAD"):
        raise Http404
    with_lang = message.language or "en"
    with translation.override(with_lang):
        return render(request, "automation/unsubscribe.html", {
            "done": done or message.unsubscribed_at is not None, "token": token,
            "workspace_name": message.flow.workspace.name,
            "channel": message.channel, "lang": with_lang})


@workspace_view("automation.view")
def did_analysis(request):
    """Difference in differences for a campaign without a holdout (GET form, read only)."""
    ws = request.workspace
    form = DidForm(request.GET or None, workspace=ws)
    result = None
    if request.GET and form.is_valid():
        result = selectors.did_analysis(ws, **form.analysis_args())
    est = result and result["estimate"]
    return render(request, "automation/did.html", {
        "form": form, "result": result, "est": est,
        "treated_change": est and est["treated_after"] - est["treated_before"],
        "control_change": est and est["control_after"] - est["control_before"],
        "relative_pct": est and est["relative"] is not None and est["relative"] * 100,
        "choices": selectors.did_group_choices(ws)})
