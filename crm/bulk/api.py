"""The bulk actions API: /api/v1/bulk-actions/ (crm.edit).

POST {"action": "assign_owner" | "change_stage" | "segment_add" | "segment_remove",
      "selection": {"filters": {...the contacts list's filters...}} or {"codes": [...]},
      "owner": e-mail or "" (assign_owner), "stage" + "reason" (change_stage),
      "segment": code (segment_add / segment_remove)}
→ 202 with the action (status queued/running, or done for a small selection); GET it to follow
its progress; POST …/undo/ restores owners or segment memberships. POST honours
Idempotency-Key, so a retried request never starts the action twice."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action as drf_action
from rest_framework.response import Response

from mos.api import WorkspaceViewSet
from mos.api_base import CodeCursorPagination

from ..models import BulkAction
from . import services


class BulkActionInSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BulkAction.Kind.choices)
    selection = serializers.JSONField(
        help_text='{"filters": {"stage": "lead", "owner": "none", ...}} for every contact '
                  'matching the filters, or {"codes": [...]} for those contacts.')
    owner = serializers.CharField(required=False, allow_blank=True,
                                  help_text="assign_owner: the member's e-mail; empty: unassign.")
    stage = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    segment = serializers.CharField(required=False, allow_blank=True,
                                    help_text="segment_add / segment_remove: the segment code.")


class BulkActionSerializer(serializers.ModelSerializer):
    action = serializers.CharField(source="kind", read_only=True)
    params = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="email", read_only=True)
    unchanged = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True)
    reversible = serializers.BooleanField(read_only=True)

    class Meta:
        model = BulkAction
        fields = ["code", "action", "status", "params", "selection", "total", "processed",
                  "changed", "unchanged", "percent", "restored", "reversible", "error",
                  "created_by", "created_at", "finished_at", "undone_at"]
        read_only_fields = fields

    def get_params(self, obj) -> dict:
        return {k: v for k, v in obj.params.items() if not k.endswith("_id")}


EXAMPLE_OUT = {"code": "5b0c7a1e-2f4d-4e6a-9c8b-1a3d5f7e9b20", "action": "assign_owner",
               "status": "done", "params": {"owner": "rep@example.com"},
               "selection": {"filters": {"stage": "mql", "owner": "none"}}, "total": 120,
               "processed": 120, "changed": 118, "unchanged": 2, "percent": 100,
               "restored": 0, "reversible": True, "error": "", "created_by": None,
               "created_at": "2026-03-14T10:30:00Z", "finished_at": "2026-03-14T10:30:01Z",
               "undone_at": None}


@extend_schema_view(
    list=extend_schema(tags=["bulk actions"]),
    retrieve=extend_schema(tags=["bulk actions"]),
    create=extend_schema(tags=["bulk actions"], request=BulkActionInSerializer,
                         responses={202: BulkActionSerializer}, examples=[
                             OpenApiExample("Assign unassigned MQLs", request_only=True, value={
                                 "action": "assign_owner", "owner": "rep@example.com",
                                 "selection": {"filters": {"stage": "mql", "owner": "none"}}}),
                             OpenApiExample("Started", response_only=True, status_codes=["202"],
                                            value=EXAMPLE_OUT)]),
)
class BulkActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Bulk actions on contacts: start one, follow its progress, undo it."""

    model = BulkAction
    serializer_class = BulkActionSerializer
    pagination_class = CodeCursorPagination
    read_perm = "crm.edit"
    write_perm = "crm.edit"

    def scope_queryset(self, qs):
        return qs.select_related("created_by")

    def create(self, request):
        s = BulkActionInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        act = services.bulk_action_start(
            actor=request.actor, kind=d["action"], selection=d["selection"],
            params={k: d.get(k, "") for k in ("owner", "stage", "reason", "segment")})
        return Response(BulkActionSerializer(act).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=["bulk actions"], request=None, responses=BulkActionSerializer)
    @drf_action(detail=True, methods=["post"], url_path="undo")
    def undo(self, request, code=None):
        """Put back the owners or segment memberships the action changed."""
        act = self.get_object()
        services.bulk_action_undo(actor=request.actor, action=act)
        return Response(BulkActionSerializer(act).data)


def register(router):
    router.register("bulk-actions", BulkActionViewSet, basename="bulk-action")
