"""The tracking plan and data-quality API:

- /api/v1/tracking-plan/ — GET (list), POST; /api/v1/tracking-plan/<code> — GET, PATCH, DELETE
- /api/v1/data-quality/?days=30 — the data-quality summary of the last `days` days.

Reads need crm.view, plan changes crm.edit. Writes go through crm.tracking.quality's services."""

from __future__ import annotations

from django.urls import re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from mos.api import WorkspaceModelViewSet

from . import quality
from crm.models import TrackedEvent

CODE = "5d2f8c1a-7b3e-4a9d-8e6f-0c1b2a3d4e5f"
AT = "2026-03-14T10:30:00Z"
PLAN_IN = {"name": "signup_completed", "description": "A visitor finished the signup form.",
           "required_properties": ["plan", "signup_method"]}
PLAN_OUT = {"code": CODE, **PLAN_IN}
ERROR_EXAMPLE = OpenApiExample(
    "Invalid input", status_codes=["400"], response_only=True,
    value={"error": {"code": "invalid", "message": "Invalid input.",
                     "fields": {"name": ["“signup_completed” is already in the tracking plan."]}}})
SUMMARY_EXAMPLE = {
    "days": 30, "since": "2026-02-12T10:30:00Z", "until": AT, "plan_size": 2,
    "events": 120, "event_names": 3, "clean": False,
    "problems": {"flagged_events": 14, "unknown_event_names": 1, "missing_property_events": 4,
                 "naming_breaks": 1, "untagged_events": 30, "contacts_without_consent": 7},
    "by_name": [{"name": "page_view", "events": 96, "share": 0.8, "flagged": 0,
                 "flagged_share": 0.0, "no_channel": 30, "no_utm": 40, "untagged": 30,
                 "anonymous": 60, "flagged_missing": 0, "first_seen": "2026-02-12T11:00:00Z", "last_seen": AT,
                 "in_plan": True, "follows_naming": True}],
    "flags": {"events": 14, "share": 0.1167, "unknown_event": 10, "missing_property": 4,
              "by_issue": [{"issue": "unknown_event", "events": 10, "share": 0.0833},
                           {"issue": "missing:plan", "events": 4, "share": 0.0333}]},
    "unknown_events": {"names": 1, "events": 10, "share": 0.0833,
                       "rows": [{"name": "Clicked CTA", "events": 10, "share": 0.0833,
                                 "first_seen": "2026-03-01T09:00:00Z", "last_seen": AT}]},
    "missing_properties": {"events": 4, "share": 0.0333,
                           "rows": [{"event": "signup_completed", "property": "plan",
                                     "events": 4, "share": 0.2857}]},
    "naming": {"names": 1, "rows": [{"name": "Clicked CTA", "events": 10, "in_plan": False,
                                "suggestion": "clicked_cta"}]},
    "tags": {"no_channel": 30, "no_utm": 40, "untagged": 30, "no_channel_share": 0.25,
             "no_utm_share": 0.3333, "untagged_share": 0.25,
             "unmapped_utm_sources": [{"utm_source": "newsletter_march", "events": 3}]},
    "identity": {"anonymous_events": 60, "anonymous_share": 0.5, "anonymous_ids": 41},
    "consent": {"contacts": 50, "without_consent": 7, "share": 0.14},
}


class TrackedEventSerializer(serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=quality.NAME_MAX_LENGTH,
                                 help_text="The event name exactly as it is sent.")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    required_properties = serializers.ListField(
        child=serializers.CharField(max_length=quality.PROPERTY_MAX_LENGTH),
        required=False, max_length=quality.MAX_REQUIRED_PROPERTIES,
        help_text="Property names (identifiers) every such event must carry.")


class DataQualityParamsSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=quality.MAX_DAYS,
                                    default=quality.DEFAULT_DAYS, required=False)


def _examples(request=None, response=None, *, many=False, status_code="200"):
    out = []
    if request is not None:
        out.append(OpenApiExample("Tracked event", value=request, request_only=True))
    if response is not None:
        value = {"next": None, "previous": None, "results": [response]} if many else response
        out.append(OpenApiExample("Tracked event", value=value, response_only=True,
                                  status_codes=[status_code]))
    return out


TAGS = ["data quality"]


@extend_schema_view(
    list=extend_schema(tags=TAGS, examples=_examples(response=PLAN_OUT, many=True)),
    retrieve=extend_schema(tags=TAGS, examples=_examples(response=PLAN_OUT)),
    create=extend_schema(tags=TAGS, examples=[
        *_examples(PLAN_IN, PLAN_OUT, status_code="201"), ERROR_EXAMPLE]),
    partial_update=extend_schema(tags=TAGS, examples=[
        *_examples({"required_properties": ["plan"]}, {**PLAN_OUT,
                                                       "required_properties": ["plan"]}),
        ERROR_EXAMPLE]),
    destroy=extend_schema(tags=TAGS),
)
class TrackedEventViewSet(WorkspaceModelViewSet):
    """The workspace's tracking plan: event names and the properties each must carry.
    Events that break it are still stored, and flagged (see /api/v1/data-quality/)."""

    model = TrackedEvent
    serializer_class = TrackedEventSerializer
    read_perm = "crm.view"
    write_perm = "crm.edit"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = quality.tracked_event_create(actor=self.request.actor,
                                                           **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = quality.tracked_event_update(
            actor=self.request.actor, tracked_event=serializer.instance,
            **serializer.validated_data)

    def perform_destroy(self, instance):
        quality.tracked_event_delete(actor=self.request.actor, tracked_event=instance)


class DataQualityView(APIView):
    """Data quality of the workspace's events in the last `days` days (default 30): events per
    name, flags recorded at ingest, unknown event names, missing required properties, naming
    breaks, missing tags, anonymous events, contacts without consent."""

    read_perm = "crm.view"
    write_perm = "crm.edit"

    @extend_schema(tags=TAGS, operation_id="data_quality_retrieve",
                   parameters=[OpenApiParameter("days", int, description="Window in days "
                                                f"(1–{quality.MAX_DAYS}, default 30).")],
                   responses=OpenApiTypes.OBJECT,
                   examples=[OpenApiExample("Summary", value=SUMMARY_EXAMPLE,
                                            response_only=True)])
    def get(self, request):
        params = DataQualityParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(quality.data_quality_summary(request.workspace,
                                                     params.validated_data["days"]))


def register(router):
    router.register("tracking-plan", TrackedEventViewSet, basename="tracked-event")
    return [re_path(r"^data-quality/?$", DataQualityView.as_view(), name="api-data-quality")]
