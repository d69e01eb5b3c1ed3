"""The CRM's REST API: contacts (with stage moves and consent), accounts, personas, segments,
lifecycle stages, a sales rep's leads and lead feedback. Viewsets validate with a serializer
and call one service or selector; every queryset starts from the request's workspace."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from mos.api import ServiceWritesMixin, WorkspaceModelViewSet, WorkspaceViewSet
from mos.api_base import CodeCursorPagination
from mos.codes import as_code

from . import erasure, extensions, selectors, services
from .models import Account, Contact, LeadFeedback, LifecycleStage, Persona, Segment
from .serializers import (
    AccountSerializer,
    ConsentSerializer,
    ContactDetailSerializer,
    ContactFilterSerializer,
    ContactSerializer,
    ErasureInSerializer,
    ErasureSerializer,
    LeadFeedbackSerializer,
    LeadSerializer,
    LifecycleStageSerializer,
    PersonaSerializer,
    SegmentDetailSerializer,
    SegmentSerializer,
    StageChangeInSerializer,
    StageChangeSerializer,
)

NO_PUT = ["get", "post", "patch", "delete", "head", "options"]

# --- OpenAPI examples ----------------------------------------------------------------------

CODE = "6f1c2b7e-3d5a-4c8e-9b1f-2a4d6e8f0a1c"
ACCOUNT_CODE = "0b7d9a52-5c1e-4f3a-8d2b-7e6c5a4b3f21"
PERSONA_CODE = "3e8a1f4c-9b2d-4a6e-8c7f-1d5b3a9e2c64"
SEGMENT_CODE = "9c4e2a7b-1f3d-4b8a-a6e5-2d7c9b1f4e38"
AT = "2026-03-14T10:30:00Z"
ERROR_EXAMPLE = OpenApiExample(
    "Invalid input", status_codes=["400"], response_only=True,
    value={"error": {"code": "invalid", "message": "Invalid input.",
                     "fields": {"persona": ["Object with code=… does not exist."]}}})


def _examples(name: str, *, request: dict | None = None, response: dict | None = None,
              many: bool = False, status_code: str = "200") -> list[OpenApiExample]:
    out = []
    if request is not None:
        out.append(OpenApiExample(name, value=request, request_only=True))
    if response is not None:
        value = {"next": None, "previous": None, "results": [response]} if many else response
        out.append(OpenApiExample(name, value=value, response_only=True,
                                  status_codes=[status_code]))
    return out


CONTACT_IN = {"email": "layla@example.com", "name": "Layla Haddad", "phone": "+966501234567",
              "company": "Haddad Trading", "country": "SA", "city": "Riyadh", "language": "ar",
              "persona": PERSONA_CODE, "customer_type": "loyal", "buying_role": "decision_maker",
              "owner": "rep@acme.test", "stage": "lead", "source_channel": "paid_search",
              "properties": {"plan_interest": "pro"}}
CONTACT_OUT = {"code": CODE, "external_id": "", "email": "layla@example.com",
               "phone": "+966501234567", "name": "Layla Haddad", "account": None,
               "company": "Haddad Trading", "country": "SA", "city": "Riyadh", "language": "ar",
               "persona": PERSONA_CODE, "customer_type": "loyal",
               "buying_role": "decision_maker", "owner": "rep@acme.test",
               "source_channel": "paid_search", "source_campaign": None,
               "properties": {"plan_interest": "pro"}, "stage": "lead",
               "stage_changed_at": AT, "created_at": AT, "updated_at": AT}
STAGE_OUT = {"contact": CODE, "from_stage": "lead", "to_stage": "mql", "at": AT,
             "by": "marketer@acme.test", "reason": "Asked for a demo"}
CONTACT_DETAIL = {**CONTACT_OUT,
                  "stage_history": [{**STAGE_OUT, "from_stage": "", "to_stage": "lead",
                                     "reason": ""}],
                  "consent": {"email": {"status": "granted", "source": "signup form",
                                        "at": AT}, "sms": None, "push": None, "phone": None},
                  "recent_events": [{"name": "page_view", "occurred_at": AT,
                                     "channel": "paid_search", "campaign": None,
                                     "utm_source": "google", "utm_medium": "cpc",
                                     "utm_campaign": "spring", "properties": {},
                                     "quality_issues": []}],
                  "recent_orders": [{"code": CODE, "external_id": "INV-1001", "kind": "new",
                                     "status": "paid",
                                     "amount": "120.00", "currency": "SAR", "margin": None,
                                     "occurred_at": AT}]}
CONSENT_IN = {"channel": "email", "status": "granted", "lawful_basis": "consent",
              "source": "signup form", "at": AT}
CONSENT_OUT = {"contact": CODE, **CONSENT_IN, "recorded_at": AT}
ERASURE_OUT = {"code": CODE, "contact": CODE, "at": AT, "reason": "Asked by e-mail",
               "kept": {"orders": 3, "events": 12, "stage_changes": 2}}
ACCOUNT_IN = {"name": "Haddad Trading", "domain": "haddad.example", "industry": "Retail",
              "size": "51-200", "plan": "pro", "external_id": "crm-8812"}
ACCOUNT_OUT = {"code": ACCOUNT_CODE, **ACCOUNT_IN, "created_at": AT}
PERSONA_IN = {"name": "Operations manager", "description": "Runs a 10-person team",
              "needs": "Fewer manual reports", "objections": "Switching cost",
              "value_proposition": "Weekly numbers without spreadsheets"}
PERSONA_OUT = {"code": PERSONA_CODE, **PERSONA_IN, "created_at": AT}
SEGMENT_IN = {"name": "Saudi MQLs from paid search", "description": "",
              "filters": {"stage": ["mql"], "country": ["SA"], "channel": ["paid_search"]}}
SEGMENT_OUT = {"code": SEGMENT_CODE, **SEGMENT_IN, "created_at": AT}
STAGE_DEF_OUT = {"key": "mql", "name": "Marketing-qualified lead (MQL)",
                 "definition": "A lead who fits a persona and asked for a demo.", "position": 2}
LEAD_OUT = {"code": CODE, "name": "Layla Haddad", "email": "layla@example.com",
            "phone": "+966501234567", "company": "Haddad Trading", "account": "",
            "country": "SA", "stage": "sql", "stage_changed_at": AT,
            "source_channel": "paid_search", "source_channel_name": "Paid search",
            "created_at": AT}
FEEDBACK_IN = {"contact": CODE, "quality": 4, "outcome": "accepted",
               "reason": "Budget confirmed", "note": "Call back Sunday"}
FEEDBACK_OUT = {"code": SEGMENT_CODE, **FEEDBACK_IN, "rep": "rep@acme.test", "at": AT}


def crud_schema(tag: str, name: str, serializer_in: dict, serializer_out: dict,
                detail_out: dict | None = None, detail_serializer=None):
    """extend_schema_view kwargs giving every CRUD action a request and response example."""
    detail_out = detail_out or serializer_out
    retrieve = {"examples": _examples(name, response=detail_out)}
    if detail_serializer is not None:
        retrieve["responses"] = detail_serializer
    return dict(
        list=extend_schema(tags=[tag], examples=_examples(name, response=serializer_out,
                                                          many=True)),
        retrieve=extend_schema(tags=[tag], **retrieve),
        create=extend_schema(tags=[tag], examples=[
            *_examples(name, request=serializer_in, response=serializer_out,
                       status_code="201"), ERROR_EXAMPLE]),
        partial_update=extend_schema(tags=[tag], examples=[
            *_examples(name, request={k: serializer_in[k] for k in list(serializer_in)[:2]},
                       response=serializer_out), ERROR_EXAMPLE]),
        destroy=extend_schema(tags=[tag]),
    )


class ServiceModelViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """CRM CRUD whose writes go through crm.services."""

    http_method_names = NO_PUT
    read_perm = "crm.view"
    write_perm = "crm.edit"


# --- contacts --------------------------------------------------------------------------------

CONTACT_FILTER_PARAMS = [
    OpenApiParameter("q", str, description="Search name, company (contains), e-mail and phone "
                                           "(starts with)."),
    OpenApiParameter("stage", str, description="Stage key(s), comma separated."),
    OpenApiParameter("persona", OpenApiTypes.UUID, description="Persona code."),
    OpenApiParameter("customer_type", str, description="Customer type(s), comma separated."),
    OpenApiParameter("channel", str, description="Source channel key(s), comma separated."),
    OpenApiParameter("owner", str, description="Owner's e-mail, or `none`."),
    OpenApiParameter("segment", OpenApiTypes.UUID, description="Segment code."),
]


class ContactCursorPagination(CodeCursorPagination):
    """Newest first, served by the (workspace, -created_at, -id) index at a million rows."""

    ordering = ("-created_at", "-id")


@extend_schema_view(**crud_schema("contacts", "Contact", CONTACT_IN, CONTACT_OUT,
                                  CONTACT_DETAIL, ContactDetailSerializer))
class ContactViewSet(ServiceModelViewSet):
    """Contacts: search, profile with history, create, edit, delete; stage moves and consent."""

    model = Contact
    serializer_class = ContactSerializer
    pagination_class = ContactCursorPagination
    object_arg = "contact"
    create_service = services.contact_create
    update_service = services.contact_update
    delete_service = services.contact_delete

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ContactDetailSerializer
        if self.action == "stage":
            return StageChangeInSerializer
        if self.action in ("consent", "consent_history"):
            return ConsentSerializer
        if self.action == "erase":
            return ErasureInSerializer
        return ContactSerializer

    def scope_queryset(self, qs):
        qs = self._rows(qs)
        if self.action != "list":
            return qs
        params = ContactFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        found = selectors.contact_filter(qs, self.request.workspace, **params.validated_data)
        if not params.validated_data.get("q"):
            return found
        # a search's matches are found through its own index first (see narrow_to_matches)
        return selectors.narrow_to_matches(found, self._rows(Contact.objects.all()))

    @staticmethod
    def _rows(qs):
        qs = qs.select_related(*selectors.CONTACT_ROW_RELATED)
        return extensions.contact_queryset(qs)  # e.g. the predictions, in the same query

    @extend_schema(tags=["contacts"], parameters=CONTACT_FILTER_PARAMS,
                   examples=_examples("Contact", response=CONTACT_OUT, many=True))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=["contacts"], request=StageChangeInSerializer,
                   responses={201: StageChangeSerializer},
                   examples=[*_examples("Move to MQL", request={"to_stage": "mql",
                                                                "reason": "Asked for a demo"},
                                        response=STAGE_OUT, status_code="201"),
                             ERROR_EXAMPLE])
    @action(detail=True, methods=["post"], url_path="stage")
    def stage(self, request, code=None):
        """Move the contact to another lifecycle stage (any move, backwards too)."""
        contact = self.get_object()
        ser = StageChangeInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        change = services.contact_change_stage(actor=request.actor, contact=contact,
                                               **ser.validated_data)
        return Response(StageChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["contacts"], request=ConsentSerializer,
                   responses={201: ConsentSerializer},
                   examples=[*_examples("Consent", request=CONSENT_IN, response=CONSENT_OUT,
                                        status_code="201"), ERROR_EXAMPLE])
    @action(detail=True, methods=["post"], url_path="consent")
    def consent(self, request, code=None):
        """Append a consent row (granted / withdrawn) for one channel."""
        contact = self.get_object()
        ser = ConsentSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        row = services.consent_record(actor=request.actor, contact=contact,
                                      **ser.validated_data)
        return Response(ConsentSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["contacts"], responses={200: ConsentSerializer(many=True)},
                   examples=_examples("Consent history", response=[CONSENT_OUT]))
    @action(detail=True, methods=["get"], url_path="consent-history", url_name="consent_history",
            pagination_class=None)
    def consent_history(self, request, code=None):
        """The contact's whole consent ledger, newest first: every grant and withdrawal with
        its channel, lawful basis, source and time."""
        contact = self.get_object()
        rows = selectors.consent_history(contact)
        return Response(ConsentSerializer(rows, many=True).data)

    @extend_schema(tags=["contacts"], request=ErasureInSerializer,
                   responses={200: ErasureSerializer},
                   examples=[*_examples("Erase", request={"reason": "Asked by e-mail"},
                                        response=ERASURE_OUT), ERROR_EXAMPLE])
    @action(detail=True, methods=["post"], url_path="erase")
    def erase(self, request, code=None):
        """Erase the contact's personal data (admins only; cannot be undone). Orders, events
        and stage history stay as anonymous rows, so metrics do not change; the erasure is
        recorded without the data, and the same e-mail or phone is refused by later imports
        unless they carry a new consent."""
        contact = self.get_object()  # another workspace's contact: 404 before any 403
        if not request.actor.can("crm.erase"):
            raise PermissionDenied()
        ser = ErasureInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        record = erasure.contact_erase(actor=request.actor, contact=contact,
                                       reason=ser.validated_data.get("reason", ""))
        return Response(ErasureSerializer(record).data)


# --- accounts, personas, segments --------------------------------------------------------------

@extend_schema_view(**crud_schema("accounts", "Account", ACCOUNT_IN, ACCOUNT_OUT))
class AccountViewSet(ServiceModelViewSet):
    model = Account
    serializer_class = AccountSerializer
    object_arg = "account"
    create_service = services.account_create
    update_service = services.account_update
    delete_service = services.account_delete


@extend_schema_view(**crud_schema("personas", "Persona", PERSONA_IN, PERSONA_OUT))
class PersonaViewSet(ServiceModelViewSet):
    model = Persona
    serializer_class = PersonaSerializer
    object_arg = "persona"
    create_service = services.persona_create
    update_service = services.persona_update
    delete_service = services.persona_delete


@extend_schema_view(**crud_schema("segments", "Segment", SEGMENT_IN, SEGMENT_OUT,
                                  {**SEGMENT_OUT, "member_count": 42}, SegmentDetailSerializer))
class SegmentViewSet(ServiceModelViewSet):
    model = Segment
    serializer_class = SegmentSerializer
    object_arg = "segment"
    create_service = services.segment_create
    update_service = services.segment_update
    delete_service = services.segment_delete

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SegmentDetailSerializer
        if self.action == "members":
            return ContactSerializer
        return SegmentSerializer

    @extend_schema(tags=["segments"], responses=ContactSerializer(many=True),
                   examples=_examples("Members", response=CONTACT_OUT, many=True))
    @action(detail=True, methods=["get"], url_path="members")
    def members(self, request, code=None):
        """The contacts who match the segment now, newest first (paginated)."""
        segment = self.get_object()
        page = self.paginate_queryset(selectors.segment_members(segment))
        return self.get_paginated_response(ContactSerializer(
            page, many=True, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(tags=["lifecycle stages"],
                       examples=_examples("Stage", response=[STAGE_DEF_OUT])),
    partial_update=extend_schema(tags=["lifecycle stages"], examples=[
        *_examples("Stage", request={"name": "MQL", "definition": STAGE_DEF_OUT["definition"]},
                   response=STAGE_DEF_OUT), ERROR_EXAMPLE]),
)
class LifecycleStageViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, WorkspaceViewSet):
    """The workspace's names and written definitions of its nine lifecycle stages."""

    model = LifecycleStage
    serializer_class = LifecycleStageSerializer
    lookup_field = "key"
    lookup_value_regex = "[a-z_]+"
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]
    read_perm = "crm.view"
    write_perm = "lifecycle.define"  # the lifecycle page checks the same

    def list(self, request, *args, **kwargs):
        rows = selectors.lifecycle_stages(request.workspace)
        return Response(self.get_serializer(rows, many=True).data)

    def find_object(self, workspace, lookup):
        return selectors.get_lifecycle_stage(workspace, lookup)  # a default stage is unsaved

    def perform_update(self, serializer):
        stage = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.lifecycle_stage_update(
            actor=self.request.actor, stage=stage, name=data.get("name", stage.name),
            definition=data.get("definition", stage.definition))


