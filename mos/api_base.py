"""The API's plumbing named in settings.REST_FRAMEWORK: key authentication, the permission
table check, JSON errors, cursor pagination and per-key rate limits.

This module must not import rest_framework.views/generics/viewsets: DRF imports the classes
named in its settings while it builds those modules."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from .actors import Actor
from .models import ApiKey
from .selectors import get_membership, user_workspaces
from .services import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <secret>`: authenticates as the key, scoped to its workspace."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        key = api_key_authenticate(parts[1].decode("latin-1"))
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return (None, key)

    def authenticate_header(self, request):
        return "Bearer"


def resolve_workspace(request) -> Actor:
    """Bind request.workspace and request.actor from the key, or from the session user
    (workspace named by the X-Workspace header or ?workspace=, or their only workspace)."""
    if isinstance(request.auth, ApiKey):
        actor = Actor.for_key(request.auth)
    else:
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        slug = request.headers.get("X-Workspace") or request.query_params.get("workspace")
        if not slug:
            memberships = list(user_workspaces(user)[:2])
            if len(memberships) != 1:
                raise WorkspaceRequired()
            slug = memberships[0].workspace.slug
        actor = Actor.for_member(get_membership(user, slug))
    request.workspace = actor.workspace
    request.actor = actor
    return actor


class WorkspaceRequired(exceptions.APIException):
    status_code = 400
    default_code = "workspace_required"
    default_detail = "Name the workspace with the X-Workspace header (its slug)."


class WorkspacePermission(BasePermission):
    """Checks the permission table: a view says `read_perm` / `write_perm` (or per action in
    `action_perms`); a read-scoped key may only read."""

    def has_permission(self, request, view):
        # bound already by a workspace viewset (mos.api.WorkspaceScopedMixin): once per request
        actor = request.__dict__.get("actor") or resolve_workspace(request)
        if request.method not in SAFE_METHODS and isinstance(request.auth, ApiKey) and (
                request.auth.scope == ApiKey.Scope.READ):
            raise exceptions.PermissionDenied("This API key is read-only.")
        perm = required_perm(view, request)
        if not actor.can(perm):
            raise exceptions.PermissionDenied()
        return True


def required_perm(view, request) -> str:
    action = getattr(view, "action", None)
    perms = getattr(view, "action_perms", {}) or {}
    if action in perms:
        return perms[action]
    if request.method in SAFE_METHODS:
        return getattr(view, "read_perm", "workspace.view")
    return getattr(view, "write_perm", "workspace.settings")


class CodeCursorPagination(CursorPagination):
    """Stable cursor pagination on the insertion order, newest first."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 1000


class PrincipalRateThrottle(SimpleRateThrottle):
    """Per API key (or per signed-in user) request rate, counted in the shared cache.

    DRF's SimpleRateThrottle keeps the timestamp of every request of the last period in one
    cache value that each request reads and writes back whole: at thousands of requests a
    minute that is a list of thousands of floats pickled twice per request. This counts
    requests per fixed window instead and weighs the previous window's count by how much of
    it the sliding period still covers (a "sliding window counter"): a few small cache calls
    per request, whatever the rate, and the increment is atomic."""

    scope = "principal"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window, into = divmod(now, self.duration)
        current, previous = f"{key}_{int(window)}", f"{key}_{int(window) - 1}"
        counts = self.cache.get_many([previous, current])
        still_covered = 1 - into / self.duration
        used = counts.get(previous, 0) * still_covered + counts.get(current, 0)
        if used >= self.num_requests:
            self.retry_after = self.duration - into  # the previous window's weight is gone
            return False
        try:
            self.cache.incr(current)
        except ValueError:  # the window's first request
            if not self.cache.add(current, 1, 2 * self.duration):
                self.cache.incr(current)  # another request created it meanwhile
        return True

    def wait(self):
        return self.retry_after

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle_{self.scope}_{ident}"


def _error(code: str, message: str, status_code: int, fields=None, headers=None) -> Response:
    body = {"error": {"code": code, "message": message}}
    if fields is not None:
        body["error"]["fields"] = fields
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    """Every API error is JSON: {"error": {"code", "message", "fields"?}}."""
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {
            "non_field_errors": exc.messages}
        return _error("invalid", "Invalid input.", 400, fields)
    if isinstance(exc, Http404):
        return _error("not_found", "Not found.", 404)
    if isinstance(exc, DjangoPermissionDenied):
        return _error("permission_denied", "You do not have permission to do this.", 403)
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    headers = {k: v for k, v in response.headers.items() if k in ("Retry-After",
                                                                   "WWW-Authenticate")}
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return _error("invalid", "Invalid input.", 400, fields, headers)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(code, (list, dict)):
        code = "error"
    return _error(str(code), str(detail), response.status_code, headers=headers)


