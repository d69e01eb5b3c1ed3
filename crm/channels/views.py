"""Channel and campaign pages: list, create, edit, archive. A new workspace fills its channels
here (spend imports, CAC and ROAS need them) without the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import save_through_service
from mos.tenancy import workspace_view

from . import selectors, services
from .forms import CampaignForm, ChannelForm


def _show_archived(request) -> bool:
    return request.GET.get("archived") == "1"


@workspace_view("crm.view")
def channels(request):
    ws = request.workspace
    archived = _show_archived(request)
    return render(request, "crm/channels.html", {
        "channels": selectors.channel_page_list(ws, archived=archived),
        "archived": archived,
        "n_archived": selectors.channel_list(ws, archived=True).count(),
    })


@workspace_view("crm.edit")
@require_POST
def channels_add_standard(request):
    """Add the ten standard channels (SEO, paid search, …) the workspace lacks."""
    services.ensure_default_channels(request.workspace)
    messages.success(request, _("The standard channels are added."))
    return redirect("channels", slug=request.workspace.slug)


def _channel_form_view(request, channel=None):
    ws = request.workspace
    form = ChannelForm(request.POST or None, instance=channel)
    if save_through_service(
            request, form, channel, create=services.channel_create,
            update=lambda c, **kw: services.channel_update(channel=c, **kw),
            created=_("Channel created."), saved=_("Channel saved.")):
        return redirect("channels", slug=ws.slug)
    return render(request, "crm/channel_form.html", {"form": form, "channel": channel})


@workspace_view("crm.edit")
def channel_create(request):
    return _channel_form_view(request)


@workspace_view("crm.edit")
def channel_edit(request, channel_code):
    return _channel_form_view(request, selectors.get_channel(request.workspace, channel_code))


@workspace_view("crm.edit")
@require_POST
def channel_archive(request, channel_code):
    channel = selectors.get_channel(request.workspace, channel_code)
    archive = request.POST.get("archive", "1") == "1"
    services.channel_archive(actor=request.actor, channel=channel, archived=archive)
    messages.success(request, _("Channel archived.") if archive else _("Channel restored."))
    return redirect("channels", slug=request.workspace.slug)


@workspace_view("crm.view")
def campaigns(request):
    ws = request.workspace
    archived = _show_archived(request)
    return render(request, "crm/campaigns.html", {
        "campaigns": selectors.campaign_list(ws, archived=archived),
        "archived": archived,
        "n_archived": selectors.campaign_list(ws, archived=True).count(),
        "has_channels": selectors.channel_list(ws, archived=False).exists(),
    })


def _campaign_form_view(request, campaign=None):
    ws = request.workspace
    form = CampaignForm(request.POST or None, instance=campaign, workspace=ws)
    if save_through_service(
            request, form, campaign, create=services.campaign_create,
            update=lambda c, **kw: services.campaign_update(campaign=c, **kw),
            created=_("Campaign created."), saved=_("Campaign saved.")):
        return redirect("campaigns", slug=ws.slug)
    return render(request, "crm/campaign_form.html", {"form": form, "campaign": campaign})


@workspace_view("crm.edit")
def campaign_create(request):
    return _campaign_form_view(request)


@workspace_view("crm.edit")
def campaign_edit(request, campaign_code):
    return _campaign_form_view(request, selectors.get_campaign(request.workspace, campaign_code))


@workspace_view("crm.edit")
@require_POST
def campaign_archive(request, campaign_code):
    campaign = selectors.get_campaign(request.workspace, campaign_code)
    archive = request.POST.get("archive", "1") == "1"
    services.campaign_archive(actor=request.actor, campaign=campaign, archived=archive)
    messages.success(request, _("Campaign archived.") if archive else _("Campaign restored."))
    return redirect("campaigns", slug=request.workspace.slug)
