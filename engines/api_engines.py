"""/api/v1/engines: the workspace's growth engines (2–4; a fifth needs confirm_over_focus)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (OpenApiExample, extend_schema, extend_schema_field,
                                   extend_schema_view)
from rest_framework import serializers

from crm.channels.api import ChannelKeyField
from mos.api import WorkspaceModelViewSet
from mos.models import User

from . import services
from .models import KPI, FunnelStage, GrowthEngine

ENGINE_IN = {"name": "Self-serve trials", "owner": "layla@example.com",
             "description": "Paid search and content into a 14-day trial.",
             "funnel_stages": ["acquisition", "activation"], "channels": ["google_ads", "blog"],
             "main_kpi": "3f6c1d2e-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
             "weekly_commitment": "One onboarding fix a week", "is_active": True}
ENGINE_OUT = {"code": "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f", **ENGINE_IN,
              "created_at": "2026-03-14T10:30:00Z"}
ERROR_EXAMPLE = OpenApiExample(
    "Fifth engine", status_codes=["400"], response_only=True,
    value={"error": {"code": "invalid", "message": "Invalid input.", "fields": {
        "confirm_over_focus": ["Seed 000 recommends 2–4 growth engines: … Create it anyway?"]}}})


@extend_schema_field(OpenApiTypes.STR)
class CodeRefField(serializers.SlugRelatedField):
    """An object of the request's workspace, named by its UUID code."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(slug_field="code", queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.filter(workspace=self.context["workspace"])

    def to_internal_value(self, data):
        from mos.codes import as_code

        if as_code(data) is None:
            self.fail("does_not_exist", slug_name="code", value=data)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.EMAIL)
class MemberEmailField(serializers.SlugRelatedField):
    """A member of the request's workspace, named by e-mail."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", queryset=User.objects.none(), **kwargs)

    def get_queryset(self):
        return User.objects.filter(memberships__workspace=self.context["workspace"])


class EngineSerializer(serializers.ModelSerializer):
    owner = MemberEmailField(required=False, allow_null=True)
    funnel_stages = serializers.ListField(child=serializers.ChoiceField(FunnelStage.choices),
                                          required=False)
    channels = ChannelKeyField(many=True, required=False)
    main_kpi = CodeRefField(KPI, required=False, allow_null=True)
    confirm_over_focus = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="Required to create a fifth active engine (seed 000: run 2–4).")

    class Meta:
        model = GrowthEngine
        fields = ["code", "name", "owner", "description", "funnel_stages", "channels",
                  "main_kpi", "weekly_commitment", "is_active", "confirm_over_focus",
                  "created_at"]
        read_only_fields = ["code", "created_at"]
        validators = []


def _schema():
    page = {"next": None, "previous": None, "results": [ENGINE_OUT]}
    ex = [OpenApiExample("Engine", value=ENGINE_IN, request_only=True),
          OpenApiExample("Engine", value=ENGINE_OUT, response_only=True,
                         status_codes=["200", "201"]), ERROR_EXAMPLE]
    return dict(list=extend_schema(tags=["engines"], examples=[
        OpenApiExample("Engines", value=page, response_only=True)]),
        retrieve=extend_schema(tags=["engines"], examples=[
            OpenApiExample("Engine", value=ENGINE_OUT, response_only=True)]),
        create=extend_schema(tags=["engines"], examples=ex),
        partial_update=extend_schema(tags=["engines"], examples=ex))


@extend_schema_view(**_schema())
class EngineViewSet(WorkspaceModelViewSet):
    """Growth engines: owner, funnel stages, channels, main KPI, weekly improvement."""

    model = GrowthEngine
    serializer_class = EngineSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "metrics.view"
    write_perm = "engines.edit"

    def scope_queryset(self, qs):
        return qs.select_related("owner", "main_kpi").prefetch_related("channels").order_by(
            "name", "id")

    def perform_create(self, serializer):
        serializer.instance = services.engine_create(actor=self.request.actor,
                                                     **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.engine_update(actor=self.request.actor,
                                                     engine=serializer.instance,
                                                     **serializer.validated_data)


def register(router):
    router.register("engines", EngineViewSet, basename="engine")
