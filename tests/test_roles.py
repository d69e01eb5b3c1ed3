"""Role tests: the permission table says what DESIGN §3 says, and every page and API route
obeys it — each role gets 403 exactly where the table denies it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mos.roles import PERMISSIONS, Role, SCOPE_ROLES, role_has_perm
from tests.routes import iter_routes
from tests.tenancy_objects import API_FACTORIES, KWARG_FACTORIES, PUBLIC_ROUTES

pytestmark = pytest.mark.django_db

A, G, M, N, S, V = ("admin", "growth_lead", "marketer", "analyst", "sales_rep", "viewer")

# DESIGN §3, written out by hand: admin (settings, members, keys), growth lead (everything but
# settings), marketer (engines, experiments, CRM, reports drafts), analyst (read all, metrics
# config, experiments' analysis), sales rep (their assigned leads: read, log feedback),
# viewer (read-only).
EXPECTED = {
    "workspace.view": {A, G, M, N, S, V},
    "workspace.settings": {A},
    "members.manage": {A},
    "apikeys.manage": {A},
    "audit.view": {A},
    "crm.view": {A, G, M, N, V},
    "crm.edit": {A, G, M},
    "crm.import": {A, G, M},
    "lifecycle.define": {A, G, N},
    "leads.view_assigned": {A, G, M, S},
    "leads.feedback": {A, G, S},
    "activities.view": {A, G, M, N, S, V},
    "activities.log": {A, G, M, S},
    "scoring.configure": {A, G},
    "metrics.view": {A, G, M, N, V},
    "metrics.configure": {A, G, N},
    "metrics.recompute": {A, G, N},
    "engines.edit": {A, G, M},
    "experiments.view": {A, G, M, N, V},
    "experiments.edit": {A, G, M, N},
    "experiments.run": {A, G, M},
    "experiments.decide": {A, G, N},
    "experiments.override": {A},
    "automation.view": {A, G, M, N, V},
    "automation.edit": {A, G, M},
    "automation.activate": {A, G},
    "reports.view": {A, G, M, N, V},
    "reports.draft": {A, G, M},
    "reports.publish": {A, G},
    "reports.supersede": {A, G},
    "planning.view": {A, G, M, N, V},
    "planning.edit": {A, G, M},
    "planning.decide": {A, G},
}


@pytest.mark.parametrize("perm", sorted(EXPECTED))
def test_permission_table_matches_design(perm):
    assert {r for r in Role.values if role_has_perm(r, perm)} == EXPECTED[perm]


def test_every_permission_is_specified():
    assert set(PERMISSIONS) == set(EXPECTED)


def test_unknown_permission_is_an_error():
    with pytest.raises(KeyError):
        role_has_perm(A, "crm.destroy_everything")


def test_api_key_scopes():
    assert SCOPE_ROLES == {"read": Role.VIEWER, "write": Role.GROWTH_LEAD}
    # a write key never manages settings, members or keys
    for perm in ("workspace.settings", "members.manage", "apikeys.manage", "audit.view"):
        assert not role_has_perm(SCOPE_ROLES["write"], perm)


def _fill(kwargs, ws, is_api, name):
    values = {}
    for kw in kwargs:
        if kw == "slug":
            values[kw] = ws.slug
        elif is_api and kw in ("code", "key", "pk"):
            values[kw] = API_FACTORIES[name.rpartition("-")[0]](ws)
        else:
            values[kw] = KWARG_FACTORIES[kw](ws)
    return values


def _page_perm(callback) -> str | None:
    return getattr(callback, "mos_perm", None)


def _api_perm(route) -> str:
    from mos.api_base import required_perm

    cls = route.view_class
    view = cls()
    actions = getattr(route.callback, "actions", None) or {}
    view.action = actions.get("get")

    class _Req:
        method = "GET"

    return required_perm(view, _Req)


@pytest.fixture
def team(workspace, add_member, client_for, api_key_for):
    api_key_for(workspace, "read")
    clients = {}
    for role in Role.values:
        user = add_member(role, email=f"role-{role}@acme.test")
        clients[role] = client_for(user)
    return clients


def test_every_workspace_page_obeys_the_table(workspace, team):
    checked = 0
    for r in iter_routes():
        if r.is_api or r.name in PUBLIC_ROUTES or "slug" not in r.kwargs:
            continue
        perm = _page_perm(r.callback)
        assert perm, f"{r.name}: a workspace page must use @workspace_view(<perm>)"
        url = reverse(r.name, kwargs=_fill(r.kwargs, workspace, False, r.name))
        for role, client in team.items():
            status = client.get(url).status_code
            if role_has_perm(role, perm):
                assert status != 403, f"{role} GET {url} → 403 but holds {perm}"
            else:
                assert status == 403, f"{role} GET {url} → {status}, lacks {perm}"
        checked += 1
    assert checked >= 7


def test_every_api_route_obeys_the_table(workspace, team):
    for r in iter_routes():
        if not r.is_api or r.name in PUBLIC_ROUTES:
            continue
        perm = _api_perm(r)
        url = reverse(r.name, kwargs=_fill(r.kwargs, workspace, True, r.name))
        for role, client in team.items():
            status = client.get(url, HTTP_X_WORKSPACE=workspace.slug).status_code
            if role_has_perm(role, perm):
                assert status != 403, f"{role} GET {url} → 403 but holds {perm}"
            else:
                assert status == 403, f"{role} GET {url} → {status}, lacks {perm}"


def test_read_key_cannot_write_and_write_key_cannot_change_settings(workspace, api_key_for):
    read = api_key_for(workspace, "read")
    r = read.patch("/api/v1/workspace", {"name": "Hacked"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    write = api_key_for(workspace, "write")
    r = write.patch("/api/v1/workspace", {"name": "Hacked"}, format="json")
    assert r.status_code == 403
    workspace.refresh_from_db()
    assert workspace.name == "Acme"
