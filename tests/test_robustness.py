"""Issue 8 §4 and §5: Redis is a helper, not a single point of failure, and every error is an
answer (the API's JSON envelope, the product's own pages), never a 500 or Django's debug page."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from kombu.exceptions import OperationalError

from mos import services
from mos.models import ApiKey

# A Redis that is not there: nothing listens on this port.
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:6390/0",
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


def _envelope(response, status, code=None):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    if code:
        assert body["error"]["code"] == code, body
    return body


# --- §4 Redis down ------------------------------------------------------------------------

def test_api_works_with_redis_down(api, workspace, caplog):
    with override_settings(CACHES=REDIS_DOWN), caplog.at_level(logging.WARNING):
        me = api.get("/api/v1/me")
        schema = api.get("/api/schema/")
        ingest = api.post("/api/v1/contacts/bulk",
                          {"rows": [{"email": "ada@example.com", "first_name": "Ada"}]},
                          format="json")
    assert me.status_code == 200 and me.json()["workspace"] == workspace.slug
    assert schema.status_code == 200
    assert ingest.status_code == 200, ingest.content[:300]
    assert workspace.contacts.filter(email="ada@example.com").exists()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "rate limiter cache unavailable" in logged
    assert "cache unavailable" in logged


def test_revoked_key_is_refused_with_redis_down(workspace, owner_actor):
    key, secret = services.api_key_create(actor=owner_actor, name="k", scope="read")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with override_settings(CACHES=REDIS_DOWN):
        assert c.get("/api/v1/me").status_code == 200
        services.api_key_revoke(actor=owner_actor, key=key)
        assert c.get("/api/v1/me").status_code == 401


def test_key_revoked_in_the_admin_stops_at_once(workspace, owner_actor, owner):
    key, secret = services.api_key_create(actor=owner_actor, name="k", scope="read")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert c.get("/api/v1/me").status_code == 200  # now cached
    owner.is_staff = owner.is_superuser = True
    owner.save()
    admin = Client()
    admin.force_login(owner)
    r = admin.post(reverse("admin:mos_apikey_changelist"),
                   {"action": "revoke", "_selected_action": [key.pk]})
    assert r.status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert c.get("/api/v1/me").status_code == 401  # not 9 s later: now


def test_key_saved_in_the_admin_form_drops_the_cache(workspace, owner_actor):
    key, secret = services.api_key_create(actor=owner_actor, name="k", scope="write")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert c.get("/api/v1/me").json()["scope"] == "write"
    key.scope = "read"
    key.save()  # what the admin's change form does
    assert c.get("/api/v1/me").json()["scope"] == "read"


@pytest.mark.django_db(transaction=True)
def test_recompute_now_with_the_broker_down_answers_a_message(owner, workspace, settings,
                                                              monkeypatch):
    """The broker refuses the task: the page answers (no 500), the run is marked failed with a
    human message, and the next click is not blocked by it."""
    from engines.metrics import tasks
    from engines.models import MetricRun

    def broker_down(*a, **k):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(tasks.compute_workspace_task, "apply_async", broker_down)
    c = Client()
    c.force_login(owner)
    r = c.post(reverse("metrics_recompute", args=[workspace.slug]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    run = MetricRun.objects.get(workspace=workspace)
    assert run.status == "failed" and "could not be reached" in run.error
    r = c.post(reverse("metrics_recompute", args=[workspace.slug]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and MetricRun.objects.filter(workspace=workspace).count() == 2


@pytest.mark.django_db(transaction=True)
def test_api_metric_run_with_the_broker_down_fails_the_run_clearly(workspace, api_key_for,
                                                                  settings, monkeypatch):
    from engines.metrics import tasks
    from engines.models import MetricRun

    def broker_down(*a, **k):
        raise OperationalError("Connection refused.")

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(tasks.compute_workspace_task, "apply_async", broker_down)
    api = api_key_for(workspace, "write")
    assert api.post("/api/v1/metric-runs/").status_code == 202
    run = MetricRun.objects.get(workspace=workspace)
    assert run.status == "failed" and "could not be reached" in run.error
    assert api.post("/api/v1/metric-runs/").status_code == 202  # not blocked by the failed one
    assert MetricRun.objects.filter(workspace=workspace).count() == 2


# --- §5 every /api/ error in the envelope ---------------------------------------------------

def test_api_unknown_path_is_json_404(api, client):
    _envelope(api.get("/api/v1/no-such-thing"), 404, "not_found")
    _envelope(client.get("/api/v2/"), 404, "not_found")


def test_api_wrong_method_is_json_405(api):
    _envelope(api.get("/api/v1/contacts/bulk"), 405)
    _envelope(api.put("/api/v1/contacts/bulk/", {}, format="json"), 405)


def test_api_body_too_large_is_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [{"email": f"p{i}@example.com"} for i in range(100)]
    r = api.post("/api/v1/contacts/bulk", {"rows": rows}, format="json")
    _envelope(r, 413, "too_large")


def test_api_crash_is_json_500(api, monkeypatch):
    from mos.api import MeView

    def boom(self, request):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(MeView, "get", boom)
    api.raise_request_exception = False
    body = _envelope(api.get("/api/v1/me"), 500, "server_error")
    assert "kaboom" not in json.dumps(body)


@pytest.mark.parametrize("thing", ["contacts", "events", "orders", "spend", "consent"])
def test_bulk_paths_accept_a_trailing_slash(api, thing):
    r = api.post(f"/api/v1/{thing}/bulk/", {"rows": []}, format="json")
    assert r.status_code != 404 and r.status_code != 405, r.content[:300]
    assert r.status_code < 500
    assert r["Content-Type"].startswith("application/json")


def test_contacts_bulk_with_slash_stores_rows(api, workspace):
    r = api.post("/api/v1/contacts/bulk/", {"rows": [{"email": "slash@example.com"}]},
                 format="json")
    assert r.status_code == 200
    assert workspace.contacts.filter(email="slash@example.com").exists()


# --- §5 the product's own pages ----------------------------------------------------------

@override_settings(DEBUG=True)
def test_web_404_is_the_product_page_even_in_debug(owner_client):
    r = owner_client.get("/no/such/page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Page not found" in html and "It does not exist" in html
    assert "URLconf" not in html and "api/v1/" not in html  # no list of URL patterns


@override_settings(DEBUG=True)
def test_web_404_from_a_view_is_the_product_page_in_debug(owner_client, workspace):
    r = owner_client.get(f"/w/{workspace.slug}/contacts/00000000-0000-0000-0000-000000000000/")
    assert r.status_code == 404
    assert "It does not exist" in r.content.decode()
    assert "Using the URLconf" not in r.content.decode()


@override_settings(DEBUG=True)
def test_web_500_is_the_product_page_even_in_debug(owner, monkeypatch):
    from mos import views

    def boom(user):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(views.selectors, "user_workspaces", boom)
    c = Client(raise_request_exception=False)
    c.force_login(owner)
    r = c.get("/")
    assert r.status_code == 500
    html = r.content.decode()
    assert "Something went wrong on our side" in html
    assert "secret-internal-detail" not in html and "Traceback" not in html


# --- §5 hand-edited query strings --------------------------------------------------------

def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("after", [
    _cursor(["not-a-date", "x"]), _cursor(["2026-01-01T00:00:00+00:00", "abc"]),
    _cursor(["2026-01-01T00:00:00+00:00", 10 ** 30]), _cursor([[1], {"a": 1}]),
    _cursor([None, None]), "%%%garbage", _cursor("[" * 5000),
])
def test_forged_contacts_cursor_falls_back_to_the_first_page(owner_client, workspace, after):
    r = owner_client.get(f"/w/{workspace.slug}/contacts/", {"after": after})
    assert r.status_code in (200, 400)


@pytest.mark.parametrize("query", [
    {"period": "quarter", "quarter": "0000-Q1"}, {"period": "month", "month": "0001-01"},
    {"period": "custom", "from": "0001-01", "to": "0002-01"},
    {"period": "month", "month": "9999-12"},
])
def test_hand_edited_dashboard_period_is_not_a_500(owner_client, workspace, query):
    r = owner_client.get(f"/w/{workspace.slug}/", query)
    assert r.status_code == 200
    assert "look like" in r.content.decode() or "custom range" in r.content.decode()
