"""/api/v1/activities: list (filter by contact, account, kind, owner, open tasks), read,
create, edit, delete; /api/v1/activities/bulk for many at once. A sales rep sees and writes
only the activities of the contacts assigned to them (and their own to-dos)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet
from mos.api_base import CodeCursorPagination
from mos.codes import as_code

from ..ingest.api import _view
from ..models import Account, Activity, Contact
from ..serializers import CodeField, MemberEmailField
from . import selectors, services
from .bulk import activities_bulk


class ActivitySerializer(serializers.ModelSerializer):
    contact = CodeField(Contact)
    account = CodeField(Account)
    owner = MemberEmailField()
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    call_outcome = serializers.ChoiceField(choices=Activity.CallOutcome.choices,
                                           required=False, allow_blank=True)
    done = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["code", "kind", "contact", "account", "owner", "subject", "body",
                  "call_outcome", "duration_seconds", "due_at", "done_at", "done", "at",
                  "source", "external_id", "created_at", "updated_at"]
        read_only_fields = ["code", "source", "created_at", "updated_at"]

    def get_done(self, obj) -> bool:
        return obj.done_at is not None

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)) \
                and hasattr(self.instance, "pk"):
            fields["contact"].read_only = True  # an activity stays where it was logged
            fields["account"].read_only = True
        return fields


class ActivityPagination(CodeCursorPagination):
    ordering = ("-at", "-id")


@extend_schema_view(list=extend_schema(tags=["activities"], parameters=[
    OpenApiParameter("contact", OpenApiTypes.UUID, description="Only this contact's."),
    OpenApiParameter("account", OpenApiTypes.UUID, description="Only this account's."),
    OpenApiParameter("kind", str, description="note, call, email, meeting or task."),
    OpenApiParameter("owner", OpenApiTypes.EMAIL, description="Owner's e-mail."),
    OpenApiParameter("open", bool, description="true: only tasks not done yet."),
]), retrieve=extend_schema(tags=["activities"]), create=extend_schema(tags=["activities"]),
    partial_update=extend_schema(tags=["activities"]), destroy=extend_schema(tags=["activities"]))
class ActivityViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Notes, calls (outcome, duration), e-mails logged by hand, meetings and tasks."""

    model = Activity
    serializer_class = ActivitySerializer
    pagination_class = ActivityPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "activities.view"
    write_perm = "activities.log"
    object_arg = "activity"
    create_service = services.activity_create
    update_service = services.activity_update
    delete_service = services.activity_delete

    def scope_queryset(self, qs):
        visible = selectors.visible_activities(self.request.actor)
        qs = qs.filter(pk__in=visible.values("pk")) if not self.request.actor.can(
            "crm.view") else qs
        qs = qs.select_related("contact", "account", "owner")
        if self.action != "list":
            return qs
        p = self.request.query_params
        for key, model in (("contact", Contact), ("account", Account)):
            if p.get(key):
                code = as_code(p[key])
                qs = qs.filter(**{f"{key}__code": code}) if code else qs.none()
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"].strip().lower())
        if p.get("owner"):
            qs = qs.filter(owner__email=p["owner"].strip().lower())
        if p.get("open", "").lower() in ("1", "true", "yes"):
            qs = qs.filter(kind=Activity.Kind.TASK, done_at__isnull=True)
        return qs


ActivitiesBulkView = _view(
    "activities", activities_bulk,
    "Log activities (notes, calls, e-mails, meetings, tasks); a row whose external_id exists "
    "updates that activity.")
ActivitiesBulkView.read_perm = "activities.log"
ActivitiesBulkView.write_perm = "activities.log"


def register(router):
    router.register("activities", ActivityViewSet, basename="activity")
    return [path("activities/bulk", ActivitiesBulkView.as_view(), name="api-activities-bulk")]
