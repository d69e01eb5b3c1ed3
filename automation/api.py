"""The automation API.

/api/v1/flows/                  flows with their ordered steps (CRUD); ?status=
/api/v1/flows/<code>/status     POST {"status": "active" | "paused" | "archived"}
/api/v1/flows/<code>/stats      GET treated vs holdout conversion, lift interval, messages
/api/v1/enrollments/            who is in which flow, where (read); ?flow=&state=
/api/v1/messages/               the message ledger (read); ?flow=&status=
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (OpenApiExample, OpenApiParameter, extend_schema,
                                   extend_schema_view, inline_serializer)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from mos.api import WorkspaceModelViewSet, WorkspaceViewSet
from mos.codes import as_code

from . import selectors, services
from .forms import DidForm
from .models import Enrollment, Flow, Message, Step

FLOW_CODE = "5d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
FLOW_IN = {"name": "Welcome", "trigger": "stage_change", "trigger_config": {"to_stage": "lead"},
           "goal": "stage", "goal_value": "mql", "holdout_share": 0.1, "frequency_cap": 3,
           "quiet_start": 21, "quiet_end": 8, "steps": [
               {"kind": "send_email", "config": {"subject_en": "Welcome, {{ name }}",
                                                 "body_en": "Thanks for joining.",
                                                 "subject_ar": "أهلاً {{ name }}",
                                                 "body_ar": "شكراً لانضمامك."}},
               {"kind": "wait", "config": {"days": 2}}]}
ERROR = OpenApiExample("Invalid input", status_codes=["400"], response_only=True, value={
    "error": {"code": "invalid", "message": "Invalid input.",
              "fields": {"trigger_config": ["Choose the stage that starts the flow."]}}})


class StepSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(Step.Kind.choices)
    config = serializers.DictField(required=False, default=dict)


class FlowSerializer(serializers.ModelSerializer):
    trigger_config = serializers.DictField(required=False, default=dict)
    steps = StepSerializer(many=True, required=False)
    holdout_share = serializers.FloatField(min_value=0, max_value=0.5, required=False)
    quiet_start = serializers.IntegerField(min_value=0, max_value=23, required=False)
    quiet_end = serializers.IntegerField(min_value=0, max_value=23, required=False)
    frequency_cap = serializers.IntegerField(min_value=1, max_value=50, required=False)

    class Meta:
        model = Flow
        fields = ["code", "name", "description", "template", "trigger", "trigger_config",
                  "goal", "goal_value", "exit_on_goal", "holdout_share", "frequency_cap",
                  "quiet_start", "quiet_end", "status", "activated_at", "steps",
                  "created_at"]
        read_only_fields = ["code", "template", "status", "activated_at", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["steps"] = [{"kind": s.kind, "config": s.config} for s in instance.steps.all()]
        return data


class FlowStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(Flow.Status.choices)


@extend_schema_view(
    list=extend_schema(tags=["automation"], parameters=[
        OpenApiParameter("status", str, enum=Flow.Status.values)]),
    retrieve=extend_schema(tags=["automation"]),
    create=extend_schema(tags=["automation"], examples=[
        OpenApiExample("Flow", value=FLOW_IN, request_only=True), ERROR]),
    partial_update=extend_schema(tags=["automation"]),
    destroy=extend_schema(tags=["automation"]))
class FlowViewSet(WorkspaceModelViewSet):
    """Lifecycle flows: a trigger, ordered steps, a goal, a holdout share."""

    model = Flow
    serializer_class = FlowSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "automation.view"
    write_perm = "automation.edit"
    action_perms = {"status": "automation.activate", "stats": "automation.view"}

    def scope_queryset(self, qs):
        qs = qs.prefetch_related("steps")
        if self.action == "list" and (st := self.request.query_params.get("status")):
            qs = qs.filter(status=st)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.flow_create(actor=self.request.actor,
                                                   **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.flow_update(actor=self.request.actor,
                                                   flow=serializer.instance,
                                                   **serializer.validated_data)

    def perform_destroy(self, instance):
        services.flow_delete(actor=self.request.actor, flow=instance)

    @extend_schema(tags=["automation"], request=FlowStatusSerializer, responses=FlowSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, code=None):
        flow = self.get_object()
        s = FlowStatusSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        flow = services.flow_set_status(actor=request.actor, flow=flow,
                                        status=s.validated_data["status"])
        return Response(FlowSerializer(flow, context=self.get_serializer_context()).data)

    @extend_schema(tags=["automation"], responses=inline_serializer("FlowStats", {
        "treated": serializers.IntegerField(), "treated_conversions": serializers.IntegerField(),
        "holdout": serializers.IntegerField(), "holdout_conversions": serializers.IntegerField(),
        "lift": serializers.FloatField(allow_null=True),
        "lift_low": serializers.FloatField(allow_null=True),
        "lift_high": serializers.FloatField(allow_null=True),
        "messages": serializers.DictField(child=serializers.IntegerField()),
        "unsubscribed": serializers.IntegerField()}))
    @action(detail=True, methods=["get"])
    def stats(self, request, code=None):
        s = selectors.flow_stats(self.get_object())
        lift = s["lift"] or {}
        return Response({"treated": s["treated"], "treated_conversions": s["treated_conv"],
                         "holdout": s["holdout"], "holdout_conversions": s["holdout_conv"],
                         "lift": lift.get("lift"), "lift_low": lift.get("low"),
                         "lift_high": lift.get("high"), "messages": s["by_status"],
                         "unsubscribed": s["unsubscribed"]})


class EnrollmentSerializer(serializers.ModelSerializer):
    flow = serializers.UUIDField(source="flow.code", read_only=True)
    contact = serializers.UUIDField(source="contact.code", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["code", "flow", "contact", "occurrence", "holdout", "state", "step_index",
                  "due_at", "enrolled_at", "finished_at", "exit_reason", "converted_at"]


class MessageSerializer(serializers.ModelSerializer):
    flow = serializers.UUIDField(source="flow.code", read_only=True)
    contact = serializers.UUIDField(source="contact.code", read_only=True)
    step = serializers.UUIDField(source="step.code", read_only=True)

    class Meta:
        model = Message
        fields = ["code", "flow", "contact", "step", "occurrence", "channel", "status",
                  "language", "subject", "created_at", "sent_at", "unsubscribed_at"]


def _filter_flow(qs, params):
    if "flow" in params:
        code = as_code(params["flow"])
        qs = qs.filter(flow__code=code) if code else qs.none()
    return qs


@extend_schema_view(
    list=extend_schema(tags=["automation"], parameters=[
        OpenApiParameter("flow", str), OpenApiParameter("state", str,
                                                        enum=Enrollment.State.values)]),
    retrieve=extend_schema(tags=["automation"]))
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Where each contact is in each flow (read only)."""

    model = Enrollment
    serializer_class = EnrollmentSerializer
    http_method_names = ["get", "head", "options"]
    read_perm = "automation.view"
    write_perm = "automation.edit"  # no writes here (405), but a write key is not refused first

    def scope_queryset(self, qs):
        qs = qs.select_related("flow", "contact")
        if self.action == "list":
            qs = _filter_flow(qs, self.request.query_params)
            if st := self.request.query_params.get("state"):
                qs = qs.filter(state=st)
        return qs


