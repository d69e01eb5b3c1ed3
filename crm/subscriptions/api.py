"""/api/v1/subscriptions: list, read, create, edit, delete (bulk: crm.ingest.api)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers

from crm.models import Account, Contact, Subscription
from crm.serializers import CodeField
from mos.api import ServiceWritesMixin, WorkspaceModelViewSet
from mos.validation import validate_occurred_at, validate_scheduled_at

from . import services

AT = "2026-03-14T10:30:00Z"
SUB_IN = {"contact": "6f1c2b7e-3d5a-4c8e-9b1f-2a4d6e8f0a1c", "account": None,
          "external_id": "sub_1Nq2", "plan": "pro", "mrr": "49.00", "quantity": 1,
          "status": "active", "started_at": AT, "trial_end": None, "cancelled_at": None,
          "ended_at": None, "properties": {}}
SUB_OUT = {"code": "2c9d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e4f", **SUB_IN, "created_at": AT,
           "updated_at": AT}


class SubscriptionSerializer(serializers.ModelSerializer):
    contact = CodeField(Contact)
    account = CodeField(Account)
    properties = serializers.DictField(required=False)

    class Meta:
        model = Subscription
        fields = ["code", "contact", "account", "external_id", "plan", "mrr", "quantity",
                  "status", "started_at", "trial_end", "cancelled_at", "ended_at",
                  "properties", "created_at", "updated_at"]
        read_only_fields = ["code", "created_at", "updated_at"]
        validators = []  # external_id uniqueness and contact/account: the model's clean()
        # the bounds of the bulk API (mos.validation): what happened is no later than
        # tomorrow; a trial end or an end may be scheduled up to ten years ahead
        extra_kwargs = {"started_at": {"validators": [validate_occurred_at]},
                        "cancelled_at": {"validators": [validate_occurred_at]},
                        "trial_end": {"validators": [validate_scheduled_at]},
                        "ended_at": {"validators": [validate_scheduled_at]}}

    def validate(self, attrs):
        if self.instance is None and not attrs.get("contact") and not attrs.get("account"):
            raise serializers.ValidationError({"contact": ["Give a contact or an account."]})
        if attrs.get("mrr") is not None and attrs["mrr"] < 0:
            raise serializers.ValidationError({"mrr": ["Must not be negative."]})
        return attrs


def _ex(value, **kw):
    return OpenApiExample("Subscription", value=value, **kw)


@extend_schema_view(
    list=extend_schema(tags=["subscriptions"], examples=[_ex(
        {"next": None, "previous": None, "results": [SUB_OUT]}, response_only=True)]),
    retrieve=extend_schema(tags=["subscriptions"], examples=[_ex(SUB_OUT, response_only=True)]),
    create=extend_schema(tags=["subscriptions"], examples=[_ex(SUB_IN, request_only=True)]),
    partial_update=extend_schema(tags=["subscriptions"]),
    destroy=extend_schema(tags=["subscriptions"]),
)
class SubscriptionViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Subscriptions (plan, MRR, dates, status) of contacts and accounts."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "crm.view"
    write_perm = "crm.edit"
    model = Subscription
    serializer_class = SubscriptionSerializer
    object_arg = "subscription"
    create_service = services.subscription_create
    update_service = services.subscription_update
    delete_service = services.subscription_delete

    def scope_queryset(self, qs):
        return qs.select_related("contact", "account")


def register(router):
    router.register("subscriptions", SubscriptionViewSet, basename="subscription")
