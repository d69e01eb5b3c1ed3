"""/api/v1/scoring-rules (CRUD, growth lead and admin write), /api/v1/scoring/bands (how each
score band converts), /api/v1/scoring/proposals (contacts a threshold proposes to move)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet, WorkspaceScopedMixin

from ..models import Contact, ScoringRule
from . import selectors, services


class ScoringRuleSerializer(serializers.ModelSerializer):
    values = serializers.ListField(child=serializers.CharField(max_length=200),
                                   required=False, max_length=100)

    class Meta:
        model = ScoringRule
        fields = ["code", "kind", "field", "values", "points", "half_life_days", "max_points",
                  "active", "created_at"]
        read_only_fields = ["code", "created_at"]


@extend_schema_view(**{a: extend_schema(tags=["lead scoring"]) for a in (
    "list", "retrieve", "create", "partial_update", "destroy")})
class ScoringRuleViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """The lead-scoring rules: property, event (recency-weighted) and fit points. Changing
    them rescores every contact."""

    model = ScoringRule
    serializer_class = ScoringRuleSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "crm.view"
    write_perm = "scoring.configure"
    object_arg = "rule"
    create_service = services.scoring_rule_create
    update_service = services.scoring_rule_update
    delete_service = services.scoring_rule_delete

    def _rescore(self):
        from django.db import transaction

        from .tasks import score_workspace_task

        ws_id = self.request.workspace.pk
        transaction.on_commit(lambda: score_workspace_task.delay(ws_id))

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self._rescore()

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self._rescore()

    def perform_destroy(self, instance):
        super().perform_destroy(instance)
        self._rescore()


_BAND = inline_serializer("ScoreBand", {
    "band": serializers.CharField(), "contacts": serializers.IntegerField(),
    "reached_sql": serializers.IntegerField(), "customers": serializers.IntegerField(),
    "sql_rate": serializers.FloatField(allow_null=True),
    "customer_rate": serializers.FloatField(allow_null=True)})


class ScoreBandsView(WorkspaceScopedMixin, GenericAPIView):
    """Per score band: contacts now in it, how many reached SQL or later, became customers."""

    model = Contact
    read_perm = "crm.view"
    write_perm = "scoring.configure"
    pagination_class = None

    @extend_schema(tags=["lead scoring"], responses={200: _BAND.__class__(many=True)})
    def get(self, request):
        return Response(selectors.band_report(request.workspace))


class ScoreProposalsView(WorkspaceScopedMixin, GenericAPIView):
    """Contacts whose score reaches a threshold: leads proposed for MQL, MQLs for SQL."""

    model = Contact
    read_perm = "crm.view"
    write_perm = "scoring.configure"
    pagination_class = None

    @extend_schema(tags=["lead scoring"], responses={200: inline_serializer("ScoreProposals", {
        "mql_threshold": serializers.IntegerField(), "sql_threshold": serializers.IntegerField(),
        "to_mql": serializers.ListField(child=serializers.UUIDField()),
        "to_sql": serializers.ListField(child=serializers.UUIDField())})})
    def get(self, request):
        p = selectors.proposals(request.workspace)
        return Response({"mql_threshold": p["thresholds"].mql_threshold,
                         "sql_threshold": p["thresholds"].sql_threshold,
                         "to_mql": [str(c) for c in p["to_mql"].values_list("code", flat=True)[:1000]],
                         "to_sql": [str(c) for c in p["to_sql"].values_list("code", flat=True)[:1000]]})


def register(router):
    router.register("scoring-rules", ScoringRuleViewSet, basename="scoring-rule")
    return [path("scoring/bands", ScoreBandsView.as_view(), name="api-scoring-bands"),
            path("scoring/proposals", ScoreProposalsView.as_view(), name="api-scoring-proposals")]
