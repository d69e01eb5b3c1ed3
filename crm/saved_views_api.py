"""Saved views of the contacts list: /api/v1/saved-views/ (crm.view). A member sees their own
views and the shared ones; only the owner edits or deletes a view (403 for others); another
member's private view answers 404. An API key reads shared views and cannot own one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet

from . import saved_views as sv
from .models import SavedView


class SavedViewSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="email", read_only=True)
    filters = serializers.JSONField(required=False)
    columns = serializers.ListField(child=serializers.ChoiceField(choices=list(sv.COLUMNS)),
                                    required=False)
    sort = serializers.CharField(required=False)
    is_default = serializers.SerializerMethodField()

    class Meta:
        model = SavedView
        fields = ["code", "name", "filters", "sort", "columns", "shared", "owner",
                  "is_default", "created_at"]
        read_only_fields = ["code", "owner", "created_at", "is_default"]
        validators = []  # the service answers a duplicate name as a field error

    def get_is_default(self, obj) -> bool:
        return obj.pk == self.context.get("default_pk")


class DefaultInSerializer(serializers.Serializer):
    default = serializers.BooleanField(default=True)


VIEW_OUT = {"code": "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "name": "My unassigned MQLs",
            "filters": {"stage": "mql", "channel": "google_ads"}, "sort": "-created_at",
            "columns": ["name", "email", "stage", "owner", "created"], "shared": True,
            "owner": "lead@example.com", "is_default": False,
            "created_at": "2026-03-14T10:30:00Z"}
_EX = [OpenApiExample("View", value=VIEW_OUT, response_only=True)]


@extend_schema_view(
    list=extend_schema(tags=["saved views"]), retrieve=extend_schema(tags=["saved views"]),
    create=extend_schema(tags=["saved views"], examples=[OpenApiExample(
        "New view", request_only=True, value={k: VIEW_OUT[k] for k in (
            "name", "filters", "sort", "columns", "shared")}), *_EX]),
    partial_update=extend_schema(tags=["saved views"]),
    destroy=extend_schema(tags=["saved views"]),
)
class SavedViewViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Saved views of the contacts list (filters, sort, columns), private or shared."""

    model = SavedView
    serializer_class = SavedViewSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "crm.view"
    write_perm = "crm.view"
    object_arg = "view"
    create_service = sv.saved_view_create
    update_service = sv.saved_view_update
    delete_service = sv.saved_view_delete

    def scope_queryset(self, qs):
        user = self.request.user if getattr(self.request.user, "is_authenticated",
                                            False) else None
        if user is None:
            return qs.filter(shared=True).select_related("owner")
        return qs.filter(pk__in=sv.saved_views_for(self.request.workspace, user)
                         .values("pk")).select_related("owner")

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        req = self.request
        if getattr(req, "workspace", None) is not None and getattr(req.user,
                                                                   "is_authenticated", False):
            d = sv.default_view(req.workspace, req.user)
            ctx["default_pk"] = d.pk if d else None
        return ctx

    @extend_schema(tags=["saved views"], request=DefaultInSerializer,
                   responses=SavedViewSerializer)
    @action(detail=True, methods=["post"], url_path="default")
    def default(self, request, code=None):
        """Open the contacts list with this view ({"default": false}: with all contacts)."""
        view = self.get_object()
        s = DefaultInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        sv.saved_view_set_default(actor=request.actor,
                                  view=view if s.validated_data["default"] else None)
        return Response(SavedViewSerializer(view, context=self.get_serializer_context()).data)


def register(router):
    router.register("saved-views", SavedViewViewSet, basename="saved-view")
