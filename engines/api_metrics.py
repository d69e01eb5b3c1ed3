"""The metrics API: computed values, the metric registry, metric runs ("recompute now") and KPIs.

/api/v1/metrics/?key=…       computed MetricValues (read)
/api/v1/metric-keys/         the registry: every key with its label, unit, direction, family
/api/v1/metric-runs/         runs of the pipeline; POST starts one (202)
/api/v1/kpis/                KPIs with targets per period and guardrails
"""

from __future__ import annotations

import logging
from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, \
    extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import Segment
from mos.api import WorkspaceModelViewSet, WorkspaceRelatedField, WorkspaceViewSet
from mos.api_base import CodeCursorPagination

from . import selectors, services
from crm.channels.api import ChannelKeyField
from .metrics.registry import ATTRIBUTION_MODELS, REGISTRY
from .api_engines import CodeRefField
from .models import KPI, GrowthEngine, MetricRun, MetricValue

GRAINS = [c for c, _ in MetricValue.Grain.choices]
DIMENSIONS = ["", "channel", "campaign", "segment", "cohort", "stage", "age", "plan"]

logger = logging.getLogger(__name__)


def _registry():
    from . import metrics  # noqa: F401 — importing the package registers every family

    return REGISTRY


# --- values ---------------------------------------------------------------------------------

class MetricValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricValue
        fields = ["key", "grain", "period", "dimension", "dimension_value", "value"]


class PeriodCursorPagination(CodeCursorPagination):
    ordering = ("period", "id")
    page_size = 500


def _date(params, name):
    raw = params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: ["Give a date as YYYY-MM-DD."]}) from None


