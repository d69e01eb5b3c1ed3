"""Serializers for the CRM API. They shape and check input for crm.services; relations are
named by codes, keys and e-mails (never integer ids) and are looked up only inside the
request's workspace, so an unknown or foreign reference is a 400 field error."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Campaign, Channel
from mos.api import WorkspaceRelatedField
from mos.models import User

from . import selectors
from .models import (
    Account,
    Consent,
    Contact,
    CustomerType,
    Event,
    LeadFeedback,
    LifecycleStage,
    Order,
    Persona,
    Segment,
    Stage,
    StageChange,
)


class WorkspaceSlugField(WorkspaceRelatedField):
    """mos.api.WorkspaceRelatedField, optional by default (the CRM's references)."""

    def __init__(self, model, slug_field="code", **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(model, slug_field, **kwargs)


@extend_schema_field(OpenApiTypes.EMAIL)
class MemberEmailField(serializers.SlugRelatedField):
    """A workspace member named by e-mail (contact owners)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(slug_field="email", queryset=User.objects.none(), **kwargs)

    def get_queryset(self):
        return User.objects.filter(memberships__workspace=self.context["workspace"])

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).strip().lower())


class CodeField(WorkspaceSlugField):
    pass


extend_schema_field(OpenApiTypes.UUID)(CodeField)


class KeyField(WorkspaceSlugField):
    pass


extend_schema_field(OpenApiTypes.STR)(KeyField)


# --- contacts ------------------------------------------------------------------------------

CONTACT_WRITE_FIELDS = ["external_id", "email", "phone", "name", "account", "company", "country",
                        "city", "language", "persona", "customer_type", "buying_role", "owner",
                        "source_channel", "source_campaign", "properties"]


MAX_PROPERTIES_BYTES = 64 * 1024  # a contact's free-form properties, as JSON


class ContactSerializer(serializers.ModelSerializer):
    """A contact's profile. `stage` may be given on create (its first stage change); afterwards
    it changes only through POST /contacts/{code}/stage."""

    account = CodeField(Account)
    persona = CodeField(Persona)
    owner = MemberEmailField()
    source_channel = KeyField(Channel, slug_field="key")
    source_campaign = CodeField(Campaign)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    properties = serializers.DictField(required=False)
    prediction = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["code", *CONTACT_WRITE_FIELDS, "stage", "stage_changed_at", "created_at",
                  "updated_at", "prediction"]
        read_only_fields = ["code", "stage_changed_at", "created_at", "updated_at"]
        validators = []  # uniqueness is the service's job (field errors, one transaction)

    def validate_email(self, value):
        return (value or "").strip().lower()

    def validate_properties(self, value):
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8",
                                                                            "surrogatepass"))
        if size > MAX_PROPERTIES_BYTES:
            raise serializers.ValidationError(
                _("Properties may take at most %(max)d KB as JSON (these take %(size)d KB).")
                % {"max": MAX_PROPERTIES_BYTES // 1024, "size": -(-size // 1024)})
        return value

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "p_alive": {"type": "number"}, "expected_purchases_12m": {"type": "number"},
        "predicted_clv": {"type": "number"},
        "computed_at": {"type": "string", "format": "date-time"}}})
    def get_prediction(self, obj):
        """P(alive), expected purchases and predicted CLV over 12 months (the latest metrics
        run's BG/NBD + Gamma-Gamma), or null (the
        list reads them with the contacts: crm.extensions.contact_queryset, no query per row)."""
        from crm import extensions

        return extensions.contact_fields(obj).get("prediction")

    def validate(self, attrs):
        if self.instance is not None and "stage" in self.initial_data:
            raise serializers.ValidationError(
                {"stage": [_("Change the stage with POST /contacts/{code}/stage.")]})
        return attrs


class StageChangeSerializer(serializers.ModelSerializer):
    contact = serializers.UUIDField(source="contact.code", read_only=True)
    by = serializers.EmailField(source="by.email", read_only=True, allow_null=True,
                                default=None)

    class Meta:
        model = StageChange
        fields = ["contact", "from_stage", "to_stage", "at", "by", "reason"]


class StageChangeInSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                   help_text="When it happened; default now.")


class ConsentSerializer(serializers.ModelSerializer):
    contact = serializers.UUIDField(source="contact.code", read_only=True)

    class Meta:
        model = Consent
        fields = ["contact", "channel", "status", "lawful_basis", "source", "at",
                  "recorded_at"]
        read_only_fields = ["contact", "recorded_at"]
        extra_kwargs = {"at": {"required": False}}


class ErasureInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ErasureSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    contact = serializers.UUIDField(source="contact_code")
    at = serializers.DateTimeField()
    reason = serializers.CharField()
    kept = serializers.DictField(child=serializers.IntegerField())


class ConsentStateSerializer(serializers.Serializer):
    status = serializers.CharField()
    lawful_basis = serializers.CharField()
    source = serializers.CharField()
    at = serializers.DateTimeField()


class EventBriefSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = ["code", "name", "occurred_at", "channel", "campaign", "utm_source", "utm_medium",
                  "utm_campaign", "properties", "quality_issues"]


class OrderBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["code", "external_id", "kind", "status", "amount", "currency", "margin",
                  "occurred_at"]

    def to_representation(self, instance):
        from mos.validation import money_text

        data = super().to_representation(instance)
        data["amount"] = money_text(instance.amount, instance.currency)
        return data


class ContactDetailSerializer(ContactSerializer):
    """A contact with its stage history, current consent per channel and recent activity."""

    stage_history = serializers.SerializerMethodField()
    consent = serializers.SerializerMethodField()
    recent_events = serializers.SerializerMethodField()
    recent_orders = serializers.SerializerMethodField()

    class Meta(ContactSerializer.Meta):
        fields = ContactSerializer.Meta.fields + ["stage_history", "consent", "recent_events",
                                                  "recent_orders"]

    @extend_schema_field(StageChangeSerializer(many=True))
    def get_stage_history(self, obj):
        rows = obj.stage_changes.select_related("by").order_by("at", "id")
        return StageChangeSerializer(rows, many=True).data

    @extend_schema_field({"type": "object", "additionalProperties": {
        "type": "object", "nullable": True,
        "properties": {"status": {"type": "string"}, "source": {"type": "string"},
                       "at": {"type": "string", "format": "date-time"}}},
        "example": {"email": {"status": "granted", "source": "signup form",
                              "at": "2026-03-01T09:00:00Z"}, "sms": None}})
    def get_consent(self, obj):
        return {ch: (ConsentStateSerializer(row).data if row else None)
                for ch, row in selectors.current_consent(obj).items()}

    @extend_schema_field(EventBriefSerializer(many=True))
    def get_recent_events(self, obj):
        rows = obj.events.select_related("channel", "campaign").order_by(
            "-occurred_at", "-id")[:20]
        return EventBriefSerializer(rows, many=True).data

    @extend_schema_field(OrderBriefSerializer(many=True))
    def get_recent_orders(self, obj):
        rows = obj.orders.order_by("-occurred_at", "-id")[:20]
        return OrderBriefSerializer(rows, many=True).data


class ContactFilterSerializer(serializers.Serializer):
    """Query parameters of GET /contacts/."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    stage = serializers.CharField(required=False, allow_blank=True,
                                  help_text="One stage key or a comma list.")
    persona = serializers.UUIDField(required=False)
    customer_type = serializers.CharField(required=False, allow_blank=True)
    channel = serializers.CharField(required=False, allow_blank=True,
                                    help_text="Source channel key(s), comma separated.")
    owner = serializers.CharField(required=False, allow_blank=True,
                                  help_text="Owner's e-mail, or `none` for unassigned.")
    segment = serializers.UUIDField(required=False)

    def _check_choices(self, value, choices):
        values = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in values if v not in choices]
        if bad:
            raise serializers.ValidationError(
                _("Unknown value(s): %(values)s") % {"values": ", ".join(bad)})
        return values

    def validate_stage(self, value):
        return self._check_choices(value, Stage.values)

    def validate_customer_type(self, value):
        return self._check_choices(value, CustomerType.values)


