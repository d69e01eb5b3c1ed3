"""The plans API (plan14): SOSTAC plans (+ objectives, actions, publish, versions), quarterly
bets (+ score), checklists from templates (+ items), budget splits (propose, accept, outcome),
and the read-only rhythm and e-marketing cycle. Writes go through planning.services_plans."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from engines.api_engines import CodeRefField, MemberEmailField
from engines.models import KPI
from mos.api import ServiceWritesMixin, WorkspaceModelViewSet, WorkspaceScopedMixin
from mos.periods import workspace_today

from . import selectors_plans as sel
from . import services_plans as svc
from .checklists import TEMPLATES, item_label
from .models_plans import (BudgetPlan, Checklist, ChecklistItem, PlanAction, PlanObjective,
                           PlanVersion, QuarterlyBet, SostacPlan)


def _code_list(model):
    return CodeRefField(model, many=True, required=False)


class PlanObjectiveSerializer(serializers.ModelSerializer):
    plan = CodeRefField(SostacPlan)
    kpi = CodeRefField(KPI)

    class Meta:
        model = PlanObjective
        fields = ["code", "plan", "kpi", "target", "due"]
        read_only_fields = ["code"]


class PlanActionSerializer(serializers.ModelSerializer):
    plan = CodeRefField(SostacPlan)
    owner = MemberEmailField(required=False, allow_null=True)

    class Meta:
        model = PlanAction
        fields = ["code", "plan", "what", "owner", "due", "done"]
        read_only_fields = ["code"]


class SostacPlanSerializer(serializers.ModelSerializer):
    from crm.models import Campaign, Channel, Persona, Segment

    segments = _code_list(Segment)
    personas = _code_list(Persona)
    channels = _code_list(Channel)
    campaigns = _code_list(Campaign)
    service_mix = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                        required=False,
                                        help_text="8P: product, price, promotion, place, "
                                                  "process, physical, people, performance")
    diagnostics = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                        required=False,
                                        help_text="Answers to seed 000's diagnostic questions: "
                                                  + ", ".join(sel.DIAGNOSTICS))
    objectives = PlanObjectiveSerializer(many=True, read_only=True)
    actions = PlanActionSerializer(many=True, read_only=True)

    class Meta:
        model = SostacPlan
        fields = ["code", "title", "starts", "ends", "situation", "diagnostics", "segments",
                  "personas", "positioning", "service_mix", "channels", "campaigns", "tactics",
                  "control", "objectives", "actions", "version", "created_at", "updated_at"]
        read_only_fields = ["code", "version", "created_at", "updated_at"]


class PlanVersionSerializer(serializers.ModelSerializer):
    plan = serializers.UUIDField(source="plan.code", read_only=True)
    published_by = serializers.SerializerMethodField()

    class Meta:
        model = PlanVersion
        fields = ["code", "plan", "number", "note", "published_at", "published_by",
                  "snapshot"]
        read_only_fields = fields

    def get_published_by(self, obj) -> str | None:
        return obj.published_by.email if obj.published_by else None


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class SostacPlanViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """SOSTAC plans. The situation starts from the last closed month's numbers; `publish`
    freezes the plan and its numbers as the next version (`versions` lists them)."""

    model = SostacPlan
    serializer_class = SostacPlanSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    action_perms = {"publish": "planning.decide"}
    object_arg = "plan"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_service = staticmethod(svc.plan_create)
    update_service = staticmethod(svc.plan_update)
    delete_service = staticmethod(svc.plan_delete)

    def scope_queryset(self, qs):
        return qs.prefetch_related("segments", "personas", "channels", "campaigns",
                                   "objectives__kpi", "objectives__plan", "actions__owner",
                                   "actions__plan")

    @extend_schema(request=PublishSerializer, responses=PlanVersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, code=None):
        ser = PublishSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        version = svc.plan_publish(actor=request.actor, plan=self.get_object(),
                                   note=ser.validated_data.get("note", ""))
        return Response(PlanVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class PlanVersionViewSet(WorkspaceScopedMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Published SOSTAC versions (immutable). `?plan=<code>` filters."""

    model = PlanVersion
    serializer_class = PlanVersionSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"  # no writes: 405, not 403

    def scope_queryset(self, qs):
        qs = qs.select_related("plan", "published_by")
        if self.action == "list" and (p := self.request.query_params.get("plan")):
            from mos.codes import as_code

            qs = qs.filter(plan__code=as_code(p)) if as_code(p) else qs.none()
        return qs


