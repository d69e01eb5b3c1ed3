"""/api/v1/events/<code>/ and /api/v1/spend/<code>/: read, correct (PATCH) or delete one stored
event or spend row, audited (crm.corrections). Rows are created through the bulk endpoints;
spend rows are listed at /api/v1/spend/ (filter by channel and dates) so a bad one can be
found; an event's code is on its contact's detail (recent_events)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from mos.api import WorkspaceViewSet
from mos.validation import money_text

from .corrections import event_delete, event_update, spend_delete, spend_update
from .models import Event, Spend

CODE_REGEX = "[0-9a-fA-F-]{32,36}"


class EventSerializer(serializers.ModelSerializer):
    contact = serializers.UUIDField(source="contact.code", read_only=True, allow_null=True)
    name = serializers.CharField(max_length=100, required=False)
    properties = serializers.JSONField(required=False)

    class Meta:
        model = Event
        fields = ["code", "contact", "anonymous_id", "name", "occurred_at", "received_at",
                  "properties", "quality_issues"]
        read_only_fields = ["code", "contact", "anonymous_id", "received_at", "quality_issues"]


class EventViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                   mixins.DestroyModelMixin, WorkspaceViewSet):
    """One event by its code: correct its name, time or properties (PATCH) or delete it."""

    model = Event
    serializer_class = EventSerializer
    read_perm = "crm.view"
    write_perm = "crm.edit"
    lookup_value_regex = CODE_REGEX
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("contact")

    def perform_update(self, serializer):
        serializer.instance = event_update(actor=self.request.actor, event=serializer.instance,
                                           **serializer.validated_data)

    def perform_destroy(self, instance):
        event_delete(actor=self.request.actor, event=instance)


class SpendSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.key", read_only=True)
    campaign = serializers.UUIDField(source="campaign.code", read_only=True, allow_null=True)
    amount = serializers.DecimalField(max_digits=15, decimal_places=3, min_value=0,
                                      required=False)
    impressions = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False)
    clicks = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False)

    class Meta:
        model = Spend
        fields = ["code", "date", "channel", "campaign", "amount", "impressions", "clicks",
                  "source"]
        read_only_fields = ["code", "channel", "campaign", "source"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["amount"] = money_text(instance.amount, instance.workspace.currency)
        return data


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("channel", OpenApiTypes.STR, description="Channel key."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)."),
]))
class SpendViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                   mixins.DestroyModelMixin, WorkspaceViewSet):
    """Daily spend rows: list them (newest first), correct one (PATCH) or delete it."""

    model = Spend
    serializer_class = SpendSerializer
    read_perm = "metrics.view"
    write_perm = "crm.edit"  # as POST /api/v1/spend/bulk
    lookup_value_regex = CODE_REGEX
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def scope_queryset(self, qs):
        qs = qs.select_related("channel", "campaign", "workspace")
        if self.action != "list":
            return qs
        from datetime import date

        params = self.request.query_params
        if params.get("channel"):
            qs = qs.filter(channel__key=params["channel"])
        for name, lookup in (("from", "date__gte"), ("to", "date__lte")):
            value = params.get(name)
            if value:
                try:
                    qs = qs.filter(**{lookup: date.fromisoformat(value)})
                except ValueError:
                    raise serializers.ValidationError(
                        {name: ["Not an ISO 8601 date (YYYY-MM-DD)."]}) from None
        return qs

    def perform_update(self, serializer):
        serializer.instance = spend_update(actor=self.request.actor, spend=serializer.instance,
                                           **serializer.validated_data)

    def perform_destroy(self, instance):
        spend_delete(actor=self.request.actor, spend=instance)


def register(router):
    router.register("events", EventViewSet, basename="event")
    router.register("spend", SpendViewSet, basename="spend")
    return None

