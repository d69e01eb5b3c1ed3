"""The API's ground rules: auth by key or session, JSON errors, rate limits, schema, docs."""

import pytest

from mos.models import AuditEntry, Workspace

pytestmark = pytest.mark.django_db


def test_me_with_key_and_with_session(api, owner_client, workspace):
    me = api.get("/api/v1/me").json()
    assert me["kind"] == "api_key" and me["scope"] == "write" and me["workspace"] == workspace.slug
    me = owner_client.get("/api/v1/me").json()
    assert me["kind"] == "user" and me["email"] == "owner@acme.test" and me["role"] == "admin"


def test_session_with_several_workspaces_must_name_one(owner_client, owner, workspace):
    from mos import services
    services.workspace_create(user=owner, name="Second")
    r = owner_client.get("/api/v1/me")
    assert r.status_code == 400 and r.json()["error"]["code"] == "workspace_required"
    r = owner_client.get("/api/v1/me", HTTP_X_WORKSPACE="second")
    assert r.json()["workspace"] == "second"


def test_unauthenticated_and_bad_key(client):
    r = client.get("/api/v1/me")
    assert r.status_code in (401, 403)
    assert r.json()["error"]["code"] in ("not_authenticated", "authentication_failed")
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer mos_deadbeef.nope")
    assert r.status_code == 401 and r.json()["error"]["message"] == "Invalid or revoked API key."


def test_workspace_patch_validates_and_audits(owner_client, workspace):
    r = owner_client.patch("/api/v1/workspace", {"default_margin": "1.7", "business": "x"},
                           content_type="application/json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid" and set(err["fields"]) == {"default_margin", "business"}
    r = owner_client.patch("/api/v1/workspace", {"currency": "EUR"},
                           content_type="application/json")
    assert r.status_code == 200 and r.json()["currency"] == "EUR"
    assert Workspace.objects.get(pk=workspace.pk).currency == "EUR"
    assert AuditEntry.objects.filter(action="workspace.update", actor__isnull=False).exists()


def test_rate_limit_per_key(api, settings):
    from rest_framework.settings import api_settings
    from mos.api_base import PrincipalRateThrottle

    old = PrincipalRateThrottle.THROTTLE_RATES
    PrincipalRateThrottle.THROTTLE_RATES = {"principal": "3/min"}
    try:
        codes = [api.get("/api/v1/me").status_code for _ in range(4)]
        r = api.get("/api/v1/me")
    finally:
        PrincipalRateThrottle.THROTTLE_RATES = old
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert r.json()["error"]["code"] == "throttled" and "Retry-After" in r.headers
    assert api_settings.DEFAULT_THROTTLE_RATES["principal"]


def test_rate_limit_counts_each_key_separately(workspace, api_key_for):
    from mos.api_base import PrincipalRateThrottle

    a, b = api_key_for(workspace, "read"), api_key_for(workspace, "read")
    old = PrincipalRateThrottle.THROTTLE_RATES
    PrincipalRateThrottle.THROTTLE_RATES = {"principal": "2/min"}
    try:
        assert [a.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
        assert b.get("/api/v1/me").status_code == 200
    finally:
        PrincipalRateThrottle.THROTTLE_RATES = old


def test_schema_and_docs_are_served_without_cdn(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    schema = r.json() if r["Content-Type"].startswith("application/vnd.oai.openapi+json") else None
    text = r.content.decode()
    assert "/api/v1/me" in text
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs.lower()
    assert "cdn." not in docs and "unpkg" not in docs and "jsdelivr" not in docs
    assert "/static/drf_spectacular_sidecar/" in docs
    del schema


def test_cursor_pagination_is_configured():
    from django.conf import settings
    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] == "mos.api_base.CodeCursorPagination"


# --- the workspace scope cannot be replaced ----------------------------------------------------

@pytest.mark.parametrize("method", ["get_queryset", "get_object"])
def test_a_viewset_that_replaces_the_workspace_scope_is_refused_at_class_creation(method):
    from crm.models import Contact
    from mos.api import WorkspaceModelViewSet

    with pytest.raises(TypeError, match=method):
        type("LeakyViewSet", (WorkspaceModelViewSet,), {
            "model": Contact, method: lambda self: Contact.objects.all()})


def test_a_mixin_placed_before_the_base_cannot_replace_the_scope_either():
    from crm.models import Contact
    from mos.api import WorkspaceViewSet

    class Unscoped:
        def get_queryset(self):
            return Contact.objects.all()

    with pytest.raises(TypeError, match="get_queryset"):
        type("SneakyViewSet", (Unscoped, WorkspaceViewSet), {"model": Contact})


def test_refining_through_scope_queryset_is_allowed():
    from crm.models import Contact
    from mos.api import WorkspaceModelViewSet

    class Refined(WorkspaceModelViewSet):
        model = Contact

        def scope_queryset(self, qs):
            return qs.filter(stage="lead")

    assert Refined.get_queryset is WorkspaceModelViewSet.get_queryset