def _objective_create(*, actor, **data):
    return svc.objective_add(actor=actor, **data)


def _row_delete(*, actor, row):
    svc.plan_row_delete(actor=actor, row=row)


class PlanObjectiveViewSet(ServiceWritesMixin, WorkspaceScopedMixin, mixins.ListModelMixin,
                           mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A plan's objectives: a KPI and its target by a date."""

    model = PlanObjective
    serializer_class = PlanObjectiveSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    object_arg = "row"
    create_service = staticmethod(_objective_create)
    delete_service = staticmethod(_row_delete)

    def scope_queryset(self, qs):
        return qs.select_related("plan", "kpi")


class PlanActionViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """A plan's actions: what, owner (e-mail), due date, done."""

    model = PlanAction
    serializer_class = PlanActionSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    object_arg = "action"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_service = staticmethod(lambda *, actor, **d: svc.action_add(actor=actor, **d))
    delete_service = staticmethod(lambda *, actor, action: svc.plan_row_delete(
        actor=actor, row=action))

    @staticmethod
    def update_service(*, actor, action, plan=None, **data):
        if plan is not None and plan != action.plan:
            from django.core.exceptions import ValidationError

            raise ValidationError({"plan": ["An action cannot move to another plan."]})
        return svc.action_update(actor=actor, action=action, **data)

    def scope_queryset(self, qs):
        return qs.select_related("plan", "owner")


# --- bets -----------------------------------------------------------------------------------

@extend_schema_field({"type": "string", "example": "2026-Q3"})
class QuarterField(serializers.Field):
    def to_internal_value(self, data):
        try:
            return sel.parse_quarter(str(data))
        except Http404:
            raise serializers.ValidationError("Quarter must look like 2026-Q3.") from None

    def to_representation(self, value):
        return sel.quarter_label(value)


class BetSerializer(serializers.ModelSerializer):
    from engines.models import KPI, GrowthEngine
    from experiments.models import Experiment

    quarter = QuarterField()
    kpi = CodeRefField(KPI, required=False, allow_null=True,
                       help_text="Default: the North Star KPI.")
    engine = CodeRefField(GrowthEngine, required=False, allow_null=True)
    owner = MemberEmailField(required=False, allow_null=True)
    experiments = _code_list(Experiment)
    confirm_extra = serializers.BooleanField(required=False, write_only=True, help_text=(
        "Seed 001 asks for 3–5 bets a quarter: a sixth is refused unless this is true."))

    class Meta:
        model = QuarterlyBet
        fields = ["code", "quarter", "title", "expected_effect", "kpi", "baseline",
                  "expected", "owner", "engine", "experiments", "confirm_extra", "actual",
                  "score", "scored_at", "created_at"]
        read_only_fields = ["code", "actual", "score", "scored_at", "created_at"]


class BetViewSet(ServiceWritesMixin, WorkspaceModelViewSet):
    """Quarterly bets tied to the North Star. `?quarter=2026-Q3` filters; `score` (once the
    quarter is over) reads the KPI's actual value over the quarter."""

    model = QuarterlyBet
    serializer_class = BetSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    action_perms = {"score": "planning.decide"}
    object_arg = "bet"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_service = staticmethod(svc.bet_create)
    update_service = staticmethod(svc.bet_update)
    delete_service = staticmethod(svc.bet_delete)

    def scope_queryset(self, qs):
        qs = qs.select_related("owner", "engine", "kpi").prefetch_related("experiments")
        if self.action == "list" and (q := self.request.query_params.get("quarter")):
            try:
                qs = qs.filter(quarter=sel.parse_quarter(q))
            except Http404:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"quarter": ["Quarter must look like 2026-Q3."]}) from None
        return qs

    @extend_schema(parameters=[OpenApiParameter("quarter", str, description="2026-Q3")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=BetSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request, code=None):
        bet = svc.bet_score(actor=request.actor, bet=self.get_object())
        return Response(BetSerializer(bet, context=self.get_serializer_context()).data)


# --- checklists -----------------------------------------------------------------------------

class ChecklistItemSerializer(serializers.ModelSerializer):
    checklist = serializers.UUIDField(source="checklist.code", read_only=True)
    owner = MemberEmailField(required=False, allow_null=True)
    label = serializers.SerializerMethodField()
    done = serializers.BooleanField(required=False)

    class Meta:
        model = ChecklistItem
        fields = ["code", "checklist", "position", "phase", "item_key", "label", "text",
                  "owner", "due", "done", "done_at"]
        read_only_fields = ["code", "position", "phase", "item_key", "done_at"]

    def get_label(self, obj) -> str:
        return obj.text or item_label(obj.checklist.template, obj.item_key)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["done"] = instance.done_at is not None
        return data


class ChecklistSerializer(serializers.ModelSerializer):
    template = serializers.ChoiceField(choices=list(TEMPLATES))
    owner = MemberEmailField(required=False, allow_null=True, write_only=True,
                             help_text="Owner of every item (optional).")
    items = ChecklistItemSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Checklist
        fields = ["code", "template", "title", "starts", "owner", "progress", "items",
                  "created_at"]
        read_only_fields = ["code", "progress", "items", "created_at"]
        extra_kwargs = {"title": {"required": False}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["title"] = instance.display_title
        return data

    def get_progress(self, obj) -> float:
        items = list(obj.items.all())
        return round(sum(1 for i in items if i.done_at) / len(items), 4) if items else 0.0


class ChecklistViewSet(ServiceWritesMixin, WorkspaceScopedMixin, mixins.ListModelMixin,
                       mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Plans started from a template (`30_60_90`, `mvp14`): items with owners and due dates
    counted from `starts`."""

    model = Checklist
    serializer_class = ChecklistSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    object_arg = "checklist"
    create_service = staticmethod(svc.checklist_start)
    delete_service = staticmethod(svc.checklist_delete)

    def scope_queryset(self, qs):
        return qs.prefetch_related("items__owner", "items__checklist")


class ChecklistItemViewSet(ServiceWritesMixin, WorkspaceScopedMixin, mixins.ListModelMixin,
                           mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                           viewsets.GenericViewSet):
    """A checklist's items: tick done, change the owner, the due date or the wording."""

    model = ChecklistItem
    serializer_class = ChecklistItemSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    object_arg = "item"
    http_method_names = ["get", "patch", "head", "options"]
    update_service = staticmethod(svc.checklist_item_update)

    def scope_queryset(self, qs):
        return qs.select_related("checklist", "owner")


# --- budget ---------------------------------------------------------------------------------

@extend_schema_field({"type": "string", "example": "2026-10"})
class MonthField(serializers.Field):
    def to_internal_value(self, data):
        from engines.dashboard import _month

        m = _month(str(data))
        if m is None:
            raise serializers.ValidationError("Month must look like 2026-10.")
        return m

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class BudgetPlanSerializer(serializers.ModelSerializer):
    month = MonthField()
    basis_month = MonthField(read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                     allow_null=True, help_text="Default: last month's spend.")
    max_step = serializers.DecimalField(max_digits=4, decimal_places=2, required=False,
                                        help_text="0.10–0.20 (seed 001).")
    floor_share = serializers.DecimalField(max_digits=4, decimal_places=2, required=False)
    outcome = serializers.SerializerMethodField()

    class Meta:
        model = BudgetPlan
        fields = ["code", "month", "basis_month", "total", "max_step", "floor_share",
                  "proposal", "status", "accepted", "note", "accepted_at", "outcome",
                  "created_at"]
        read_only_fields = ["code", "basis_month", "proposal", "status", "accepted", "note",
                            "accepted_at", "outcome", "created_at"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_outcome(self, obj):
        if self.context.get("view") is not None and self.context["view"].action != "retrieve":
            return None
        return sel.budget_outcome(obj.workspace, obj)


class AcceptSerializer(serializers.Serializer):
    amounts = serializers.DictField(child=serializers.DecimalField(max_digits=14,
                                                                   decimal_places=2,
                                                                   min_value=0),
                                    required=False, help_text="{channel key: amount}")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _budget_create(*, actor, month, total=None, max_step=None, floor_share=None):
    kw = {}
    if max_step is not None:
        kw["max_step"] = float(max_step)
    if floor_share is not None:
        kw["floor_share"] = float(floor_share)
    return svc.budget_propose(actor=actor, month=month, total=total, **kw)


class BudgetPlanViewSet(ServiceWritesMixin, WorkspaceScopedMixin, mixins.ListModelMixin,
                        mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    """Monthly budget splits. POST proposes one (replacing a proposal not yet accepted);
    `accept` takes the proposal or the team's amounts; the detail compares what happened."""

    model = BudgetPlan
    serializer_class = BudgetPlanSerializer
    read_perm = "planning.view"
    write_perm = "planning.edit"
    action_perms = {"accept": "planning.decide"}
    create_service = staticmethod(_budget_create)

    def scope_queryset(self, qs):
        return qs.select_related("workspace")

    @extend_schema(request=AcceptSerializer, responses=BudgetPlanSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, code=None):
        ser = AcceptSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        plan = svc.budget_accept(actor=request.actor, plan=self.get_object(),
                                 amounts={k: float(v) for k, v in
                                          ser.validated_data.get("amounts", {}).items()},
                                 note=ser.validated_data.get("note", ""))
        return Response(BudgetPlanSerializer(plan, context=self.get_serializer_context()).data)


# --- rhythm and cycle (read-only) -----------------------------------------------------------

class PlanningReadViewSet(WorkspaceScopedMixin, viewsets.GenericViewSet):
    read_perm = "planning.view"
    write_perm = "planning.edit"  # no writes: 405, not 403
    model = BudgetPlan  # unused: these answers are computed, not rows
    pagination_class = None


class CycleViewSet(PlanningReadViewSet):
    """The e-marketing cycle of a month (`?month=2026-10`, default the last closed one):
    each step's metrics, pass rate and the three months before; `leak` names the step."""

    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")],
                   responses=OpenApiTypes.OBJECT)
    def list(self, request):
        from engines.dashboard import _month

        from .cycle import cycle

        raw = request.query_params.get("month")
        month = _month(raw or "") if raw else sel.last_closed_month(request.workspace)
        if month is None:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"month": ["Month must look like 2026-10."]})
        data = cycle(request.workspace, month)
        return Response({
            "month": f"{month:%Y-%m}", "leak": data["leak"], "leak_kind": data["leak_kind"],
            "steps": [{"step": s["step"], "sub": s["sub"], "label": str(s["label"]),
                       "pass_rate": s["pass_rate"], "before": s["history"],
                       "leak": s["leak"], "maturing": s["maturing"],
                       "metrics": {m["key"]: m["value"] for m in s["metrics"]}}
                      for s in data["steps"]]})


class RhythmViewSet(PlanningReadViewSet):
    """Owners of engines and KPIs, and the meetings of the next 13 weeks."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request):
        from .rhythm import meeting_calendar, owners

        o = owners(request.workspace)

        def who(u):
            return u.email if u else None

        return Response({
            "engines": [{"code": str(r["engine"].code), "name": r["engine"].name,
                         "owner": who(r["engine"].owner),
                         "main_kpi": str(r["engine"].main_kpi.code) if r["engine"].main_kpi
                         else None,
                         "kpis": [str(k.code) for k in r["kpis"]]} for r in o["engines"]],
            "workspace_kpis": [str(k.code) for k in o["unowned"]],
            "meetings": [{"date": e["date"].isoformat(), "kind": e["kind"]}
                         for e in meeting_calendar(workspace_today(request.workspace))],
        })


def register(router):
    router.register("plans", SostacPlanViewSet, basename="sostac-plan")
    router.register("plan-versions", PlanVersionViewSet, basename="plan-version")
    router.register("plan-objectives", PlanObjectiveViewSet, basename="plan-objective")
    router.register("plan-actions", PlanActionViewSet, basename="plan-action")
    router.register("bets", BetViewSet, basename="bet")
    router.register("checklists", ChecklistViewSet, basename="checklist")
    router.register("checklist-items", ChecklistItemViewSet, basename="checklist-item")
    router.register("budget-plans", BudgetPlanViewSet, basename="budget-plan")
    router.register("planning/cycle", CycleViewSet, basename="planning-cycle")
    router.register("planning/rhythm", RhythmViewSet, basename="planning-rhythm")
