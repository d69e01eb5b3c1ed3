"""/api/v1/: every app registers its viewsets on this one router."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import MeView, WorkspaceView

router = SimpleRouter(trailing_slash="/?")

urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("workspace", WorkspaceView.as_view(), name="api-workspace"),
]


# Each module exposes register(router) -> optional list of extra url patterns.
API_MODULES = ["crm.api", "crm.ingest.api", "crm.channels.api", "crm.subscriptions.api", "engines.api_models",
               "engines.api_metrics",
               "experiments.api", "reports.api", "crm.tracking.api"]


def build():
    """Collect the apps' API routes (each app's api.py exposes `register(router)`)."""
    from importlib import import_module

    for name in API_MODULES:
        try:
            mod = import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        extra = mod.register(router)
        if extra:
            urlpatterns.extend(extra)
    urlpatterns.extend(router.urls)
    return urlpatterns


urlpatterns = build()