@extend_schema_view(
    list=extend_schema(tags=["automation"], parameters=[
        OpenApiParameter("flow", str), OpenApiParameter("status", str,
                                                        enum=Message.Status.values)]),
    retrieve=extend_schema(tags=["automation"]))
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """The message ledger: one row per flow, contact, step and occurrence (read only)."""

    model = Message
    serializer_class = MessageSerializer
    http_method_names = ["get", "head", "options"]
    read_perm = "automation.view"
    write_perm = "automation.edit"  # no writes here (405), but a write key is not refused first

    def scope_queryset(self, qs):
        qs = qs.select_related("flow", "contact", "step")
        if self.action == "list":
            qs = _filter_flow(qs, self.request.query_params)
            if st := self.request.query_params.get("status"):
                qs = qs.filter(status=st)
        return qs


class DidEstimateSerializer(serializers.Serializer):
    effect = serializers.FloatField(help_text="Effect per day: (T after − T before) − "
                                              "(C after − C before).")
    low = serializers.FloatField()
    high = serializers.FloatField()
    se = serializers.FloatField()
    df = serializers.FloatField()
    alpha = serializers.FloatField()
    significant = serializers.BooleanField()
    relative = serializers.FloatField(allow_null=True)
    treated_before = serializers.FloatField()
    treated_after = serializers.FloatField()
    control_before = serializers.FloatField()
    control_after = serializers.FloatField()
    days_before = serializers.IntegerField()
    days_after = serializers.IntegerField()


