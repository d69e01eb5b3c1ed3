"""The API of the content calendar, campaign plans and customer service (complaints, surveys,
answers). Viewsets validate with a serializer and call one service; every queryset starts from
the request's workspace."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet, WorkspaceRelatedField, \
    WorkspaceViewSet
from mos.codes import as_code

from crm.channels.api import ChannelKeyField
from crm.models import Campaign, Complaint, Contact, Persona, Segment, Survey, SurveyAnswer
from crm.service import selectors as service_selectors
from crm.service import services as service_services
from . import results, services
from .models import CampaignPlan, ContentItem


@extend_schema_field(OpenApiTypes.EMAIL)
class MemberField(serializers.Field):
    """A member of the request's workspace, named by e-mail."""

    default_error_messages = {"invalid": "No member of this workspace has this e-mail."}

    def to_representation(self, value):
        return value.email if value else None

    def to_internal_value(self, data):
        user = get_user_model().objects.filter(
            email__iexact=str(data).strip(),
            memberships__workspace=self.context["workspace"]).first()
        if user is None:
            self.fail("invalid")
        return user



@extend_schema_field(OpenApiTypes.UUID)
class CodeField(WorkspaceRelatedField):
    pass


class ContentItemSerializer(serializers.ModelSerializer):
    channel = ChannelKeyField()
    owner = MemberField(required=False, allow_null=True)
    persona = CodeField(Persona, required=False, allow_null=True)
    segment = CodeField(Segment, required=False, allow_null=True)
    campaign = CodeField(Campaign, required=False, allow_null=True)

    class Meta:
        model = ContentItem
        fields = ["code", "title", "channel", "status", "publish_on", "publish_time", "owner",
                  "persona", "segment", "campaign", "brief", "url", "created_at", "updated_at"]
        read_only_fields = ["code", "created_at", "updated_at"]


ITEM_OUT = {"code": "0b6f0a43-3c1d-4a51-9f3e-6a1e2f7c8d90", "title": "Ramadan offer reel",
            "channel": "organic_social", "status": "scheduled", "publish_on": "2026-03-02",
            "publish_time": "19:30:00", "owner": "sara@example.com", "persona": None,
            "segment": None, "campaign": "7d3f1a9e-2b6c-4d8e-a1f5-3c7b9e0d2a46",
            "brief": "30 s reel, Arabic captions", "url": "",
            "created_at": "2026-02-10T09:00:00Z", "updated_at": "2026-02-12T14:20:00Z"}
ERROR = OpenApiExample(
    "Invalid input", status_codes=["400"], response_only=True,
    value={"error": {"code": "invalid", "message": "Invalid input.",
                     "fields": {"channel": ["Object with key=tv does not exist."]}}})


@extend_schema_view(
    list=extend_schema(tags=["content calendar"], parameters=[
        OpenApiParameter("from", OpenApiTypes.DATE, description="Items published on or after."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Items published on or before."),
        OpenApiParameter("status", str, description="idea, draft, scheduled or published."),
        OpenApiParameter("channel", str, description="A channel's key.")]),
    retrieve=extend_schema(tags=["content calendar"]),
    create=extend_schema(tags=["content calendar"], examples=[
        OpenApiExample("Item", value=ITEM_OUT, response_only=True, status_codes=["201"]),
        ERROR]),
    partial_update=extend_schema(tags=["content calendar"]),
    destroy=extend_schema(tags=["content calendar"]))
class ContentItemViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """The content calendar's items (per channel, with owner, persona/segment, campaign,
    status and date)."""

    model = ContentItem
    serializer_class = ContentItemSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_perm = "content.view"
    write_perm = "content.edit"
    object_arg = "item"
    create_service = services.content_item_create
    update_service = services.content_item_update
    delete_service = services.content_item_delete

    def scope_queryset(self, qs):
        qs = qs.select_related("channel", "owner", "persona", "segment", "campaign")
        if self.action == "list":
            p = self.request.query_params
            from datetime import date

            for param, lookup in (("from", "publish_on__gte"), ("to", "publish_on__lte")):
                if p.get(param):
                    try:
                        qs = qs.filter(**{lookup: date.fromisoformat(p[param])})
                    except ValueError:
                        raise serializers.ValidationError(
                            {param: ["Give a date as YYYY-MM-DD."]}) from None
            if p.get("status"):
                qs = qs.filter(status=p["status"])
            if p.get("channel"):
                qs = qs.filter(channel__key=p["channel"])
        return qs


class CampaignResultsSerializer(serializers.Serializer):
    spend = serializers.DecimalField(max_digits=18, decimal_places=3)
    leads = serializers.IntegerField()
    customers = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=18, decimal_places=3)
    roi = serializers.FloatField(allow_null=True)
    roas = serializers.FloatField(allow_null=True)
    cac = serializers.FloatField(allow_null=True)
    cpl = serializers.FloatField(allow_null=True)
    budget_used = serializers.FloatField(allow_null=True)


