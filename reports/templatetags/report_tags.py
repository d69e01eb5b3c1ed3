"""For other apps' pages (by name only, no import): `{% load report_tags %}
{% engine_decisions engine %}` lists the engine's open Stop/Start/Continue decisions."""

from django import template

from reports.selectors import engine_decisions as _engine_decisions

register = template.Library()


@register.inclusion_tag("reports/partials/engine_decisions.html", takes_context=True)
def engine_decisions(context, engine):
    request = context.get("request")
    workspace = getattr(request, "workspace", None) or engine.workspace
    return {"decisions": _engine_decisions(workspace, engine), "request": request,
            "workspace": workspace}
