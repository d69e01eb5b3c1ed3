"""Reads for tenancy. Objects of a workspace are fetched through these helpers: another
workspace's object answers exactly like a missing one (404)."""

from __future__ import annotations

import hmac

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import ApiKey, AuditEntry, Invitation, Membership, User, Workspace


def user_workspaces(user: User):
    """The workspaces `user` is a member of, with their role, by name."""
    return (Membership.objects.filter(user=user).select_related("workspace")
            .order_by("workspace__name"))


def get_membership(user: User, slug: str) -> Membership:
    """The user's membership of the workspace `slug`, or 404 (also when not a member)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(Membership.objects.select_related("workspace", "user"),
                             workspace__slug=slug, user=user)


def workspace_members(workspace: Workspace):
    return workspace.memberships.select_related("user").order_by("user__email")


def get_member(workspace: Workspace, code) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), workspace=workspace,
                             code=code)


def open_invitations(workspace: Workspace):
    return Invitation.objects.filter(workspace=workspace, accepted_at__isnull=True)


def get_invitation_by_token(token: str) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("workspace"), token=token)


def get_invitation(workspace: Workspace, code) -> Invitation:
    return get_object_or_404(Invitation, workspace=workspace, code=code)


def workspace_api_keys(workspace: Workspace):
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by")


def get_api_key(workspace: Workspace, code) -> ApiKey:
    return get_object_or_404(ApiKey, workspace=workspace, code=code)


def api_key_for_secret(secret: str) -> ApiKey | None:
    """The active key whose secret this is, or None."""
    prefix = secret.split(".", 1)[0]
    key = (ApiKey.objects.select_related("workspace")
           .filter(prefix=prefix, revoked_at__isnull=True).first())
    if key is None or not hmac.compare_digest(key.hashed_secret, ApiKey.hash_secret(secret)):
        return None
    return key


def audit_log(workspace: Workspace, *, member=None, action: str = "", since=None, until=None):
    """The workspace's audit entries, newest first; optionally one member's, one action's,
    between two dates (inclusive, in the workspace's time zone)."""
    import datetime as dt
    import zoneinfo

    qs = AuditEntry.objects.filter(workspace=workspace).select_related("actor", "api_key")
    if member is not None:
        qs = qs.filter(actor=member)
    if action:
        qs = qs.filter(action=action)
    tz = zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    if since:
        qs = qs.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until:
        qs = qs.filter(at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min,
                                                  tzinfo=tz))
    return qs


def audit_actions(workspace: Workspace) -> list[str]:
    """The actions that occur in the workspace's audit log (for the filter)."""
    return sorted(AuditEntry.objects.filter(workspace=workspace).order_by()
                  .values_list("action", flat=True).distinct())
