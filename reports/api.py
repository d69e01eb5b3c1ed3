"""The reports API: list, read (a published report answers its frozen snapshot), publish,
supersede, and decisions (CRUD). Writes go through reports.services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rest_framework import mixins, viewsets

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet, WorkspaceScopedMixin
from mos.models import User

from . import selectors, services
from .models import MonthlyReport, ReportDecision


class ReportSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m")
    published_by = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = ["code", "month", "version", "status", "summary", "published_at",
                  "published_by", "created_at", "updated_at"]
        read_only_fields = fields

    def get_published_by(self, obj) -> str | None:
        u = obj.published_by
        return (u.name or u.email) if u else None


class ReportDetailSerializer(ReportSerializer):
    content = serializers.SerializerMethodField(
        help_text="Everything the page shows. Published: the snapshot frozen at publish time.")

    class Meta(ReportSerializer.Meta):
        fields = ReportSerializer.Meta.fields + ["content"]
        read_only_fields = fields

    def get_content(self, obj) -> dict:
        return selectors.report_content(obj)


class MonthInSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")

    def validate_month(self, value):
        from django.http import Http404

        try:
            return selectors.parse_month(value)
        except Http404:
            raise serializers.ValidationError("Month must look like 2026-10.") from None


class ReportViewSet(WorkspaceScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    """Monthly reports, newest month first. Drafts are created by the nightly task or "Draft
    now" (POST /reports/draft with {"month": "2026-10"})."""

    model = MonthlyReport
    read_perm = "reports.view"
    write_perm = "reports.draft"
    action_perms = {"publish": "reports.publish", "supersede": "reports.supersede",
                    "draft": "reports.draft"}

    def scope_queryset(self, qs):
        qs = qs.select_related("published_by").order_by("-month", "-version")
        if self.action == "list" and (m := self.request.query_params.get("month")):
            qs = qs.filter(month=selectors.parse_month(m))
        return qs

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, code=None):
        report = services.report_publish(report=self.get_object(), actor=request.actor)
        return Response(ReportDetailSerializer(report).data)

    @extend_schema(request=None, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def supersede(self, request, code=None):
        report = services.report_supersede(report=self.get_object(), actor=request.actor)
        return Response(ReportDetailSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MonthInSerializer, responses=ReportSerializer)
    @action(detail=False, methods=["post"])
    def draft(self, request):
        ser = MonthInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        report = services.report_draft(workspace=request.workspace,
                                       month=ser.validated_data["month"], actor=request.actor)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=MonthlyReport.objects.none(), **kwargs)

    def get_queryset(self):
        return MonthlyReport.objects.filter(workspace=self.context["workspace"])


class MemberEmailField(serializers.SlugRelatedField):
    """A member of the request's workspace, named by e-mail."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", queryset=User.objects.none(), **kwargs)

    def get_queryset(self):
        return User.objects.filter(memberships__workspace=self.context["workspace"])


class EngineCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=MonthlyReport.objects.none(), **kwargs)

    def get_queryset(self):
        from engines.selectors import engine_list

        return engine_list(self.context["workspace"])


class DecisionSerializer(serializers.ModelSerializer):
    report = ReportCodeField(required=False, allow_null=True)
    engine = EngineCodeField(required=False, allow_null=True)
    owner = MemberEmailField(required=False, allow_null=True)

    class Meta:
        model = ReportDecision
        fields = ["code", "report", "kind", "subject", "rationale", "owner", "due_date",
                  "status", "result_note", "engine", "source", "carried_from",
                  "created_at"]
        read_only_fields = ["code", "source", "carried_from", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["carried_from"] = str(instance.carried_from.code) if instance.carried_from_id \
            else None
        return data


def _decision_create(*, actor, status=None, result_note="", **data):
    d = services.decision_create(actor=actor, **data)
    if status or result_note:
        d = services.decision_update(actor=actor, decision=d,
                                     **{k: v for k, v in (("status", status),
                                                          ("result_note", result_note)) if v})
    return d


def _decision_update(*, actor, decision, report=None, **data):
    if report is not None and report != decision.report:
        from django.core.exceptions import ValidationError

        raise ValidationError({"report": ["A decision cannot move to another report."]})
    return services.decision_update(actor=actor, decision=decision, **data)


class DecisionViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Stop / Start / Continue decisions with their tracking (status, result). `?status=open`,
    `?engine=<code>`, `?report=<code>` filter the list."""

    model = ReportDecision
    serializer_class = DecisionSerializer
    read_perm = "reports.view"
    write_perm = "reports.draft"
    object_arg = "decision"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_service = staticmethod(_decision_create)
    update_service = staticmethod(_decision_update)
    delete_service = services.decision_delete

    def scope_queryset(self, qs):
        qs = qs.select_related("owner", "report", "carried_from")
        if self.action == "list":
            p = self.request.query_params
            if p.get("status"):
                qs = qs.filter(status=p["status"])
            if p.get("engine"):
                qs = qs.filter(engine__code=p["engine"])
            if p.get("report"):
                qs = qs.filter(report__code=p["report"])
        return qs


def register(router):
    router.register("reports", ReportViewSet, basename="report")
    router.register("decisions", DecisionViewSet, basename="report-decision")