class CampaignPlanSerializer(serializers.ModelSerializer):
    campaign = CodeField(Campaign)
    segment = CodeField(Segment, required=False, allow_null=True)
    persona = CodeField(Persona, required=False, allow_null=True)
    owner = MemberField(required=False, allow_null=True)
    results = serializers.SerializerMethodField()

    class Meta:
        model = CampaignPlan
        fields = ["code", "campaign", "market", "segment", "persona", "message", "target_leads",
                  "target_customers", "target_revenue", "owner", "expected", "happened", "why",
                  "next_steps", "reviewed_at", "results", "created_at"]
        read_only_fields = ["code", "reviewed_at", "results", "created_at"]
        validators = []

    @extend_schema_field(CampaignResultsSerializer)
    def get_results(self, plan):
        r = results.plan_report(plan)
        return CampaignResultsSerializer(r).data


@extend_schema_view(
    list=extend_schema(tags=["campaign plans"]), retrieve=extend_schema(tags=["campaign plans"]),
    create=extend_schema(tags=["campaign plans"]),
    partial_update=extend_schema(tags=["campaign plans"]))
class CampaignPlanViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """A campaign's plan (market, segment, targets), its results from MOS's data (ROI, spend
    vs budget, leads, customers, revenue, CAC) and the after-action review."""

    model = CampaignPlan
    serializer_class = CampaignPlanSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "content.view"
    write_perm = "content.edit"
    object_arg = "plan"
    create_service = services.campaign_plan_create
    update_service = services.campaign_plan_update

    def scope_queryset(self, qs):
        return qs.select_related("campaign", "campaign__channel", "segment", "persona", "owner")


# --- customer service ------------------------------------------------------------------------

@extend_schema_field(OpenApiTypes.EMAIL)
class ContactEmailField(serializers.Field):
    default_error_messages = {"invalid": "No contact of this workspace has this e-mail."}

    def to_representation(self, value):
        return str(value.code) if value else None

    def to_internal_value(self, data):
        code = as_code(data)
        qs = Contact.objects.filter(workspace=self.context["workspace"])
        contact = qs.filter(code=code).first() if code else \
            qs.filter(email__iexact=str(data).strip()).first()
        if contact is None:
            self.fail("invalid")
        return contact


class ComplaintSerializer(serializers.ModelSerializer):
    contact = ContactEmailField(required=False, allow_null=True,
                                help_text="The contact's code, or their e-mail.")
    owner = MemberField(required=False, allow_null=True)

    class Meta:
        model = Complaint
        fields = ["code", "kind", "via", "subject", "body", "contact", "status", "owner",
                  "received_at", "resolved_at", "handling_minutes", "resolution", "created_at"]
        read_only_fields = ["code", "created_at"]


