"""The tenancy matrix: EVERY route of the project, browser and API, taken from the URL
resolver. An outsider (member of another workspace, with a write API key of their own) gets
404 or no data on each; the owner, as a control, reaches each one (so a 404 means tenancy, not
a broken URL). A route this test cannot exercise — unnamed, or with a URL parameter that has
no factory in tests/tenancy_objects.py — makes it fail instead of being skipped."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.urls import reverse

from mos.api_urls import API_MODULES
from tests.routes import iter_routes
from tests.tenancy_objects import API_FACTORIES, KWARG_FACTORIES, PUBLIC_ROUTES

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "patch", "put", "delete")


def _routes():
    # Django's admin is staff-only tooling, not the product (see test_django_admin_is_for_staff_only)
    return [r for r in iter_routes() if not r.route.startswith("admin/")]


def _api_basename(route) -> tuple[str, str]:
    """('contact', 'detail') from a DRF route name 'contact-detail'."""
    base, _, suffix = route.name.rpartition("-")
    return base, suffix


def _url_for(route, ws) -> str:
    values = {}
    for kw in route.kwargs:
        if kw == "slug":
            values[kw] = ws.slug
        elif route.is_api and kw in ("code", "key", "pk"):
            base, _ = _api_basename(route)
            values[kw] = API_FACTORIES[base](ws)
        else:
            values[kw] = KWARG_FACTORIES[kw](ws)
    return reverse(route.name, kwargs=values)


def _owner_markers(ws) -> set[str]:
    """Every public code of the owner's workspace: none may appear in an outsider's answer."""
    markers = {str(ws.code)}
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if "code" in names and "workspace" in names:
            markers |= {str(c) for c in model.objects.filter(workspace=ws)
                        .values_list("code", flat=True)}
    return markers


def test_every_route_is_exercisable():
    problems = []
    for r in _routes():
        if not r.name:
            problems.append(f"unnamed route {r.route!r}: name it so the tenancy test can reach it")
            continue
        if r.name in PUBLIC_ROUTES:
            continue
        if not r.is_api and "slug" not in r.kwargs:
            problems.append(f"{r.name} ({r.route}) is outside /w/<slug>/ and not in PUBLIC_ROUTES")
        for kw in r.kwargs:
            if kw == "slug":
                continue
            if r.is_api and kw in ("code", "key", "pk"):
                if _api_basename(r)[0] not in API_FACTORIES:
                    problems.append(f"{r.name}: add API_FACTORIES[{_api_basename(r)[0]!r}]")
            elif kw not in KWARG_FACTORIES:
                problems.append(f"{r.name}: add KWARG_FACTORIES[{kw!r}]")
    assert not problems, "\n".join(problems)


def test_outsider_gets_404_on_every_workspace_page(workspace, owner_client, outsider_client,
                                                  api_key_for):
    api_key_for(workspace, "read")  # so key_code has an object
    checked = 0
    for r in _routes():
        if r.is_api or r.name in PUBLIC_ROUTES or "slug" not in r.kwargs:
            continue
        url = _url_for(r, workspace)
        for method in ("get", "post"):
            resp = getattr(outsider_client, method)(url)
            assert resp.status_code == 404, f"outsider {method.upper()} {url} → {resp.status_code}"
        # control: the owner (admin) reaches it (200/302/405/403 for role-limited pages)
        resp = owner_client.get(url)
        assert resp.status_code != 404, f"owner GET {url} → 404: the factory gives a bad URL"
        checked += 1
    assert checked >= 7  # settings, members, role, remove, keys, revoke, audit at least


def _allowed(route) -> set[str]:
    """The HTTP methods a route's view answers (lower case)."""
    cls = route.view_class
    actions = getattr(route.callback, "actions", None)
    if actions:
        return set(actions)
    return {m for m in getattr(cls, "http_method_names", []) if hasattr(cls, m)}


def _api_module(route) -> str:
    """The API_MODULES entry a route comes from (its view's module, or the package's api)."""
    module = route.view_class.__module__ if route.view_class else route.callback.__module__
    return next((m for m in API_MODULES if module == m), module)


def test_outsider_api_key_sees_nothing_of_another_workspace(workspace, api, outsider_api):
    api_routes = [r for r in _routes() if r.is_api and r.name not in PUBLIC_ROUTES]
    # fill the owner's workspace: every factory creates (or finds) an object there
    for r in api_routes:
        _url_for(r, workspace)
    markers = _owner_markers(workspace)
    pattern = re.compile("|".join(re.escape(m) for m in markers))
    checked = reached = readable = 0
    modules = set()
    for r in api_routes:
        url = _url_for(r, workspace)
        is_detail = any(k in ("code", "key", "pk") for k in r.kwargs)
        for method in METHODS:
            resp = getattr(outsider_api, method)(url, data={}, format="json")
            body = resp.content.decode()
            if is_detail:
                assert resp.status_code in (404, 405), \
                    f"outsider {method.upper()} {url} → {resp.status_code}"
            else:
                assert resp.status_code in (200, 201, 202, 400, 404, 405, 422), \
                    f"outsider {method.upper()} {url} → {resp.status_code}: {body[:200]}"
            leaked = pattern.search(body)
            assert not leaked, f"outsider {method.upper()} {url} leaked {leaked.group(0)}"
        if is_detail:  # control: the owner's key reaches the same object
            resp = api.get(url)
            assert resp.status_code in (200, 405), f"owner GET {url} → {resp.status_code}"
            reached += resp.status_code == 200
            readable += "get" in _allowed(r)
        checked += 1
        modules.add(_api_module(r))
    # every API route was walked, every readable detail route reached the owner's object (the
    # 404s above are not a route that is simply broken), and every module of API_MODULES
    # answers with at least one route (a module dropped from the list would fail here)
    assert checked == len(api_routes) > 0
    assert reached == readable > 0
    assert modules >= set(API_MODULES), f"no routes from {set(API_MODULES) - modules}"


def test_api_me_and_workspace_answer_only_for_the_callers_workspace(workspace, outsider_api,
                                                                    other_workspace):
    me = outsider_api.get("/api/v1/me").json()
    assert me["workspace"] == other_workspace.slug
    ws = outsider_api.get("/api/v1/workspace").json()
    assert ws["slug"] == other_workspace.slug and ws["code"] != str(workspace.code)


def test_session_user_cannot_name_another_workspace_in_the_api(outsider_client, workspace):
    r = outsider_client.get("/api/v1/workspace", HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 404
    assert json.loads(r.content)["error"]["code"] == "not_found"


def test_django_admin_is_for_staff_only(outsider_client):
    r = outsider_client.get("/admin/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
