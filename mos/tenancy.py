"""The one door into a workspace's pages: membership → 404, role → 403."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .actors import Actor
from .display import workspace_display
from .selectors import get_membership


def workspace_view(perm: str = "workspace.view", *, write_perm: str | None = None):
    """Decorate a view taking (request, …) under /w/<slug>/.

    Sets request.workspace, request.membership and request.actor. A non-member gets 404
    (we do not reveal that the workspace exists); a member without `perm` gets 403.
    `write_perm`, when given, is required as well for anything but GET/HEAD.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, slug, *args, **kwargs):
            membership = get_membership(request.user, slug)
            request.workspace = membership.workspace
            request.membership = membership
            request.actor = Actor.for_member(membership)
            if not request.actor.can(perm):
                raise PermissionDenied
            if write_perm and request.method not in ("GET", "HEAD") and not request.actor.can(
                    write_perm):
                raise PermissionDenied
            with workspace_display(request.workspace, request.user):
                return view(request, *args, **kwargs)

        wrapped.mos_perm = perm
        return wrapped

    return decorator