# --- sales reps --------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(tags=["leads"], parameters=[
        OpenApiParameter("owner", OpenApiTypes.EMAIL,
                         description="A rep's e-mail (CRM users and API keys only).")],
        examples=_examples("Lead", response=LEAD_OUT, many=True)),
    retrieve=extend_schema(tags=["leads"], examples=_examples("Lead", response=LEAD_OUT)),
)
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Open leads (lead → opportunity), newest first. A person gets the leads assigned to
    them; someone who may read the whole CRM (and an API key, which is not a person) may name
    a rep with ?owner=<e-mail> — a key without it gets every open lead."""

    model = Contact
    serializer_class = LeadSerializer
    read_perm = "leads.view_assigned"
    write_perm = "leads.view_assigned"  # read-only resource: writes answer 405, not 403

    def _leads(self):
        ws, actor = self.request.workspace, self.request.actor
        owner = self.request.query_params.get("owner", "") if actor.can("crm.view") else ""
        if actor.user is not None and not owner:
            return selectors.leads_for_rep(ws, actor.user)
        return selectors.open_leads(ws, owner_email=owner)

    def scope_queryset(self, qs):
        if self.action == "retrieve" and self.request.actor.can("crm.view"):
            # CRM users and keys may open any open lead, not only their own
            return qs.filter(pk__in=selectors.open_leads(self.request.workspace).values("pk")
                             ).select_related("source_channel", "account")
        return qs.filter(pk__in=self._leads().values("pk")).select_related("source_channel",
                                                                            "account")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self._leads())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(tags=["leads"], parameters=[
        OpenApiParameter("contact", OpenApiTypes.UUID, description="Only this contact.")],
        examples=_examples("Feedback", response=FEEDBACK_OUT, many=True)),
    retrieve=extend_schema(tags=["leads"], examples=_examples("Feedback",
                                                             response=FEEDBACK_OUT)),
    create=extend_schema(tags=["leads"], examples=[
        *_examples("Feedback", request=FEEDBACK_IN, response=FEEDBACK_OUT, status_code="201"),
        ERROR_EXAMPLE]),
)
class LeadFeedbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, WorkspaceViewSet):
    """Sales reps' verdicts on leads. A rep may judge only leads assigned to them (403)."""

    model = LeadFeedback
    serializer_class = LeadFeedbackSerializer
    read_perm = "crm.view"
    write_perm = "leads.feedback"

    def scope_queryset(self, qs):
        qs = qs.select_related("contact", "rep")
        if self.action == "list" and (code := self.request.query_params.get("contact")):
            contact = Contact.objects.filter(workspace=self.request.workspace,
                                             code=as_code(code)).first() \
                if as_code(code) else None
            qs = qs.filter(contact=contact) if contact else qs.none()
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.lead_feedback_create(actor=self.request.actor,
                                                            **serializer.validated_data)


def register(router):
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("accounts", AccountViewSet, basename="account")
    router.register("personas", PersonaViewSet, basename="persona")
    router.register("segments", SegmentViewSet, basename="segment")
    router.register("lifecycle-stages", LifecycleStageViewSet, basename="lifecycle-stage")
    router.register("leads", LeadViewSet, basename="lead")
    router.register("lead-feedback", LeadFeedbackViewSet, basename="lead-feedback")
