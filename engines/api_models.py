"""/api/v1/model-fits/: what each metric run's models fitted (read only).

BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v) with their log-likelihood, the customers
fitted, the history used and BG/NBD's holdout check (predicted vs actual repeat purchases);
Markov with its removal effects and transition matrix (details.states, details.matrix)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.exceptions import ValidationError

from mos.api import WorkspaceViewSet
from mos.codes import as_code

from .models import MetricRun, ModelFit


class ModelFitSerializer(serializers.ModelSerializer):
    run = serializers.UUIDField(source="run.code", read_only=True)
    run_as_of = serializers.DateField(source="run.window_end", read_only=True)

    class Meta:
        model = ModelFit
        fields = ["code", "run", "run_as_of", "kind", "params", "loglik", "n", "history_from",
                  "history_to", "holdout_days", "holdout_predicted", "holdout_actual",
                  "details", "created_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(tags=["metrics"], parameters=[
        OpenApiParameter("run", OpenApiTypes.UUID,
                         description="Only this run's fits (default: the latest run's)."),
        OpenApiParameter("kind", str, description="bgnbd, gamma_gamma or markov.")]),
    retrieve=extend_schema(tags=["metrics"]))
class ModelFitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    """Model fits stored by metric runs: parameters, log-likelihood, holdout check."""

    model = ModelFit
    serializer_class = ModelFitSerializer
    read_perm = "metrics.view"
    write_perm = "metrics.recompute"

    def scope_queryset(self, qs):
        qs = qs.select_related("run").order_by("-created_at", "kind")
        if self.action != "list":
            return qs
        params = self.request.query_params
        if params.get("run"):
            code = as_code(params["run"])
            if code is None:
                raise ValidationError({"run": ["Not a valid run code."]})
            qs = qs.filter(run__code=code)
        else:
            latest = (MetricRun.objects.filter(workspace=self.request.workspace,
                                               model_fits__isnull=False)
                      .order_by("-created_at").values("pk")[:1])
            qs = qs.filter(run__in=latest)
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        return qs


def register(router):
    router.register("model-fits", ModelFitViewSet, basename="model-fit")
