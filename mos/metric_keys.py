"""What `mos` knows of the metrics: filled by the engines app when Django is ready.

`mos` sits at the bottom of the layers and imports no app above it; the engines app hands its
attribution models (and the metric registry) down here in `EnginesConfig.ready()`.
"""

from __future__ import annotations

ATTRIBUTION_MODELS: dict[str, str] = {}  # key -> label
METRICS: dict = {}  # key -> the engines' MetricDef


def provide(*, attribution_models: dict, metrics: dict) -> None:
    """Called once by the engines app at ready time."""
    ATTRIBUTION_MODELS.clear()
    ATTRIBUTION_MODELS.update(attribution_models)
    METRICS.clear()
    METRICS.update(metrics)


def attribution_model_choices() -> list[tuple[str, str]]:
    """Choices of `Workspace.attribution_model` (a callable: read after the apps are ready)."""
    return list(ATTRIBUTION_MODELS.items())
