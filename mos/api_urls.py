"""/api/v1/: every app registers its viewsets on this one router."""

import re

from django.urls import URLPattern, path, re_path
from django.urls.resolvers import RoutePattern
from rest_framework.routers import SimpleRouter

from .api import MeView, WorkspaceView

router = SimpleRouter(trailing_slash="/?")

urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("workspace", WorkspaceView.as_view(), name="api-workspace"),
]


# Every API module, listed explicitly (a typo fails at start-up); each exposes
# register(router) -> optional list of extra url patterns. Named by string so that mos
# imports no app above it.
API_MODULES = [
    "crm.api",
    "crm.ingest.api",
    "crm.activities.api",
    "crm.scoring.api",
    "crm.corrections_api",
    "crm.channels.api",
    "crm.tracking.api",
    "crm.subscriptions.api",
    "engines.api_metrics",
    "engines.api_engines",
    "experiments.api",
    "automation.api",
    "reports.api",
    "engines.api_models",
    "planning.api_plans",
]


def build():
    """Collect the apps' API routes (each module exposes `register(router)`)."""
    from importlib import import_module

    for name in API_MODULES:
        mod = import_module(name)
        extra = mod.register(router)
        if extra:
            urlpatterns.extend(with_trailing_slash(extra))
    urlpatterns.extend(router.urls)
    return urlpatterns


def with_trailing_slash(patterns):
    """Each slash-less route (`contacts/bulk`) also answers with a trailing slash, like the
    router's routes (`/?`). The route keeps its name; reversing gives the slash-less form."""
    out = []
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLPattern) and isinstance(p.pattern, RoutePattern) and route and \
                not route.endswith("/") and "<" not in route:
            p = re_path(rf"^{re.escape(route)}/?$", p.callback, kwargs=p.default_args,
                        name=p.name)
        out.append(p)
    return out


urlpatterns = build()