@extend_schema_view(
    list=extend_schema(tags=["customer service"]),
    retrieve=extend_schema(tags=["customer service"]),
    create=extend_schema(tags=["customer service"]),
    partial_update=extend_schema(tags=["customer service"]))
class ComplaintViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Complaints and suggestions with their handling (status, owner, minutes, resolution)."""

    model = Complaint
    serializer_class = ComplaintSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "service.view"
    write_perm = "service.edit"
    action_perms = {"create": "service.log"}
    object_arg = "complaint"
    create_service = service_services.complaint_create
    update_service = service_services.complaint_update

    def scope_queryset(self, qs):
        qs = qs.select_related("contact", "owner")
        if self.action == "list" and (s := self.request.query_params.get("status")):
            qs = qs.filter(status=s)
        return qs


class SurveyResultsSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True,
                                   help_text="NPS (−100…100) or CSAT (share of 4–5).")
    response_rate = serializers.FloatField(allow_null=True)


class SurveySerializer(serializers.ModelSerializer):
    segment = CodeField(Segment, required=False, allow_null=True)
    results = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = ["code", "kind", "name", "question", "segment", "sent_at", "sent_count",
                  "closed_at", "results", "created_at"]
        read_only_fields = ["code", "sent_at", "sent_count", "closed_at", "results",
                            "created_at"]

    @extend_schema_field(SurveyResultsSerializer)
    def get_results(self, survey):
        return SurveyResultsSerializer(service_selectors.survey_results(survey)).data


class SendResultSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(tags=["customer service"]),
    retrieve=extend_schema(tags=["customer service"]),
    create=extend_schema(tags=["customer service"]),
    partial_update=extend_schema(tags=["customer service"]))
class SurveyViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """CSAT (1–5) and NPS (0–10) surveys sent to a segment; `send` e-mails each consenting
    contact their own answer link (once)."""

    model = Survey
    serializer_class = SurveySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "service.view"
    write_perm = "service.edit"
    object_arg = "survey"
    create_service = service_services.survey_create
    update_service = service_services.survey_update

    def scope_queryset(self, qs):
        return qs.select_related("segment")

    @extend_schema(tags=["customer service"], request=None, responses=SendResultSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, code=None):
        n = service_services.survey_send(actor=request.actor, survey=self.get_object())
        return Response({"recipients": n})


class SurveyAnswerSerializer(serializers.ModelSerializer):
    survey = serializers.UUIDField(source="survey.code", read_only=True)
    contact = serializers.UUIDField(source="contact.code", read_only=True)

    class Meta:
        model = SurveyAnswer
        fields = ["code", "survey", "contact", "score", "comment", "answered_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(tags=["customer service"], parameters=[
        OpenApiParameter("survey", OpenApiTypes.UUID, description="Only this survey's."),
        OpenApiParameter("contact", OpenApiTypes.UUID, description="Only this contact's.")]),
    retrieve=extend_schema(tags=["customer service"]))
class SurveyAnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Survey answers (given on the public answer page), read-only."""

    model = SurveyAnswer
    serializer_class = SurveyAnswerSerializer
    http_method_names = ["get", "head", "options"]
    read_perm = "service.view"
    write_perm = "service.edit"  # no writes here (405), but a write key is not refused first

    def scope_queryset(self, qs):
        qs = qs.select_related("survey", "contact")
        p = self.request.query_params
        for name in ("survey", "contact"):
            if p.get(name):
                code = as_code(p[name])
                qs = qs.filter(**{f"{name}__code": code}) if code else qs.none()
        return qs


def register(router):
    router.register("content-items", ContentItemViewSet, basename="content-item")
    router.register("campaign-plans", CampaignPlanViewSet, basename="campaign-plan")
    router.register("complaints", ComplaintViewSet, basename="complaint")
    router.register("surveys", SurveyViewSet, basename="survey")
    router.register("survey-answers", SurveyAnswerViewSet, basename="survey-answer")