METRIC_PARAMS = [
    OpenApiParameter("key", str, required=True, description="A key of /metric-keys/."),
    OpenApiParameter("grain", str, enum=GRAINS, description="day, week or month."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First period start (included)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last period start (included)."),
    OpenApiParameter("dimension", str, enum=DIMENSIONS,
                     description='"" for workspace totals, or channel, campaign, stage, age…'),
    OpenApiParameter("dimension_value", str, description="e.g. a channel key."),
]


@extend_schema_view(list=extend_schema(tags=["metrics"], parameters=METRIC_PARAMS, examples=[
    OpenApiExample("CAC by channel", response_only=True, value={
        "next": None, "previous": None, "results": [
            {"key": "cac.first_touch", "grain": "month", "period": "2026-03-01",
             "dimension": "channel", "dimension_value": "google_ads", "value": 182.5}]})]))
class MetricValueViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Computed metric values of one key, filtered by grain, period range and dimension."""

    model = MetricValue
    serializer_class = MetricValueSerializer
    pagination_class = PeriodCursorPagination
    read_perm = "metrics.view"
    write_perm = "metrics.view"  # read-only: a write gets its honest 405, not a 403

    def scope_queryset(self, qs):
        p = self.request.query_params
        errors = {}
        key = p.get("key", "")
        if not key:
            errors["key"] = ["This parameter is required."]
        elif key not in _registry():
            errors["key"] = [f"Unknown metric key {key!r}; see /api/v1/metric-keys/."]
        grain = p.get("grain") or None
        if grain is not None and grain not in GRAINS:
            errors["grain"] = [f"Choose one of {', '.join(GRAINS)}."]
        dimension = p.get("dimension")
        if dimension is not None and dimension not in DIMENSIONS:
            errors["dimension"] = ["Choose one of: (empty), " + ", ".join(DIMENSIONS[1:]) + "."]
        try:
            start = _date(p, "from")
        except ValidationError as e:
            errors.update(e.detail)
            start = None
        try:
            end = _date(p, "to")
        except ValidationError as e:
            errors.update(e.detail)
            end = None
        if start and end and start > end:
            errors["to"] = ["'to' is before 'from'."]
        if errors:
            raise ValidationError(errors)
        return selectors.metric_values(self.request.workspace, key, grain, start, end,
                                       dimension, p.get("dimension_value"))


class MetricKeySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    family = serializers.CharField()
    model = serializers.CharField(help_text="Attribution model of a per-model key, else empty.")
    description = serializers.CharField()


class MetricKeysView(APIView):
    """Every metric MOS computes: key, label, unit, which way is good, and its family."""

    read_perm = "metrics.view"
    write_perm = "metrics.view"  # so a POST gets its honest 405, not a 403
    http_method_names = ["get", "head", "options"]

    @extend_schema(tags=["metrics"], responses=MetricKeySerializer(many=True),
                   operation_id="metric_keys")
    def get(self, request):
        rows = []
        for key in sorted(_registry()):
            d = REGISTRY[key]
            label = str(d.label)
            if d.model:
                label = f"{label} ({ATTRIBUTION_MODELS[d.model]})"
            rows.append({"key": key, "label": label, "unit": d.unit, "direction": d.direction,
                         "family": d.family, "model": d.model,
                         "description": str(d.description or "")})
        return Response(MetricKeySerializer(rows, many=True).data)


# --- runs -----------------------------------------------------------------------------------

class MetricRunSerializer(serializers.ModelSerializer):
    duration = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = MetricRun
        fields = ["code", "trigger", "status", "created_at", "started_at", "finished_at",
                  "duration", "window_start", "window_end", "progress", "step", "rows_written",
                  "timings", "error", "as_of", "backfill_from", "attempts", "heartbeat_at"]
        read_only_fields = fields


class MetricRunStartSerializer(serializers.Serializer):
    """Optional: compute as of a past day, and/or backfill every period from a day."""

    as_of = serializers.DateField(required=False, help_text="Compute as of this day "
                                  "(default: today in the workspace's time zone).")
    backfill_from = serializers.DateField(
        required=False, help_text="Backfill: recompute every period from this day to as_of, "
        "in chunks of three months (progress on the run).")


@extend_schema_view(
    list=extend_schema(tags=["metrics"]), retrieve=extend_schema(tags=["metrics"]),
    create=extend_schema(tags=["metrics"], request=MetricRunStartSerializer,
                         responses={202: MetricRunSerializer},
                         description="Recompute now: starts a run (or answers the run already "
                                     "pending or running) with 202."))
class MetricRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Runs of the metrics pipeline (nightly, recompute now, API)."""

    model = MetricRun
    serializer_class = MetricRunSerializer
    read_perm = "metrics.view"
    write_perm = "metrics.recompute"

    def create(self, request, *args, **kwargs):
        by = request.actor
        params = MetricRunStartSerializer(data=request.data if isinstance(request.data, dict)
                                          else {})
        params.is_valid(raise_exception=True)
        run = services.metric_run_start(workspace=request.workspace,
                                        trigger=MetricRun.Trigger.API, by=by,
                                        as_of=params.validated_data.get("as_of"),
                                        backfill_from=params.validated_data.get("backfill_from"))
        return Response(MetricRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# --- KPIs -----------------------------------------------------------------------------------

class KPITargetSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="Any day of the period; stored as its first day.")
    target = serializers.DecimalField(max_digits=16, decimal_places=4)


@extend_schema_field(OpenApiTypes.STR)
class SegmentCodeField(WorkspaceRelatedField):
    """A segment of the request's workspace, named by its code."""

    def __init__(self, **kwargs):
        super().__init__(Segment, "code", bad_code="does_not_exist", **kwargs)


class KPISerializer(serializers.ModelSerializer):
    channel = ChannelKeyField(required=False, allow_null=True)
    segment = SegmentCodeField(required=False, allow_null=True)
    engine = CodeRefField(GrowthEngine, required=False, allow_null=True,
                          help_text="The growth engine (its code) this KPI measures, if any.")
    targets = KPITargetSerializer(many=True, required=False)
    metric_key = serializers.CharField(max_length=80)

    class Meta:
        model = KPI
        fields = ["code", "name", "metric_key", "scope", "channel", "segment", "engine",
                  "grain", "direction", "target", "guardrail_min", "guardrail_max", "is_north_star",
                  "position", "targets", "created_at"]
        read_only_fields = ["code", "created_at"]
        validators = []  # one North Star: the service moves it, it is not an error

    def validate_metric_key(self, value):
        if value not in _registry():
            raise serializers.ValidationError("Unknown metric key; see /api/v1/metric-keys/.")
        return value

    def validate(self, data):
        lo = data.get("guardrail_min", getattr(self.instance, "guardrail_min", None))
        hi = data.get("guardrail_max", getattr(self.instance, "guardrail_max", None))
        if lo is not None and hi is not None and lo > hi:
            raise serializers.ValidationError(
                {"guardrail_max": ["The maximum must not be below the minimum."]})
        return data

    def to_representation(self, instance):
        out = super().to_representation(instance)
        out["targets"] = [{"period": t.period.isoformat(), "target": str(t.target)}
                          for t in instance.targets.all()]
        return out


KPI_EXAMPLE = {"name": "Paid search CAC", "metric_key": "cac.first_touch", "scope": "channel",
               "channel": "google_ads", "segment": None, "engine": None, "grain": "month", "direction": "down",
               "target": "150.0000", "guardrail_min": None, "guardrail_max": "250.0000",
               "is_north_star": False, "position": 0,
               "targets": [{"period": "2026-04-01", "target": "140.0000"}]}


@extend_schema_view(**{a: extend_schema(tags=["kpis"]) for a in
                       ("list", "retrieve", "partial_update", "destroy")},
                    create=extend_schema(tags=["kpis"], examples=[
                        OpenApiExample("Channel KPI", value=KPI_EXAMPLE, request_only=True)]))
class KPIViewSet(WorkspaceModelViewSet):
    """KPIs: a registry metric, its scope (workspace, channel, segment), targets per period,
    direction and guardrails; one of them may be the North Star Metric."""

    model = KPI
    serializer_class = KPISerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "metrics.view"
    write_perm = "metrics.configure"

    def scope_queryset(self, qs):
        return qs.select_related("channel", "segment", "engine").prefetch_related("targets").order_by(
            "-is_north_star", "position", "id")

    def perform_create(self, serializer):
        serializer.instance = services.kpi_create(actor=self.request.actor,
                                                  **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.kpi_update(actor=self.request.actor,
                                                  kpi=serializer.instance,
                                                  **serializer.validated_data)

    def perform_destroy(self, instance):
        services.kpi_delete(actor=self.request.actor, kpi=instance)


def register(router):
    from django.urls import path

    router.register("metrics", MetricValueViewSet, basename="metric-value")
    router.register("metric-runs", MetricRunViewSet, basename="metric-run")
    router.register("kpis", KPIViewSet, basename="kpi")
    return [path("metric-keys/", MetricKeysView.as_view(), name="api-metric-keys")]
