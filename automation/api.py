"""The automation API.

/api/v1/flows/                  flows with their ordered steps (CRUD); ?status=
/api/v1/flows/<code>/status     POST {"status": "active" | "paused" | "archived"}
/api/v1/flows/<code>/stats      GET treated vs holdout conversion, lift interval, messages
/api/v1/enrollments/            who is in which flow, where (read); ?flow=&state=
/api/v1/messages/               the message ledger (read); ?flow=&status=
"""

from __future__ import annotations

from drf_spectacular.utils import (OpenApiExample, OpenApiParameter, extend_schema,
                                   extend_schema_view, inline_serializer)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from mos.api import WorkspaceModelViewSet, WorkspaceViewSet
from mos.codes import as_code

from . import selectors, services
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


def register(router):
    router.register("flows", FlowViewSet, basename="flow")
    router.register("enrollments", EnrollmentViewSet, basename="enrollment")
    router.register("messages", MessageViewSet, basename="message")
