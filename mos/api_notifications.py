"""Notifications API (issue 15): /api/v1/notifications/ — the signed-in member's alerts in
this workspace (newest first, `?unread=1` for unread only), POST …/read/ to mark them read, and
/api/v1/notification-preferences/ to read or change what they get. Notifications belong to a
person: an API key gets 400."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from . import notifications as notes
from .api import WorkspaceViewSet
from .api_base import CodeCursorPagination
from .models import Notification, NotificationKind


class PersonRequired(exceptions.APIException):
    status_code = 400
    default_code = "person_required"
    default_detail = "Notifications belong to a person: use a signed-in session, not an API key."


def _person(request):
    if not getattr(request.user, "is_authenticated", False):
        raise PersonRequired()
    return request.user


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["code", "kind", "title", "body", "url", "created_at", "read_at",
                  "emailed_at"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.UUIDField(), required=False,
                                  help_text="The notifications to mark read; none: all.")


@extend_schema_view(list=extend_schema(tags=["notifications"]))
class NotificationViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """The signed-in member's notifications in this workspace."""

    model = Notification
    serializer_class = NotificationSerializer
    pagination_class = CodeCursorPagination
    read_perm = "workspace.view"
    write_perm = "workspace.view"

    def scope_queryset(self, qs):
        qs = qs.filter(user=_person(self.request), shown=True)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(tags=["notifications"], request=MarkReadSerializer,
                   responses={200: {"type": "object", "properties": {
                       "marked": {"type": "integer"}}}})
    @action(detail=False, methods=["post"], url_path="read")
    def read(self, request):
        """Mark notifications read (the listed codes, or all of them)."""
        s = MarkReadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        codes = s.validated_data.get("codes")
        n = notes.mark_read(workspace=request.workspace, user=_person(request), codes=codes)
        return Response({"marked": n})


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()


class NotificationPreferencesView(APIView):
    """GET: what the member gets of each kind; PUT a list of {kind, in_app, email}."""

    read_perm = "workspace.view"
    write_perm = "workspace.view"

    def _rows(self, request):
        prefs = notes.preferences(request.workspace, _person(request))
        return [{"kind": k, **prefs[k]} for k in NotificationKind.values]

    @extend_schema(tags=["notifications"], responses=PreferenceSerializer(many=True))
    def get(self, request):
        return Response(self._rows(request))

    @extend_schema(tags=["notifications"], request=PreferenceSerializer(many=True),
                   responses=PreferenceSerializer(many=True))
    def put(self, request):
        s = PreferenceSerializer(data=request.data, many=True)
        s.is_valid(raise_exception=True)
        notes.preferences_update(workspace=request.workspace, user=_person(request),
                                 prefs={r["kind"]: r for r in s.validated_data})
        return Response(self._rows(request))


def register(router):
    from django.urls import path

    router.register("notifications", NotificationViewSet, basename="notification")
    return [path("notification-preferences", NotificationPreferencesView.as_view(),
                 name="api-notification-preferences")]
