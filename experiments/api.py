"""The experiments API.

/api/v1/insights/                    the insights inventory
/api/v1/experiments/                 experiments (template, ICE, variants); ?status=&engine=&stage=
/api/v1/experiments/<code>/status    POST {"to": "planned" | "running" | …} (guarded)
/api/v1/experiments/<code>/results   GET daily rows; POST {"rows": [...]} bulk upsert by
                                     (variant, metric, date), idempotent (Idempotency-Key)
/api/v1/experiments/<code>/analysis  GET: per metric and variant, effect, intervals, p, chance
                                     to win, sequential interval, SRM, guardrails, decision gate
/api/v1/experiments/<code>/decision  POST {"decision", "reason", "override_reason"?}
/api/v1/variants/                    variants (read); ?experiment=<code>
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (OpenApiExample, OpenApiParameter, extend_schema,
                                   extend_schema_view, inline_serializer)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.models import Contact, Segment
from engines.api_engines import CodeRefField, MemberEmailField
from engines.models import FunnelStage, GrowthEngine
from mos.api import WorkspaceModelViewSet, WorkspaceViewSet
from mos.codes import as_code
from mos.idempotency import idempotent

from . import services
from .analysis import experiment_analysis
from .models import Experiment, ExperimentResult, Insight, Variant

AT = "2026-03-14T10:30:00Z"
EXP_CODE = "2b7e4c1a-9d3f-4a6b-8c5e-1f0a2d3b4c5e"
ENGINE_CODE = "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
INSIGHT_IN = {"source": "interview", "text": "Trial users never find the import button.",
              "evidence_url": "https://example.com/notes/42", "tags": ["onboarding"],
              "engine": ENGINE_CODE, "contacts": [], "segments": []}
INSIGHT_OUT = {"code": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", **INSIGHT_IN,
               "author": "layla@example.com", "created_at": AT}
VARIANTS = [{"key": "control", "name": "Control", "is_control": True, "share": 0.5},
            {"key": "short_form", "name": "Short form", "is_control": False, "share": 0.5}]
EXP_IN = {"title": "Shorter sign-up form", "key": "short-form", "engine": ENGINE_CODE,
          "funnel_stage": "activation", "hypothesis_if": "we drop the phone field",
          "hypothesis_then": "trial sign-ups rise by 10 %",
          "hypothesis_because": "interviews say the phone field scares people off",
          "primary_metric": {"key": "signup", "kind": "proportion", "event": "trial_started"},
          "secondary_metrics": [], "guardrail_metrics": [
              {"key": "revenue", "kind": "mean", "event": "order", "direction": "up"}],
          "baseline": 0.1, "mde": 0.1, "alpha": 0.05, "power": 0.8,
          "planned_start": "2026-03-16", "planned_end": "2026-04-13",
          "impact": 8, "confidence": 6, "ease": 9, "variants": VARIANTS}
EXP_OUT = {"code": EXP_CODE, **EXP_IN, "ice_score": 432, "required_sample": 14751,
           "expected_duration_days": 28, "status": "backlog", "decision": "",
           "decision_reason": "", "owner": "layla@example.com", "insight": None,
           "created_at": AT}
ERROR = OpenApiExample("Invalid input", status_codes=["400"], response_only=True, value={
    "error": {"code": "invalid", "message": "Invalid input.",
              "fields": {"variants": ["Traffic shares must add up to 100 %."]}}})


class TagsField(serializers.ListField):
    child = serializers.CharField(max_length=50)


class InsightSerializer(serializers.ModelSerializer):
    engine = CodeRefField(GrowthEngine, required=False, allow_null=True)
    contacts = CodeRefField(Contact, many=True, required=False)
    segments = CodeRefField(Segment, many=True, required=False)
    tags = TagsField(required=False)
    author = serializers.EmailField(source="author.email", read_only=True, default=None,
                                    allow_null=True)

    class Meta:
        model = Insight
        fields = ["code", "source", "text", "evidence_url", "tags", "engine", "contacts",
                  "segments", "author", "created_at"]
        read_only_fields = ["code", "author", "created_at"]


@extend_schema_view(
    list=extend_schema(tags=["insights"], parameters=[
        OpenApiParameter("q", str, description="Search the text and tags."),
        OpenApiParameter("source", str, enum=Insight.Source.values)],
        examples=[OpenApiExample("Insights", response_only=True,
                                 value={"next": None, "previous": None,
                                        "results": [INSIGHT_OUT]})]),
    retrieve=extend_schema(tags=["insights"]),
    create=extend_schema(tags=["insights"], examples=[
        OpenApiExample("Insight", value=INSIGHT_IN, request_only=True),
        OpenApiExample("Insight", value=INSIGHT_OUT, response_only=True,
                       status_codes=["201"]), ERROR]),
    partial_update=extend_schema(tags=["insights"]))
class InsightViewSet(WorkspaceModelViewSet):
    """The insights inventory: interviews, surveys, tickets, calls, heatmaps, analytics,
    lead feedback and data-quality findings that feed hypotheses."""

    model = Insight
    serializer_class = InsightSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "experiments.view"
    write_perm = "experiments.edit"

    def scope_queryset(self, qs):
        qs = qs.select_related("engine", "author").prefetch_related("contacts", "segments")
        params = self.request.query_params
        if self.action == "list":
            if q := params.get("q"):
                from django.db.models import Q

                qs = qs.filter(Q(text__icontains=q) | Q(tags__icontains=q))
            if src := params.get("source"):
                qs = qs.filter(source=src)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.insight_create(actor=self.request.actor,
                                                      **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.insight_update(actor=self.request.actor,
                                                      insight=serializer.instance,
                                                      **serializer.validated_data)


class VariantSerializer(serializers.ModelSerializer):
    experiment = serializers.UUIDField(source="experiment.code", read_only=True)

    class Meta:
        model = Variant
        fields = ["code", "experiment", "key", "name", "is_control", "share"]


class VariantInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=60)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    is_control = serializers.BooleanField(default=False)
    share = serializers.FloatField(min_value=0, max_value=1)


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(["proportion", "mean"])
    event = serializers.CharField(max_length=100, help_text='An event name, or "order".')
    direction = serializers.ChoiceField(["up", "down"], required=False,
                                        help_text="Guardrails: the good direction.")


class ExperimentSerializer(serializers.ModelSerializer):
    engine = CodeRefField(GrowthEngine, required=False, allow_null=True)
    insight = CodeRefField(Insight, required=False, allow_null=True)
    owner = MemberEmailField(required=False, allow_null=True)
    funnel_stage = serializers.ChoiceField(FunnelStage.choices, required=False)
    primary_metric = MetricSerializer(required=False, allow_null=True)
    secondary_metrics = MetricSerializer(many=True, required=False)
    guardrail_metrics = MetricSerializer(many=True, required=False)
    variants = VariantInSerializer(many=True, required=False)
    daily_traffic = serializers.FloatField(write_only=True, required=False, min_value=0,
                                           help_text="Users a day, for expected_duration_days.")
    ice_score = serializers.IntegerField(read_only=True)
    decision = serializers.ChoiceField(Experiment.Decision.choices, read_only=True,
                                       allow_null=True, help_text="null until decided.")

    class Meta:
        model = Experiment
        fields = ["code", "key", "title", "engine", "insight", "funnel_stage", "hypothesis_if",
                  "hypothesis_then", "hypothesis_because", "primary_metric",
                  "secondary_metrics", "guardrail_metrics", "baseline", "baseline_std", "mde",
                  "alpha", "power", "required_sample", "expected_duration_days",
                  "daily_traffic", "owner", "planned_start", "planned_end", "impact",
                  "confidence", "ease", "ice_score", "variants", "status", "decision",
                  "decision_reason", "override_reason", "started_at", "decided_at",
                  "aar_expected", "aar_happened", "aar_why", "aar_next", "created_at"]
        read_only_fields = ["code", "required_sample", "status", "decision", "decision_reason",
                            "override_reason", "started_at", "decided_at", "aar_expected",
                            "aar_happened", "aar_why", "aar_next", "created_at"]
        extra_kwargs = {"key": {"required": False}}
        validators = []

    def to_representation(self, instance):
        primary = instance.primary_metric
        if not primary:  # not chosen yet: stored as {}, answered as null
            instance.primary_metric = None
        try:
            data = super().to_representation(instance)
        finally:
            instance.primary_metric = primary
        data["variants"] = [{"key": v.key, "name": v.name, "is_control": v.is_control,
                             "share": v.share} for v in instance.variants.all()]
        data["owner"] = instance.owner.email if instance.owner_id else None
        data["decision"] = instance.decision or None
        return data


class StatusSerializer(serializers.Serializer):
    to = serializers.ChoiceField(Experiment.Status.choices)


class ExperimentDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(Experiment.Decision.choices)
    reason = serializers.CharField(max_length=4000)
    override_reason = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                            help_text="Admins only: calling a result early.")


class ResultRowSerializer(serializers.ModelSerializer):
    variant = serializers.CharField(source="variant.key")

    class Meta:
        model = ExperimentResult
        fields = ["variant", "metric", "date", "n", "sum", "sum_sq", "source"]


RESULTS_IN = {"rows": [
    {"variant": "control", "metric": "signup", "date": "2026-03-17", "n": 1200, "sum": 118},
    {"variant": "short_form", "metric": "signup", "date": "2026-03-17", "n": 1187, "sum": 141},
    {"variant": "control", "metric": "revenue", "date": "2026-03-17", "n": 1200,
     "sum": 5400.0, "sum_sq": 96000.0}]}


def _num(v):
    return None if v is None else float(v)


def analysis_json(exp: Experiment, a: dict) -> dict:
    """The analysis as JSON (variants by key)."""
    def row(r):
        out = {"variant": r["variant"].key, "n": r["n"], "mean": r["mean"]}
        for k in ("effect", "ci_low", "ci_high", "p_value", "p_adjusted", "significant",
                  "chance_to_win", "expected_loss", "cred_low", "cred_high", "seq_low",
                  "seq_high", "crossed", "guardrail"):
            if k in r:
                out[k] = r[k]
        return out

    srm = None
    if a["srm"]:
        srm = {k: a["srm"][k] for k in ("chi2", "p_value", "flagged", "acknowledged")}
    return {
        "experiment": str(exp.code), "status": exp.status, "correction": a.get("correction"),
        "exposures": {v.key: a["exposures"].get(v.pk, 0) for v in a["variants"]},
        "srm": srm,
        "metrics": [{"key": m["key"], "kind": m["kind"], "role": m["role"],
                     "control": {"variant": m["control"]["variant"].key,
                                 "n": m["control"]["n"], "mean": m["control"]["mean"]},
                     "variants": [row(r) for r in m["rows"]]} for m in a["metrics"]],
        "guardrails": [{"metric": g["metric"], "variant": g["variant"].key,
                        "status": g["status"]} for g in a["guardrails"]],
        "gate": {k: a["gate"][k] for k in ("allowed", "reason", "message", "current_n",
                                           "planned_n", "crossed")},
    }


ANALYSIS_EXAMPLE = {
    "experiment": EXP_CODE, "status": "running", "correction": "holm",
    "exposures": {"control": 1000, "short_form": 1000},
    "srm": {"chi2": 0.0, "p_value": 1.0, "flagged": False, "acknowledged": False},
    "metrics": [{"key": "signup", "kind": "proportion", "role": "primary",
                 "control": {"variant": "control", "n": 1000, "mean": 0.1},
                 "variants": [{"variant": "short_form", "n": 1000, "mean": 0.13, "effect": 0.3,
                               "ci_low": -0.0192, "ci_high": 0.6192, "p_value": 0.0654,
                               "p_adjusted": 0.0654, "significant": False,
                               "chance_to_win": 0.967, "expected_loss": 0.0021,
                               "cred_low": -0.0192, "cred_high": 0.6192, "seq_low": -0.2087,
                               "seq_high": 0.8087, "crossed": False}]}],
    "guardrails": [],
    "gate": {"allowed": False, "reason": "too_early", "current_n": 1000, "planned_n": 14751,
             "crossed": False, "message": "Too early: 1,000 of the planned 14,751 users per "
                                          "variant, and the test is planned to run until "
                                          "2026-04-13. …"}}


@extend_schema_view(
    list=extend_schema(tags=["experiments"], parameters=[
        OpenApiParameter("status", str, enum=Experiment.Status.values),
        OpenApiParameter("engine", str, description="An engine's code."),
        OpenApiParameter("stage", str, enum=FunnelStage.values)],
        examples=[OpenApiExample("Experiments", response_only=True, value={
            "next": None, "previous": None, "results": [EXP_OUT]})]),
    retrieve=extend_schema(tags=["experiments"], examples=[
        OpenApiExample("Experiment", value=EXP_OUT, response_only=True)]),
    create=extend_schema(tags=["experiments"], examples=[
        OpenApiExample("Experiment", value=EXP_IN, request_only=True),
        OpenApiExample("Experiment", value=EXP_OUT, response_only=True,
                       status_codes=["201"]), ERROR]),
    partial_update=extend_schema(tags=["experiments"]))
class ExperimentViewSet(WorkspaceModelViewSet):
    """Experiments on the template, with variants, ICE, the guarded lifecycle, results,
    analysis and the decision (no early calls)."""

    model = Experiment
    serializer_class = ExperimentSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_perm = "experiments.view"
    write_perm = "experiments.edit"
    action_perms = {"status": "experiments.run", "decision": "experiments.decide",
                    "analysis": "experiments.view"}

    def scope_queryset(self, qs):
        qs = qs.select_related("engine", "insight", "owner").prefetch_related("variants")
        p = self.request.query_params
        if self.action == "list":
            if s := p.get("status"):
                qs = qs.filter(status=s)
            if st := p.get("stage"):
                qs = qs.filter(funnel_stage=st)
            if e := p.get("engine"):
                qs = qs.filter(engine__code=as_code(e)) if as_code(e) else qs.none()
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.experiment_create(actor=self.request.actor,
                                                         **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.experiment_update(actor=self.request.actor,
                                                         experiment=serializer.instance,
                                                         **serializer.validated_data)

    @extend_schema(tags=["experiments"], request=StatusSerializer, responses=ExperimentSerializer,
                   examples=[OpenApiExample("Launch", value={"to": "running"},
                                            request_only=True)])
    @action(detail=True, methods=["post"])
    def status(self, request, code=None):
        exp = self.get_object()
        ser = StatusSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.experiment_transition(actor=request.actor, experiment=exp,
                                       to=ser.validated_data["to"])
        exp = self.get_queryset().get(pk=exp.pk)
        return Response(ExperimentSerializer(exp, context=self.get_serializer_context()).data)

    @extend_schema(tags=["experiments"], request=ExperimentDecisionSerializer,
                   responses=ExperimentSerializer, examples=[
                       OpenApiExample("Decide", request_only=True, value={
                           "decision": "win", "reason": "+14 % sign-ups, guardrails flat"}),
                       OpenApiExample("Too early", status_codes=["400"], response_only=True,
                                      value={"error": {"code": "invalid",
                                                       "message": "Invalid input.",
                                                       "fields": {"decision": [
                                                           "Too early: 1,000 of the planned "
                                                           "14,751 users per variant, …"]}}})])
    @action(detail=True, methods=["post"])
    def decision(self, request, code=None):
        exp = self.get_object()
        ser = ExperimentDecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.experiment_decide(actor=request.actor, experiment=exp, **ser.validated_data)
        exp = self.get_queryset().get(pk=exp.pk)
        return Response(ExperimentSerializer(exp, context=self.get_serializer_context()).data)

    @extend_schema(tags=["experiments"], responses=inline_serializer(
        "ExperimentAnalysis", {"experiment": serializers.UUIDField()}),
        examples=[OpenApiExample("Analysis", value=ANALYSIS_EXAMPLE, response_only=True)])
    @action(detail=True, methods=["get"])
    def analysis(self, request, code=None):
        exp = self.get_object()
        return Response(analysis_json(exp, experiment_analysis(exp)))

    @extend_schema(tags=["experiments"], methods=["GET"],
                   responses=ResultRowSerializer(many=True))
    @extend_schema(tags=["experiments"], methods=["POST"], request=inline_serializer(
        "ResultsBulk", {"rows": serializers.ListField(child=serializers.DictField(),
                                                      max_length=10_000)}),
        responses=inline_serializer("ResultsBulkAnswer", {"rows": serializers.IntegerField()}),
        examples=[OpenApiExample("Daily rows", value=RESULTS_IN, request_only=True),
                  OpenApiExample("Written", value={"rows": 3}, response_only=True,
                                 status_codes=["200"]),
                  OpenApiExample("Row errors", status_codes=["400"], response_only=True,
                                 value={"error": {"code": "invalid", "message": "Invalid input.",
                                                  "fields": {"rows": [{"index": 1, "errors": {
                                                      "variant": ["Unknown variant key."]}}]}}})])
    @action(detail=True, methods=["get", "post"])
    def results(self, request, code=None):
        exp = self.get_object()
        if request.method == "GET":
            rows = exp.results.select_related("variant").order_by("date", "metric", "id")
            return Response(ResultRowSerializer(rows, many=True).data)
        return self._post_results(request, exp)

    @idempotent
    def _post_results(self, request, exp):
        rows = request.data.get("rows") if isinstance(request.data, dict) else None
        if not isinstance(rows, list):
            return Response({"error": {"code": "invalid", "message": "Invalid input.",
                                       "fields": {"rows": ["Expected a list of row objects."]}}},
                            status=400)
        try:
            out = services.results_upsert(actor=request.actor, experiment=exp, rows=rows)
        except DjangoValidationError as e:
            fields = {"rows": getattr(e, "row_errors", None) or e.message_dict.get("rows")}
            return Response({"error": {"code": "invalid", "message": "Invalid input.",
                                       "fields": fields}}, status=400)
        return Response(out)


@extend_schema_view(list=extend_schema(tags=["experiments"], parameters=[
    OpenApiParameter("experiment", str, description="An experiment's code.")]),
    retrieve=extend_schema(tags=["experiments"]))
class VariantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Variants of the workspace's experiments (written with their experiment)."""

    model = Variant
    serializer_class = VariantSerializer
    http_method_names = ["get", "head", "options"]
    read_perm = "experiments.view"
    write_perm = "experiments.edit"  # no writes here (405), but a write key is not refused first

    def scope_queryset(self, qs):
        qs = qs.select_related("experiment")
        if self.action == "list" and (e := self.request.query_params.get("experiment")):
            qs = qs.filter(experiment__code=as_code(e)) if as_code(e) else qs.none()
        return qs


def register(router):
    router.register("insights", InsightViewSet, basename="insight")
    router.register("experiments", ExperimentViewSet, basename="experiment")
    router.register("variants", VariantViewSet, basename="variant")