# --- accounts, personas, segments, stages --------------------------------------------------

class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["code", "name", "domain", "industry", "size", "plan", "external_id",
                  "created_at"]
        read_only_fields = ["code", "created_at"]


class PersonaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Persona
        fields = ["code", "name", "description", "needs", "objections", "value_proposition",
                  "created_at"]
        read_only_fields = ["code", "created_at"]


class SegmentSerializer(serializers.ModelSerializer):
    filters = serializers.JSONField(
        required=False, help_text="Keys (AND): stage, persona (codes), customer_type, plan, "
                                  "country, channel (keys) — lists; owner (e-mail); properties "
                                  "{key: value}.")

    class Meta:
        model = Segment
        fields = ["code", "name", "description", "filters", "created_at"]
        read_only_fields = ["code", "created_at"]

    def validate_filters(self, value):
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            return selectors.validate_segment_filters(value)
        except DjangoValidationError as e:
            raise serializers.ValidationError(
                e.message_dict if hasattr(e, "error_dict") else e.messages) from None


class SegmentDetailSerializer(SegmentSerializer):
    member_count = serializers.SerializerMethodField()

    class Meta(SegmentSerializer.Meta):
        fields = SegmentSerializer.Meta.fields + ["member_count"]

    def get_member_count(self, obj) -> int:
        return selectors.segment_contacts(obj).count()


class LifecycleStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = LifecycleStage
        fields = ["key", "name", "definition", "position"]
        read_only_fields = ["key", "position"]
        extra_kwargs = {"name": {"required": False}, "definition": {"required": False}}


# --- sales ---------------------------------------------------------------------------------

class LeadSerializer(serializers.ModelSerializer):
    """A lead as a sales rep sees it on their phone."""

    email = serializers.CharField(read_only=True,
                                  help_text="The lead's e-mail address, or \"\" when unknown.")
    source_channel = serializers.SlugRelatedField(slug_field="key", read_only=True,
                                                  allow_null=True)
    source_channel_name = serializers.CharField(source="source_channel.name", read_only=True,
                                                default="")
    account = serializers.CharField(source="account.name", read_only=True, default="")

    class Meta:
        model = Contact
        fields = ["code", "name", "email", "phone", "company", "account", "country", "stage",
                  "stage_changed_at", "source_channel", "source_channel_name", "created_at"]
        read_only_fields = fields


class LeadFeedbackSerializer(serializers.ModelSerializer):
    contact = CodeField(Contact, required=True, allow_null=False)
    rep = MemberEmailField(help_text="The sales rep whose verdict this is, by e-mail: an API "
                                     "key must name one; a person signed in is the rep.")
    quality = serializers.IntegerField(min_value=1, max_value=5)

    class Meta:
        model = LeadFeedback
        fields = ["code", "contact", "rep", "quality", "outcome", "reason", "note", "at"]
        read_only_fields = ["code", "at"]
