"""The API for channels and campaigns. Viewsets validate with a serializer and call one
service; every queryset starts from the request's workspace."""

from __future__ import annotations


from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet, WorkspaceRelatedField

from . import services
from crm.models import Campaign, Channel

AT = "2026-03-14T10:30:00Z"
CHANNEL_CODE = "5a2e7c1b-8d4f-4e3a-9b6c-0f1d2e3a4b5c"
CAMPAIGN_CODE = "7d3f1a9e-2b6c-4d8e-a1f5-3c7b9e0d2a46"
ERROR_EXAMPLE = OpenApiExample(
    "Invalid input", status_codes=["400"], response_only=True,
    value={"error": {"code": "invalid", "message": "Invalid input.",
                     "fields": {"key": ["This workspace already has a channel with this key."]}}})

CHANNEL_IN = {"key": "google_ads", "name": "Google Ads", "kind": "paid_search",
              "utm_sources": ["google", "adwords"], "is_paid": True}
CHANNEL_OUT = {"code": CHANNEL_CODE, **CHANNEL_IN, "created_at": AT}
CAMPAIGN_IN = {"channel": "google_ads", "name": "Spring launch", "utm_campaign": "spring_2026",
               "external_id": "1234567890", "budget": "5000.00", "starts_on": "2026-03-01",
               "ends_on": "2026-03-31", "goal": "200 trials"}
CAMPAIGN_OUT = {"code": CAMPAIGN_CODE, **CAMPAIGN_IN, "created_at": AT}


def _examples(name, request, response):
    return [OpenApiExample(name, value=request, request_only=True),
            OpenApiExample(name, value=response, response_only=True,
                           status_codes=["200", "201"]),
            ERROR_EXAMPLE]


def _schema(tag, name, example_in, example_out):
    page = {"next": None, "previous": None, "results": [example_out]}
    return dict(
        list=extend_schema(tags=[tag], examples=[OpenApiExample(name, value=page,
                                                                response_only=True)]),
        retrieve=extend_schema(tags=[tag], examples=[OpenApiExample(name, value=example_out,
                                                                    response_only=True)]),
        create=extend_schema(tags=[tag], examples=_examples(name, example_in, example_out)),
        partial_update=extend_schema(tags=[tag], examples=_examples(
            name, {k: example_in[k] for k in list(example_in)[1:3]}, example_out)),
    )


class ChannelSerializer(serializers.ModelSerializer):
    utm_sources = serializers.ListField(child=serializers.CharField(max_length=100),
                                        required=False)

    class Meta:
        model = Channel
        fields = ["code", "key", "name", "kind", "utm_sources", "is_paid", "created_at"]
        read_only_fields = ["code", "created_at"]
        validators = []  # key uniqueness: the service answers with a field error


@extend_schema_field(OpenApiTypes.STR)
class ChannelKeyField(WorkspaceRelatedField):
    """A channel of the request's workspace, named by its key."""

    def __init__(self, **kwargs):
        super().__init__(Channel, "key", **kwargs)


class CampaignSerializer(serializers.ModelSerializer):
    channel = ChannelKeyField()

    class Meta:
        model = Campaign
        fields = ["code", "channel", "name", "utm_campaign", "external_id", "budget",
                  "starts_on", "ends_on", "goal", "created_at"]
        read_only_fields = ["code", "created_at"]
        validators = []


class _ServiceViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Channels and campaigns: no DELETE (spend keeps them); writes through the services."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "crm.view"  # channels and campaigns are CRM intake data (DESIGN §4)
    write_perm = "crm.edit"


@extend_schema_view(**_schema("channels", "Channel", CHANNEL_IN, CHANNEL_OUT))
class ChannelViewSet(_ServiceViewSet):
    """Marketing channels; `key` is what the API, UTM mapping and imports use."""

    model = Channel
    serializer_class = ChannelSerializer
    object_arg = "channel"
    create_service = services.channel_create
    update_service = services.channel_update


CAMPAIGN_SCHEMA = _schema("campaigns", "Campaign", CAMPAIGN_IN, CAMPAIGN_OUT)
CAMPAIGN_SCHEMA["list"] = extend_schema(
    tags=["campaigns"],
    parameters=[OpenApiParameter("channel", str, description="Only this channel's key.")],
    examples=[OpenApiExample("Campaign", response_only=True,
                             value={"next": None, "previous": None, "results": [CAMPAIGN_OUT]})])


@extend_schema_view(**CAMPAIGN_SCHEMA)
class CampaignViewSet(_ServiceViewSet):
    """Campaigns on the workspace's channels (UTM campaign, budget, dates)."""

    model = Campaign
    serializer_class = CampaignSerializer
    object_arg = "campaign"
    create_service = services.campaign_create
    update_service = services.campaign_update

    def scope_queryset(self, qs):
        qs = qs.select_related("channel")
        if self.action == "list" and (key := self.request.query_params.get("channel")):
            qs = qs.filter(channel__key=key)
        return qs


def register(router):
    router.register("channels", ChannelViewSet, basename="channel")
    router.register("campaigns", CampaignViewSet, basename="campaign")
