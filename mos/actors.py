"""Who is acting: a signed-in person or an API key. Services take one to audit their writes."""

from __future__ import annotations

from dataclasses import dataclass

from .roles import SCOPE_ROLES, role_has_perm


@dataclass(frozen=True)
class Actor:
    workspace: object  # mos.models.Workspace
    user: object | None = None  # mos.models.User
    api_key: object | None = None  # mos.models.ApiKey
    role: str = ""

    @classmethod
    def for_member(cls, membership) -> "Actor":
        return cls(workspace=membership.workspace, user=membership.user, role=membership.role)

    @classmethod
    def for_key(cls, api_key) -> "Actor":
        return cls(workspace=api_key.workspace, api_key=api_key, role=SCOPE_ROLES[api_key.scope])

    @classmethod
    def system(cls, workspace) -> "Actor":
        """The app itself (nightly jobs, demo seeding): audited without a person."""
        return cls(workspace=workspace, role="admin")

    def can(self, perm: str) -> bool:
        return role_has_perm(self.role, perm)

    def __str__(self):
        if self.user is not None:
            return str(self.user)
        if self.api_key is not None:
            return str(self.api_key)
        return "MOS"
