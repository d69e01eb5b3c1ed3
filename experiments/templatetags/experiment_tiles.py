"""The dashboard's experiments tile. The dashboard lives in engines, below this app, so it
cannot call experiments' selectors; its template loads this tag instead (one query)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("experiments/_dashboard_tile.html", takes_context=True)
def experiment_velocity_tile(context):
    """Experiment velocity (launched and decided per week), win rate and time to decision, for
    a viewer who may see experiments; nothing otherwise."""
    from experiments import selectors

    request = context.get("request")
    actor = getattr(request, "actor", None)
    workspace = getattr(request, "workspace", None)
    if workspace is None or actor is None or not actor.can("experiments.view"):
        return {"show": False}
    return {"show": True, "workspace": workspace, "velocity": selectors.velocity(workspace)}
