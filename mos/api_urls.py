"""/api/v1/: every app registers its viewsets on this one router."""

from django.urls import include, path
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
    "crm.channels.api",
    "crm.tracking.api",
    "engines.api_metrics",
]


def build():
    """Collect the apps' API routes (each module exposes `register(router)`)."""
    from importlib import import_module

    for name in API_MODULES:
        mod = import_module(name)
        extra = mod.register(router)
        if extra:
            urlpatterns.extend(extra)
    urlpatterns.extend(router.urls)
    return urlpatterns


urlpatterns = build()