class DidSeriesSerializer(serializers.Serializer):
    treated_before = serializers.ListField(child=serializers.FloatField())
    control_before = serializers.ListField(child=serializers.FloatField())
    treated_after = serializers.ListField(child=serializers.FloatField())
    control_after = serializers.ListField(child=serializers.FloatField())


class DidSerializer(serializers.Serializer):
    estimate = DidEstimateSerializer(allow_null=True)
    series = DidSeriesSerializer()


DID_PARAMS = [
    OpenApiParameter("metric", str, required=True,
                     enum=["revenue", "orders", "new_contacts", "events"]),
    OpenApiParameter("event_name", str, description="For metric=events; empty: all events."),
    OpenApiParameter("group_by", str, required=True, enum=["country", "channel", "campaign"]),
    OpenApiParameter("treated", str, required=True,
                     description="Comma-separated country codes, channel keys or campaign "
                                 "codes where the campaign ran."),
    OpenApiParameter("control", str, required=True, description="The comparison group."),
    OpenApiParameter("before_start", OpenApiTypes.DATE, required=True),
    OpenApiParameter("before_end", OpenApiTypes.DATE, required=True),
    OpenApiParameter("after_start", OpenApiTypes.DATE, required=True),
    OpenApiParameter("after_end", OpenApiTypes.DATE, required=True),
]


class DidViewSet(WorkspaceViewSet):
    """Difference in differences for a campaign without a holdout (read only): a treated
    vs a control group (countries, channels or campaigns), before vs after, per day."""

    model = Flow  # unused: the analysis reads crm rows of the request's workspace only
    serializer_class = DidSerializer
    http_method_names = ["get", "head", "options"]
    read_perm = "automation.view"
    write_perm = "automation.edit"
    pagination_class = None

    @extend_schema(tags=["automation"], parameters=DID_PARAMS, responses={200: DidSerializer},
                   examples=[OpenApiExample("Geo test", response_only=True, value={
                       "estimate": {"effect": 12.5, "low": 3.1, "high": 21.9, "se": 4.6,
                                    "df": 26.0, "alpha": 0.05, "significant": True,
                                    "relative": 0.18, "treated_before": 60.0,
                                    "treated_after": 82.5, "control_before": 40.0,
                                    "control_after": 50.0, "days_before": 14,
                                    "days_after": 14},
                       "series": {"treated_before": [60.0], "control_before": [40.0],
                                  "treated_after": [82.5], "control_after": [50.0]}})])
    def list(self, request):
        form = DidForm(request.query_params, workspace=request.workspace)
        if not form.is_valid():
            raise serializers.ValidationError(
                {f: [str(e) for e in errs] for f, errs in form.errors.items()})
        result = selectors.did_analysis(request.workspace, **form.analysis_args())
        return Response(DidSerializer(result).data)


def register(router):
    router.register("difference-in-differences", DidViewSet, basename="did")
    router.register("flows", FlowViewSet, basename="flow")
    router.register("enrollments", EnrollmentViewSet, basename="enrollment")
    router.register("messages", MessageViewSet, basename="message")
