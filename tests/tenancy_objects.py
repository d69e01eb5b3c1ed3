"""How the tenancy test fills in URL parameters: one entry per URL kwarg (browser pages) or
per DRF basename (API detail routes). Each factory takes the *owner's* workspace and returns
the value to put in the URL — an object of that workspace, so the outsider asking for it must
get 404. A route with a kwarg or basename missing here makes the tenancy test FAIL: add the
factory when you add the route."""

from __future__ import annotations

from mos.models import ApiKey, Membership


def _member(ws):
    return Membership.objects.filter(workspace=ws).first().code


def _api_key(ws):
    return ApiKey.objects.filter(workspace=ws).first().code


# browser pages: URL kwarg name → factory(workspace) → value
KWARG_FACTORIES = {
    "member_code": _member,
    "key_code": _api_key,
}

# API detail routes: DRF basename → factory(workspace) → lookup value (the object's code)
API_FACTORIES: dict = {}

# Routes that are not inside a workspace (auth, health, schema, …): name → why.
PUBLIC_ROUTES = {
    "home": "redirects to your own workspace",
    "signup": "creates a new account",
    "login": "auth", "logout": "auth",
    "password_reset": "auth", "password_reset_done": "auth",
    "password_reset_confirm": "auth", "password_reset_complete": "auth",
    "invitation_accept": "secret token in URL; a wrong token is 404",
    "workspace_create": "creates a workspace of your own",
    "set_language": "language cookie",
    "healthz": "liveness",
    "api-schema": "public OpenAPI schema", "api-docs": "public Swagger UI",
    "api-me": "answers about the caller's own workspace only",
    "api-workspace": "answers about the caller's own workspace only",
}
